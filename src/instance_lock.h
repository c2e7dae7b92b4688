/* One vipd per data dir and per control socket: an exclusive flock(2) on
 * DATA_DIR/vipd.lock and on SOCKET.lock, taken before anything touches
 * either (src/daemon.c calls it before cluster_init()), held until the
 * process exits (the kernel drops it with the last fd, also after a crash:
 * no stale lock). Each lock file holds the holder's pid, so a second
 * instance says who runs: "already running (pid N)", and changes nothing.
 * The files stay in place (removing them would let two processes each hold
 * a lock on a different inode). */
#ifndef VIPD_SRC_INSTANCE_LOCK_H
#define VIPD_SRC_INSTANCE_LOCK_H

#include "vipd/error.h"

struct instance_lock
{
    int data_fd;   /* -1 when not held */
    int socket_fd;
};

/* Take both locks: @data_dir is created (mode 0700, parents too) when
 * missing; @socket_path's directory must exist or is created (0755) as the
 * control server would. Returns 0, VIP_EEXIST with "... already running
 * (pid N)" in @errmsg (VIP_ERRMSG_SIZE bytes) when another process holds
 * one, or another negative code with a message. On failure nothing is
 * held. */
int instance_lock_take(struct instance_lock *l, const char *data_dir,
                       const char *socket_path, char *errmsg);

/* Release both (at exit; safe when not held). */
void instance_lock_release(struct instance_lock *l);

#endif /* VIPD_SRC_INSTANCE_LOCK_H */
