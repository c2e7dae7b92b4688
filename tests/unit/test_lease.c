/* Unit tests of the lease arithmetic (raft/lease.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "raft/lease.h"
#include "vipd/error.h"

/* T = 1000, heartbeat 100: L = 700, renew every 233 ms. */
static struct lease_params params(uint32_t wait_ms, uint32_t strict_ms)
{
    struct lease_params p;
    assert_int_equal(lease_params_derive(&p, 1000, 100, wait_ms, strict_ms), 0);
    return p;
}

/* A leader of @term at @now that sent one renewal and saw it commit. */
static void hold_from(struct lease *l, uint64_t now, uint64_t term)
{
    assert_true(lease_tick(l, now, true, term));
    lease_renewal_sent(l, now, term);
    lease_renewal_committed(l, now, term);
}

/* The derived parameters keep L below T with margin, renew at L/3. */
static void test_derive(void **state)
{
    struct lease_params p;
    (void)state;
    assert_int_equal(lease_params_derive(&p, 1000, 100, 0, 0), 0);
    assert_int_equal(p.lease_ms, 700);
    assert_int_equal(p.renew_ms, 233);
    assert_int_equal(p.max_in_flight, 4);
    assert_int_equal(lease_params_check(&p, 1000), 0);
    assert_int_equal(lease_params_check(&p, 700), VIP_EINVAL); /* L >= T */
    assert_int_equal(lease_params_derive(&p, 1000, 1000, 0, 0), VIP_EINVAL);
    assert_int_equal(lease_params_derive(&p, 1000, 0, 0, 0), VIP_EINVAL);
    assert_int_equal(lease_params_derive(&p, 10, 8, 0, 0), VIP_EINVAL);
    p.lease_ms = 700;
    p.renew_ms = 300; /* > L/3 */
    assert_int_equal(lease_params_check(&p, 1000), VIP_EINVAL);
}

/* A follower never renews and never holds. */
static void test_follower(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    assert_false(lease_tick(&l, 100, false, 3));
    lease_renewal_committed(&l, 100, 3);
    assert_int_equal(lease_holds_until(&l, 100), 0);
    assert_int_equal(lease_next_wake(&l, 100), UINT64_MAX);
}

/* A new leader holds only once its first renewal commits, until t_send+L. */
static void test_first_commit(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    assert_true(lease_tick(&l, 1000, true, 5));
    lease_renewal_sent(&l, 1000, 5);
    assert_false(lease_tick(&l, 1010, true, 5));
    assert_int_equal(lease_holds_until(&l, 1010), 0);
    lease_renewal_committed(&l, 1000, 5);
    assert_int_equal(lease_holds_until(&l, 1020), 1700);
    assert_int_equal(lease_holds_until(&l, 1699), 1700);
    assert_int_equal(lease_holds_until(&l, 1700), 0);
}

/* One entry per term: once it committed, no more are due, and
 * acknowledged AppendEntries extend the lease from their send time. */
static void test_acked_renewals(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 0, 1);
    assert_false(lease_tick(&l, 233, true, 1));
    assert_false(lease_tick(&l, 5000, true, 1));
    assert_int_equal(lease_holds_until(&l, 300), 700);
    lease_acked(&l, 233, 1);
    assert_int_equal(lease_holds_until(&l, 300), 933);
    /* An older bound never shortens the lease. */
    lease_acked(&l, 100, 1);
    assert_int_equal(lease_holds_until(&l, 300), 933);
    /* Another term's acknowledgements prove nothing. */
    lease_acked(&l, 500, 2);
    assert_int_equal(lease_holds_until(&l, 300), 933);
    /* Without fresh acknowledgements the lease runs out. */
    assert_int_equal(lease_holds_until(&l, 933), 0);
}

/* Acknowledgements before the term's entry committed do not hold: a new
 * leader commits once in its term first. */
static void test_acked_needs_commit(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    assert_true(lease_tick(&l, 1000, true, 5));
    lease_renewal_sent(&l, 1000, 5);
    lease_acked(&l, 1010, 5);
    assert_int_equal(lease_holds_until(&l, 1020), 0);
    lease_renewal_committed(&l, 1000, 5);
    lease_acked(&l, 1010, 5);
    assert_int_equal(lease_holds_until(&l, 1020), 1710);
}

/* No more than max_in_flight renewals are outstanding; answers free slots. */
static void test_in_flight(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    uint64_t t = 0;
    (void)state;
    lease_init(&l, &p);
    for (unsigned i = 0; i < p.max_in_flight; i++) {
        assert_true(lease_tick(&l, t, true, 2));
        lease_renewal_sent(&l, t, 2);
        t += p.renew_ms;
    }
    assert_false(lease_tick(&l, t, true, 2));
    lease_renewal_failed(&l, 0, 2);
    assert_true(lease_tick(&l, t, true, 2));
    /* Nothing committed: still not holding. */
    assert_int_equal(lease_holds_until(&l, t), 0);
}

/* Losing the leader role ends the lease at once. */
static void test_role_loss(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 0, 1);
    assert_int_equal(lease_holds_until(&l, 10), 700);
    assert_false(lease_tick(&l, 20, false, 1));
    assert_int_equal(lease_holds_until(&l, 20), 0);
    /* Leader again in the same term (cannot happen in Raft, but the lease
     * must not resurrect the old commit). */
    assert_true(lease_tick(&l, 30, true, 1));
    assert_int_equal(lease_holds_until(&l, 30), 0);
}

/* A term change ends the lease; commits of the old term prove nothing. */
static void test_term_change(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 0, 1);
    assert_true(lease_tick(&l, 50, true, 2));
    assert_int_equal(lease_holds_until(&l, 50), 0);
    lease_renewal_sent(&l, 50, 2);
    lease_renewal_committed(&l, 10, 1); /* old term */
    assert_int_equal(lease_holds_until(&l, 60), 0);
    lease_renewal_failed(&l, 10, 1); /* old term: no effect on the count */
    assert_int_equal(l.n_in_flight, 1);
    lease_renewal_committed(&l, 50, 2);
    assert_int_equal(lease_holds_until(&l, 60), 750);
}

/* A commit arriving after the node stopped being leader is ignored. */
static void test_commit_after_stepdown(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    assert_true(lease_tick(&l, 0, true, 4));
    lease_renewal_sent(&l, 0, 4);
    assert_false(lease_tick(&l, 10, false, 4));
    lease_renewal_committed(&l, 0, 4);
    assert_int_equal(lease_holds_until(&l, 20), 0);
}

/* W delays the first hold after winning, even with a committed renewal. */
static void test_takeover_wait(void **state)
{
    struct lease_params p = params(300, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 1000, 1);
    assert_int_equal(lease_holds_until(&l, 1100), 0);
    assert_int_equal(lease_next_wake(&l, 1100), 1300);
    assert_int_equal(lease_holds_until(&l, 1299), 0);
    assert_int_equal(lease_holds_until(&l, 1300), 1700);
}

/* Strict mode adds the kernel lifetime bound to W. */
static void test_strict_wait(void **state)
{
    struct lease_params p = params(100, 2000);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 0, 1);
    uint64_t t = 0;
    while (t < 2100) { /* keep renewing through the wait */
        t += p.renew_ms;
        assert_false(lease_tick(&l, t, true, 1));
        lease_acked(&l, t, 1);
        if (t < 2100) {
            assert_int_equal(lease_holds_until(&l, t), 0);
        }
    }
    assert_int_not_equal(lease_holds_until(&l, t), 0);
}

/* Release drops the lease for the term; resume needs a newer commit. */
static void test_release_resume(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    hold_from(&l, 0, 1);
    lease_release(&l);
    assert_int_equal(lease_holds_until(&l, 240), 0);
    assert_false(lease_tick(&l, 600, true, 1));
    lease_acked(&l, 233, 1); /* sent before the release */
    assert_int_equal(lease_holds_until(&l, 610), 0);
    lease_resume(&l, 700);
    assert_true(lease_tick(&l, 700, true, 1)); /* one entry at once */
    lease_renewal_sent(&l, 700, 1);
    lease_acked(&l, 705, 1); /* not before that entry commits */
    assert_int_equal(lease_holds_until(&l, 710), 0);
    lease_renewal_committed(&l, 233, 1); /* still too old */
    assert_int_equal(lease_holds_until(&l, 710), 0);
    lease_renewal_committed(&l, 700, 1);
    assert_int_equal(lease_holds_until(&l, 710), 1400);
    lease_acked(&l, 650, 1); /* sent before the resume */
    assert_int_equal(lease_holds_until(&l, 710), 1400);
    lease_acked(&l, 705, 1);
    assert_int_equal(lease_holds_until(&l, 710), 1405);
    lease_acked(&l, 700, 1);
    assert_int_equal(lease_holds_until(&l, 710), 1405);
    /* A new term clears the release. */
    lease_release(&l);
    hold_from(&l, 2000, 2);
    assert_int_equal(lease_holds_until(&l, 2000), 2700);
}

/* next_wake names the next retry of the term's entry or the lease end,
 * whichever is first. */
static void test_next_wake(void **state)
{
    struct lease_params p = params(0, 0);
    struct lease l;
    (void)state;
    lease_init(&l, &p);
    assert_true(lease_tick(&l, 0, true, 1));
    lease_renewal_sent(&l, 0, 1);
    assert_int_equal(lease_next_wake(&l, 10), 233);
    /* Entries stuck in flight: nothing due. */
    l.n_in_flight = p.max_in_flight;
    assert_int_equal(lease_next_wake(&l, 10), UINT64_MAX);
    l.n_in_flight = 1;
    lease_renewal_committed(&l, 0, 1);
    /* Committed: no entry is due any more, the lease end comes next. */
    assert_int_equal(lease_next_wake(&l, 10), 700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_follower),
        cmocka_unit_test(test_first_commit),
        cmocka_unit_test(test_acked_renewals),
        cmocka_unit_test(test_acked_needs_commit),
        cmocka_unit_test(test_in_flight),
        cmocka_unit_test(test_role_loss),
        cmocka_unit_test(test_term_change),
        cmocka_unit_test(test_commit_after_stepdown),
        cmocka_unit_test(test_takeover_wait),
        cmocka_unit_test(test_strict_wait),
        cmocka_unit_test(test_release_resume),
        cmocka_unit_test(test_next_wake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
