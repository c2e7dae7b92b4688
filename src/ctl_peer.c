/* Control socket options and client credentials: who may use the socket
 * (see ctl_server.h). Kept apart from the server's event handling. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "src/ctl_server.h"

void ctl_server_opts_from_config(struct ctl_server_opts *opts,
                                 const struct vip_config *cfg)
{
    memset(opts, 0, sizeof *opts);
    opts->path = cfg->cluster.control_socket != NULL &&
                         cfg->cluster.control_socket[0] != '\0'
                     ? cfg->cluster.control_socket
                     : CTL_DEFAULT_SOCKET;
    opts->group = cfg->cluster.control_group;
}

bool ctl_peer_permitted(const struct ctl_peer *peer,
                        uid_t self_uid,
                        bool has_group,
                        gid_t gid)
{
    if (peer->uid == 0 || peer->uid == self_uid) {
        return true;
    }
    if (!has_group) {
        return false;
    }
    if (peer->gid == gid) {
        return true;
    }
    for (size_t i = 0; i < peer->n_groups; i++) {
        if (peer->groups[i] == gid) {
            return true;
        }
    }
    return false;
}

int ctl_peer_read_groups(struct ctl_peer *peer)
{
    char path[64];
    char line[4096];
    FILE *f;
    int rv = -ENOENT;

    peer->n_groups = 0;
    if (peer->pid <= 0) {
        return -ESRCH; /* the peer is in another pid namespace */
    }
    snprintf(path, sizeof path, "/proc/%ld/status", (long)peer->pid);
    f = fopen(path, "re");
    if (f == NULL) {
        return -errno;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Groups:", 7) != 0) {
            continue;
        }
        char *p = line + 7;
        char *end;
        while (peer->n_groups < CTL_PEER_MAX_GROUPS) {
            errno = 0;
            unsigned long g = strtoul(p, &end, 10);
            if (end == p || errno != 0) {
                break;
            }
            peer->groups[peer->n_groups++] = (gid_t)g;
            p = end;
        }
        rv = 0;
        break;
    }
    fclose(f);
    return rv;
}

int ctl_peer_read_groups_fd(struct ctl_peer *peer, int fd)
{
#ifdef SO_PEERGROUPS
    gid_t groups[CTL_PEER_MAX_GROUPS];
    socklen_t len = sizeof groups;

    peer->n_groups = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
        size_t n = len / sizeof groups[0];
        for (size_t i = 0; i < n && i < CTL_PEER_MAX_GROUPS; i++) {
            peer->groups[peer->n_groups++] = groups[i];
        }
        return 0;
    }
    if (errno == ERANGE) {
        /* More groups than we keep: the first ones are not enough to be
         * sure, and a member of hundreds of groups is rare; refuse. */
        return -ERANGE;
    }
    if (errno != ENOPROTOOPT) {
        return -errno;
    }
#else
    (void)fd;
#endif
    return ctl_peer_read_groups(peer);
}
