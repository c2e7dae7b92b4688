/* Tests: become root of a new user namespace that owns a new network
 * namespace, so that the test (and `ip` run through system(), which keeps
 * CAP_NET_ADMIN across exec) may change links and addresses without
 * touching the host's. Header-only, for the tests that need it. */
#ifndef VIPD_TESTS_PRIVATE_NETNS_H
#define VIPD_TESTS_PRIVATE_NETNS_H

#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline int private_netns_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* False when the kernel or the sandbox refuses (the caller skips). */
static inline bool private_netns_enter(void)
{
    char map[64];
    uid_t uid = getuid();
    gid_t gid = getgid();

    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
        return false;
    }
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    if (private_netns_write("/proc/self/uid_map", map) != 0) {
        return false;
    }
    /* Must precede gid_map for an unprivileged writer; may fail as root. */
    (void)private_netns_write("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    return private_netns_write("/proc/self/gid_map", map) == 0;
}

#endif /* VIPD_TESTS_PRIVATE_NETNS_H */
