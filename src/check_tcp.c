/* tcp_check: resolve, connect, within a timeout, on the loop. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/check_tcp.h"

int check_tcp_parse_target(const char *target,
                           char *host,
                           size_t host_size,
                           uint16_t *port)
{
    const char *colon;
    const char *h = target;
    size_t hlen;

    if (target == NULL || target[0] == '\0') {
        return VIP_EINVAL;
    }
    if (target[0] == '[') {
        const char *close = strchr(target, ']');
        if (close == NULL || close[1] != ':') {
            return VIP_EINVAL;
        }
        h = target + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(target, ':');
        if (colon == NULL || memchr(target, ':', (size_t)(colon - target))) {
            return VIP_EINVAL; /* no port, or a bare IPv6 address */
        }
        hlen = (size_t)(colon - target);
    }
    if (hlen == 0 || hlen >= host_size) {
        return VIP_EINVAL;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '[' || ch == ']') {
            return VIP_EINVAL;
        }
    }
    const char *p = colon + 1;
    unsigned long v = 0;
    if (*p == '\0') {
        return VIP_EINVAL;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return VIP_EINVAL;
        }
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535) {
            return VIP_EINVAL;
        }
    }
    if (v == 0) {
        return VIP_EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

int check_tcp_init(struct check_tcp *c,
                   uv_loop_t *loop,
                   const char *host,
                   uint16_t port)
{
    memset(c, 0, sizeof *c);
    c->loop = loop;
    if (strlen(host) >= sizeof c->host || port == 0) {
        errmsg_printf(c->errmsg, "bad target %s:%u", host, port);
        return VIP_EINVAL;
    }
    strcpy(c->host, host);
    snprintf(c->port, sizeof c->port, "%u", port);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->addr;
    if (uv_ip4_addr(host, port, a4) == 0) {
        c->is_literal = true;
    } else if (uv_ip6_addr(host, port, a6) == 0) {
        c->is_literal = true;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->tcp.data = c;
    c->gai.data = c;
    c->connect_req.data = c;
    return 0;
}

static void tcp_maybe_closed(struct check_tcp *c)
{
    if (c->is_closing && c->is_timer_closed && !c->is_resolving &&
        !c->is_tcp_open && c->close_cb != NULL) {
        check_tcp_close_cb cb = c->close_cb;
        c->close_cb = NULL;
        cb(c);
    }
}

static void tcp_closed_cb(uv_handle_t *handle)
{
    struct check_tcp *c = handle->data;
    c->is_tcp_open = false;
    tcp_maybe_closed(c);
}

static void tcp_close_socket(struct check_tcp *c)
{
    if (c->is_tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp)) {
        uv_close((uv_handle_t *)&c->tcp, tcp_closed_cb);
    }
}

void check_tcp_finish(struct check_tcp *c, int status)
{
    if (!c->is_running) {
        return;
    }
    c->is_running = false;
    uv_timer_stop(&c->timer);
    tcp_close_socket(c);
    c->cb(c, status);
}

static void tcp_timer_cb(uv_timer_t *timer)
{
    struct check_tcp *c = timer->data;
    if (c->is_resolving) {
        /* Queued resolver work can still be dropped; running work cannot,
         * and its late answer is ignored. */
        (void)uv_cancel((uv_req_t *)&c->gai);
    }
    check_tcp_finish(c, VIP_ETIMEDOUT);
}

static void tcp_connect_cb(uv_connect_t *req, int status)
{
    struct check_tcp *c = req->data;

    if (!c->is_running || status == UV_ECANCELED) {
        return; /* abandoned: the socket is being closed */
    }
    if (status != 0) {
        check_tcp_finish(c, status);
        return;
    }
    if (c->on_connected != NULL) {
        c->on_connected(c, (uv_stream_t *)&c->tcp);
        return;
    }
    check_tcp_finish(c, 0);
}

static int tcp_connect(struct check_tcp *c)
{
    int rv = uv_tcp_init(c->loop, &c->tcp);
    if (rv != 0) {
        return rv;
    }
    c->is_tcp_open = true;
    rv = uv_tcp_connect(&c->connect_req, &c->tcp,
                        (const struct sockaddr *)&c->addr, tcp_connect_cb);
    return rv;
}

static void tcp_gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct check_tcp *c = req->data;

    c->is_resolving = false;
    if (!c->is_running) {
        uv_freeaddrinfo(res);
        tcp_maybe_closed(c);
        return;
    }
    if (status != 0 || res == NULL) {
        uv_freeaddrinfo(res);
        check_tcp_finish(c, status != 0 ? status : UV_EAI_NONAME);
        return;
    }
    /* The first address, as a connect() in a script would mostly do. */
    size_t len = res->ai_addrlen;
    if (len > sizeof c->addr) {
        len = sizeof c->addr;
    }
    memset(&c->addr, 0, sizeof c->addr);
    memcpy(&c->addr, res->ai_addr, len);
    uv_freeaddrinfo(res);
    int rv = tcp_connect(c);
    if (rv != 0) {
        check_tcp_finish(c, rv);
    }
}

int check_tcp_start(struct check_tcp *c, uint32_t timeout_ms, check_tcp_cb cb)
{
    int rv;

    if (c->is_closing) {
        return VIP_EINVAL;
    }
    if (c->is_running || c->is_resolving || c->is_tcp_open) {
        return -EBUSY;
    }
    c->cb = cb;
    c->is_running = true;
    uv_timer_start(&c->timer, tcp_timer_cb, timeout_ms == 0 ? 1 : timeout_ms,
                   0);
    if (c->is_literal) {
        rv = tcp_connect(c);
    } else {
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_ADDRCONFIG;
        rv = uv_getaddrinfo(c->loop, &c->gai, tcp_gai_cb, c->host, c->port,
                            &hints);
        if (rv == 0) {
            c->is_resolving = true;
        }
    }
    if (rv != 0) {
        /* Report asynchronously-equivalent: the caller sees the cb. */
        check_tcp_finish(c, rv);
    }
    return 0;
}

static void tcp_timer_closed_cb(uv_handle_t *handle)
{
    struct check_tcp *c = handle->data;
    c->is_timer_closed = true;
    tcp_maybe_closed(c);
}

void check_tcp_close(struct check_tcp *c, check_tcp_close_cb cb)
{
    c->is_closing = true;
    c->close_cb = cb;
    c->is_running = false;
    if (c->is_resolving) {
        (void)uv_cancel((uv_req_t *)&c->gai);
    }
    tcp_close_socket(c);
    uv_close((uv_handle_t *)&c->timer, tcp_timer_closed_cb);
}
