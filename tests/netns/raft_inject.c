/* Test tool: an authenticated but hostile cluster peer. Opens a Raft
 * stream to a vipd node with the cluster key (through the real transport,
 * raft/transport.h) and sends one AppendEntries whose header claims one
 * entry of type 0xff (crashed libraft 0.15 by reading freed memory).
 * Exit 0 when the node closes the connection within 5 s (the validator
 * refused it), 1 when it does not, 2 on set-up errors.
 * Usage: raft_inject KEYFILE NODE_ID HOST:PORT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "raft/transport.h"

static int result = 1;
static bool done;
static uv_stream_t *stream;
static char sink[256];

static void free_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    (void)s;
    *b = uv_buf_init(sink, sizeof sink);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    if (n < 0) {
        result = 0; /* closed by the node */
        done = true;
        uv_close((uv_handle_t *)s, free_cb);
        stream = NULL;
    }
}

static void write_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void connect_cb(struct raft_uv_connect *req, uv_stream_t *s, int status)
{
    static uint8_t m[16 + 64 + 8];
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b;
    (void)req;
    if (status != 0 || w == NULL) {
        fprintf(stderr, "raft_inject: connect failed: %d\n", status);
        result = 2;
        done = true;
        free(w);
        return;
    }
    put64(m, 1);       /* AppendEntries */
    put64(m + 8, 64);  /* header: 48 + 16 * 1 */
    put64(m + 16, 99); /* term */
    put64(m + 48, 1);  /* one entry */
    put64(m + 56, 99); /* its term */
    m[64] = 0xff;      /* its type */
    m[68] = 8;         /* its length */
    stream = s;
    b = uv_buf_init((char *)m, sizeof m);
    uv_write(w, s, &b, 1, write_cb);
    uv_read_start(s, alloc_cb, read_cb);
}

static void closed_cb(struct vr_transport *t)
{
    (void)t;
}

static void timeout_cb(uv_timer_t *t)
{
    (void)t;
    done = true;
}

int main(int argc, char **argv)
{
    uv_loop_t loop;
    struct vr_transport t;
    struct raft_uv_connect req;
    uv_timer_t timer;

    if (argc != 4) {
        fprintf(stderr, "usage: raft_inject KEYFILE NODE_ID HOST:PORT\n");
        return 2;
    }
    uv_loop_init(&loop);
    vr_transport_init(&t, &loop);
    if (vr_transport_load_key(&t, argv[1]) != 0) {
        fprintf(stderr, "raft_inject: %s\n", t.errmsg);
        return 2;
    }
    t.raft.init(&t.raft, 99, "10.255.255.1:5405");
    if (t.raft.connect(&t.raft, &req, strtoull(argv[2], NULL, 10), argv[3],
                       connect_cb) != 0) {
        return 2;
    }
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, timeout_cb, 5000, 0);
    while (!done) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&timer, NULL);
    if (stream != NULL) {
        uv_close((uv_handle_t *)stream, free_cb);
    }
    vr_transport_close(&t, closed_cb);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    printf("raft_inject: %s\n", result == 0 ? "connection closed by the node"
                                            : "not closed");
    return result;
}
