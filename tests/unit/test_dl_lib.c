/* Unit tests of run-time library loading (src/dl_lib.c): all symbols or
 * none, and a message naming the Debian package when it fails. Also that
 * vipd itself maps none of the optional libraries at start-up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "src/dl_lib.h"
#include "vipd/error.h"

static void test_loads_every_symbol(void **state)
{
    pid_t (*my_getpid)(void) = NULL;
    size_t (*my_strlen)(const char *) = NULL;
    const struct dl_sym syms[] = {
        {"getpid", &my_getpid},
        {"strlen", &my_strlen},
    };
    char errmsg[VIP_ERRMSG_SIZE] = "";
    (void)state;
    assert_int_equal(dl_lib_load("libc.so.6", "libc6", syms, 2, errmsg), 0);
    assert_non_null(my_getpid);
    assert_int_equal(my_getpid(), getpid());
    assert_int_equal(my_strlen("four"), 4);
}

static void test_missing_library(void **state)
{
    void (*fn)(void) = NULL;
    const struct dl_sym syms[] = {{"nothing", &fn}};
    char errmsg[VIP_ERRMSG_SIZE] = "";
    (void)state;
    assert_int_equal(dl_lib_load("libvipd-none.so.9", "libvipd-none9", syms,
                                 1, errmsg),
                     VIP_ENOENT);
    assert_null(fn);
    assert_non_null(strstr(errmsg, "libvipd-none.so.9"));
    assert_non_null(strstr(errmsg, "install the Debian package libvipd-none9"));
}

/* A missing symbol sets no pointer, not even those found before it. */
static void test_all_or_nothing(void **state)
{
    pid_t (*my_getpid)(void) = NULL;
    void (*fn)(void) = NULL;
    const struct dl_sym syms[] = {
        {"getpid", &my_getpid},
        {"vipd_no_such_symbol", &fn},
    };
    char errmsg[VIP_ERRMSG_SIZE] = "";
    (void)state;
    assert_int_equal(dl_lib_load("libc.so.6", "libc6", syms, 2, errmsg),
                     VIP_ENOENT);
    assert_null(my_getpid);
    assert_null(fn);
    assert_non_null(strstr(errmsg, "vipd_no_such_symbol"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_every_symbol),
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
