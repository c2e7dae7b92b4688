/* Unit tests of the pre-vote guard (raft/prevote.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "raft/prevote.h"

/* Pre-vote stays on while a leader is known, and for stuck_ms without. */
static void test_on_while_leader_known(void **state)
{
    struct prevote_guard g;
    (void)state;
    prevote_guard_init(&g, 5000, 2000);
    for (uint64_t t = 0; t < 60000; t += 100) {
        assert_true(prevote_guard_update(&g, t, true, true));
    }
    assert_true(prevote_guard_update(&g, 60000, false, true));
    assert_true(prevote_guard_update(&g, 64999, false, true));
}

/* Leaderless: off for window_ms after stuck_ms, then on for stuck_ms, and
 * so on; a known leader resets the cycle. */
static void test_cycle(void **state)
{
    struct prevote_guard g;
    (void)state;
    prevote_guard_init(&g, 5000, 2000);
    assert_true(prevote_guard_update(&g, 1000, false, true)); /* since 1000 */
    assert_true(prevote_guard_update(&g, 5999, false, true));
    assert_false(prevote_guard_update(&g, 6000, false, true));
    assert_false(prevote_guard_update(&g, 7999, false, true));
    assert_true(prevote_guard_update(&g, 8000, false, true));
    assert_true(prevote_guard_update(&g, 12999, false, true));
    assert_false(prevote_guard_update(&g, 13000, false, true));
    assert_true(prevote_guard_update(&g, 13500, true, true));  /* leader seen */
    assert_true(prevote_guard_update(&g, 14000, false, true)); /* since 14000 */
    assert_true(prevote_guard_update(&g, 18999, false, true));
    assert_false(prevote_guard_update(&g, 19000, false, true));
}

/* A zero window disables the guard; a clock going back does not wrap. */
static void test_edges(void **state)
{
    struct prevote_guard g;
    (void)state;
    prevote_guard_init(&g, 100, 0);
    assert_true(prevote_guard_update(&g, 0, false, true));
    assert_true(prevote_guard_update(&g, 100000, false, true));
    prevote_guard_init(&g, 100, 50);
    assert_true(prevote_guard_update(&g, 1000, false, true));
    assert_true(prevote_guard_update(&g, 500, false, true));
    assert_false(prevote_guard_update(&g, 1100, false, true));
}

/* Cut off from a majority: pre-vote stays on however long it lasts, and
 * the stuck time counts only while a majority is heard again. */
static void test_on_while_cut_off(void **state)
{
    struct prevote_guard g;
    (void)state;
    prevote_guard_init(&g, 5000, 2000);
    for (uint64_t t = 0; t < 60000; t += 100) {
        assert_true(prevote_guard_update(&g, t, false, false));
    }
    assert_true(prevote_guard_update(&g, 60000, false, true)); /* since */
    assert_true(prevote_guard_update(&g, 64999, false, true));
    assert_false(prevote_guard_update(&g, 65000, false, true));
    assert_true(prevote_guard_update(&g, 65100, false, false));
    assert_true(prevote_guard_update(&g, 65200, false, true)); /* since */
    assert_false(prevote_guard_update(&g, 70200, false, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_on_while_leader_known),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_on_while_cut_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
