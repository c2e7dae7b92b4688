/* keepalived's notify FIFOs (global_defs notify_fifo / vrrp_notify_fifo,
 * include/vipd/config.h): one line per state change, in keepalived's
 * format, `INSTANCE "VI_1" MASTER 100` or `GROUP "G1" BACKUP 0`. */
#ifndef VIPD_SRC_NOTIFY_FIFO_H
#define VIPD_SRC_NOTIFY_FIFO_H

#include "vipd/config.h"
#include "vipd/error.h"

/* Open @f->path for writing, creating the FIFO (mode 0600, owned by
 * @f->as when given) if it does not exist. Opened read-write and
 * non-blocking, as keepalived does, so that a missing or slow reader
 * never blocks vipd: lines are dropped (and logged) when the FIFO is full.
 * Returns the fd, or -errno / VIP_EINVAL with @errmsg set. */
int notify_fifo_open(const struct cfg_fifo *f, char *errmsg);

/* Write one line; a line is at most PIPE_BUF bytes, so it is never
 * interleaved with another writer's. Returns 0 or -errno. */
int notify_fifo_write(int fd,
                      const char *type,
                      const char *name,
                      const char *state,
                      int priority);

#endif /* VIPD_SRC_NOTIFY_FIFO_H */
