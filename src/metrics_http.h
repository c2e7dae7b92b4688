/* A tiny HTTP endpoint for Prometheus (GET /metrics) on libmicrohttpd,
 * driven by the daemon's libuv loop without any extra thread: MHD runs in
 * external mode with its epoll fd watched by a uv_poll, and a uv_timer
 * covers MHD's connection timeouts. The body comes from a render callback
 * at each scrape. Other paths get 404, other methods 405. */
#ifndef VIPD_SRC_METRICS_HTTP_H
#define VIPD_SRC_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "vipd/error.h"

/* Return the exposition text in a malloc'd buffer of *@len bytes (freed by
 * the server), or NULL on allocation failure (then 500). */
typedef char *(*metrics_render_fn)(void *data, size_t *len);

struct metrics_http;
typedef void (*metrics_http_close_cb)(struct metrics_http *m);

struct metrics_http
{
    uv_loop_t *loop;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;
    uv_timer_t timer;
    int n_open; /* libuv handles not closed yet */
    metrics_render_fn render;
    void *data;
    uint64_t n_scrapes;
    metrics_http_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Listen on @host (a numeric IPv4 or IPv6 address) port @port. Returns 0,
 * or a negative code with @m->errmsg set (nothing to close then). */
int metrics_http_start(struct metrics_http *m, uv_loop_t *loop,
                       const char *host, uint16_t port,
                       metrics_render_fn render, void *data);

/* Stop serving (open scrapes are dropped); @cb fires once the handles are
 * closed. Call once, only after a successful start. */
void metrics_http_close(struct metrics_http *m, metrics_http_close_cb cb);

#endif /* VIPD_SRC_METRICS_HTTP_H */
