/* Loading an optional shared library at run time (dlopen), so that a
 * daemon that does not use it never maps it: libcurl and its TLS and auth
 * libraries only with an https check (src/check_https.c), libmicrohttpd
 * only with metrics (src/metrics_http.c), libsystemd only under systemd
 * (src/daemon_systemd.c). Together they were most of vipd's RSS at idle.
 * The headers are still those of the Debian -dev packages, so the calls
 * are type-checked as before; only the binding moves to run time. */
#ifndef VIPD_SRC_DL_LIB_H
#define VIPD_SRC_DL_LIB_H

#include <stddef.h>

/* One symbol to resolve: its name and where to store its address (the
 * address of a function pointer variable). */
struct dl_sym
{
    const char *name;
    void *addr;
};

/* Open @soname (e.g. "libcurl.so.4") and resolve the @n symbols of @syms.
 * All or nothing: on failure no pointer is set and the library is closed;
 * returns 0 or VIP_ENOENT with @errmsg (VIP_ERRMSG_SIZE) naming the library
 * and @package, the Debian package that provides it. A loaded library
 * stays loaded for the life of the process. */
int dl_lib_load(const char *soname, const char *package,
                const struct dl_sym *syms, size_t n, char *errmsg);

#endif /* VIPD_SRC_DL_LIB_H */
