/* Cluster transport: the connection preamble codec, address parsing, and
 * real-loop exchanges on loopback (an RPC connection and a Raft stream
 * through the same port, each arriving with handshake and preamble
 * stripped; with different keys, nothing gets through). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/lib/loop.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raft/peer_rpc.h"
#include "raft/transport.h"
#include "tests/lib/test_ports.h"

/****** Preamble codec ******/

static size_t encode(uint8_t kind, uint64_t id, const char *addr,
                     uint8_t *buf)
{
    struct vr_preamble p;
    size_t len = 0;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.id = id;
    snprintf(p.address, sizeof p.address, "%s", addr);
    assert_int_equal(vr_preamble_encode(&p, buf, VR_PREAMBLE_MAX, &len), 0);
    return len;
}

/* A preamble decodes to what was encoded, and says exactly how long it is. */
static void test_preamble_roundtrip(void **state)
{
    uint8_t buf[VR_PREAMBLE_MAX];
    struct vr_preamble out;
    size_t need = 0;
    size_t len = encode(VR_CONN_RAFT, 0x0102030405060708ull,
                        "[fd00::1]:5405", buf);
    (void)state;

    assert_int_equal(len, VR_PREAMBLE_FIXED + strlen("[fd00::1]:5405"));
    assert_int_equal(vr_preamble_decode(buf, len, &out, &need), 0);
    assert_int_equal(need, len);
    assert_int_equal(out.kind, VR_CONN_RAFT);
    assert_true(out.id == 0x0102030405060708ull);
    assert_string_equal(out.address, "[fd00::1]:5405");

    /* RPC connections may be anonymous. */
    len = encode(VR_CONN_RPC, 0, "", buf);
    assert_int_equal(len, VR_PREAMBLE_FIXED);
    assert_int_equal(vr_preamble_decode(buf, len, &out, &need), 0);
    assert_int_equal(out.kind, VR_CONN_RPC);
    assert_string_equal(out.address, "");
}

/* Every truncation asks for more bytes and never reads past what it got. */
static void test_preamble_truncated(void **state)
{
    uint8_t buf[VR_PREAMBLE_MAX];
    struct vr_preamble out;
    size_t len = encode(VR_CONN_RAFT, 7, "10.0.0.1:5405", buf);
    (void)state;

    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n > 0 ? n : 1);
        size_t need = 0;
        memcpy(copy, buf, n);
        assert_int_equal(vr_preamble_decode(copy, n, &out, &need), 1);
        assert_true(need > n && need <= len);
        free(copy);
    }
}

/* Wrong magic, version, kind, length, id or address bytes are rejected. */
static void test_preamble_junk(void **state)
{
    uint8_t buf[VR_PREAMBLE_MAX];
    uint8_t bad[VR_PREAMBLE_MAX];
    struct vr_preamble out;
    size_t need;
    size_t len = encode(VR_CONN_RAFT, 7, "10.0.0.1:5405", buf);
    (void)state;

    /* Another protocol is dropped on its first byte. */
    assert_int_equal(vr_preamble_decode((const uint8_t *)"G", 1, &out, &need),
                     VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[4] = 2; /* version */
    assert_int_equal(vr_preamble_decode(bad, 5, &out, &need), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[5] = 9; /* kind */
    assert_int_equal(vr_preamble_decode(bad, len, &out, &need), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[6] = 0xff; /* address length 0xff.. > VR_ADDR_MAX */
    bad[7] = 0xff;
    assert_int_equal(vr_preamble_decode(bad, len, &out, &need), VIP_EPROTO);
    memcpy(bad, buf, len);
    memset(bad + 8, 0, 8); /* Raft stream without a sender id */
    assert_int_equal(vr_preamble_decode(bad, len, &out, &need), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[VR_PREAMBLE_FIXED + 2] = '\n'; /* control byte in the address */
    assert_int_equal(vr_preamble_decode(bad, len, &out, &need), VIP_EPROTO);

    /* Seeded random bytes never crash and never succeed without magic. */
    srand(42);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand() % sizeof bad;
        for (size_t k = 0; k < n; k++) {
            bad[k] = (uint8_t)rand();
        }
        int rv = vr_preamble_decode(bad, n, &out, &need);
        assert_true(rv == 1 || rv == VIP_EPROTO || rv == 0);
        if (rv == 0) {
            assert_memory_equal(bad, VR_PREAMBLE_MAGIC, 4);
        }
    }
}

/* The encoder refuses what the decoder would refuse. */
static void test_preamble_encode_invalid(void **state)
{
    struct vr_preamble p;
    uint8_t buf[VR_PREAMBLE_MAX];
    size_t len;
    (void)state;

    memset(&p, 0, sizeof p);
    p.kind = VR_CONN_RAFT;
    snprintf(p.address, sizeof p.address, "a:1");
    assert_int_equal(vr_preamble_encode(&p, buf, sizeof buf, &len),
                     VIP_EINVAL); /* id 0 */
    p.id = 1;
    p.kind = 3;
    assert_int_equal(vr_preamble_encode(&p, buf, sizeof buf, &len),
                     VIP_EINVAL);
    p.kind = VR_CONN_RAFT;
    assert_int_equal(vr_preamble_encode(&p, buf, 10, &len), VIP_ERANGE);
    snprintf(p.address, sizeof p.address, "a b:1");
    assert_int_equal(vr_preamble_encode(&p, buf, sizeof buf, &len),
                     VIP_EINVAL);
}

/* Addresses: IPv4, names, bracketed IPv6; bad ports and bare IPv6 fail. */
static void test_addr_split(void **state)
{
    char host[VR_HOST_MAX];
    uint16_t port;
    (void)state;

    assert_int_equal(vr_addr_split("10.0.0.1:5405", host, sizeof host, &port),
                     0);
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 5405);
    assert_int_equal(vr_addr_split("node-a.example:1", host, sizeof host,
                                   &port),
                     0);
    assert_string_equal(host, "node-a.example");
    assert_int_equal(vr_addr_split("[fd00::1]:65535", host, sizeof host,
                                   &port),
                     0);
    assert_string_equal(host, "fd00::1");
    assert_int_equal(port, 65535);

    const char *bad[] = {"",          "host",       "host:",    ":5405",
                         "h:0",       "h:65536",    "h:12x",    "fd00::1:5",
                         "[fd00::1]", "[fd00::1]5", "h:-1",     "h: 5",
                         "[]:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(vr_addr_split(bad[i], host, sizeof host, &port),
                         VIP_EINVAL);
    }
    assert_int_equal(vr_addr_split("abcdef:1", host, 4, &port), VIP_EINVAL);
}

/****** Real loop ******/

struct loop_fixture
{
    uv_loop_t loop;
    struct vr_transport server, client;
    /* server side */
    struct vr_rpc_conn *srv_conn;
    struct vr_preamble srv_pre;
    uint64_t srv_req_id;
    char srv_body[64];
    bool raft_accepted;
    raft_id raft_id_seen;
    char raft_addr_seen[VR_ADDR_MAX + 1];
    uv_stream_t *raft_stream;
    char raft_bytes[16];
    size_t raft_len;
    /* client side */
    struct vr_rpc_connect rpc_req;
    struct raft_uv_connect raft_req;
    struct vr_rpc_conn *cli_conn;
    int connect_status;
    bool got_reply;
    bool failed_connect;
    int closed;
};

static void srv_frame_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    struct loop_fixture *fx = c->data;
    fx->srv_req_id = f->req_id;
    snprintf(fx->srv_body, sizeof fx->srv_body, "%.*s", (int)f->body_len,
             (const char *)f->body);
    assert_int_equal(vr_rpc_conn_send(c, VR_RPC_PROPOSE_REPLY, f->req_id,
                                      "ok", 2),
                     0);
}

static void conn_closed_cb(struct vr_rpc_conn *c, int status)
{
    struct loop_fixture *fx = c->data;
    (void)status;
    fx->closed++;
}

static void rpc_accept_cb(void *data, uv_stream_t *stream,
                          const struct vr_preamble *p)
{
    struct loop_fixture *fx = data;
    fx->srv_pre = *p;
    fx->srv_conn = vr_rpc_conn_alloc(stream, fx, srv_frame_cb, conn_closed_cb);
    assert_non_null(fx->srv_conn);
}

static void cli_frame_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    struct loop_fixture *fx = c->data;
    assert_int_equal(f->type, VR_RPC_PROPOSE_REPLY);
    assert_true(f->req_id == 77);
    assert_int_equal(f->body_len, 2);
    fx->got_reply = true;
}

static void rpc_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                           int status)
{
    struct loop_fixture *fx = req->data;
    fx->connect_status = status;
    assert_int_equal(status, 0);
    fx->cli_conn = vr_rpc_conn_alloc(stream, fx, cli_frame_cb, conn_closed_cb);
    assert_non_null(fx->cli_conn);
    assert_int_equal(vr_rpc_conn_send(fx->cli_conn, VR_RPC_PROPOSE, 77,
                                      "hello", 5),
                     0);
}

static void raft_alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
    struct loop_fixture *fx = h->data;
    (void)s;
    buf->base = fx->raft_bytes + fx->raft_len;
    buf->len = sizeof fx->raft_bytes - fx->raft_len;
}

static void raft_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct loop_fixture *fx = s->data;
    (void)buf;
    if (n > 0) {
        fx->raft_len += (size_t)n;
    }
}

/* What raft_uv would do with an accepted stream: read from it. */
static void raft_accept_cb(struct raft_uv_transport *t, raft_id id,
                           const char *address, uv_stream_t *stream)
{
    struct loop_fixture *fx = t->data;
    fx->raft_accepted = true;
    fx->raft_id_seen = id;
    snprintf(fx->raft_addr_seen, sizeof fx->raft_addr_seen, "%s", address);
    fx->raft_stream = stream;
    stream->data = fx;
    uv_read_start(stream, raft_alloc_cb, raft_read_cb);
}

static void raft_write_cb(uv_write_t *w, int status)
{
    assert_int_equal(status, 0);
    free(w);
}

static void raft_connect_cb(struct raft_uv_connect *req, uv_stream_t *stream,
                            int status)
{
    struct loop_fixture *fx = req->data;
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init("RAFTDATA", 8);
    assert_int_equal(status, 0);
    /* The first bytes raft_uv writes must arrive first, intact. */
    assert_int_equal(uv_write(w, stream, &b, 1, raft_write_cb), 0);
    fx->raft_req.data = stream; /* closed at the end */
}

static void failed_connect_cb(struct raft_uv_connect *req,
                              uv_stream_t *stream, int status)
{
    struct loop_fixture *fx = req->data;
    assert_null(stream);
    assert_int_equal(status, RAFT_NOCONNECTION);
    fx->failed_connect = true;
}

static void stream_closed_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void transport_closed_cb(struct vr_transport *t)
{
    (void)t;
}

#define RUN_UNTIL(fx, cond) LOOP_RUN_UNTIL(&(fx)->loop, cond, 5000)

static const uint8_t key_a[HS_KEY_SIZE] = "0123456789abcdef0123456789abcde";
static const uint8_t key_b[HS_KEY_SIZE] = "0123456789abcdef0123456789abcdX";

/* One port, both sides with the same key: an RPC exchange and a Raft
 * stream, handshake and preambles stripped; a connection to a closed port
 * fails cleanly; everything closes. */
static void test_loop_exchange(void **state)
{
    struct loop_fixture *fx = calloc(1, sizeof *fx);
    struct raft_uv_connect bad_req;
    char srv_addr[32], cli_addr[32], bad_addr[32];
    /* Ports from the pid, so that parallel runs do not collide. */
    unsigned base = test_port(0);
    (void)state;

    snprintf(srv_addr, sizeof srv_addr, "127.0.0.1:%u", base);
    snprintf(cli_addr, sizeof cli_addr, "localhost:%u", base + 1);
    snprintf(bad_addr, sizeof bad_addr, "127.0.0.1:%u", base + 2);

    assert_int_equal(uv_loop_init(&fx->loop), 0);
    vr_transport_init(&fx->server, &fx->loop);
    vr_transport_init(&fx->client, &fx->loop);
    fx->server.raft.data = fx;
    vr_transport_set_rpc_cb(&fx->server, rpc_accept_cb, fx);
    vr_transport_set_key(&fx->server, key_a);
    vr_transport_set_key(&fx->client, key_a);
    assert_int_equal(fx->server.raft.init(&fx->server.raft, 1, srv_addr), 0);
    assert_int_equal(fx->client.raft.init(&fx->client.raft, 2, cli_addr), 0);
    assert_int_equal(fx->server.raft.listen(&fx->server.raft, raft_accept_cb),
                     0);

    fx->rpc_req.data = fx;
    assert_int_equal(vr_transport_connect_rpc(&fx->client, &fx->rpc_req,
                                              srv_addr, rpc_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->got_reply);
    assert_int_equal(fx->srv_pre.kind, VR_CONN_RPC);
    assert_true(fx->srv_pre.id == 2);
    assert_string_equal(fx->srv_pre.address, cli_addr);
    assert_string_equal(fx->srv_body, "hello");

    fx->raft_req.data = fx;
    assert_int_equal(fx->client.raft.connect(&fx->client.raft, &fx->raft_req,
                                             1, srv_addr, raft_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->raft_len == 8);
    assert_true(fx->raft_id_seen == 2);
    assert_string_equal(fx->raft_addr_seen, cli_addr);
    assert_memory_equal(fx->raft_bytes, "RAFTDATA", 8);

    bad_req.data = fx;
    assert_int_equal(fx->client.raft.connect(&fx->client.raft, &bad_req, 3,
                                             bad_addr, failed_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->failed_connect);
    assert_int_equal(fx->server.n_auth_failed, 0);
    assert_int_equal(fx->client.n_auth_failed, 0);

    vr_rpc_conn_close(fx->cli_conn, 0);
    vr_rpc_conn_close(fx->srv_conn, 0);
    uv_close((uv_handle_t *)fx->raft_stream, stream_closed_cb);
    uv_close((uv_handle_t *)fx->raft_req.data, stream_closed_cb);
    vr_transport_close(&fx->server, transport_closed_cb);
    vr_transport_close(&fx->client, transport_closed_cb);
    RUN_UNTIL(fx, fx->closed == 2);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
}

/****** Wrong keys ******/

struct bad_fixture
{
    uv_loop_t loop;
    struct vr_transport server, client;
    struct vr_rpc_connect rpc_req;
    struct raft_uv_connect raft_req;
    int rpc_status;
    bool rpc_done;
    int raft_status;
    bool raft_done;
    bool accepted;
    /* A stranger speaking raw TCP. */
    uv_tcp_t raw;
    uv_connect_t raw_connect;
    uv_write_t raw_write;
    bool raw_closed_by_peer;
    bool raw_closed;
};

static void bad_rpc_accept_cb(void *data, uv_stream_t *stream,
                              const struct vr_preamble *p)
{
    struct bad_fixture *fx = data;
    (void)p;
    fx->accepted = true;
    uv_close((uv_handle_t *)stream, stream_closed_cb);
}

static void bad_raft_accept_cb(struct raft_uv_transport *t, raft_id id,
                               const char *address, uv_stream_t *stream)
{
    struct bad_fixture *fx = t->data;
    (void)id;
    (void)address;
    fx->accepted = true;
    uv_close((uv_handle_t *)stream, stream_closed_cb);
}

static void bad_rpc_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                               int status)
{
    struct bad_fixture *fx = req->data;
    assert_null(stream);
    fx->rpc_status = status;
    fx->rpc_done = true;
}

static void bad_raft_connect_cb(struct raft_uv_connect *req,
                                uv_stream_t *stream, int status)
{
    struct bad_fixture *fx = req->data;
    assert_null(stream);
    fx->raft_status = status;
    fx->raft_done = true;
}

static void raw_alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
    static char sink[256];
    (void)h;
    (void)s;
    buf->base = sink;
    buf->len = sizeof sink;
}

static void raw_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct bad_fixture *fx = s->data;
    (void)buf;
    if (n < 0) {
        fx->raw_closed_by_peer = true;
    }
}

static void raw_write_cb(uv_write_t *w, int status)
{
    (void)w;
    (void)status;
}

static void raw_connect_cb(uv_connect_t *req, int status)
{
    struct bad_fixture *fx = req->data;
    /* What a pre-handshake node sends: a bare preamble. */
    static char pre[] = "VIPD\001\002\000\000\002\000\000\000\000\000\000\000";
    uv_buf_t b = uv_buf_init(pre, 16);
    assert_int_equal(status, 0);
    assert_int_equal(uv_write(&fx->raw_write, (uv_stream_t *)&fx->raw, &b, 1,
                              raw_write_cb),
                     0);
    assert_int_equal(
        uv_read_start((uv_stream_t *)&fx->raw, raw_alloc_cb, raw_read_cb), 0);
}

static void raw_closed_cb(uv_handle_t *h)
{
    struct bad_fixture *fx = h->data;
    fx->raw_closed = true;
}

/* Different keys: RPC and Raft connections both fail, the RPC one with
 * VIP_EAUTH; the server hands nothing on; a stranger sending a bare
 * preamble is dropped; a transport without a key connects nowhere. */
static void test_loop_wrong_key(void **state)
{
    struct bad_fixture *fx = calloc(1, sizeof *fx);
    char srv_addr[32], cli_addr[32];
    unsigned base = test_port(10);
    struct sockaddr_in sa;
    (void)state;

    snprintf(srv_addr, sizeof srv_addr, "127.0.0.1:%u", base);
    snprintf(cli_addr, sizeof cli_addr, "127.0.0.1:%u", base + 1);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    vr_transport_init(&fx->server, &fx->loop);
    vr_transport_init(&fx->client, &fx->loop);
    fx->server.raft.data = fx;
    vr_transport_set_rpc_cb(&fx->server, bad_rpc_accept_cb, fx);
    vr_transport_set_key(&fx->server, key_a);
    vr_transport_set_key(&fx->client, key_b);
    assert_int_equal(fx->server.raft.init(&fx->server.raft, 1, srv_addr), 0);
    assert_int_equal(fx->client.raft.init(&fx->client.raft, 2, cli_addr), 0);
    assert_int_equal(
        fx->server.raft.listen(&fx->server.raft, bad_raft_accept_cb), 0);

    fx->rpc_req.data = fx;
    assert_int_equal(vr_transport_connect_rpc(&fx->client, &fx->rpc_req,
                                              srv_addr, bad_rpc_connect_cb),
                     0);
    fx->raft_req.data = fx;
    assert_int_equal(fx->client.raft.connect(&fx->client.raft, &fx->raft_req,
                                             1, srv_addr,
                                             bad_raft_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->rpc_done && fx->raft_done &&
                          fx->server.n_auth_failed >= 2);
    assert_int_equal(fx->rpc_status, VIP_EAUTH);
    assert_int_equal(fx->raft_status, RAFT_NOCONNECTION);
    assert_int_equal(fx->client.n_auth_failed, 2);
    assert_true(fx->server.n_rejected >= 2);
    assert_false(fx->accepted);

    /* A stranger with a bare preamble gets nothing and is hung up on. */
    assert_int_equal(uv_tcp_init(&fx->loop, &fx->raw), 0);
    fx->raw.data = fx;
    fx->raw_connect.data = fx;
    assert_int_equal(uv_ip4_addr("127.0.0.1", (int)base, &sa), 0);
    assert_int_equal(uv_tcp_connect(&fx->raw_connect, &fx->raw,
                                    (const struct sockaddr *)&sa,
                                    raw_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->raw_closed_by_peer);
    assert_int_equal(fx->server.n_auth_failed, 3);
    assert_false(fx->accepted);
    uv_close((uv_handle_t *)&fx->raw, raw_closed_cb);

    /* No key: nothing is even attempted past TCP. */
    fx->client.has_key = false;
    fx->rpc_done = false;
    assert_int_equal(vr_transport_connect_rpc(&fx->client, &fx->rpc_req,
                                              srv_addr, bad_rpc_connect_cb),
                     0);
    RUN_UNTIL(fx, fx->rpc_done);
    assert_int_equal(fx->rpc_status, VIP_EAUTH);
    assert_false(fx->accepted);

    vr_transport_close(&fx->server, transport_closed_cb);
    vr_transport_close(&fx->client, transport_closed_cb);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_true(fx->raw_closed);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
}

/****** Caps after authentication ******/

#define CAP_EXTRA 3
#define CAP_SLOTS 40

struct cap_fixture
{
    uv_loop_t loop;
    struct vr_transport server, client, other, anon;
    struct vr_rpc_connect reqs[CAP_SLOTS];
    struct vr_rpc_conn *srv[CAP_SLOTS];
    struct vr_rpc_conn *cli[CAP_SLOTS];
    unsigned n_accepted, n_connected, n_failed, n_cli_closed, n_srv_closed;
    int last_status;
    bool server_closed;
};

static void cap_server_closed_cb(struct vr_transport *t)
{
    struct cap_fixture *fx =
        (struct cap_fixture *)((char *)t - offsetof(struct cap_fixture, server));
    fx->server_closed = true;
}

static void cap_srv_closed_cb(struct vr_rpc_conn *c, int status)
{
    struct cap_fixture *fx = c->data;
    (void)status;
    fx->n_srv_closed++;
}

static void cap_cli_closed_cb(struct vr_rpc_conn *c, int status)
{
    struct cap_fixture *fx = c->data;
    (void)status;
    fx->n_cli_closed++;
}

static void cap_ignore_frame_cb(struct vr_rpc_conn *c,
                                const struct vr_rpc_frame *f)
{
    (void)c;
    (void)f;
}

static void cap_accept_cb(void *data, uv_stream_t *stream,
                          const struct vr_preamble *p)
{
    struct cap_fixture *fx = data;
    (void)p;
    assert_true(fx->n_accepted < sizeof fx->srv / sizeof fx->srv[0]);
    fx->srv[fx->n_accepted] = vr_rpc_conn_alloc(
        stream, fx, cap_ignore_frame_cb, cap_srv_closed_cb);
    assert_non_null(fx->srv[fx->n_accepted]);
    fx->n_accepted++;
}

static void cap_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                           int status)
{
    struct cap_fixture *fx = req->data;
    size_t i = (size_t)(req - fx->reqs);
    fx->last_status = status;
    if (status != 0) {
        assert_null(stream);
        fx->n_failed++;
        return;
    }
    fx->cli[i] = vr_rpc_conn_alloc(stream, fx, cap_ignore_frame_cb,
                                   cap_cli_closed_cb);
    assert_non_null(fx->cli[i]);
    fx->n_connected++;
}

static void cap_connect(struct cap_fixture *fx, struct vr_transport *from,
                        size_t i, const char *addr)
{
    fx->reqs[i].data = fx;
    assert_int_equal(
        vr_transport_connect_rpc(from, &fx->reqs[i], addr, cap_connect_cb), 0);
}

/* One authenticated node holds at most VR_RPC_PER_PEER_MAX RPC sessions:
 * the extra ones are closed and counted, a closed session makes room, and
 * another node is not affected. A peer whose key differs is remembered as
 * having refused it, until a handshake with it succeeds. */
static void test_loop_rpc_cap_and_refusal(void **state)
{
    struct cap_fixture *fx = calloc(1, sizeof *fx);
    char srv_addr[32], cli_addr[32], oth_addr[32];
    unsigned base = test_port(20);
    const unsigned n = VR_RPC_PER_PEER_MAX + CAP_EXTRA;
    const struct vr_key_refusal *r;
    (void)state;

    snprintf(srv_addr, sizeof srv_addr, "127.0.0.1:%u", base);
    snprintf(cli_addr, sizeof cli_addr, "127.0.0.1:%u", base + 1);
    snprintf(oth_addr, sizeof oth_addr, "127.0.0.1:%u", base + 2);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    vr_transport_init(&fx->server, &fx->loop);
    vr_transport_init(&fx->client, &fx->loop);
    vr_transport_init(&fx->other, &fx->loop);
    vr_transport_set_rpc_cb(&fx->server, cap_accept_cb, fx);
    vr_transport_set_key(&fx->server, key_a);
    vr_transport_set_key(&fx->client, key_b);
    vr_transport_set_key(&fx->other, key_a);
    vr_transport_init(&fx->anon, &fx->loop); /* raft never gave it an id */
    vr_transport_set_key(&fx->anon, key_a);
    assert_int_equal(fx->server.raft.init(&fx->server.raft, 1, srv_addr), 0);
    assert_int_equal(fx->client.raft.init(&fx->client.raft, 2, cli_addr), 0);
    assert_int_equal(fx->other.raft.init(&fx->other.raft, 3, oth_addr), 0);
    assert_int_equal(fx->server.raft.listen(&fx->server.raft, raft_accept_cb),
                     0);

    /* Different keys: the dialled address is recorded as refusing. */
    assert_null(vr_transport_key_refused(&fx->client, srv_addr));
    cap_connect(fx, &fx->client, n + 1, srv_addr);
    RUN_UNTIL(fx, fx->n_failed == 1);
    assert_int_equal(fx->last_status, VIP_EAUTH);
    r = vr_transport_key_refused(&fx->client, srv_addr);
    assert_non_null(r);
    assert_string_equal(r->address, srv_addr);
    assert_true(r->at_ms > 0);
    assert_null(vr_transport_key_refused(&fx->client, oth_addr));

    /* Same key now: the record goes with the first good handshake. */
    vr_transport_set_key(&fx->client, key_a);
    /* In two rounds: more at once would meet the pre-auth cap per source
     * address first (VR_PREAUTH_PER_SOURCE). */
    for (unsigned i = 0; i < VR_RPC_PER_PEER_MAX; i++) {
        cap_connect(fx, &fx->client, i, srv_addr);
    }
    RUN_UNTIL(fx, fx->n_connected == VR_RPC_PER_PEER_MAX &&
                      fx->n_accepted == VR_RPC_PER_PEER_MAX);
    for (unsigned i = VR_RPC_PER_PEER_MAX; i < n; i++) {
        cap_connect(fx, &fx->client, i, srv_addr);
    }
    /* The client's side of the handshake is over before the server
     * decides: it sees each extra connection open, then closed. */
    RUN_UNTIL(fx, fx->server.n_rpc_over_cap == CAP_EXTRA &&
                      fx->n_cli_closed + (fx->n_failed - 1) == CAP_EXTRA);
    assert_null(vr_transport_key_refused(&fx->client, srv_addr));
    assert_int_equal(fx->n_accepted, VR_RPC_PER_PEER_MAX);
    assert_int_equal(fx->n_srv_closed, 0);

    /* Another node has its own allowance. */
    cap_connect(fx, &fx->other, n, srv_addr);
    RUN_UNTIL(fx, fx->n_accepted == VR_RPC_PER_PEER_MAX + 1);

    /* A closed session makes room for a new one from the same node. */
    vr_rpc_conn_close(fx->srv[0], 0);
    fx->srv[0] = NULL;
    RUN_UNTIL(fx, fx->n_cli_closed + (fx->n_failed - 1) == CAP_EXTRA + 1);
    cap_connect(fx, &fx->client, n + 1, srv_addr);
    RUN_UNTIL(fx, fx->n_accepted == VR_RPC_PER_PEER_MAX + 2);
    assert_int_equal(fx->server.n_rpc_over_cap, CAP_EXTRA);

    /* A node without an id yet (id 0, the address it claims is its own
     * word) is counted by its source IP. */
    for (unsigned i = 0; i < VR_RPC_PER_PEER_MAX; i++) {
        cap_connect(fx, &fx->anon, 20 + i, srv_addr);
    }
    RUN_UNTIL(fx, fx->n_accepted == 2 * VR_RPC_PER_PEER_MAX + 2);
    cap_connect(fx, &fx->anon, 20 + VR_RPC_PER_PEER_MAX, srv_addr);
    RUN_UNTIL(fx, fx->server.n_rpc_over_cap == CAP_EXTRA + 1);
    assert_int_equal(fx->n_accepted, 2 * VR_RPC_PER_PEER_MAX + 2);

    /* Refused again; then the peer goes away: a failure of another kind
     * is not the key's, and the record goes. */
    unsigned failed = fx->n_failed;
    vr_transport_set_key(&fx->client, key_b);
    cap_connect(fx, &fx->client, n + 1, srv_addr);
    RUN_UNTIL(fx, fx->n_failed == failed + 1);
    assert_int_equal(fx->last_status, VIP_EAUTH);
    assert_non_null(vr_transport_key_refused(&fx->client, srv_addr));
    for (size_t i = 0; i < sizeof fx->srv / sizeof fx->srv[0]; i++) {
        if (fx->srv[i] != NULL) {
            vr_rpc_conn_close(fx->srv[i], 0);
        }
    }
    vr_transport_close(&fx->server, cap_server_closed_cb);
    RUN_UNTIL(fx, fx->server_closed);
    cap_connect(fx, &fx->client, n + 1, srv_addr);
    RUN_UNTIL(fx, fx->n_failed == failed + 2);
    assert_int_not_equal(fx->last_status, VIP_EAUTH);
    assert_null(vr_transport_key_refused(&fx->client, srv_addr));

    vr_transport_close(&fx->client, transport_closed_cb);
    vr_transport_close(&fx->other, transport_closed_cb);
    vr_transport_close(&fx->anon, transport_closed_cb);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preamble_roundtrip),
        cmocka_unit_test(test_preamble_truncated),
        cmocka_unit_test(test_preamble_junk),
        cmocka_unit_test(test_preamble_encode_invalid),
        cmocka_unit_test(test_addr_split),
        cmocka_unit_test(test_loop_exchange),
        cmocka_unit_test(test_loop_wrong_key),
        cmocka_unit_test(test_loop_rpc_cap_and_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
