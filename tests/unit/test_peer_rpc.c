/* Peer RPC framing: round trips, every truncation, junk, and the reply
 * body codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raft/peer_rpc.h"

static size_t frame(uint8_t *buf, uint8_t type, uint64_t id, const char *body)
{
    size_t n = strlen(body);
    assert_int_equal(vr_rpc_header_encode(type, id, n, buf), 0);
    memcpy(buf + VR_RPC_HEADER, body, n);
    return VR_RPC_HEADER + n;
}

/* A frame decodes to its type, id and body; two frames back to back are
 * split where they meet. */
static void test_frame_roundtrip(void **state)
{
    uint8_t buf[256];
    struct vr_rpc_frame f;
    size_t used = 0;
    size_t a = frame(buf, VR_RPC_PROPOSE, 0xfedcba9876543210ull, "entry");
    size_t b = frame(buf + a, VR_RPC_ERROR, 3, "");
    (void)state;

    assert_int_equal(vr_rpc_decode(buf, a + b, &f, &used), 0);
    assert_int_equal(used, a);
    assert_int_equal(f.type, VR_RPC_PROPOSE);
    assert_true(f.req_id == 0xfedcba9876543210ull);
    assert_int_equal(f.body_len, 5);
    assert_memory_equal(f.body, "entry", 5);
    assert_int_equal(vr_rpc_decode(buf + a, b, &f, &used), 0);
    assert_int_equal(used, VR_RPC_HEADER);
    assert_int_equal(f.type, VR_RPC_ERROR);
    assert_int_equal(f.body_len, 0);
}

/* Every prefix of a frame asks for more (with a growing, bounded need). */
static void test_frame_truncated(void **state)
{
    uint8_t buf[256];
    struct vr_rpc_frame f;
    size_t len = frame(buf, VR_RPC_PROPOSE, 1, "some body bytes");
    (void)state;

    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n > 0 ? n : 1);
        size_t used = 0;
        memcpy(copy, buf, n);
        assert_int_equal(vr_rpc_decode(copy, n, &f, &used), 1);
        assert_true(used > n && used <= len);
        free(copy);
    }
}

/* Bad lengths, versions, type 0 and flags are rejected; random bytes never
 * crash and never yield a frame longer than the input. */
static void test_frame_junk(void **state)
{
    uint8_t buf[256], bad[256];
    struct vr_rpc_frame f;
    size_t used;
    size_t len = frame(buf, VR_RPC_PROPOSE, 1, "x");
    (void)state;

    memcpy(bad, buf, len);
    bad[0] = 3; /* length below the header */
    bad[1] = bad[2] = bad[3] = 0;
    assert_int_equal(vr_rpc_decode(bad, len, &f, &used), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[3] = 0x7f; /* far above VR_RPC_FRAME_MAX */
    assert_int_equal(vr_rpc_decode(bad, 4, &f, &used), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[4] = 9; /* version */
    assert_int_equal(vr_rpc_decode(bad, 5, &f, &used), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[5] = 0; /* type */
    assert_int_equal(vr_rpc_decode(bad, len, &f, &used), VIP_EPROTO);
    memcpy(bad, buf, len);
    bad[6] = 1; /* flags */
    assert_int_equal(vr_rpc_decode(bad, len, &f, &used), VIP_EPROTO);

    srand(7);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand() % sizeof bad;
        for (size_t k = 0; k < n; k++) {
            bad[k] = (uint8_t)rand();
        }
        if (i % 2) {
            bad[0] = (uint8_t)(rand() % 64); /* plausible lengths too */
            bad[1] = bad[2] = bad[3] = 0;
            bad[4] = VR_RPC_VERSION;
            bad[6] = bad[7] = 0;
        }
        int rv = vr_rpc_decode(bad, n, &f, &used);
        assert_true(rv == 0 || rv == 1 || rv == VIP_EPROTO);
        if (rv == 0) {
            assert_true(used <= n);
            assert_true(f.body + f.body_len <= bad + n);
        }
    }
}

/* Bodies too large for a frame are refused. */
static void test_frame_too_big(void **state)
{
    uint8_t hdr[VR_RPC_HEADER];
    (void)state;
    assert_int_equal(vr_rpc_header_encode(1, 1,
                                          VR_RPC_FRAME_MAX - VR_RPC_HEADER,
                                          hdr),
                     0);
    assert_int_equal(vr_rpc_header_encode(1, 1,
                                          VR_RPC_FRAME_MAX - VR_RPC_HEADER + 1,
                                          hdr),
                     VIP_ERANGE);
}

/* The reply body round-trips; wrong lengths, positive statuses and
 * unprintable addresses are rejected. */
static void test_reply_codec(void **state)
{
    struct vr_rpc_reply r, out;
    uint8_t buf[14 + VR_RPC_ADDR_MAX];
    size_t len;
    (void)state;

    memset(&r, 0, sizeof r);
    r.status = VIP_ENOTLEADER;
    r.leader_id = 3;
    snprintf(r.leader_address, sizeof r.leader_address, "[fd00::3]:5405");
    assert_int_equal(vr_rpc_reply_encode(&r, buf, sizeof buf, &len), 0);
    assert_int_equal(vr_rpc_reply_decode(buf, len, &out), 0);
    assert_int_equal(out.status, VIP_ENOTLEADER);
    assert_true(out.leader_id == 3);
    assert_string_equal(out.leader_address, "[fd00::3]:5405");

    for (size_t n = 0; n < len; n++) {
        assert_int_equal(vr_rpc_reply_decode(buf, n, &out), VIP_EPROTO);
    }
    uint8_t more[sizeof buf + 1];
    memcpy(more, buf, len);
    more[len] = 'x';
    assert_int_equal(vr_rpc_reply_decode(more, len + 1, &out), VIP_EPROTO);
    buf[0] = 1; /* status +1 (little-endian low byte, rest 0xff..) */
    buf[1] = buf[2] = buf[3] = 0;
    assert_int_equal(vr_rpc_reply_decode(buf, len, &out), VIP_EPROTO);
    r.status = 0;
    assert_int_equal(vr_rpc_reply_encode(&r, buf, sizeof buf, &len), 0);
    buf[14] = 0x01;
    assert_int_equal(vr_rpc_reply_decode(buf, len, &out), VIP_EPROTO);
    assert_int_equal(vr_rpc_reply_encode(&r, buf, 10, &len), VIP_ERANGE);
}

/* The status body round-trips, tolerates appended fields, and rejects
 * truncation and impossible values. */
static void test_status_codec(void **state)
{
    struct vr_rpc_status st, out;
    uint8_t buf[VR_RPC_STATUS_SIZE + 8];
    (void)state;

    memset(&st, 0, sizeof st);
    st.id = 2;
    st.role = 3;
    st.holds = true;
    st.term = 9;
    st.commit_index = 120;
    st.applied_index = 119;
    st.leader_id = 2;
    vr_rpc_status_encode(&st, buf);
    memset(buf + VR_RPC_STATUS_SIZE, 0xaa, 8);
    assert_int_equal(vr_rpc_status_decode(buf, sizeof buf, &out), 0);
    assert_memory_equal(&st.term, &out.term, sizeof st.term);
    assert_true(out.id == 2 && out.role == 3 && out.holds &&
                out.commit_index == 120 && out.applied_index == 119 &&
                out.leader_id == 2);
    for (size_t n = 0; n < VR_RPC_STATUS_SIZE; n++) {
        assert_int_equal(vr_rpc_status_decode(buf, n, &out), VIP_EPROTO);
    }
    buf[8] = 4; /* role */
    assert_int_equal(vr_rpc_status_decode(buf, sizeof buf, &out), VIP_EPROTO);
    vr_rpc_status_encode(&st, buf);
    buf[9] = 2; /* unknown flag */
    assert_int_equal(vr_rpc_status_decode(buf, sizeof buf, &out), VIP_EPROTO);
    st.applied_index = 121; /* applied beyond commit */
    vr_rpc_status_encode(&st, buf);
    assert_int_equal(vr_rpc_status_decode(buf, sizeof buf, &out), VIP_EPROTO);
    st.applied_index = 1;
    st.id = 0;
    vr_rpc_status_encode(&st, buf);
    assert_int_equal(vr_rpc_status_decode(buf, sizeof buf, &out), VIP_EPROTO);
}

/****** A peer that never reads ******/

static void never_frame_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    (void)c;
    (void)f;
}

static void cut_closed_cb(struct vr_rpc_conn *c, int status)
{
    int *out = c->data;
    *out = status;
}

/* Replies to a peer that reads nothing pile up to VR_RPC_QUEUE_MAX, then
 * the connection is closed: the queue is bounded. */
static void test_queue_bounded(void **state)
{
    uv_loop_t loop;
    uv_pipe_t *p = malloc(sizeof *p);
    struct vr_rpc_conn *c;
    static uint8_t body[60000];
    int fds[2];
    int closed = 1;
    int rv = 0;
    unsigned n;
    (void)state;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    uv_pipe_init(&loop, p, 0);
    assert_int_equal(uv_pipe_open(p, fds[0]), 0);
    c = vr_rpc_conn_alloc((uv_stream_t *)p, &closed, never_frame_cb,
                          cut_closed_cb);
    assert_non_null(c);
    for (n = 0; n < 1000 && rv == 0; n++) {
        rv = vr_rpc_conn_send(c, VR_RPC_PROPOSE_REPLY, n, body, sizeof body);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(rv, VIP_ERANGE);
    /* The kernel buffers some; the rest is our bounded queue. */
    assert_true((size_t)n * sizeof body < VR_RPC_QUEUE_MAX + (8u << 20));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(closed, VIP_ERANGE);
    close(fds[1]);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_roundtrip),
        cmocka_unit_test(test_frame_truncated),
        cmocka_unit_test(test_frame_junk),
        cmocka_unit_test(test_frame_too_big),
        cmocka_unit_test(test_reply_codec),
        cmocka_unit_test(test_status_codec),
        cmocka_unit_test(test_queue_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
