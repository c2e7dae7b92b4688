/* What a node needs on this host, checked before acting on it: a data dir
 * it can write, a cluster key it can read, a listen address it can bind.
 * Used before `vipctl join` asks the cluster (src/daemon_ctl.c: a node that
 * could not start Raft once admitted would leave a spare behind) and by
 * `vipd --force-new-cluster` (src/recover_cmd.c: vipd must be stopped). */
#ifndef VIPD_SRC_NODE_CHECKS_H
#define VIPD_SRC_NODE_CHECKS_H

#include "vipd/config.h"

/* Create, write, fsync and remove a file in @dir. Returns 0 or -errno with
 * @errmsg (VIP_ERRMSG_SIZE) naming @dir. */
int node_check_data_dir(const char *dir, char *errmsg);

/* Load the key file @path (raft/keyfile.h rules). Returns 0 or its error
 * with @errmsg. */
int node_check_key(const char *path, char *errmsg);

/* Bind a TCP socket to the cluster's listen address (SO_REUSEADDR, so a
 * stopped vipd's TIME_WAIT connections do not count) and close it. Returns
 * 0, -EADDRINUSE (something listens there: vipd runs?) or another -errno
 * (e.g. -EADDRNOTAVAIL: not an address of this host), with @errmsg. */
int node_check_listen(const struct cfg_cluster *cc, char *errmsg);

/* All three for a node about to join (waiting, so nothing of ours listens
 * yet). Returns 0 or the first failure with @errmsg. */
int node_check_join(const struct vip_config *cfg, const char *data_dir,
                    char *errmsg);

#endif /* VIPD_SRC_NODE_CHECKS_H */
