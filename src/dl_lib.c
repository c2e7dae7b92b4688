/* Loading an optional shared library at run time; see src/dl_lib.h. */
#include "src/dl_lib.h"

#include <dlfcn.h>
#include <string.h>

#include "vipd/error.h"

int dl_lib_load(const char *soname, const char *package,
                const struct dl_sym *syms, size_t n, char *errmsg)
{
    void *addrs[64];
    void *h;

    if (n > sizeof addrs / sizeof addrs[0]) {
        errmsg_printf(errmsg, "%s: too many symbols", soname);
        return VIP_EINVAL;
    }
    h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        errmsg_printf(errmsg, "%s: %s (install the Debian package %s)",
                      soname, dlerror(), package);
        return VIP_ENOENT;
    }
    for (size_t i = 0; i < n; i++) {
        addrs[i] = dlsym(h, syms[i].name);
        if (addrs[i] == NULL) {
            errmsg_printf(errmsg, "%s: no symbol %s (install the Debian "
                          "package %s)", soname, syms[i].name, package);
            dlclose(h);
            return VIP_ENOENT;
        }
    }
    /* POSIX lets a data pointer from dlsym() hold a function's address;
     * copy the bytes rather than convert, which ISO C leaves undefined. */
    for (size_t i = 0; i < n; i++) {
        memcpy(syms[i].addr, &addrs[i], sizeof addrs[i]);
    }
    return 0;
}
