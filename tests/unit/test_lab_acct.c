/* The lab checker's accounting: overlap, zero-holder time, holder changes
 * and per-fault latencies computed from samples and marks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/lab/acct.h"

/* Bits for nodes 1..3 (node k is bit k-1). */
#define N1 (1u << 0)
#define N2 (1u << 1)
#define N3 (1u << 2)

/* A steady single holder accrues neither overlap nor zero time. */
static void test_acct_steady(void **state)
{
    struct acct a;

    (void)state;
    assert_int_equal(acct_init(&a, 3), 0);
    for (int64_t t = 1000; t <= 2000; t += 10) {
        assert_int_equal(acct_sample(&a, t, N1, 0), 0);
    }
    assert_int_equal(a.total_ms, 1000);
    assert_int_equal(a.overlap_ms, 0);
    assert_int_equal(a.zero_ms, 0);
    assert_int_equal(a.changes, 0);
    assert_int_equal(a.max_holders, 1);
    assert_int_equal(a.n_samples, 101);
    assert_int_equal(a.max_gap_ms, 10);
}

/* Time between two samples is charged to the earlier sample's state. */
static void test_acct_overlap_and_zero(void **state)
{
    struct acct a;

    (void)state;
    acct_init(&a, 3);
    acct_sample(&a, 0, N1, ACCT_NO_NODE);
    acct_sample(&a, 100, N1 | N2, ACCT_NO_NODE); /* 100 ms single */
    acct_sample(&a, 130, N2, ACCT_NO_NODE);      /* 30 ms overlap */
    acct_sample(&a, 200, 0, ACCT_NO_NODE);       /* 70 ms single */
    acct_sample(&a, 250, N3, ACCT_NO_NODE);      /* 50 ms zero */
    acct_sample(&a, 260, N1 | N2 | N3, ACCT_NO_NODE);
    acct_sample(&a, 280, N3, ACCT_NO_NODE); /* 20 ms triple */
    assert_int_equal(a.overlap_ms, 50);
    assert_int_equal(a.zero_ms, 50);
    assert_int_equal(a.total_ms, 280);
    assert_int_equal(a.changes, 6);
    assert_int_equal(a.max_holders, 3);
}

/* A fault mark measures the time until a node outside the old holder set
 * holds the VIP, alone, and until the client's ARP entry follows. */
static void test_acct_fault_latency(void **state)
{
    struct acct a;
    const struct acct_segment *s;

    (void)state;
    acct_init(&a, 3);
    acct_sample(&a, 0, N1, 0);
    acct_sample(&a, 10, N1, 0);
    assert_int_equal(acct_mark(&a, 15, 'f'), 0);
    acct_sample(&a, 20, 0, 0);    /* old holder gone */
    acct_sample(&a, 3015, N2, 0); /* new holder after 3000 ms */
    acct_sample(&a, 3025, N2, 1); /* client follows 10 ms later */
    acct_sample(&a, 4015, N2, 1);
    assert_int_equal(a.n_marks, 1);
    s = &a.marks[0];
    assert_int_equal(s->kind, 'f');
    assert_int_equal(s->t, 15);
    assert_int_equal(s->holders_at, N1);
    assert_int_equal(s->new_holder_ms, 3000);
    assert_int_equal(s->single_ms, 3000);
    assert_int_equal(s->client_ms, 3010);
    assert_int_equal(s->zero_ms, 2995);
    assert_int_equal(s->overlap_ms, 0);
    assert_int_equal(s->changes, 2);
    /* The 5 ms between the last sample and the mark stay outside it. */
    assert_int_equal(a.zero_ms, 2995);
    assert_int_equal(a.client_wrong_ms, 10);
    assert_int_equal(a.client_changes, 1);
}

/* A new holder that overlaps the old one counts as new at once but as
 * single only when the old one is gone; marks split overlap by segment. */
static void test_acct_partition_segments(void **state)
{
    struct acct a;

    (void)state;
    acct_init(&a, 3);
    acct_sample(&a, 0, N1, ACCT_NO_NODE);
    acct_mark(&a, 0, 'f');
    acct_sample(&a, 3000, N1 | N2, ACCT_NO_NODE);
    acct_sample(&a, 10000, N1 | N2, ACCT_NO_NODE);
    acct_mark(&a, 10000, 'h');
    acct_sample(&a, 10500, N2, ACCT_NO_NODE);
    acct_sample(&a, 11000, N2, ACCT_NO_NODE);
    assert_int_equal(a.marks[0].new_holder_ms, 3000);
    assert_int_equal(a.marks[0].single_ms, -1);
    assert_int_equal(a.marks[0].overlap_ms, 7000);
    assert_int_equal(a.marks[1].holders_at, N1 | N2);
    assert_int_equal(a.marks[1].overlap_ms, 500);
    assert_int_equal(a.marks[1].new_holder_ms, -1);
    assert_int_equal(a.overlap_ms, 7500);
}

/* A signal noticed after a later sample moves the mark to that sample; a
 * mark before any sample starts at the first sample. */
static void test_acct_mark_clamped(void **state)
{
    struct acct a;

    (void)state;
    acct_init(&a, 2);
    assert_int_equal(acct_mark(&a, 5, 'f'), 0);
    acct_sample(&a, 100, N1, ACCT_NO_NODE);
    assert_int_equal(a.marks[0].t, 0);
    assert_int_equal(a.marks[0].holders_at, N1);
    acct_sample(&a, 200, N1, ACCT_NO_NODE);
    assert_int_equal(acct_mark(&a, 150, 'h'), 0);
    assert_int_equal(a.marks[1].t, 100);
    acct_sample(&a, 300, N2, ACCT_NO_NODE);
    assert_int_equal(a.marks[1].new_holder_ms, 100);
    assert_int_equal(a.total_ms, 200);
}

/* Bad input is rejected without changing the figures. */
static void test_acct_rejects_bad_input(void **state)
{
    struct acct a;

    (void)state;
    assert_int_equal(acct_init(&a, 0), -EINVAL);
    assert_int_equal(acct_init(&a, ACCT_MAX_NODES + 1), -EINVAL);
    acct_init(&a, 3);
    assert_int_equal(acct_sample(&a, 100, N1, 0), 0);
    assert_int_equal(acct_sample(&a, 50, N1, 0), -EINVAL);
    assert_int_equal(acct_sample(&a, 200, 1u << 3, 0), -EINVAL);
    assert_int_equal(acct_sample(&a, 200, N1, 3), -EINVAL);
    assert_int_equal(acct_sample(&a, 200, N1, -2), -EINVAL);
    assert_int_equal(a.n_samples, 1);
    assert_int_equal(a.total_ms, 0);
    for (int i = 0; i < ACCT_MAX_MARKS; i++) {
        assert_int_equal(acct_mark(&a, 100, 'f'), 0);
    }
    assert_int_equal(acct_mark(&a, 100, 'f'), -ENOSPC);
}

/* With several VIPs: the move completes when a new node holds all of them;
 * overlap is a VIP on two nodes, not two nodes holding disjoint parts. */
static void test_acct_many_vips(void **state)
{
    struct acct a;
    const struct acct_segment *s;

    (void)state;
    acct_init(&a, 3);
    assert_int_equal(acct_sample_multi(&a, 0, N1, N1, false, ACCT_NO_NODE), 0);
    acct_mark(&a, 0, 'f');
    acct_sample_multi(&a, 100, N2, 0, false, ACCT_NO_NODE);  /* partial */
    acct_sample_multi(&a, 150, N2, N2, false, ACCT_NO_NODE); /* complete */
    acct_sample_multi(&a, 200, N2 | N3, N2, true, ACCT_NO_NODE);
    acct_sample_multi(&a, 230, N2, N2, false, ACCT_NO_NODE);
    acct_sample_multi(&a, 300, N2 | N3, 0, false, ACCT_NO_NODE); /* split */
    acct_sample_multi(&a, 320, N3, N3, false, ACCT_NO_NODE);
    s = &a.marks[0];
    assert_int_equal(s->new_holder_ms, 100);
    assert_int_equal(s->complete_ms, 150);
    assert_int_equal(s->overlap_ms, 30);
    assert_int_equal(a.overlap_ms, 30);
    assert_int_equal(a.zero_ms, 0);
    assert_int_equal(a.max_holders, 2);
    /* One VIP: complete_ms equals new_holder_ms. */
    acct_init(&a, 2);
    acct_sample(&a, 0, N1, ACCT_NO_NODE);
    acct_mark(&a, 0, 'f');
    acct_sample(&a, 40, N2, ACCT_NO_NODE);
    assert_int_equal(a.marks[0].complete_ms, 40);
    /* Inconsistent masks are rejected. */
    assert_int_equal(acct_sample_multi(&a, 50, N1, N1 | N2, false, 0), -EINVAL);
    assert_int_equal(acct_sample_multi(&a, 50, N1, N1, true, 0), -EINVAL);
}

static void test_acct_count(void **state)
{
    (void)state;
    assert_int_equal(acct_count(0), 0);
    assert_int_equal(acct_count(N1 | N3), 2);
    assert_int_equal(acct_count(UINT32_MAX), 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acct_steady),
        cmocka_unit_test(test_acct_overlap_and_zero),
        cmocka_unit_test(test_acct_fault_latency),
        cmocka_unit_test(test_acct_partition_segments),
        cmocka_unit_test(test_acct_mark_clamped),
        cmocka_unit_test(test_acct_rejects_bad_input),
        cmocka_unit_test(test_acct_many_vips),
        cmocka_unit_test(test_acct_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
