/* Atomic small-file writes (see raft/atomic_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "raft/atomic_file.h"

int atomic_file_write(const char *dir, const char *name, const void *data,
                      size_t len, char *errmsg)
{
    char path[4200], tmp[4210];
    size_t done = 0;
    int fd, dfd, rv = 0;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    (void)unlink(tmp); /* a leftover of a crash mid-write */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rv = -errno;
        goto fail;
    }
    while (done < len) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rv = n < 0 ? -errno : -EIO;
            break;
        }
        done += (size_t)n;
    }
    if (rv == 0 && fsync(fd) != 0) {
        rv = -errno;
    }
    if (close(fd) != 0 && rv == 0) {
        rv = -errno;
    }
    if (rv == 0 && rename(tmp, path) != 0) {
        rv = -errno;
    }
    if (rv != 0) {
        (void)unlink(tmp);
        goto fail;
    }
    /* The rename itself must reach the disk. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) {
            rv = -errno;
        }
        close(dfd);
    }
    if (rv == 0) {
        return 0;
    }
fail:
    errmsg_printf(errmsg, "write %.200s: %s", path, strerror(-rv));
    return rv;
}
