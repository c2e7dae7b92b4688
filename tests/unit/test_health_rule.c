/* Pure health logic: fall/rise smoothing, keepalived's weight arithmetic,
 * the failover rule, and the parsers (command lines, targets, URLs, HTTP
 * status lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "src/check_http.h"
#include "src/check_tcp.h"
#include "src/health.h"
#include "src/health_rule.h"
#include "src/script_cmd.h"

/* Feed a string of results ('1' ok, '0' fail); return the string of
 * reported transitions ('1'/'0' where the state changed, '.' otherwise). */
static const char *feed(struct health_rule *r, const char *results)
{
    static char out[128];
    size_t i;
    for (i = 0; results[i] != '\0' && i < sizeof out - 1; i++) {
        bool changed = health_rule_feed(r, results[i] == '1');
        out[i] = changed ? (r->state == HEALTH_OK ? '1' : '0') : '.';
    }
    out[i] = '\0';
    return out;
}

/****** fall / rise ******/

/* The first result is reported at once whatever rise and fall are. */
static void test_rule_first_result_decides(void **state)
{
    struct health_rule r;
    (void)state;
    health_rule_init(&r, 3, 5);
    assert_int_equal(r.state, HEALTH_UNKNOWN);
    assert_string_equal(feed(&r, "1"), "1");
    health_rule_init(&r, 3, 5);
    assert_string_equal(feed(&r, "0"), "0");
    assert_int_equal(r.state, HEALTH_FAIL);
}

/* An ok check fails after exactly `fall` consecutive failures. */
static void test_rule_fall(void **state)
{
    struct health_rule r;
    (void)state;
    health_rule_init(&r, 3, 2);
    assert_string_equal(feed(&r, "1001000"), "1.....0");
    assert_int_equal(r.state, HEALTH_FAIL);
}

/* A failed check recovers after exactly `rise` consecutive successes, and
 * a failure in between restarts the count. */
static void test_rule_rise(void **state)
{
    struct health_rule r;
    (void)state;
    health_rule_init(&r, 1, 3);
    assert_string_equal(feed(&r, "0110111"), "0.....1");
    assert_int_equal(r.state, HEALTH_OK);
}

/* init_fail: known-failed from the start; the first success does not
 * decide, `rise` successes are needed (keepalived SCRIPT_INIT_STATE_FAILED). */
static void test_rule_start_failed(void **state)
{
    struct health_rule r;
    (void)state;
    health_rule_init(&r, 2, 3);
    health_rule_start_failed(&r);
    assert_int_equal(r.state, HEALTH_FAIL);
    assert_string_equal(feed(&r, "11011"), ".....");
    assert_string_equal(feed(&r, "1"), "1");
}

/* fall 1 / rise 1 reports every flip; repeated results report nothing. */
static void test_rule_one_one(void **state)
{
    struct health_rule r;
    (void)state;
    health_rule_init(&r, 1, 1);
    assert_string_equal(feed(&r, "110001"), "1.0..1");
    health_rule_init(&r, 0, 0); /* treated as 1 */
    assert_int_equal(r.fall, 1);
    assert_int_equal(r.rise, 1);
}

/* Matches keepalived's counter model (result in [0, rise+fall-1], ok iff
 * result >= rise) on every sequence of 12 results for small fall/rise. */
static void test_rule_matches_keepalived_model(void **state)
{
    (void)state;
    for (uint32_t fall = 1; fall <= 4; fall++) {
        for (uint32_t rise = 1; rise <= 4; rise++) {
            for (unsigned bits = 0; bits < (1u << 12); bits++) {
                struct health_rule r;
                health_rule_init(&r, fall, rise);
                int result = (int)rise - 1; /* keepalived's init */
                bool init = true;
                for (int i = 0; i < 12; i++) {
                    bool ok = (bits >> i) & 1;
                    bool reported = false;
                    int top = (int)(rise + fall) - 1;
                    if (ok) {
                        if (result < (int)rise - 1) {
                            result++;
                        } else if (result != top) {
                            if (result < (int)rise) {
                                reported = true;
                            }
                            result = top;
                        }
                    } else {
                        if (result > (int)rise) {
                            result--;
                        } else {
                            if (result == (int)rise || init) {
                                reported = true;
                            }
                            result = 0;
                        }
                    }
                    init = false;
                    bool changed = health_rule_feed(&r, ok);
                    assert_int_equal(changed, reported);
                    assert_int_equal(r.state == HEALTH_OK, result >= (int)rise);
                }
            }
        }
    }
}

/****** weights ******/

/* Positive weights add while ok, negative subtract while failing, 0
 * faults, reverse negates (keepalived vrrp_track.c). */
static void test_weight_delta(void **state)
{
    bool fault;
    (void)state;
    assert_int_equal(health_weight_delta(true, 20, false, &fault), 20);
    assert_false(fault);
    assert_int_equal(health_weight_delta(false, 20, false, &fault), 0);
    assert_int_equal(health_weight_delta(true, -20, false, &fault), 0);
    assert_int_equal(health_weight_delta(false, -20, false, &fault), -20);
    assert_int_equal(health_weight_delta(true, 20, true, &fault), -20);
    assert_int_equal(health_weight_delta(false, -20, true, &fault), 20);
    assert_int_equal(health_weight_delta(false, 0, false, &fault), 0);
    assert_true(fault);
    health_weight_delta(true, 0, false, &fault);
    assert_false(fault);
    health_weight_delta(true, 0, true, &fault);
    assert_true(fault);
    health_weight_delta(false, 0, true, &fault);
    assert_false(fault);
}

/* track_file: value times weight, capped at 253, fault at <= -254; weight
 * 0 faults on non-zero. */
static void test_file_delta(void **state)
{
    bool fault;
    (void)state;
    assert_int_equal(health_file_delta(3, 10, false, &fault), 30);
    assert_false(fault);
    assert_int_equal(health_file_delta(-3, 10, false, &fault), -30);
    assert_int_equal(health_file_delta(3, 10, true, &fault), -30);
    assert_int_equal(health_file_delta(100, 10, false, &fault), 253);
    assert_false(fault);
    assert_int_equal(health_file_delta(-254, 1, false, &fault), 0);
    assert_true(fault);
    assert_int_equal(health_file_delta(-253, 1, false, &fault), -253);
    assert_false(fault);
    assert_int_equal(health_file_delta(INT32_MIN, 253, false, &fault), 0);
    assert_true(fault);
    health_file_delta(0, 0, false, &fault);
    assert_false(fault);
    health_file_delta(7, 0, false, &fault);
    assert_true(fault);
    health_file_delta(0, 0, true, &fault);
    assert_true(fault);
}

/* Effective priority is clamped to [1, 254]; 255 never changes. */
static void test_priority_clamp(void **state)
{
    (void)state;
    assert_int_equal(health_priority_clamp(100, -20), 80);
    assert_int_equal(health_priority_clamp(10, -20), 1);
    assert_int_equal(health_priority_clamp(250, 20), 254);
    assert_int_equal(health_priority_clamp(255, -100), 255);
    assert_int_equal(health_priority_clamp(100, 253 * 3), 254);
}

/* keepalived's failover rule: gap < |weight|; weight 0 always works. */
static void test_can_fail_over(void **state)
{
    (void)state;
    assert_true(health_can_fail_over(100, 90, -20));
    assert_false(health_can_fail_over(100, 80, -20));
    assert_false(health_can_fail_over(100, 50, 20));
    assert_true(health_can_fail_over(100, 99, 2));
    assert_true(health_can_fail_over(200, 1, 0));
}

/* The check names used in HEALTH entries. */
static void test_check_names(void **state)
{
    char buf[HEALTH_NAME_MAX];
    (void)state;
    assert_string_equal(health_check_name(HEALTH_KIND_SCRIPT, "chk", buf),
                        "chk");
    assert_string_equal(health_check_name(HEALTH_KIND_FILE, "f1", buf),
                        "file:f1");
    assert_string_equal(health_check_name(HEALTH_KIND_IFACE, "eth0", buf),
                        "if:eth0");
    enum health_kind kind;
    assert_string_equal(health_name_parse("file:f1", &kind), "f1");
    assert_int_equal(kind, HEALTH_KIND_FILE);
    assert_string_equal(health_name_parse("if:eth0", &kind), "eth0");
    assert_int_equal(kind, HEALTH_KIND_IFACE);
    assert_string_equal(health_name_parse("chk", &kind), "chk");
    assert_int_equal(kind, HEALTH_KIND_SCRIPT);
}

/****** command lines ******/

static void expect_split(const char *line, int n, ...)
{
    struct script_cmd cmd;
    va_list ap;
    assert_int_equal(script_cmd_init(&cmd, line), 0);
    assert_int_equal(cmd.argc, n);
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(cmd.argv[i], va_arg(ap, const char *));
    }
    va_end(ap);
    assert_null(cmd.argv[n]);
    script_cmd_close(&cmd);
}

/* Words, quotes and escapes follow keepalived's
 * alloc_strvec_quoted_escaped(). */
static void test_cmd_split(void **state)
{
    (void)state;
    expect_split("pgrep -x haproxy", 3, "pgrep", "-x", "haproxy");
    expect_split("  /bin/sh   -c  'a | b'  ", 3, "/bin/sh", "-c", "a | b");
    expect_split("echo \"x y\"z'w'", 2, "echo", "x yzw");
    expect_split("echo a\\ b", 2, "echo", "a b");
    expect_split("echo \\x41\\102\\t\\n", 2, "echo", "AB\t\n");
    expect_split("echo \"q\\\"q\" 'it\\'s'", 3, "echo", "q\"q", "it's");
    expect_split("echo ''", 2, "echo", "");
    expect_split("echo \\cA", 2, "echo", "\x01");
}

/* Malformed command lines are rejected with a message. */
static void test_cmd_split_errors(void **state)
{
    struct script_cmd cmd;
    char big[SCRIPT_CMD_MAX_LEN + 2];
    (void)state;
    const char *bad[] = {"",        "   ",      "echo 'open", "echo \"open",
                         "echo \\", "echo \\0", "echo \\x00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(script_cmd_init(&cmd, bad[i]), VIP_EINVAL);
        assert_true(strlen(cmd.errmsg) > 0);
        script_cmd_close(&cmd);
    }
    assert_int_equal(script_cmd_init(&cmd, NULL), VIP_EINVAL);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(script_cmd_init(&cmd, big), VIP_EINVAL);
    char many[SCRIPT_CMD_MAX_ARGS * 2 + 8];
    size_t n = 0;
    for (int i = 0; i <= SCRIPT_CMD_MAX_ARGS; i++) {
        many[n++] = 'a';
        many[n++] = ' ';
    }
    many[n] = '\0';
    assert_int_equal(script_cmd_init(&cmd, many), VIP_EINVAL);
    script_cmd_close(&cmd);
}

/****** targets ******/

static void test_tcp_target(void **state)
{
    char host[64];
    uint16_t port;
    (void)state;
    assert_int_equal(
        check_tcp_parse_target("10.0.0.1:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 80);
    assert_int_equal(
        check_tcp_parse_target("[::1]:8080", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_int_equal(
        check_tcp_parse_target("web.example:65535", host, sizeof host, &port),
        0);
    const char *bad[] = {"",        "host",       "host:",   ":80",
                         "host:0",  "host:65536", "host:8x", "::1:80",
                         "[::1]80", "[::1",       "a b:80",  "h/x:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(
            check_tcp_parse_target(bad[i], host, sizeof host, &port),
            VIP_EINVAL);
    }
    assert_int_equal(check_tcp_parse_target(NULL, host, sizeof host, &port),
                     VIP_EINVAL);
}

static void test_http_url(void **state)
{
    char host[64];
    char path[64];
    uint16_t port;
    (void)state;
    assert_int_equal(
        check_http_parse_url("http://10.0.0.1/health", host, sizeof host, &port,
                             path, sizeof path),
        0);
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 80);
    assert_string_equal(path, "/health");
    assert_int_equal(
        check_http_parse_url("HTTP://[::1]:8080", host, sizeof host, &port,
                             path, sizeof path),
        0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_string_equal(path, "/");
    assert_int_equal(
        check_http_parse_url("https://[::1]/healthz", host, sizeof host, &port,
                             path, sizeof path),
        0);
    assert_int_equal(port, 443);
    assert_string_equal(path, "/healthz");
    assert_int_equal(
        check_http_parse_url("HTTPS://10.0.0.1:6443", host, sizeof host, &port,
                             path, sizeof path),
        0);
    assert_int_equal(port, 6443);
    const char *bad[] = {"https://",          "ftp://x/",    "http://",
                         "http:///x",         "http://u@x/", "http://x/a b",
                         "http://x/\r\nX: y", "http://x:0/", "x/y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(check_http_parse_url(bad[i], host, sizeof host, &port,
                                              path, sizeof path),
                         VIP_EINVAL);
    }
}

/* Status lines are parsed strictly and incrementally. */
static void test_http_status(void **state)
{
    int code = 0;
    (void)state;
#define PARSE(s) check_http_parse_status((s), strlen(s), &code)
    assert_int_equal(PARSE("HTTP/1.1 200 OK\r\n"), 0);
    assert_int_equal(code, 200);
    assert_int_equal(PARSE("HTTP/1.0 503 Service Unavailable\r\nX: y"), 0);
    assert_int_equal(code, 503);
    assert_int_equal(PARSE("HTTP/1.1 204\r\n"), 0);
    assert_int_equal(code, 204);
    assert_int_equal(PARSE(""), -EAGAIN);
    assert_int_equal(PARSE("HTTP/1."), -EAGAIN);
    assert_int_equal(PARSE("HTTP/1.1 200 OK"), -EAGAIN);
    assert_int_equal(PARSE("hello\r\n"), VIP_EPROTO);
    assert_int_equal(PARSE("X"), VIP_EPROTO);
    assert_int_equal(PARSE("HTTP/1.1 2x0 OK\r\n"), VIP_EPROTO);
    assert_int_equal(PARSE("HTTP/1.1 099 OK\r\n"), VIP_EPROTO);
    assert_int_equal(PARSE("HTTP/1.1 600 OK\r\n"), VIP_EPROTO);
    assert_int_equal(PARSE("HTTP/1.1 2000 OK\r\n"), VIP_EPROTO);
    assert_int_equal(PARSE("HTTP/1.1 20\r\n"), VIP_EPROTO);
    char big[CHECK_HTTP_MAX_LINE + 10];
    memcpy(big, "HTTP/1.1 200 ", 13);
    memset(big + 13, 'a', sizeof big - 14);
    big[sizeof big - 1] = '\0';
    assert_int_equal(PARSE(big), VIP_EPROTO);
#undef PARSE
}

/* Seeded random input never crashes the parsers (ASan/UBSan watch) and
 * only yields their documented results. */
static void test_parsers_random_input(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64*, fixed seed */
    char buf[CHECK_HTTP_MAX_LINE + 64];
    (void)state;
    for (int round = 0; round < 20000; round++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        size_t len = (size_t)((x * 2685821657736338717u) >> 33) % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            uint8_t b = (uint8_t)((x * 2685821657736338717u) >> 56);
            /* Bias towards the interesting alphabet. */
            static const char alpha[] = "HTP/1.0 2345\r\n\"'\\ x";
            buf[i] = (b & 1) ? alpha[b % (sizeof alpha - 1)] : (char)b;
        }
        if (round % 4 == 0 && len >= 12) {
            memcpy(buf, "HTTP/1.1 2", 10);
        }
        int code = -1;
        int rv = check_http_parse_status(buf, len, &code);
        assert_true(rv == 0 || rv == -EAGAIN || rv == VIP_EPROTO);
        if (rv == 0) {
            assert_true(code >= 100 && code <= 599);
        }
        char line[sizeof buf + 1];
        memcpy(line, buf, len);
        line[len] = '\0';
        struct script_cmd cmd;
        rv = script_cmd_init(&cmd, line);
        assert_true(rv == 0 || rv == VIP_EINVAL);
        if (rv == 0) {
            assert_true(cmd.argc >= 1 && cmd.argv[cmd.argc] == NULL);
        }
        script_cmd_close(&cmd);
        char host[64];
        char path[64];
        uint16_t port;
        rv = check_http_parse_url(line, host, sizeof host, &port, path,
                                  sizeof path);
        assert_true(rv == 0 || rv == VIP_EINVAL);
        rv = check_tcp_parse_target(line, host, sizeof host, &port);
        assert_true(rv == 0 || rv == VIP_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_first_result_decides),
        cmocka_unit_test(test_rule_fall),
        cmocka_unit_test(test_rule_rise),
        cmocka_unit_test(test_rule_one_one),
        cmocka_unit_test(test_rule_start_failed),
        cmocka_unit_test(test_rule_matches_keepalived_model),
        cmocka_unit_test(test_weight_delta),
        cmocka_unit_test(test_file_delta),
        cmocka_unit_test(test_priority_clamp),
        cmocka_unit_test(test_can_fail_over),
        cmocka_unit_test(test_check_names),
        cmocka_unit_test(test_cmd_split),
        cmocka_unit_test(test_cmd_split_errors),
        cmocka_unit_test(test_tcp_target),
        cmocka_unit_test(test_http_url),
        cmocka_unit_test(test_http_status),
        cmocka_unit_test(test_parsers_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
