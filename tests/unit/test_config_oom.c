/* Allocation failure in the config parser: failing the Nth allocation, for
 * every N, gives VIP_ENOMEM (or success when the failed allocation was not
 * needed), never a crash, and leaks nothing (LeakSanitizer checks at exit).
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
 * so the parser's allocations (static library code) come here first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vipd/config.h"
#include "vipd/error.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);

/* The fault injector: the one piece of test-global state, as the wrapped
 * allocator has no context argument. */
static struct
{
    bool armed;
    long countdown; /* allocations left before the failing one */
    long seen;
} inj;

static bool inject(void)
{
    if (!inj.armed) {
        return false;
    }
    inj.seen++;
    return inj.countdown-- == 0;
}

void *__wrap_malloc(size_t size)
{
    return inject() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return inject() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return inject() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return inject() ? NULL : __real_strdup(s);
}

static void count_emit(void *data, bool is_error, const char *line)
{
    (void)is_error;
    (void)line;
    (*(unsigned *)data)++;
}

static const char text[] =
    "global_defs { router_id r\n script_user u g }\n"
    "cluster {\n listen 10.0.0.1:5405\n data_dir /d\n secret_file /k\n"
    " control_socket /s\n}\n"
    "vrrp_script c {\n script \"/bin/true\"\n weight -2\n}\n"
    "vrrp_script t { tcp_check 10.0.0.1:80 }\n"
    "vrrp_script h { http_check http://h/x status 200 }\n"
    "track_file f {\n file /f\n}\n"
    "vrrp_sync_group G {\n group { V W }\n notify \"/n\"\n}\n"
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n"
    " unicast_peer { 10.0.0.2 10.0.0.3 }\n track_script { c weight 3 t }\n"
    " track_interface { eth1 }\n track_file { f }\n"
    " notify_master \"/m\"\n notify_backup /b x\n notify_fault /f\n"
    " notify_stop /s\n"
    " virtual_ipaddress { 10.0.0.9/24 dev eth0 10.0.0.10 }\n"
    " virtual_ipaddress_excluded { ::1 }\n frob\n}\n"
    "vrrp_instance W {\n interface eth1\n virtual_router_id 5\n"
    " virtual_ipaddress { 10.0.1.9 }\n}\n"
    "}\n";

/* Every allocation of a full load fails once, in turn. */
static void test_every_allocation(void **state)
{
    long total;
    (void)state;

    /* Count the allocations of a clean run first. */
    unsigned n_msgs = 0;
    struct cfg_report rep = {.emit = count_emit, .data = &n_msgs};
    struct vip_config cfg;
    inj.armed = true;
    inj.countdown = -1;
    inj.seen = 0;
    int rv =
        vip_config_load_string(&cfg, "t.conf", text, sizeof text - 1, &rep);
    inj.armed = false;
    total = inj.seen;
    vip_config_free(&cfg);
    assert_int_equal(rv, VIP_ECONFIG); /* the stray '}' */
    assert_true(total > 20);

    long n_enomem = 0;
    for (long k = 0; k < total; k++) {
        n_msgs = 0;
        struct cfg_report r = {.emit = count_emit, .data = &n_msgs};
        inj.armed = true;
        inj.countdown = k;
        inj.seen = 0;
        rv = vip_config_load_string(&cfg, "t.conf", text, sizeof text - 1, &r);
        inj.armed = false;
        vip_config_free(&cfg);
        if (rv != VIP_ENOMEM && rv != VIP_ECONFIG) {
            fprintf(stderr, "allocation %ld: rv %d\n", k, rv);
            fail();
        }
        n_enomem += rv == VIP_ENOMEM;
    }
    /* Only allocations the result depends on report VIP_ENOMEM; all do. */
    assert_int_equal(n_enomem, total);
}

/* Failing allocations while reading a real file and its includes. */
static void test_file_allocation(void **state)
{
    char dir[] = "/tmp/vipd-oomtest-XXXXXX";
    char path[256], inc[256];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(inc, sizeof inc, "%s/inc.conf", dir);
    FILE *f = fopen(inc, "w");
    fputs(text, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/main.conf", dir);
    f = fopen(path, "w");
    fputs("! main\ninclude inc*.conf\n", f);
    fclose(f);
    for (long k = 0; k < 400; k++) {
        unsigned n = 0;
        struct cfg_report r = {.emit = count_emit, .data = &n};
        struct vip_config cfg;
        inj.armed = true;
        inj.countdown = k;
        inj.seen = 0;
        int rv = vip_config_load(&cfg, path, &r);
        inj.armed = false;
        vip_config_free(&cfg);
        assert_true(rv == VIP_ENOMEM || rv == VIP_ECONFIG);
    }
    unlink(inc);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation),
        cmocka_unit_test(test_file_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
