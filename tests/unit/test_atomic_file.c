/* Atomic small-file writes (raft/atomic_file.h): the content arrives
 * whole, replaces the old one, and a leftover NAME.tmp of a crash (even a
 * symbolic link planted there) neither blocks the write nor is followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/atomic_file.h"

static char *slurp(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_write(void **state)
{
    char dir[] = "/tmp/vatomXXXXXX";
    char path[128], tmp[140], victim[140], errmsg[VIP_ERRMSG_SIZE];
    struct stat st;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/node-id", dir);
    snprintf(tmp, sizeof tmp, "%s/node-id.tmp", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    assert_int_equal(atomic_file_write(dir, "node-id", "7\n", 2, errmsg), 0);
    assert_string_equal(slurp(path), "7\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* A crash's leftover, as a link to another file: not followed. */
    {
        FILE *f = fopen(victim, "w");
        fputs("keep", f);
        fclose(f);
    }
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(atomic_file_write(dir, "node-id", "12\n", 3, errmsg), 0);
    assert_string_equal(slurp(path), "12\n");
    assert_string_equal(slurp(victim), "keep");
    assert_int_equal(access(tmp, F_OK), -1);
    /* An unwritable place: an error naming the file, the old one kept. */
    assert_true(atomic_file_write("/nonexistent/vh", "node-id", "1\n", 2,
                                  errmsg) < 0);
    assert_non_null(strstr(errmsg, "/nonexistent/vh/node-id"));
    unlink(path);
    unlink(victim);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
