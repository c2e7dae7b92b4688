/* Unit tests of the one track-weight rule (src/track_weight.c), used by the
 * NODE record (raft/cluster.c) and by `vipd -t` (src/health_config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "src/track_weight.h"

static void test_defaults_and_overrides(void **state)
{
    struct vip_config cfg;
    struct cfg_script sc;
    struct cfg_track_file tf;
    struct cfg_track t;
    bool rev = true;
    (void)state;

    memset(&cfg, 0, sizeof cfg);
    memset(&sc, 0, sizeof sc);
    memset(&tf, 0, sizeof tf);
    strcpy(sc.name, "chk");
    sc.weight = -20;
    sc.weight_reverse = true;
    strcpy(tf.name, "f");
    tf.weight = 5;
    tf.weight_reverse = true;
    cfg.scripts = &sc;
    cfg.n_scripts = 1;
    cfg.track_files = &tf;
    cfg.n_track_files = 1;

    memset(&t, 0, sizeof t);
    strcpy(t.name, "chk");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_SCRIPT, &t, &rev), -20);
    assert_true(rev);
    t.has_weight = true;
    t.weight = 30;
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_SCRIPT, &t, &rev), 30);
    assert_false(rev);

    /* A track_file's own `reverse` is its default too (the NODE record
     * once dropped it while `vipd -t` kept it). */
    memset(&t, 0, sizeof t);
    strcpy(t.name, "f");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_FILE, &t, &rev), 5);
    assert_true(rev);
    strcpy(t.name, "unknown");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_FILE, &t, &rev), 1);
    assert_false(rev);

    strcpy(t.name, "eth0");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_INTERFACE, &t, &rev), 0);
    t.has_weight = true;
    t.weight = -10;
    t.weight_reverse = true;
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_INTERFACE, &t, &rev), -10);
    assert_true(rev);
}

/* A vrrp_track_process's own weight and reverse are the default; keepalived
 * gives an unknown one weight 1. */
static void test_process(void **state)
{
    struct vip_config cfg;
    struct cfg_track_process tp;
    struct cfg_track t;
    bool rev = false;
    (void)state;

    memset(&cfg, 0, sizeof cfg);
    memset(&tp, 0, sizeof tp);
    strcpy(tp.name, "haproxy");
    tp.weight = -60;
    tp.weight_reverse = true;
    cfg.track_processes = &tp;
    cfg.n_track_processes = 1;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "haproxy");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_PROCESS, &t, &rev), -60);
    assert_true(rev);
    t.has_weight = true;
    t.weight = 7;
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_PROCESS, &t, &rev), 7);
    assert_false(rev);
    memset(&t, 0, sizeof t);
    strcpy(t.name, "other");
    assert_int_equal(track_weight_of(&cfg, TRACK_OF_PROCESS, &t, &rev), 1);
    assert_false(rev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_overrides),
        cmocka_unit_test(test_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
