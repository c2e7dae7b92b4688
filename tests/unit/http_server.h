/* A tiny HTTP server for the health tests, on the test's own loop, on
 * 127.0.0.1 with a kernel-chosen port. Its mode decides the answer. */
#ifndef VIPD_TESTS_HTTP_SERVER_H
#define VIPD_TESTS_HTTP_SERVER_H

#include <stdbool.h>
#include <string.h>
#include <uv.h>

enum hs_mode {
    HS_200,     /* a good answer */
    HS_503,     /* a good answer with another status */
    HS_GARBAGE, /* not HTTP */
    HS_SLOW,    /* reads the request, never answers */
    HS_PARTIAL, /* half a status line, then nothing */
    HS_HUGE,    /* 64 KiB without a newline */
    HS_CLOSE,   /* closes without answering */
};

#define HS_MAX_CONNS 16

struct hs_conn
{
    uv_tcp_t tcp;
    struct hs_server *s;
    char buf[2048];
    size_t len;
    bool is_used;
    bool has_answered;
    uv_write_t wr;
};

struct hs_server
{
    uv_tcp_t listener;
    int port;
    enum hs_mode mode;
    int n_requests;
    char last_request[2048];
    struct hs_conn conns[HS_MAX_CONNS];
    char huge[65536];
    unsigned n_open;
};

static void hs_closed(uv_handle_t *h)
{
    struct hs_server *s = h->data;
    s->n_open--;
}

static void hs_conn_closed(uv_handle_t *h)
{
    struct hs_conn *c = (struct hs_conn *)h;
    c->is_used = false; /* free for the next connection */
    c->s->n_open--;
}

static void hs_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct hs_conn *c = (struct hs_conn *)h;
    (void)sz;
    if (c->len >= sizeof c->buf - 1) {
        c->len = 0;
    }
    *b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - 1 - c->len));
}

static void hs_written(uv_write_t *w, int status)
{
    (void)w;
    (void)status;
}

static void hs_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct hs_conn *c = (struct hs_conn *)st;
    struct hs_server *s = c->s;
    (void)b;
    if (n < 0) {
        uv_read_stop(st);
        if (!uv_is_closing((uv_handle_t *)st)) {
            uv_close((uv_handle_t *)st, hs_conn_closed);
        }
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (c->has_answered || strstr(c->buf, "\r\n\r\n") == NULL) {
        return;
    }
    c->has_answered = true;
    s->n_requests++;
    memcpy(s->last_request, c->buf, c->len + 1);
    const char *answer = NULL;
    size_t alen = 0;
    switch (s->mode) {
    case HS_200:
        answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        break;
    case HS_503:
        answer = "HTTP/1.1 503 Service Unavailable\r\n\r\n";
        break;
    case HS_GARBAGE:
        answer = "SSH-2.0-OpenSSH\r\n";
        break;
    case HS_PARTIAL:
        answer = "HTTP/1.1 20";
        break;
    case HS_HUGE:
        answer = s->huge;
        alen = sizeof s->huge;
        break;
    case HS_CLOSE:
        uv_close((uv_handle_t *)st, hs_conn_closed);
        return;
    case HS_SLOW:
        return;
    }
    if (alen == 0) {
        alen = strlen(answer);
    }
    uv_buf_t out = uv_buf_init((char *)answer, (unsigned)alen);
    uv_write(&c->wr, st, &out, 1, hs_written);
}

static void hs_connection(uv_stream_t *l, int status)
{
    struct hs_server *s = l->data;
    struct hs_conn *c = NULL;
    if (status != 0) {
        return;
    }
    for (int i = 0; i < HS_MAX_CONNS; i++) {
        if (!s->conns[i].is_used) {
            c = &s->conns[i];
            break;
        }
    }
    if (c == NULL) {
        return; /* the test made too many connections */
    }
    memset(c, 0, sizeof *c);
    c->is_used = true;
    c->s = s;
    uv_tcp_init(l->loop, &c->tcp);
    s->n_open++;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) == 0) {
        uv_read_start((uv_stream_t *)&c->tcp, hs_alloc, hs_read);
    } else {
        uv_close((uv_handle_t *)&c->tcp, hs_conn_closed);
    }
}

/* Listen on 127.0.0.1:0; returns the port. */
static inline int hs_start(struct hs_server *s,
                           uv_loop_t *loop,
                           enum hs_mode mode)
{
    struct sockaddr_in a;
    struct sockaddr_storage got;
    int len = sizeof got;
    memset(s, 0, sizeof *s);
    memset(s->huge, 'A', sizeof s->huge);
    s->mode = mode;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->n_open = 1;
    uv_ip4_addr("127.0.0.1", 0, &a);
    if (uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0) != 0 ||
        uv_listen((uv_stream_t *)&s->listener, 16, hs_connection) != 0 ||
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)&got, &len) != 0) {
        return -1;
    }
    s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
    return s->port;
}

static inline void hs_stop(struct hs_server *s)
{
    for (int i = 0; i < HS_MAX_CONNS; i++) {
        uv_handle_t *h = (uv_handle_t *)&s->conns[i].tcp;
        if (s->conns[i].is_used && !uv_is_closing(h)) {
            uv_close(h, hs_conn_closed);
        }
    }
    uv_close((uv_handle_t *)&s->listener, hs_closed);
}

/* A port on 127.0.0.1 where nothing listens (bound, then released). */
static inline int hs_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

#endif /* VIPD_TESTS_HTTP_SERVER_H */
