/* Cost of the connection handshake (raft/handshake.h): CPU time of a whole
 * exchange in memory (both sides), and the set-up time of a real RPC
 * connection on loopback (TCP connect + handshake + preamble) against a
 * bare TCP connect. Prints figures; not a test. Build and run with
 * bench/handshake_cost.sh. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "raft/handshake.h"
#include "raft/transport.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void in_memory(int n)
{
    uint8_t key[HS_KEY_SIZE] = {1}, ni[HS_NONCE_SIZE], nr[HS_NONCE_SIZE];
    double t0 = now_us();
    for (int k = 0; k < n; k++) {
        struct handshake i, r;
        const uint8_t *m;
        size_t l;
        randombytes_buf(ni, sizeof ni);
        randombytes_buf(nr, sizeof nr);
        handshake_init(&i, key, true, ni, NULL, 0);
        handshake_init(&r, key, false, nr, NULL, 0);
        l = handshake_take_output(&i, &m);
        handshake_input(&r, m, l);
        l = handshake_take_output(&r, &m);
        handshake_input(&i, m, l);
        l = handshake_take_output(&i, &m);
        if (handshake_input(&r, m, l) != 1) {
            fprintf(stderr, "handshake failed\n");
            return;
        }
        handshake_close(&i);
        handshake_close(&r);
    }
    printf("in memory, both sides, with 2 nonces: %.1f us per handshake\n",
           (now_us() - t0) / n);
}

struct bench
{
    uv_loop_t loop;
    struct vr_transport srv, cli;
    struct vr_rpc_connect req;
    uv_tcp_t tcp;
    uv_connect_t conn;
    int done;
    double total;
};

static void free_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void accept_cb(void *data, uv_stream_t *s, const struct vr_preamble *p)
{
    (void)data;
    (void)p;
    uv_close((uv_handle_t *)s, free_cb);
}

static void rpc_cb(struct vr_rpc_connect *req, uv_stream_t *s, int status)
{
    struct bench *b = req->data;
    if (status != 0) {
        fprintf(stderr, "connect: %s\n", uv_strerror(status));
    } else {
        uv_close((uv_handle_t *)s, free_cb);
    }
    b->done = 1;
}

static void tcp_cb(uv_connect_t *req, int status)
{
    struct bench *b = req->data;
    (void)status;
    b->done = 1;
}

static void noop_close(uv_handle_t *h)
{
    (void)h;
}

static void closed_cb(struct vr_transport *t)
{
    (void)t;
}

static void on_loopback(int n)
{
    static struct bench b;
    uint8_t key[HS_KEY_SIZE] = {2};
    struct sockaddr_in sa;
    double t_tls = 0, t_tcp = 0;
    const char *addr = "127.0.0.1:29517";

    uv_loop_init(&b.loop);
    vr_transport_init(&b.srv, &b.loop);
    vr_transport_init(&b.cli, &b.loop);
    vr_transport_set_key(&b.srv, key);
    vr_transport_set_key(&b.cli, key);
    vr_transport_set_rpc_cb(&b.srv, accept_cb, &b);
    b.srv.raft.init(&b.srv.raft, 1, addr);
    b.cli.raft.init(&b.cli.raft, 2, "127.0.0.1:29518");
    if (b.srv.raft.listen(&b.srv.raft, NULL) != 0) {
        fprintf(stderr, "listen failed\n");
        return;
    }
    uv_ip4_addr("127.0.0.1", 29517, &sa);
    for (int k = 0; k < n; k++) {
        double t0 = now_us();
        b.done = 0;
        b.req.data = &b;
        vr_transport_connect_rpc(&b.cli, &b.req, addr, rpc_cb);
        while (!b.done) {
            uv_run(&b.loop, UV_RUN_ONCE);
        }
        t_tls += now_us() - t0;

        t0 = now_us();
        b.done = 0;
        uv_tcp_init(&b.loop, &b.tcp);
        b.conn.data = &b;
        uv_tcp_connect(&b.conn, &b.tcp, (struct sockaddr *)&sa, tcp_cb);
        while (!b.done) {
            uv_run(&b.loop, UV_RUN_ONCE);
        }
        t_tcp += now_us() - t0;
        uv_close((uv_handle_t *)&b.tcp, noop_close);
        uv_run(&b.loop, UV_RUN_NOWAIT);
    }
    printf("loopback RPC connection set-up (TCP + handshake + preamble): "
           "%.1f us; bare TCP connect: %.1f us\n",
           t_tls / n, t_tcp / n);
    vr_transport_close(&b.srv, closed_cb);
    vr_transport_close(&b.cli, closed_cb);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
}

int main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    in_memory(20000);
    on_loopback(500);
    return 0;
}
