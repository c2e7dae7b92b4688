/* vipctl's side of the control socket: blocking connect, send one request,
 * read reply lines (src/ctl_proto.h). Used only by vipctl and tests. */
#ifndef VIPD_SRC_VIPCTL_CLIENT_H
#define VIPD_SRC_VIPCTL_CLIENT_H

#include <jansson.h>

#include "src/ctl_proto.h"
#include "vipd/error.h"

struct vipctl_client
{
    int fd;
    const char *path; /* the socket path, for messages */
    struct ctl_linebuf lb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Connect to the daemon at @path (kept by reference). Returns 0, or a
 * negative errno (-ENOENT: no socket, -ECONNREFUSED: no daemon, -EACCES)
 * with a message naming @path in @c->errmsg; nothing to close then. */
int vipctl_client_connect(struct vipctl_client *c, const char *path);

/* Send the request @cmd with @args (stolen; NULL: none). Returns 0 or a
 * negative code with @c->errmsg set. */
int vipctl_client_send(struct vipctl_client *c, enum ctl_cmd cmd, json_t *args);

/* Wait up to @timeout_ms (-1: forever) for the next reply line and decode
 * it into @out (release out->obj with json_decref). Returns 0; 1 at end of
 * file (the daemon closed the connection); VIP_ETIMEDOUT; VIP_EPROTO for a
 * malformed or oversized line; or a negative errno. @c->errmsg says why. */
int vipctl_client_recv(struct vipctl_client *c,
                       struct ctl_reply_info *out,
                       int timeout_ms);

/* Close the connection and free buffers. */
void vipctl_client_close(struct vipctl_client *c);

#endif /* VIPD_SRC_VIPCTL_CLIENT_H */
