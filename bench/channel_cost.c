/* Cost of the encrypted channel (raft/channel.h): round trips of small
 * peer-RPC frames (the size of Raft heartbeats and their results) over a
 * real transport connection on loopback (handshake, then AEAD frames
 * through a socketpair), against the same RPC code over a bare TCP
 * connection, in the same run; and the CPU time to seal and open one
 * frame. Prints figures; not a test. Build and run with
 * bench/channel_cost.sh. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "raft/frame_crypt.h"
#include "raft/peer_rpc.h"
#include "raft/transport.h"

#define BODY 64 /* a heartbeat is 64 bytes with its preamble */

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

struct bench
{
    uv_loop_t loop;
    struct vr_transport srv, cli;
    struct vr_rpc_connect req;
    struct vr_rpc_conn *a, *b; /* client, server ends */
    uv_tcp_t listener, tcp_a, *tcp_b;
    uv_connect_t conn;
    int n_left;
    double t0, total;
    int done;
};

static struct bench B;

static void echo_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    static const uint8_t body[BODY];
    (void)f;
    vr_rpc_conn_send(c, VR_RPC_PROPOSE_REPLY, f->req_id, body, BODY);
}

static void pong_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    static const uint8_t body[BODY];
    (void)f;
    if (--B.n_left == 0) {
        B.total = now_us() - B.t0;
        B.done = 1;
        return;
    }
    vr_rpc_conn_send(c, VR_RPC_PROPOSE, 1, body, BODY);
}

static void closed_cb(struct vr_rpc_conn *c, int status)
{
    (void)c;
    (void)status;
}

static void srv_accept_cb(void *data, uv_stream_t *s,
                          const struct vr_preamble *p)
{
    (void)data;
    (void)p;
    B.b = vr_rpc_conn_alloc(s, NULL, echo_cb, closed_cb);
}

static void cli_connect_cb(struct vr_rpc_connect *req, uv_stream_t *s,
                           int status)
{
    (void)req;
    if (status != 0) {
        fprintf(stderr, "connect: %s\n", uv_strerror(status));
        return;
    }
    B.a = vr_rpc_conn_alloc(s, NULL, pong_cb, closed_cb);
}

static void plain_accept_cb(uv_stream_t *server, int status)
{
    (void)status;
    B.tcp_b = raft_malloc(sizeof *B.tcp_b);
    uv_tcp_init(&B.loop, B.tcp_b);
    uv_accept(server, (uv_stream_t *)B.tcp_b);
    uv_tcp_nodelay(B.tcp_b, 1);
    B.b = vr_rpc_conn_alloc((uv_stream_t *)B.tcp_b, NULL, echo_cb, closed_cb);
}

static void plain_connect_cb(uv_connect_t *req, int status)
{
    (void)req;
    (void)status;
}

static void run_until(volatile int *flag)
{
    while (!*flag) {
        uv_run(&B.loop, UV_RUN_ONCE);
    }
}

static double ping_pong(int n)
{
    static const uint8_t body[BODY];
    B.n_left = n;
    B.done = 0;
    B.t0 = now_us();
    vr_rpc_conn_send(B.a, VR_RPC_PROPOSE, 1, body, BODY);
    run_until(&B.done);
    return B.total / n;
}

static void tclosed_cb(struct vr_transport *t)
{
    (void)t;
}

int main(void)
{
    uint8_t key[HS_KEY_SIZE] = {3};
    struct sockaddr_in sa;
    const int n = 20000;
    double enc, plain;
    uint8_t buf[FC_FRAME_MAX], out[FC_PLAIN_MAX];
    struct fc_dir tx, rx;

    if (sodium_init() < 0) {
        return 1;
    }
    uv_loop_init(&B.loop);

    /* Plain TCP first. */
    uv_ip4_addr("127.0.0.1", 29527, &sa);
    uv_tcp_init(&B.loop, &B.listener);
    uv_tcp_bind(&B.listener, (const struct sockaddr *)&sa, 0);
    uv_listen((uv_stream_t *)&B.listener, 8, plain_accept_cb);
    uv_tcp_init(&B.loop, &B.tcp_a);
    uv_tcp_nodelay(&B.tcp_a, 1);
    uv_tcp_connect(&B.conn, &B.tcp_a, (const struct sockaddr *)&sa,
                   plain_connect_cb);
    while (B.b == NULL) {
        uv_run(&B.loop, UV_RUN_ONCE);
    }
    B.a = vr_rpc_conn_alloc((uv_stream_t *)&B.tcp_a, NULL, pong_cb, NULL);
    ping_pong(2000); /* warm up */
    plain = ping_pong(n);

    /* Through the transport and its channel. */
    B.a = B.b = NULL;
    vr_transport_init(&B.srv, &B.loop);
    vr_transport_init(&B.cli, &B.loop);
    vr_transport_set_key(&B.srv, key);
    vr_transport_set_key(&B.cli, key);
    vr_transport_set_rpc_cb(&B.srv, srv_accept_cb, NULL);
    B.srv.raft.init(&B.srv.raft, 1, "127.0.0.1:29528");
    B.cli.raft.init(&B.cli.raft, 2, "127.0.0.1:29529");
    if (B.srv.raft.listen(&B.srv.raft, NULL) != 0) {
        fprintf(stderr, "listen failed\n");
        return 1;
    }
    vr_transport_connect_rpc(&B.cli, &B.req, "127.0.0.1:29528",
                             cli_connect_cb);
    while (B.a == NULL || B.b == NULL) {
        uv_run(&B.loop, UV_RUN_ONCE);
    }
    ping_pong(2000);
    enc = ping_pong(n);

    printf("round trip of a %d-byte RPC frame on loopback, %d runs:\n", BODY,
           n);
    printf("  bare TCP:              %6.1f us\n", plain);
    printf("  encrypted channel:     %6.1f us (+%.1f us per round trip, "
           "+%.1f us per message one way)\n",
           enc, enc - plain, (enc - plain) / 2);

    fc_init(&tx, key);
    fc_init(&rx, key);
    {
        double t0 = now_us();
        size_t pl, used;
        for (int k = 0; k < 100000; k++) {
            long l = fc_seal(&tx, out, BODY, buf);
            fc_open(&rx, buf, (size_t)l, out, &pl, &used);
        }
        printf("seal + open of one %d-byte frame: %.2f us of CPU\n", BODY,
               (now_us() - t0) / 100000);
    }
    /* The process exits here: the loop and its handles go with it (the
     * RPC connections are never closed, so nothing frees the static
     * client handle). */
    (void)tclosed_cb;
    return 0;
}
