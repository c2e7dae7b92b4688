/* Error codes shared by every vipd module.
 *
 * Functions return 0 on success or a negative code. Where an errno exists the
 * code equals -errno, so `return -errno;` and libuv's UV_E* pass straight
 * through; project codes sit below -4000, outside the errno range. */
#ifndef VIPD_ERROR_H
#define VIPD_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>

#define VIP_ERROR_MAP(X)                                          \
    X(VIP_ENOMEM, -ENOMEM, "out of memory")                       \
    X(VIP_EINVAL, -EINVAL, "invalid argument")                    \
    X(VIP_EPROTO, -EPROTO, "malformed message")                   \
    X(VIP_ENOENT, -ENOENT, "not found")                           \
    X(VIP_EEXIST, -EEXIST, "already exists")                      \
    X(VIP_ERANGE, -ERANGE, "value out of range")                  \
    X(VIP_ETIMEDOUT, -ETIMEDOUT, "timed out")                     \
    X(VIP_ENOTLEADER, -4001, "this node is not the leader")       \
    X(VIP_ERAFT, -4002, "consensus error")                        \
    X(VIP_ENETLINK, -4003, "netlink error")                       \
    X(VIP_ECONFIG, -4004, "invalid configuration")                \
    X(VIP_EAUTH, -4005, "authentication failed")                  \
    X(VIP_ENOTIMPL, -4006, "not implemented yet")                 \
    X(VIP_ESTALE, -4007,                                          \
      "not applied: a newer record of this node was applied "     \
      "(stale sequence number)")

enum {
#define VIP_ERROR_ENUM(name, value, text) name = (value),
    VIP_ERROR_MAP(VIP_ERROR_ENUM)
#undef VIP_ERROR_ENUM
};

/* Size of the per-object error message buffers (`char errmsg[...]`). */
#define VIP_ERRMSG_SIZE 256

/* Return a static description of @rv: a project code, or strerror(-rv) for a
 * negative errno. Never returns NULL. */
const char *vip_strerror(int rv);

/* Format into @errmsg (VIP_ERRMSG_SIZE bytes), replacing its content. */
void errmsg_printf(char *errmsg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the existing content of @errmsg with a formatted context, separated
 * by ": ", so each layer adds what it knows ("raft: open data dir: ..."). */
void errmsg_wrapf(char *errmsg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VIPD_ERROR_H */
