/* See src/metrics_http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "src/dl_lib.h"
#include "src/metrics_http.h"
#include "vipd/log.h"

/* libmicrohttpd (and the GnuTLS it links), loaded only when metrics are
 * configured (src/dl_lib.h). */
static struct
{
    __typeof__(&MHD_start_daemon) start_daemon;
    __typeof__(&MHD_stop_daemon) stop_daemon;
    __typeof__(&MHD_get_daemon_info) get_daemon_info;
    __typeof__(&MHD_get_timeout) get_timeout;
    __typeof__(&MHD_run) run;
    __typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
    __typeof__(&MHD_add_response_header) add_response_header;
    __typeof__(&MHD_queue_response) queue_response;
    __typeof__(&MHD_destroy_response) destroy_response;
} mhd;

#define MHD_start_daemon (*mhd.start_daemon)
#define MHD_stop_daemon (*mhd.stop_daemon)
#define MHD_get_daemon_info (*mhd.get_daemon_info)
#define MHD_get_timeout (*mhd.get_timeout)
#define MHD_run (*mhd.run)
#define MHD_create_response_from_buffer (*mhd.create_response_from_buffer)
#define MHD_add_response_header (*mhd.add_response_header)
#define MHD_queue_response (*mhd.queue_response)
#define MHD_destroy_response (*mhd.destroy_response)

static int mhd_load(char *errmsg)
{
    static bool is_loaded;
    const struct dl_sym syms[] = {
        {"MHD_start_daemon", &mhd.start_daemon},
        {"MHD_stop_daemon", &mhd.stop_daemon},
        {"MHD_get_daemon_info", &mhd.get_daemon_info},
        {"MHD_get_timeout", &mhd.get_timeout},
        {"MHD_run", &mhd.run},
        {"MHD_create_response_from_buffer", &mhd.create_response_from_buffer},
        {"MHD_add_response_header", &mhd.add_response_header},
        {"MHD_queue_response", &mhd.queue_response},
        {"MHD_destroy_response", &mhd.destroy_response},
    };
    int rv;

    if (is_loaded) {
        return 0;
    }
    /* The ABI of <microhttpd.h> (soname major 12, Debian 12's
     * libmicrohttpd12). */
    rv = dl_lib_load("libmicrohttpd.so.12", "libmicrohttpd12", syms,
                     sizeof syms / sizeof syms[0], errmsg);
    is_loaded = rv == 0;
    return rv;
}

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_CONNECTIONS 16
#define METRICS_CONNECTION_TIMEOUT_S 10

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    vip_warn("metrics: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             char *body, size_t len, bool must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rv;

    if (r == NULL) {
        if (must_free) {
            free(body);
        }
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            status == MHD_HTTP_OK ? METRICS_CONTENT_TYPE
                                                  : "text/plain");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    rv = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rv;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    static char not_found[] = "vipd serves only /metrics\n";
    static char not_allowed[] = "only GET and HEAD\n";
    static char no_memory[] = "out of memory\n";
    struct metrics_http *m = cls;

    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        /* First call: headers only. A body (there should be none) is
         * discarded by the next calls. */
        *con_cls = m;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
                     sizeof not_allowed - 1, false);
    }
    if (strcmp(url, "/metrics") != 0) {
        return reply(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof not_found - 1,
                     false);
    }
    size_t len = 0;
    char *body = m->render(m->data, &len);
    if (body == NULL) {
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, no_memory,
                     sizeof no_memory - 1, false);
    }
    m->n_scrapes++;
    return reply(conn, MHD_HTTP_OK, body, len, true);
}

static void run_mhd(struct metrics_http *m);

static void timer_cb(uv_timer_t *t)
{
    run_mhd(t->data);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run_mhd(p->data);
}

/* Let MHD do what is ready, then sleep until its next timeout. */
static void run_mhd(struct metrics_http *m)
{
    MHD_UNSIGNED_LONG_LONG timeout_ms;

    if (m->mhd == NULL) {
        return;
    }
    MHD_run(m->mhd);
    if (MHD_get_timeout(m->mhd, &timeout_ms) == MHD_YES) {
        uv_timer_start(&m->timer, timer_cb, timeout_ms, 0);
    } else {
        uv_timer_stop(&m->timer);
    }
}

int metrics_http_start(struct metrics_http *m, uv_loop_t *loop,
                       const char *host, uint16_t port,
                       metrics_render_fn render, void *data)
{
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    int rv;

    memset(m, 0, sizeof *m);
    m->loop = loop;
    m->render = render;
    m->data = data;
    rv = mhd_load(m->errmsg);
    if (rv != 0) {
        return rv;
    }
    memset(&in4, 0, sizeof in4);
    memset(&in6, 0, sizeof in6);
    if (inet_pton(AF_INET, host, &in4.sin_addr) == 1) {
        in4.sin_family = AF_INET;
        in4.sin_port = htons(port);
        sa = (const struct sockaddr *)&in4;
    } else if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        sa = (const struct sockaddr *)&in6;
        flags |= MHD_USE_IPv6;
    } else {
        errmsg_printf(m->errmsg, "metrics_listen: '%s' is not an IP address",
                      host);
        return VIP_EINVAL;
    }
    errno = 0;
    m->mhd = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONNECTION_TIMEOUT_S,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (m->mhd == NULL) {
        int err = errno != 0 ? errno : EADDRNOTAVAIL;
        errmsg_printf(m->errmsg, "metrics: cannot listen on %s port %u: %s",
                      host, (unsigned)port, strerror(err));
        return -err;
    }
    info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL) {
        MHD_stop_daemon(m->mhd);
        m->mhd = NULL;
        errmsg_printf(m->errmsg, "metrics: libmicrohttpd has no epoll fd");
        return -ENOSYS;
    }
    rv = uv_poll_init(loop, &m->poll, info->epoll_fd);
    if (rv != 0) {
        MHD_stop_daemon(m->mhd);
        m->mhd = NULL;
        errmsg_printf(m->errmsg, "metrics: uv_poll_init: %s", uv_strerror(rv));
        return rv;
    }
    m->poll.data = m;
    uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    m->n_open = 2;
    uv_poll_start(&m->poll, UV_READABLE, poll_cb);
    vip_info("metrics: serving http://%s%s%s:%u/metrics",
             sa->sa_family == AF_INET6 ? "[" : "", host,
             sa->sa_family == AF_INET6 ? "]" : "", (unsigned)port);
    return 0;
}

static void closed_cb(uv_handle_t *h)
{
    struct metrics_http *m = h->data;

    if (--m->n_open > 0) {
        return;
    }
    /* The poll handle no longer watches the epoll fd: MHD may close it. */
    MHD_stop_daemon(m->mhd);
    m->mhd = NULL;
    if (m->close_cb != NULL) {
        m->close_cb(m);
    }
}

void metrics_http_close(struct metrics_http *m, metrics_http_close_cb cb)
{
    m->close_cb = cb;
    uv_close((uv_handle_t *)&m->poll, closed_cb);
    uv_close((uv_handle_t *)&m->timer, closed_cb);
}
