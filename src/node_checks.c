/* Checks of what a node needs on this host (src/node_checks.h). */
#include "src/node_checks.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "raft/keyfile.h"
#include "vipd/error.h"

int node_check_data_dir(const char *dir, char *errmsg)
{
    char path[4200];
    int fd, rv = 0;

    snprintf(path, sizeof path, "%s/.vipd-check.XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0) {
        rv = -errno;
        errmsg_printf(errmsg, "data_dir %.200s is not writable: %s", dir,
                      strerror(errno));
        return rv;
    }
    if (write(fd, "", 1) != 1 || fsync(fd) != 0) {
        rv = -errno;
        errmsg_printf(errmsg, "data_dir %.200s: cannot write: %s", dir,
                      strerror(errno));
    }
    close(fd);
    unlink(path);
    return rv;
}

int node_check_key(const char *path, char *errmsg)
{
    uint8_t key[KEYFILE_KEY_SIZE];
    int rv = keyfile_load(path, key, errmsg);
    sodium_memzero(key, sizeof key);
    return rv;
}

int node_check_listen(const struct cfg_cluster *cc, char *errmsg)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int fd, one = 1, rv;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    snprintf(port, sizeof port, "%u", (unsigned)cc->listen_port);
    rv = getaddrinfo(cc->listen_host, port, &hints, &res);
    if (rv != 0) {
        errmsg_printf(errmsg, "listen %.200s: %s", cc->listen_host,
                      gai_strerror(rv));
        return -EADDRNOTAVAIL;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rv = -errno;
    } else {
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        rv = bind(fd, res->ai_addr, res->ai_addrlen) == 0 ? 0 : -errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (rv != 0) {
        errmsg_printf(errmsg, "cannot listen on %.200s:%u: %s",
                      cc->listen_host, (unsigned)cc->listen_port,
                      strerror(-rv));
    }
    return rv;
}

int node_check_join(const struct vip_config *cfg, const char *data_dir,
                    char *errmsg)
{
    int rv = node_check_data_dir(data_dir, errmsg);
    if (rv == 0) {
        rv = node_check_key(cfg->cluster.secret_file, errmsg);
    }
    if (rv == 0) {
        rv = node_check_listen(&cfg->cluster, errmsg);
    }
    return rv;
}
