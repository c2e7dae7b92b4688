/* Error codes and errmsg helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vipd/error.h"

/* Project codes and errno codes both have descriptions. */
static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(vip_strerror(VIP_ENOTLEADER),
                        "this node is not the leader");
    assert_string_equal(vip_strerror(VIP_ENOMEM), "out of memory");
    assert_string_equal(vip_strerror(-EPIPE), strerror(EPIPE));
    assert_string_equal(vip_strerror(-9999), "unknown error");
}

/* Each layer's context is prefixed, and long messages are truncated. */
static void test_wrap(void **state)
{
    char msg[VIP_ERRMSG_SIZE];
    (void)state;
    errmsg_printf(msg, "open %s", "x");
    errmsg_wrapf(msg, "raft");
    assert_string_equal(msg, "raft: open x");
    for (int i = 0; i < 100; i++) {
        errmsg_wrapf(msg, "layer%d", i);
    }
    assert_int_equal(strlen(msg), VIP_ERRMSG_SIZE - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
