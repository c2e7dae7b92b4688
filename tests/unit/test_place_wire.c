/* Unit tests of the placement wire format (raft/place_wire.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "raft/place_wire.h"
#include "vipd/error.h"

static void fill_request(struct place_request *q)
{
    memset(q, 0, sizeof *q);
    q->term = 7;
    q->seq = 42;
    q->acked = 41;
    q->n_claims = 2;
    strcpy(q->claims[0], "VI_1");
    strcpy(q->claims[1], "group web");
}

static void fill_reply(struct place_reply *r)
{
    memset(r, 0, sizeof *r);
    r->term = 7;
    r->seq = 42;
    r->grant_ms = 800;
    r->status = 0;
    r->n_granted = 1;
    strcpy(r->granted[0], "VI_1");
    r->n_revoked = 1;
    strcpy(r->revoked[0], "VI_2");
}

static void test_request_round_trip(void **state)
{
    struct place_request q, back;
    uint8_t buf[PLACE_WIRE_MAX];
    size_t n;
    (void)state;
    fill_request(&q);
    n = place_request_encode(&q, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(place_request_decode(buf, n, &back), 0);
    assert_int_equal(back.term, 7);
    assert_int_equal(back.seq, 42);
    assert_int_equal(back.acked, 41);
    assert_int_equal(back.n_claims, 2);
    assert_string_equal(back.claims[1], "group web");
    /* Every truncation and a trailing byte are refused. */
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(place_request_decode(buf, k, &back), VIP_EPROTO);
    }
    buf[n] = 0;
    assert_int_equal(place_request_decode(buf, n + 1, &back), VIP_EPROTO);
}

static void test_reply_round_trip(void **state)
{
    struct place_reply r, back;
    uint8_t buf[PLACE_WIRE_MAX];
    size_t n;
    (void)state;
    fill_reply(&r);
    n = place_reply_encode(&r, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(place_reply_decode(buf, n, &back), 0);
    assert_int_equal(back.grant_ms, 800);
    assert_int_equal(back.n_granted, 1);
    assert_string_equal(back.granted[0], "VI_1");
    assert_int_equal(back.n_revoked, 1);
    assert_string_equal(back.revoked[0], "VI_2");
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(place_reply_decode(buf, k, &back), VIP_EPROTO);
    }
    r.status = VIP_ENOTLEADER;
    r.n_granted = r.n_revoked = 0;
    n = place_reply_encode(&r, buf, sizeof buf);
    assert_int_equal(place_reply_decode(buf, n, &back), 0);
    assert_int_equal(back.status, VIP_ENOTLEADER);
}

/* What the encoder refuses, the decoder refuses too. */
static void test_invalid(void **state)
{
    struct place_request q;
    struct place_reply r;
    uint8_t buf[PLACE_WIRE_MAX];
    size_t n;
    (void)state;

    fill_request(&q);
    q.acked = q.seq; /* acked must be below seq */
    assert_int_equal(place_request_encode(&q, buf, sizeof buf), 0);
    fill_request(&q);
    strcpy(q.claims[1], "VI_1"); /* twice */
    assert_int_equal(place_request_encode(&q, buf, sizeof buf), 0);
    fill_request(&q);
    n = place_request_encode(&q, buf, sizeof buf);
    memcpy(buf + n - 9, "VI_1", 4); /* "group web" -> "VI_1 web"... */
    buf[n - 10] = 4;                /* ... cut to "VI_1": twice */
    assert_int_equal(place_request_decode(buf, n - 5, &q), VIP_EPROTO);
    fill_request(&q);
    q.claims[0][0] = '\n'; /* not printable */
    assert_int_equal(place_request_encode(&q, buf, sizeof buf), 0);
    fill_request(&q);
    q.claims[0][0] = '\0'; /* empty */
    assert_int_equal(place_request_encode(&q, buf, sizeof buf), 0);
    fill_request(&q);
    q.n_claims = PLACE_MAX_UNITS + 1;
    assert_int_equal(place_request_encode(&q, buf, sizeof buf), 0);
    fill_request(&q);
    assert_int_equal(place_request_encode(&q, buf, 10), 0); /* too small */

    fill_reply(&r);
    r.grant_ms = PLACE_WIRE_GRANT_MAX + 1;
    assert_int_equal(place_reply_encode(&r, buf, sizeof buf), 0);
    fill_reply(&r);
    r.status = 1;
    assert_int_equal(place_reply_encode(&r, buf, sizeof buf), 0);
    fill_reply(&r);
    n = place_reply_encode(&r, buf, sizeof buf);
    buf[0] = 2; /* unknown version */
    assert_int_equal(place_reply_decode(buf, n, &r), VIP_EPROTO);
}

/* Random bytes and random mutations of valid messages never crash, and
 * whatever decodes encodes back to the same bytes. */
static void test_random(void **state)
{
    uint8_t buf[PLACE_WIRE_MAX], again[PLACE_WIRE_MAX];
    struct place_request q;
    struct place_reply r;
    (void)state;
    srand(12345);
    for (unsigned round = 0; round < 20000; round++) {
        size_t n;
        if (round % 2 == 0) {
            fill_request(&q);
            n = place_request_encode(&q, buf, sizeof buf);
        } else {
            fill_reply(&r);
            n = place_reply_encode(&r, buf, sizeof buf);
        }
        for (unsigned k = 0; k < 1 + (unsigned)rand() % 4; k++) {
            buf[(size_t)rand() % n] = (uint8_t)rand();
        }
        if (rand() % 4 == 0) {
            n = (size_t)rand() % (n + 1);
        }
        if (place_request_decode(buf, n, &q) == 0) {
            assert_int_equal(place_request_encode(&q, again, sizeof again), n);
            assert_memory_equal(again, buf, n);
        }
        if (place_reply_decode(buf, n, &r) == 0) {
            assert_int_equal(place_reply_encode(&r, again, sizeof again), n);
            assert_memory_equal(again, buf, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
