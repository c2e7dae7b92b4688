/* vipctl's blocking control-socket client. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/vipctl_client.h"
#include "vipd/clock.h"

int vipctl_client_connect(struct vipctl_client *c, const char *path)
{
    struct sockaddr_un addr;
    int rv;

    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->path = path;
    ctl_linebuf_init(&c->lb, CTL_MAX_REPLY);
    if (strlen(path) >= sizeof addr.sun_path) {
        errmsg_printf(c->errmsg, "socket path %.200s is too long", path);
        return VIP_EINVAL;
    }
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        rv = -errno;
        errmsg_printf(c->errmsg, "socket: %s", strerror(-rv));
        return rv;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        rv = -errno;
        const char *hint = "";
        if (rv == -ENOENT || rv == -ECONNREFUSED) {
            hint = " (is vipd running? use -s PATH or VIPD_SOCKET)";
        } else if (rv == -EACCES) {
            hint = " (run as root or as a member of the control group)";
        }
        errmsg_printf(c->errmsg, "cannot connect to vipd at %s: %s%s", path,
                      strerror(-rv), hint);
        close(c->fd);
        c->fd = -1;
        return rv;
    }
    return 0;
}

int vipctl_client_send(struct vipctl_client *c, enum ctl_cmd cmd, json_t *args)
{
    json_t *req = ctl_request_new(cmd, args);
    char *buf;
    size_t len;
    size_t off = 0;
    int rv;

    if (req == NULL) {
        errmsg_printf(c->errmsg, "out of memory");
        return VIP_ENOMEM;
    }
    rv = ctl_line_encode(req, &buf, &len);
    json_decref(req);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "out of memory");
        return rv;
    }
    while (off < len) {
        ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rv = -errno;
            errmsg_printf(c->errmsg, "send to %s: %s", c->path, strerror(-rv));
            break;
        }
        off += (size_t)n;
    }
    free(buf);
    return rv;
}

int vipctl_client_recv(struct vipctl_client *c,
                       struct ctl_reply_info *out,
                       int timeout_ms)
{
    uint64_t deadline =
        vip_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    char buf[65536];
    char *line;
    size_t len;

    for (;;) {
        int rv = ctl_linebuf_next(&c->lb, &line, &len);
        if (rv == 1) {
            if (len == 0) {
                continue;
            }
            rv = ctl_reply_decode(line, len, out, c->errmsg);
            if (rv != 0) {
                errmsg_wrapf(c->errmsg, "bad reply from vipd");
            }
            return rv;
        }
        if (rv < 0) {
            errmsg_printf(c->errmsg,
                          "bad reply from vipd: line longer than %d bytes",
                          CTL_MAX_REPLY);
            return VIP_EPROTO;
        }
        int wait = -1;
        if (timeout_ms >= 0) {
            uint64_t now = vip_now_ms();
            if (now >= deadline) {
                errmsg_printf(c->errmsg, "no reply from vipd within %d ms",
                              timeout_ms);
                return VIP_ETIMEDOUT;
            }
            wait = (int)(deadline - now);
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        rv = poll(&pfd, 1, wait);
        if (rv < 0) {
            if (errno == EINTR) {
                continue;
            }
            rv = -errno;
            errmsg_printf(c->errmsg, "poll: %s", strerror(-rv));
            return rv;
        }
        if (rv == 0) {
            continue; /* the deadline check above reports it */
        }
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            rv = -errno;
            errmsg_printf(c->errmsg, "receive from %s: %s", c->path,
                          strerror(-rv));
            return rv;
        }
        if (n == 0) {
            errmsg_printf(c->errmsg, "vipd closed the connection");
            return 1;
        }
        rv = ctl_linebuf_push(&c->lb, buf, (size_t)n);
        if (rv != 0) {
            errmsg_printf(c->errmsg, "bad reply from vipd: too long");
            return VIP_EPROTO;
        }
    }
}

void vipctl_client_close(struct vipctl_client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    ctl_linebuf_close(&c->lb);
}
