/* http_check: one GET, the status line, nothing more. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "src/check_http.h"
#include "src/check_https.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool check_http_is_https(const char *url)
{
    return url != NULL && strncasecmp(url, "https://", strlen("https://")) == 0;
}

int check_http_parse_url(const char *url,
                         char *host,
                         size_t host_size,
                         uint16_t *port,
                         char *path,
                         size_t path_size)
{
    char authority[300];
    bool is_tls = check_http_is_https(url);

    if (url == NULL ||
        (!is_tls && strncasecmp(url, "http://", strlen("http://")) != 0)) {
        return VIP_EINVAL;
    }
    const char *a = url + (is_tls ? strlen("https://") : strlen("http://"));
    const char *slash = strchr(a, '/');
    size_t alen = slash != NULL ? (size_t)(slash - a) : strlen(a);
    if (alen == 0 || alen >= sizeof authority - 8 ||
        memchr(a, '@', alen) != NULL) {
        return VIP_EINVAL;
    }
    const char *p = slash != NULL ? slash : "/";
    size_t plen = strlen(p);
    if (plen >= path_size) {
        return VIP_EINVAL;
    }
    for (size_t i = 0; i < plen; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch <= ' ' || ch >= 0x7f) {
            return VIP_EINVAL; /* would break or smuggle the request */
        }
    }
    memcpy(authority, a, alen);
    authority[alen] = '\0';
    /* Without a port, add the default so the HOST:PORT parser applies. */
    bool has_port = authority[0] == '[' ? strstr(authority, "]:") != NULL
                                        : strchr(authority, ':') != NULL;
    if (!has_port) {
        strcat(authority, is_tls ? ":443" : ":80");
    }
    if (check_tcp_parse_target(authority, host, host_size, port) != 0) {
        return VIP_EINVAL;
    }
    memcpy(path, p, plen + 1);
    return 0;
}

int check_http_parse_status(const char *buf, size_t len, int *code)
{
    static const char prefix[] = "HTTP/d.d ddd";
    size_t n = sizeof prefix - 1;

    /* Match the fixed part as far as we have it, so garbage fails early. */
    for (size_t i = 0; i < n && i < len; i++) {
        bool is_ok = prefix[i] == 'd' ? is_digit(buf[i]) : buf[i] == prefix[i];
        if (!is_ok) {
            return VIP_EPROTO;
        }
    }
    const char *eol = memchr(buf, '\n', len);
    if (eol == NULL) {
        return len >= CHECK_HTTP_MAX_LINE ? VIP_EPROTO : -EAGAIN;
    }
    size_t line = (size_t)(eol - buf);
    if (line >= CHECK_HTTP_MAX_LINE || line < n) {
        return VIP_EPROTO;
    }
    /* After the code: end of line, or a space and a reason phrase. */
    char after = buf[n];
    if (after != ' ' && after != '\r' && after != '\n') {
        return VIP_EPROTO;
    }
    int v = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (v < 100 || v > 599) {
        return VIP_EPROTO;
    }
    *code = v;
    return 0;
}

static void http_tcp_cb(struct check_tcp *c, int status)
{
    struct check_http *h = c->data;
    h->cb(h, status);
}

static void http_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct check_http *h = ((struct check_tcp *)handle->data)->data;
    (void)suggested;
    if (h->line_len < sizeof h->line) {
        *buf = uv_buf_init(h->line + h->line_len,
                           (unsigned)(sizeof h->line - h->line_len));
    } else {
        *buf = uv_buf_init(h->scratch, sizeof h->scratch);
    }
}

static void http_read_cb(uv_stream_t *stream,
                         ssize_t nread,
                         const uv_buf_t *buf)
{
    struct check_http *h = ((struct check_tcp *)stream->data)->data;
    int code = 0;
    int rv;

    if (!h->tcp.is_running) {
        return;
    }
    if (nread < 0) {
        /* EOF or error before a complete status line. */
        check_tcp_finish(&h->tcp, nread == UV_EOF ? VIP_EPROTO : (int)nread);
        return;
    }
    if (buf->base == h->line + h->line_len) {
        h->line_len += (size_t)nread;
    }
    rv = check_http_parse_status(h->line, h->line_len, &code);
    if (rv == -EAGAIN) {
        return;
    }
    uv_read_stop(stream);
    if (rv != 0) {
        check_tcp_finish(&h->tcp, rv);
        return;
    }
    h->code = code;
    check_tcp_finish(&h->tcp, code == h->expect_status ? 0 : VIP_ERANGE);
}

static void http_write_cb(uv_write_t *req, int status)
{
    struct check_http *h = req->data;
    if (status != 0 && status != UV_ECANCELED) {
        check_tcp_finish(&h->tcp, status);
    }
}

static void http_connected(struct check_tcp *c, uv_stream_t *stream)
{
    struct check_http *h = c->data;
    uv_buf_t b = uv_buf_init(h->request, (unsigned)h->request_len);
    int rv;

    h->write_req.data = h;
    rv = uv_write(&h->write_req, stream, &b, 1, http_write_cb);
    if (rv == 0) {
        rv = uv_read_start(stream, http_alloc_cb, http_read_cb);
    }
    if (rv != 0) {
        check_tcp_finish(c, rv);
    }
}

int check_http_init(struct check_http *h,
                    uv_loop_t *loop,
                    const char *url,
                    int expect_status)
{
    char host[256];
    uint16_t port;
    int rv;

    memset(h, 0, sizeof *h);
    if (check_http_parse_url(url, host, sizeof host, &port, h->path,
                             sizeof h->path) != 0) {
        errmsg_printf(h->errmsg,
                      "bad URL '%s' (http[s]://HOST[:PORT]/PATH)",
                      url != NULL ? url : "");
        return VIP_EINVAL;
    }
    h->expect_status = expect_status == 0 ? 200 : expect_status;
    h->loop = loop;
    if (check_http_is_https(url)) {
        /* libcurl does TLS; it is set up in check_http_set_tls() or at the
         * first start, with verification on. */
        h->is_tls = true;
        if (strlen(url) >= sizeof h->request) {
            errmsg_printf(h->errmsg, "URL too long");
            return VIP_EINVAL;
        }
        strcpy(h->request, url);
        return 0;
    }
    bool is_v6 = strchr(host, ':') != NULL;
    if (port == 80) {
        snprintf(h->host_header, sizeof h->host_header, is_v6 ? "[%s]" : "%s",
                 host);
    } else {
        snprintf(h->host_header, sizeof h->host_header,
                 is_v6 ? "[%s]:%u" : "%s:%u", host, port);
    }
    int n = snprintf(h->request, sizeof h->request,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: vipd-http-check\r\n"
                     "Accept: */*\r\n"
                     "Connection: close\r\n\r\n",
                     h->path, h->host_header);
    if (n < 0 || (size_t)n >= sizeof h->request) {
        errmsg_printf(h->errmsg, "URL too long");
        return VIP_EINVAL;
    }
    h->request_len = (size_t)n;
    rv = check_tcp_init(&h->tcp, loop, host, port);
    if (rv != 0) {
        errmsg_printf(h->errmsg, "%s", h->tcp.errmsg);
        return rv;
    }
    h->tcp.data = h;
    h->tcp.on_connected = http_connected;
    return 0;
}

int check_http_set_tls(struct check_http *h, const char *ca_file, bool verify)
{
    if (!h->is_tls || h->tls != NULL || h->is_tls_closing) {
        return VIP_EINVAL;
    }
    return check_https_new(&h->tls, h->loop, h->request, ca_file, verify,
                           h->errmsg);
}

static void https_done(void *data, int status, int code, const char *detail)
{
    struct check_http *h = data;
    snprintf(h->detail, sizeof h->detail, "%s", status != 0 ? detail : "");
    if (status == 0) {
        h->code = code;
        status = code == h->expect_status ? 0 : VIP_ERANGE;
    }
    h->is_tls_running = false;
    h->cb(h, status);
}

int check_http_start(struct check_http *h,
                     uint32_t timeout_ms,
                     check_http_cb cb)
{
    if (h->is_tls) {
        if (h->is_tls_closing) {
            return VIP_EINVAL;
        }
        if (h->is_tls_running) {
            return -EBUSY;
        }
        h->cb = cb;
        h->code = 0;
        h->detail[0] = '\0';
        int rv = h->tls != NULL ? 0 : check_http_set_tls(h, NULL, true);
        if (rv == 0) {
            rv = check_https_start(h->tls, timeout_ms, https_done, h);
        }
        if (rv == 0) {
            h->is_tls_running = true;
        } else {
            /* As check_tcp_start(): a probe that cannot start has failed. */
            snprintf(h->detail, sizeof h->detail, "%s", vip_strerror(rv));
            cb(h, rv);
        }
        return 0;
    }
    if (h->tcp.is_running || h->tcp.is_resolving || h->tcp.is_tcp_open) {
        return -EBUSY;
    }
    h->cb = cb;
    h->code = 0;
    h->line_len = 0;
    return check_tcp_start(&h->tcp, timeout_ms, http_tcp_cb);
}

static void http_closed_cb(struct check_tcp *c)
{
    struct check_http *h = c->data;
    if (h->close_cb != NULL) {
        h->close_cb(h);
    }
}

static void https_closed_cb(void *data)
{
    struct check_http *h = data;
    if (h->close_cb != NULL) {
        h->close_cb(h);
    }
}

static void tls_idle_closed_cb(uv_handle_t *handle)
{
    https_closed_cb(handle->data);
}

void check_http_close(struct check_http *h, check_http_close_cb cb)
{
    h->close_cb = cb;
    h->is_tls_closing = h->is_tls;
    if (!h->is_tls) {
        check_tcp_close(&h->tcp, http_closed_cb);
    } else if (h->tls != NULL) {
        h->is_tls_running = false;
        check_https_close(h->tls, https_closed_cb, h);
        h->tls = NULL;
    } else {
        /* Never started: still answer from the loop, as promised. */
        uv_idle_init(h->loop, &h->idle);
        h->idle.data = h;
        uv_close((uv_handle_t *)&h->idle, tls_idle_closed_cb);
    }
}
