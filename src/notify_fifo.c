/* keepalived's notify FIFOs (see src/notify_fifo.h). */
#include "src/notify_fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int notify_fifo_open(const struct cfg_fifo *f, char *errmsg)
{
    struct stat st;

    if (mkfifo(f->path, 0600) == 0) {
        if (f->as.user[0] != '\0') {
            struct passwd *pw = getpwnam(f->as.user);
            struct group *gr =
                f->as.group[0] != '\0' ? getgrnam(f->as.group) : NULL;
            if (pw == NULL || (f->as.group[0] != '\0' && gr == NULL)) {
                errmsg_printf(errmsg, "notify FIFO %s: unknown user or group",
                              f->path);
                unlink(f->path);
                return VIP_EINVAL;
            }
            if (chown(f->path, pw->pw_uid, gr ? gr->gr_gid : pw->pw_gid) != 0) {
                int rv = -errno;
                errmsg_printf(errmsg, "notify FIFO %s: chown: %s", f->path,
                              strerror(errno));
                unlink(f->path);
                return rv;
            }
        }
    } else if (errno != EEXIST) {
        int rv = -errno;
        errmsg_printf(errmsg, "notify FIFO %s: mkfifo: %s", f->path,
                      strerror(errno));
        return rv;
    }
    /* O_RDWR: opening a FIFO for writing alone fails (ENXIO) without a
     * reader; with it, writes succeed until the FIFO's buffer is full. */
    int fd = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int rv = -errno;
        errmsg_printf(errmsg, "notify FIFO %s: %s", f->path, strerror(errno));
        return rv;
    }
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        errmsg_printf(errmsg, "notify FIFO %s: exists and is not a FIFO",
                      f->path);
        close(fd);
        return VIP_EINVAL;
    }
    return fd;
}

int notify_fifo_write(int fd,
                      const char *type,
                      const char *name,
                      const char *state,
                      int priority)
{
    char line[PIPE_BUF];
    int len = snprintf(line, sizeof line, "%s \"%s\" %s %d\n", type, name,
                       state, priority);
    if (len < 0 || (size_t)len >= sizeof line) {
        return -EINVAL;
    }
    ssize_t n = write(fd, line, (size_t)len);
    if (n < 0) {
        return -errno;
    }
    return n == len ? 0 : -EIO;
}
