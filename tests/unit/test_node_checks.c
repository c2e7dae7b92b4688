/* Unit tests of the host checks of src/node_checks.c: each check passes on
 * what a node needs and fails, with a message naming the culprit, on what
 * it cannot use. Loopback and TEST-NET addresses only (bind, no traffic). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "src/node_checks.h"
#include "vipd/error.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vipd-nc.XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_data_dir(void **state)
{
    char errmsg[VIP_ERRMSG_SIZE];
    char path[128];
    FILE *f;
    (void)state;

    assert_int_equal(node_check_data_dir(dir, errmsg), 0);
    /* The check leaves nothing behind. */
    snprintf(path, sizeof path, "ls -A '%s' | grep -q .", dir);
    assert_int_not_equal(system(path), 0);
    /* A file where the directory should be (root writes anywhere, so a
     * mode bit would not do). */
    snprintf(path, sizeof path, "%s/file", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(node_check_data_dir(path, errmsg), -ENOTDIR);
    assert_non_null(strstr(errmsg, "is not writable"));
    assert_non_null(strstr(errmsg, path));
}

static void test_key(void **state)
{
    char errmsg[VIP_ERRMSG_SIZE];
    char path[128];
    FILE *f;
    (void)state;

    snprintf(path, sizeof path, "%s/key", dir);
    assert_int_not_equal(node_check_key(path, errmsg), 0);
    assert_non_null(strstr(errmsg, path));
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", "00112233445566778899aabbccddeeff"
                       "00112233445566778899aabbccddeeff");
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(node_check_key(path, errmsg), 0);
    assert_int_equal(chmod(path, 0644), 0); /* others may read: refused */
    assert_int_not_equal(node_check_key(path, errmsg), 0);
}

static void test_listen(void **state)
{
    char errmsg[VIP_ERRMSG_SIZE];
    struct cfg_cluster cc;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd;
    (void)state;

    /* A port something listens on: in use. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    memset(&cc, 0, sizeof cc);
    snprintf(cc.listen_host, sizeof cc.listen_host, "127.0.0.1");
    cc.listen_port = ntohs(sa.sin_port);
    assert_int_equal(node_check_listen(&cc, errmsg), -EADDRINUSE);
    assert_non_null(strstr(errmsg, "cannot listen on 127.0.0.1:"));
    close(fd);
    /* Free again: fine. */
    assert_int_equal(node_check_listen(&cc, errmsg), 0);
    /* Not an address of this host (TEST-NET-1). */
    snprintf(cc.listen_host, sizeof cc.listen_host, "192.0.2.1");
    assert_int_equal(node_check_listen(&cc, errmsg), -EADDRNOTAVAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_dir),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_listen),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
