/* `tcp_check HOST:PORT`: a native health probe that needs no fork. A probe
 * resolves HOST (uv_getaddrinfo, skipped for IP literals), connects to the
 * first address with uv_tcp_connect and succeeds when the connection is
 * established, all within a timeout. check_http builds on it: with an
 * on_connected hook the caller takes over the connected stream and ends
 * the probe with check_tcp_finish(). */
#ifndef VIPD_SRC_CHECK_TCP_H
#define VIPD_SRC_CHECK_TCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "vipd/error.h"

struct check_tcp;

/* End of a probe: 0 (connected / the hook's verdict), VIP_ETIMEDOUT, or a
 * negative libuv code (UV_ECONNREFUSED, UV_EAI_NONAME, ...). */
typedef void (*check_tcp_cb)(struct check_tcp *c, int status);
/* The connection is up; the probe goes on until check_tcp_finish(). */
typedef void (*check_tcp_connected_cb)(struct check_tcp *c,
                                       uv_stream_t *stream);
typedef void (*check_tcp_close_cb)(struct check_tcp *c);

struct check_tcp
{
    uv_loop_t *loop;
    char host[256]; /* without brackets */
    char port[8];
    bool is_literal;              /* host is an IP address: no resolver */
    struct sockaddr_storage addr; /* the literal, or the last resolved */
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t connect_req;
    uv_tcp_t tcp;
    bool is_running;   /* a probe is under way and its cb is due */
    bool is_resolving; /* gai request outstanding */
    bool is_tcp_open;  /* tcp handle initialised, not yet closed */
    bool is_closing;
    bool is_timer_closed;
    check_tcp_cb cb;
    check_tcp_connected_cb on_connected; /* NULL: connected means ok */
    check_tcp_close_cb close_cb;
    void *data; /* for the owner */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Split "HOST:PORT" (HOST a name, an IPv4 address or [IPv6]) into @host
 * (@host_size bytes) and @port. Returns 0 or VIP_EINVAL. Pure. */
int check_tcp_parse_target(const char *target,
                           char *host,
                           size_t host_size,
                           uint16_t *port);

/* Prepare @c for probing @host:@port. Returns 0 or VIP_EINVAL (message in
 * @c->errmsg); on success @c must be closed with check_tcp_close(). */
int check_tcp_init(struct check_tcp *c,
                   uv_loop_t *loop,
                   const char *host,
                   uint16_t port);

/* Start one probe; @cb fires once, unless check_tcp_close() comes first.
 * When the probe cannot even start (resolver or connect refused at once),
 * @cb fires before this returns 0. Returns 0, VIP_EINVAL after
 * check_tcp_close(), or -EBUSY when the previous probe still holds
 * resources (a late resolver answer or a closing socket): skip this round,
 * @cb is not called. */
int check_tcp_start(struct check_tcp *c, uint32_t timeout_ms, check_tcp_cb cb);

/* End the running probe with @status (for on_connected users). Closes the
 * connection and calls the cb. No-op if no probe is running. */
void check_tcp_finish(struct check_tcp *c, int status);

/* Abandon any probe (its cb is not called) and close; @cb fires when every
 * handle and request is done. */
void check_tcp_close(struct check_tcp *c, check_tcp_close_cb cb);

#endif /* VIPD_SRC_CHECK_TCP_H */
