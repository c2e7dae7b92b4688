/* The encrypted channel under every cluster connection: the AEAD framing
 * (raft/frame_crypt.h), the raft_uv stream validator (raft/raft_wire.h),
 * and real-loop attacks through a relay between two transports
 * (raft/transport.h, raft/channel.h): a keyless relay that forwards a
 * genuine handshake and then injects its own bytes, flips one bit or
 * replays a frame gets the connection closed with nothing delivered; an
 * authenticated peer sending a malformed AppendEntries (one entry of type
 * 0xff, which crashes libraft 0.15) gets the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/lib/loop.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "raft/frame_crypt.h"
#include "raft/raft_wire.h"
#include "raft/transport.h"
#include "tests/lib/test_ports.h"

/****** Frames ******/

static const uint8_t k1[FC_KEY_SIZE] = "key-one-key-one-key-one-key-one";
static const uint8_t k2[FC_KEY_SIZE] = "key-two-key-two-key-two-key-two";

/* Frames open in order with the right key; a flipped bit anywhere, a
 * replayed, reordered or foreign frame never opens; bad lengths are
 * refused; a partial frame asks for more. */
static void test_frames(void **state)
{
    struct fc_dir tx, rx;
    uint8_t f[3][FC_HEADER + 32 + FC_TAG];
    long flen[3];
    uint8_t plain[FC_PLAIN_MAX];
    size_t plen, used;
    (void)state;

    fc_init(&tx, k1);
    for (int i = 0; i < 3; i++) {
        uint8_t msg[32];
        memset(msg, 'a' + i, sizeof msg);
        flen[i] = fc_seal(&tx, msg, sizeof msg, f[i]);
        assert_int_equal(flen[i], FC_HEADER + 32 + FC_TAG);
    }
    /* In order. */
    fc_init(&rx, k1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fc_open(&rx, f[i], (size_t)flen[i], plain, &plen,
                                 &used),
                         flen[i]);
        assert_int_equal(plen, 32);
        assert_int_equal(plain[0], 'a' + i);
    }
    /* Replay of the last frame. */
    assert_int_equal(fc_open(&rx, f[2], (size_t)flen[2], plain, &plen, &used),
                     VIP_EAUTH);
    /* Reordered. */
    fc_init(&rx, k1);
    assert_int_equal(fc_open(&rx, f[1], (size_t)flen[1], plain, &plen, &used),
                     VIP_EAUTH);
    /* Another key (the other direction's). */
    fc_init(&rx, k2);
    assert_int_equal(fc_open(&rx, f[0], (size_t)flen[0], plain, &plen, &used),
                     VIP_EAUTH);
    /* Every bit flipped, one at a time. */
    for (size_t k = 0; k < (size_t)flen[0] * 8; k++) {
        uint8_t g[sizeof f[0]];
        long rv;
        memcpy(g, f[0], sizeof g);
        g[k / 8] ^= (uint8_t)(1u << (k % 8));
        fc_init(&rx, k1);
        rv = fc_open(&rx, g, (size_t)flen[0], plain, &plen, &used);
        /* A longer length field only waits for more bytes. */
        assert_true(rv < 0 || (rv == 0 && k < 32));
        assert_true(rx.counter == 0);
    }
    /* Truncated: wait; zero or oversized length: refuse. */
    fc_init(&rx, k1);
    for (size_t n = 0; n < (size_t)flen[0]; n++) {
        assert_int_equal(fc_open(&rx, f[0], n, plain, &plen, &used), 0);
    }
    {
        uint8_t z[FC_HEADER + FC_TAG] = {0};
        uint8_t big[FC_HEADER] = {0x01, 0x00, 0x01, 0x00}; /* 65537 */
        assert_int_equal(fc_open(&rx, z, sizeof z, plain, &plen, &used),
                         VIP_EPROTO);
        assert_int_equal(fc_open(&rx, big, sizeof big, plain, &plen, &used),
                         VIP_EPROTO);
        assert_int_equal(fc_seal(&tx, plain, 0, f[0]), VIP_EINVAL);
        assert_int_equal(fc_seal(&tx, plain, FC_PLAIN_MAX + 1, f[0]),
                         VIP_EINVAL);
    }
    fc_close(&tx);
    fc_close(&rx);
}

/****** raft_uv messages ******/

struct msg
{
    uint8_t b[4096];
    size_t n;
};

static void put64(struct msg *m, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        m->b[m->n++] = (uint8_t)(v >> (8 * i));
    }
}

static void put8(struct msg *m, uint8_t v)
{
    m->b[m->n++] = v;
}

/* An AppendEntries as libraft 0.15 encodes it (src/uv_encoding.c), with
 * @n entries of @types and @lens, and their payload. */
static void append_entries(struct msg *m, unsigned n, const uint8_t *types,
                           const uint32_t *lens)
{
    size_t payload = 0;
    put64(m, 1);
    put64(m, 48 + 16 * (uint64_t)n);
    put64(m, 3); /* term */
    put64(m, 9); /* prev index */
    put64(m, 2); /* prev term */
    put64(m, 9); /* commit */
    put64(m, n);
    for (unsigned i = 0; i < n; i++) {
        put64(m, 3);
        put8(m, types[i]);
        put8(m, 0);
        put8(m, 0);
        put8(m, 0);
        for (unsigned k = 0; k < 4; k++) {
            put8(m, (uint8_t)(lens[i] >> (8 * k)));
        }
        payload += lens[i];
    }
    put64(m, 0xdeadbeef); /* the slack libraft never writes */
    if (payload > sizeof m->b - m->n) {
        return; /* a claim too big to send in a test: the header is enough */
    }
    for (size_t i = 0; i < payload; i++) {
        put8(m, (uint8_t)i);
    }
}

static void fixed(struct msg *m, uint64_t type, uint64_t hlen)
{
    put64(m, type);
    put64(m, hlen);
    for (uint64_t i = 0; i < hlen / 8; i++) {
        put64(m, i + 1);
    }
}

static void install_snapshot(struct msg *m, uint8_t format, uint8_t role,
                             uint64_t data_len)
{
    static const char addr[] = "10.0.0.1:5405";
    size_t conf = 1 + 8 + 8 + sizeof addr + 1;
    size_t padded = (conf + 7) / 8 * 8;
    put64(m, 5);
    put64(m, 48 + padded);
    put64(m, 4);
    put64(m, 100);
    put64(m, 4);
    put64(m, 90);
    put64(m, padded);
    put8(m, format);
    put64(m, 1);
    put64(m, 1);
    memcpy(m->b + m->n, addr, sizeof addr);
    m->n += sizeof addr;
    put8(m, role);
    while (conf++ < padded) {
        put8(m, 0);
    }
    put64(m, data_len);
    for (uint64_t i = 0; i < data_len; i++) {
        put8(m, 0x5a);
    }
}

/* Feed @m in chunks of @chunk bytes; the result of the last call. */
static int feed(struct raft_wire *w, const struct msg *m, size_t chunk)
{
    int rv = 0;
    for (size_t off = 0; off < m->n && rv == 0; off += chunk) {
        size_t n = m->n - off < chunk ? m->n - off : chunk;
        rv = raft_wire_feed(w, m->b + off, n);
    }
    return rv;
}

/* What libraft 0.15 sends passes, in any split. */
static void test_wire_valid(void **state)
{
    static const uint8_t types[] = {1, 2, 3};
    static const uint32_t lens[] = {16, 8, 24};
    struct msg m = {.n = 0};
    (void)state;

    append_entries(&m, 3, types, lens);
    append_entries(&m, 0, NULL, NULL); /* a heartbeat */
    fixed(&m, 2, 24);                  /* AppendEntriesResult */
    fixed(&m, 3, 40);                  /* RequestVote */
    fixed(&m, 4, 24);                  /* RequestVoteResult */
    fixed(&m, 6, 24);                  /* TimeoutNow */
    install_snapshot(&m, 1, 1, 40);
    for (size_t chunk = 1; chunk <= m.n; chunk += chunk < 20 ? 1 : 97) {
        struct raft_wire w;
        raft_wire_init(&w);
        assert_int_equal(feed(&w, &m, chunk), 0);
        assert_true(w.n_messages == 7);
        assert_int_equal(w.stage, RW_PREAMBLE);
    }
}

/* Each malformed message is refused, by the time its last header byte
 * arrives: the one-packet crash of libraft 0.15 (an entry of type 0xff)
 * first. */
static void test_wire_malformed(void **state)
{
    struct msg bad[16];
    unsigned n = 0;
    (void)state;

    memset(bad, 0, sizeof bad);
    {
        static const uint8_t t[] = {0xff};
        static const uint32_t l[] = {8};
        append_entries(&bad[n++], 1, t, l);
    }
    {
        static const uint8_t t[] = {0};
        static const uint32_t l[] = {8};
        append_entries(&bad[n++], 1, t, l);
    }
    {
        static const uint8_t t[] = {1};
        static const uint32_t l[] = {7}; /* not padded */
        append_entries(&bad[n++], 1, t, l);
    }
    {
        static const uint8_t t[] = {1, 1};
        static const uint32_t l[] = {8, 8};
        append_entries(&bad[n], 2, t, l);
        bad[n].b[16 + 32] = 3; /* count 3 in a header for 2 */
        n++;
    }
    {
        static const uint8_t t[] = {1, 1};
        static const uint32_t l[] = {0x80000000u, 0x80000000u}; /* 4 GiB */
        append_entries(&bad[n++], 2, t, l);
    }
    {
        struct msg *m = &bad[n++];
        put64(m, 1);
        put64(m, 1ull << 60); /* a header libraft would malloc() */
    }
    {
        struct msg *m = &bad[n++];
        put64(m, 1);
        put64(m, 50); /* not 48 + 16 n */
    }
    fixed(&bad[n++], 0, 24);
    fixed(&bad[n++], 7, 24);
    fixed(&bad[n++], 0xff, 24);
    fixed(&bad[n++], 3, 32); /* RequestVote v1 */
    fixed(&bad[n++], 2, 0);  /* zero header */
    install_snapshot(&bad[n++], 2, 1, 8);   /* configuration format */
    install_snapshot(&bad[n++], 1, 7, 8);   /* role */
    install_snapshot(&bad[n++], 1, 1, 0);   /* no data */
    {
        struct msg *m = &bad[n++];
        install_snapshot(m, 1, 1, 8);
        m->b[16 + 32] = 0xf0; /* configuration length */
    }
    for (unsigned i = 0; i < n; i++) {
        for (size_t chunk = 1; chunk <= bad[i].n; chunk++) {
            struct raft_wire w;
            raft_wire_init(&w);
            assert_int_equal(feed(&w, &bad[i], chunk), VIP_EPROTO);
            assert_non_null(w.error);
            assert_int_equal(raft_wire_feed(&w, bad[i].b, 1), VIP_EPROTO);
        }
    }
}

/****** Through a relay ******/

enum relay_mode {
    RELAY_FORWARD,   /* a faithful relay */
    RELAY_INJECT,    /* after the handshake: its own plaintext instead */
    RELAY_FLIP,      /* after the handshake: one bit of the first frame */
    RELAY_REPLAY,    /* after the handshake: the first frame twice */
};

struct relay
{
    struct fx *fx;
    uv_tcp_t down, up; /* from the client; to the server */
    uv_connect_t connect;
    bool up_connected;
    uint8_t pending[8192]; /* client bytes before up is connected */
    size_t n_pending;
    size_t c2s;            /* client bytes seen */
    size_t hs_c2s;         /* of which the handshake's */
    uint8_t first[256];    /* the first frame, for REPLAY */
    size_t n_first;
    bool injected;
    int n_closed;
};

struct fx
{
    uv_loop_t loop;
    struct vr_transport server, client;
    uv_tcp_t relay_listener;
    struct relay relay;
    enum relay_mode mode;
    struct raft_uv_connect raft_req;
    uv_stream_t *cli_stream;
    uv_stream_t *srv_stream;
    uint8_t got[4096];
    size_t n_got;
    bool srv_eof;
    bool connected;
};

static void free_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void relay_closed_cb(uv_handle_t *h)
{
    struct relay *r = h->data;
    r->n_closed++;
}

static void relay_write_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void relay_send(uv_tcp_t *to, const uint8_t *p, size_t n)
{
    struct
    {
        uv_write_t w;
        uint8_t b[];
    } *req = malloc(sizeof *req + n);
    uv_buf_t b;
    memcpy(req->b, p, n);
    b = uv_buf_init((char *)req->b, (unsigned)n);
    if (uv_write(&req->w, (uv_stream_t *)to, &b, 1, relay_write_cb) != 0) {
        free(req);
    }
}

static void relay_alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
    static char tmp[65536];
    (void)h;
    (void)s;
    buf->base = tmp;
    buf->len = sizeof tmp;
}

/* Client to server: the handshake goes through as it is; then the mode's
 * attack. */
static void down_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct relay *r = s->data;
    struct fx *fx = r->fx;
    uint8_t *p = (uint8_t *)buf->base;
    size_t len;

    if (n <= 0) {
        return;
    }
    len = (size_t)n;
    for (size_t i = 0; i < len; i++, r->c2s++) {
        if (r->c2s >= r->hs_c2s) {
            size_t k = r->c2s - r->hs_c2s;
            if (fx->mode == RELAY_INJECT) {
                continue; /* the client's frames are dropped */
            }
            if (fx->mode == RELAY_FLIP && k == 10) {
                p[i] ^= 0x04;
            }
            if (k < sizeof r->first) {
                r->first[r->n_first++] = p[i];
            }
        }
    }
    {
        /* Forward what the mode lets through. */
        size_t keep = len;
        if (fx->mode == RELAY_INJECT && r->c2s > r->hs_c2s) {
            size_t after = r->c2s - r->hs_c2s;
            keep = after >= len ? 0 : len - after;
        }
        if (keep > 0) {
            if (r->up_connected) {
                relay_send(&r->up, p, keep);
            } else {
                memcpy(r->pending + r->n_pending, p, keep);
                r->n_pending += keep;
            }
        }
    }
    if (r->c2s > r->hs_c2s && !r->injected && r->up_connected) {
        r->injected = true;
        if (fx->mode == RELAY_INJECT) {
            /* The attack of the old plaintext stream: an AppendEntries
             * with one entry of type 0xff (SEGV in libraft 0.15). */
            static const uint8_t t[] = {0xff};
            static const uint32_t l[] = {8};
            struct msg m = {.n = 0};
            append_entries(&m, 1, t, l);
            relay_send(&r->up, m.b, m.n);
        } else if (fx->mode == RELAY_REPLAY && r->n_first >= 20) {
            size_t flen = FC_HEADER + (size_t)r->first[0] + FC_TAG;
            if (flen <= r->n_first) {
                relay_send(&r->up, r->first, flen);
            }
        }
    }
}

static void up_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct relay *r = s->data;
    if (n < 0) {
        /* The server hung up: so does the relay. */
        if (!uv_is_closing((uv_handle_t *)&r->down)) {
            uv_close((uv_handle_t *)&r->down, relay_closed_cb);
            uv_close((uv_handle_t *)&r->up, relay_closed_cb);
        }
        return;
    }
    if (n > 0) {
        relay_send(&r->down, (const uint8_t *)buf->base, (size_t)n);
    }
}

static void relay_up_cb(uv_connect_t *req, int status)
{
    struct relay *r = req->data;
    assert_int_equal(status, 0);
    r->up_connected = true;
    if (r->n_pending > 0) {
        relay_send(&r->up, r->pending, r->n_pending);
    }
    uv_read_start((uv_stream_t *)&r->up, relay_alloc_cb, up_read_cb);
}

static struct sockaddr_in srv_sa;

static void relay_accept_cb(uv_stream_t *server, int status)
{
    struct fx *fx = server->data;
    struct relay *r = &fx->relay;
    assert_int_equal(status, 0);
    r->fx = fx;
    uv_tcp_init(&fx->loop, &r->down);
    uv_tcp_init(&fx->loop, &r->up);
    r->down.data = r;
    r->up.data = r;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&r->down), 0);
    uv_read_start((uv_stream_t *)&r->down, relay_alloc_cb, down_read_cb);
    r->connect.data = r;
    assert_int_equal(uv_tcp_connect(&r->connect, &r->up,
                                    (const struct sockaddr *)&srv_sa,
                                    relay_up_cb),
                     0);
}

static void srv_alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
    struct fx *fx = h->data;
    (void)s;
    buf->base = (char *)fx->got + fx->n_got;
    buf->len = sizeof fx->got - fx->n_got;
}

static void srv_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct fx *fx = s->data;
    (void)buf;
    if (n > 0) {
        fx->n_got += (size_t)n;
    } else if (n < 0) {
        fx->srv_eof = true;
    }
}

/* raft_uv's part on the server: read what arrives. */
static void srv_accept_cb(struct raft_uv_transport *t, raft_id id,
                          const char *address, uv_stream_t *stream)
{
    struct fx *fx = t->data;
    (void)id;
    (void)address;
    fx->srv_stream = stream;
    stream->data = fx;
    uv_read_start(stream, srv_alloc_cb, srv_read_cb);
}

static void cli_write_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void cli_send(struct fx *fx, const uint8_t *p, size_t n)
{
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    assert_int_equal(uv_write(w, fx->cli_stream, &b, 1, cli_write_cb), 0);
}

static void cli_connect_cb(struct raft_uv_connect *req, uv_stream_t *stream,
                           int status)
{
    struct fx *fx = req->data;
    assert_int_equal(status, 0);
    fx->cli_stream = stream;
    fx->connected = true;
}

static void closed_cb(struct vr_transport *t)
{
    (void)t;
}

static const uint8_t key[HS_KEY_SIZE] = "relay-test-key-relay-test-key-k";

/* A heartbeat as libraft sends it: what the client writes. */
static struct msg heartbeat(void)
{
    struct msg m = {.n = 0};
    append_entries(&m, 0, NULL, NULL);
    return m;
}

/* Set up server and client transports (node 1 and 2) and, unless @direct,
 * a relay between them; connect a Raft stream from the client to the
 * server, through the relay. */
static struct fx *fx_start(enum relay_mode mode, bool direct)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char srv_addr[32], cli_addr[32], relay_addr[32];
    unsigned base = test_port(0);
    struct sockaddr_in sa;

    fx->mode = mode;
    snprintf(srv_addr, sizeof srv_addr, "127.0.0.1:%u", base);
    snprintf(cli_addr, sizeof cli_addr, "127.0.0.1:%u", base + 1);
    snprintf(relay_addr, sizeof relay_addr, "127.0.0.1:%u", base + 2);
    uv_ip4_addr("127.0.0.1", (int)base, &srv_sa);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    vr_transport_init(&fx->server, &fx->loop);
    vr_transport_init(&fx->client, &fx->loop);
    fx->server.raft.data = fx;
    vr_transport_set_key(&fx->server, key);
    vr_transport_set_key(&fx->client, key);
    assert_int_equal(fx->server.raft.init(&fx->server.raft, 1, srv_addr), 0);
    assert_int_equal(fx->client.raft.init(&fx->client.raft, 2, cli_addr), 0);
    assert_int_equal(fx->server.raft.listen(&fx->server.raft, srv_accept_cb),
                     0);
    /* The client's handshake bytes: HELLO with its identity, PROOF. */
    fx->relay.hs_c2s = HS_HELLO_SIZE + VR_PREAMBLE_FIXED + strlen(cli_addr) +
                       HS_PROOF_SIZE;
    uv_tcp_init(&fx->loop, &fx->relay_listener);
    fx->relay_listener.data = fx;
    uv_ip4_addr("127.0.0.1", (int)base + 2, &sa);
    assert_int_equal(uv_tcp_bind(&fx->relay_listener,
                                 (const struct sockaddr *)&sa, 0),
                     0);
    assert_int_equal(uv_listen((uv_stream_t *)&fx->relay_listener, 8,
                               relay_accept_cb),
                     0);
    fx->raft_req.data = fx;
    assert_int_equal(fx->client.raft.connect(&fx->client.raft, &fx->raft_req,
                                             1, direct ? srv_addr : relay_addr,
                                             cli_connect_cb),
                     0);
    LOOP_RUN_UNTIL(&fx->loop, fx->connected && fx->srv_stream != NULL, 5000);
    return fx;
}

static void fx_finish(struct fx *fx)
{
    uv_close((uv_handle_t *)fx->cli_stream, free_cb);
    if (fx->srv_stream != NULL && !uv_is_closing((uv_handle_t *)fx->srv_stream)) {
        uv_close((uv_handle_t *)fx->srv_stream, free_cb);
    }
    uv_close((uv_handle_t *)&fx->relay_listener, NULL);
    if (fx->relay.fx != NULL && !uv_is_closing((uv_handle_t *)&fx->relay.down)) {
        uv_close((uv_handle_t *)&fx->relay.down, relay_closed_cb);
        uv_close((uv_handle_t *)&fx->relay.up, relay_closed_cb);
    }
    vr_transport_close(&fx->server, closed_cb);
    vr_transport_close(&fx->client, closed_cb);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
}

/* A faithful relay changes nothing: the bytes arrive, intact. */
static void test_relay_forward(void **state)
{
    struct fx *fx = fx_start(RELAY_FORWARD, false);
    struct msg m = heartbeat();
    (void)state;
    cli_send(fx, m.b, m.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->n_got == m.n, 5000);
    assert_memory_equal(fx->got, m.b, m.n);
    assert_int_equal(fx->server.n_channel_rejected, 0);
    fx_finish(fx);
}

/* A relay without the key that lets the handshake through and then sends
 * its own (plaintext) AppendEntries: nothing reaches raft_uv, the
 * connection is closed, and the server counts it. */
static void test_relay_inject(void **state)
{
    struct fx *fx = fx_start(RELAY_INJECT, false);
    struct msg m = heartbeat();
    (void)state;
    cli_send(fx, m.b, m.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->srv_eof, 5000);
    assert_int_equal(fx->n_got, 0);
    assert_int_equal(fx->server.n_channel_rejected, 1);
    fx_finish(fx);
}

/* One flipped bit in the first frame after the handshake. */
static void test_relay_flip(void **state)
{
    struct fx *fx = fx_start(RELAY_FLIP, false);
    struct msg m = heartbeat();
    (void)state;
    cli_send(fx, m.b, m.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->srv_eof, 5000);
    assert_int_equal(fx->n_got, 0);
    assert_int_equal(fx->server.n_channel_rejected, 1);
    fx_finish(fx);
}

/* The first frame sent again: the original is delivered once, the copy
 * closes the connection. */
static void test_relay_replay(void **state)
{
    struct fx *fx = fx_start(RELAY_REPLAY, false);
    struct msg m = heartbeat();
    (void)state;
    cli_send(fx, m.b, m.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->srv_eof, 5000);
    assert_int_equal(fx->n_got, m.n);
    assert_int_equal(fx->server.n_channel_rejected, 1);
    fx_finish(fx);
}

/* A peer holding the key sends the one-packet crash of libraft 0.15 (an
 * AppendEntries with one entry of type 0xff) after a valid heartbeat: the
 * heartbeat is delivered, the bad message is not, the connection closes. */
static void test_keyed_malformed(void **state)
{
    struct fx *fx = fx_start(RELAY_FORWARD, true);
    static const uint8_t t[] = {0xff};
    static const uint32_t l[] = {8};
    struct msg hb = heartbeat();
    struct msg bad = {.n = 0};
    (void)state;
    append_entries(&bad, 1, t, l);
    cli_send(fx, hb.b, hb.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->n_got == hb.n, 5000);
    cli_send(fx, bad.b, bad.n);
    LOOP_RUN_UNTIL(&fx->loop, fx->srv_eof, 5000);
    assert_int_equal(fx->n_got, hb.n);
    assert_int_equal(fx->server.n_channel_rejected, 1);
    fx_finish(fx);
}

/****** allow_from ******/

static void allow_add(struct cfg_cluster *cc, int family, const char *ip,
                      uint8_t prefix)
{
    struct cfg_ip *a = &cc->allow_from[cc->n_allow_from];
    a->family = family;
    assert_int_equal(inet_pton(family, ip, a->bytes), 1);
    cc->allow_from_prefix[cc->n_allow_from++] = prefix;
}

/* Prefix matching on both families, IPv4-mapped sources as IPv4, and no
 * list at all allows everyone. */
static void test_allow_match(void **state)
{
    struct vr_transport t;
    struct cfg_cluster cc;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    (void)state;

    memset(&t, 0, sizeof t);
    memset(&cc, 0, sizeof cc);
    uv_ip4_addr("10.1.2.3", 5405, &in);
    assert_true(vr_transport_allowed(&t, (struct sockaddr *)&in));
    allow_add(&cc, AF_INET, "10.1.0.0", 16);
    allow_add(&cc, AF_INET6, "fd00::", 8);
    vr_transport_allow_from(&t, &cc);
    assert_true(vr_transport_allowed(&t, (struct sockaddr *)&in));
    uv_ip4_addr("10.2.2.3", 5405, &in);
    assert_false(vr_transport_allowed(&t, (struct sockaddr *)&in));
    uv_ip6_addr("fd12::1", 5405, &in6);
    assert_true(vr_transport_allowed(&t, (struct sockaddr *)&in6));
    uv_ip6_addr("fe80::1", 5405, &in6);
    assert_false(vr_transport_allowed(&t, (struct sockaddr *)&in6));
    uv_ip6_addr("::ffff:10.1.9.9", 5405, &in6);
    assert_true(vr_transport_allowed(&t, (struct sockaddr *)&in6));
    uv_ip6_addr("::ffff:10.9.9.9", 5405, &in6);
    assert_false(vr_transport_allowed(&t, (struct sockaddr *)&in6));
}

struct allow_fx
{
    int status;
    bool done, accepted;
};

static void allow_connect_cb(struct vr_rpc_connect *req, uv_stream_t *s,
                             int status)
{
    struct allow_fx *a = req->data;
    a->status = status;
    a->done = true;
    if (s != NULL) {
        uv_close((uv_handle_t *)s, free_cb);
    }
}

static void allow_accept_cb(void *data, uv_stream_t *s,
                            const struct vr_preamble *p)
{
    struct allow_fx *a = data;
    (void)p;
    a->accepted = true;
    uv_close((uv_handle_t *)s, free_cb);
}

/* A server that allows only 10.0.0.0/8 closes a connection from
 * 127.0.0.1 before the handshake: nothing is accepted, it is counted. */
static void test_allow_refuses(void **state)
{
    uv_loop_t loop;
    struct vr_transport srv, cli;
    struct vr_rpc_connect req;
    struct cfg_cluster cc;
    struct allow_fx a = {0, false, false};
    char srv_addr[32];
    unsigned base = test_port(20);
    (void)state;

    snprintf(srv_addr, sizeof srv_addr, "127.0.0.1:%u", base);
    memset(&cc, 0, sizeof cc);
    allow_add(&cc, AF_INET, "10.0.0.0", 8);
    assert_int_equal(uv_loop_init(&loop), 0);
    vr_transport_init(&srv, &loop);
    vr_transport_init(&cli, &loop);
    vr_transport_set_key(&srv, key);
    vr_transport_set_key(&cli, key);
    vr_transport_allow_from(&srv, &cc);
    vr_transport_set_rpc_cb(&srv, allow_accept_cb, &a);
    assert_int_equal(srv.raft.init(&srv.raft, 1, srv_addr), 0);
    assert_int_equal(cli.raft.init(&cli.raft, 2, "127.0.0.1:1"), 0);
    assert_int_equal(srv.raft.listen(&srv.raft, srv_accept_cb), 0);
    req.data = &a;
    assert_int_equal(vr_transport_connect_rpc(&cli, &req, srv_addr,
                                              allow_connect_cb),
                     0);
    LOOP_RUN_UNTIL(&loop, a.done, 5000);
    assert_true(a.status != 0);
    assert_false(a.accepted);
    assert_int_equal(srv.n_not_allowed, 1);
    vr_transport_close(&srv, closed_cb);
    vr_transport_close(&cli, closed_cb);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_wire_valid),
        cmocka_unit_test(test_wire_malformed),
        cmocka_unit_test(test_relay_forward),
        cmocka_unit_test(test_relay_inject),
        cmocka_unit_test(test_relay_flip),
        cmocka_unit_test(test_relay_replay),
        cmocka_unit_test(test_keyed_malformed),
        cmocka_unit_test(test_allow_match),
        cmocka_unit_test(test_allow_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
