/* The daemon: wires config, cluster (raft/), host network (vip/), health
 * checks and the control socket into one libuv loop. */
#ifndef VIPD_SRC_DAEMON_H
#define VIPD_SRC_DAEMON_H

#include "vipd/config.h"

/* Run until SIGTERM/SIGINT; returns the process exit status. @cfg (loaded
 * from @path, which SIGHUP re-reads) must stay valid until it returns. */
int daemon_run(const struct vip_config *cfg, const char *path);

#endif /* VIPD_SRC_DAEMON_H */
