/* Single-instance locks (see src/instance_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/instance_lock.h"

/* mkdir -p @dir with @mode for what it creates. */
static int make_dirs(const char *dir, mode_t mode, char *errmsg)
{
    char buf[4096];

    if (strlen(dir) >= sizeof buf) {
        errmsg_printf(errmsg, "path too long: %.200s", dir);
        return VIP_EINVAL;
    }
    strcpy(buf, dir);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) {
            int rv = -errno;
            errmsg_printf(errmsg, "mkdir %.200s: %s", buf, strerror(-rv));
            return rv;
        }
        *p = saved;
        if (saved == '\0') {
            return 0;
        }
    }
}

/* The pid written in a held lock file, or 0 if unreadable. */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid;
    char *end;

    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/* Lock @path (created 0600; never through a symbolic link). */
static int lock_file(const char *path, const char *what, int *out,
                     char *errmsg)
{
    char line[32];
    int fd, rv, n;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
              0600);
    if (fd < 0) {
        rv = -errno;
        errmsg_printf(errmsg, "lock %.200s: %s", path, strerror(-rv));
        return rv;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rv = -errno;
        if (rv == -EWOULDBLOCK) {
            long pid = holder_pid(fd);
            if (pid > 0) {
                errmsg_printf(errmsg,
                              "vipd is already running (pid %ld) with %s "
                              "%.200s",
                              pid, what, path);
            } else {
                errmsg_printf(errmsg,
                              "vipd is already running with %s %.200s",
                              what, path);
            }
            rv = VIP_EEXIST;
        } else {
            errmsg_printf(errmsg, "lock %.200s: %s", path, strerror(-rv));
        }
        close(fd);
        return rv;
    }
    n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        rv = -errno;
        errmsg_printf(errmsg, "write %.200s: %s", path, strerror(-rv));
        close(fd);
        return rv;
    }
    *out = fd;
    return 0;
}

int instance_lock_take(struct instance_lock *l, const char *data_dir,
                       const char *socket_path, char *errmsg)
{
    char path[4200];
    char dir[4096];
    char *slash;
    int rv;

    l->data_fd = -1;
    l->socket_fd = -1;
    rv = make_dirs(data_dir, 0700, errmsg);
    if (rv != 0) {
        return rv;
    }
    snprintf(path, sizeof path, "%s/vipd.lock", data_dir);
    rv = lock_file(path, "data dir lock", &l->data_fd, errmsg);
    if (rv != 0) {
        return rv;
    }
    snprintf(dir, sizeof dir, "%s", socket_path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        rv = make_dirs(dir, 0755, errmsg);
    }
    if (rv == 0) {
        snprintf(path, sizeof path, "%s.lock", socket_path);
        rv = lock_file(path, "control socket lock", &l->socket_fd, errmsg);
    }
    if (rv != 0) {
        instance_lock_release(l);
    }
    return rv;
}

void instance_lock_release(struct instance_lock *l)
{
    if (l->data_fd >= 0) {
        close(l->data_fd);
        l->data_fd = -1;
    }
    if (l->socket_fd >= 0) {
        close(l->socket_fd);
        l->socket_fd = -1;
    }
}
