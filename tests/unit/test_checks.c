/* Native probes on loopback: tcp_check against open and closed ports,
 * http_check against an in-test server that answers well, badly, slowly
 * or not at all. */
#include <arpa/inet.h>

#include "src/check_http.h"
#include "src/check_tcp.h"
#include "tests/unit/health_util.h"
#include "tests/unit/http_server.h"

struct fixture
{
    uv_loop_t loop;
    struct hs_server srv;
    struct check_tcp tcp;
    struct check_http http;
    bool done;
    bool closed;
    int status;
    int n_results;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hu_loop_close(&f->loop);
    free(f);
    return 0;
}

static void tcp_cb(struct check_tcp *c, int status)
{
    struct fixture *f = c->data;
    f->status = status;
    f->n_results++;
    f->done = true;
}

static void tcp_closed(struct check_tcp *c)
{
    struct fixture *f = c->data;
    f->closed = true;
}

static int probe_tcp(struct fixture *f, const char *host, int port)
{
    assert_int_equal(check_tcp_init(&f->tcp, &f->loop, host, (uint16_t)port),
                     0);
    f->tcp.data = f;
    f->done = false;
    assert_int_equal(check_tcp_start(&f->tcp, 2000, tcp_cb), 0);
    assert_true(hu_run_until(&f->loop, &f->done, 5000));
    f->closed = false;
    check_tcp_close(&f->tcp, tcp_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_int_equal(f->n_results, 1);
    return f->status;
}

/* A listening port passes. */
static void test_tcp_open(void **state)
{
    struct fixture *f = *state;
    int port = hs_start(&f->srv, &f->loop, HS_SLOW);
    assert_true(port > 0);
    assert_int_equal(probe_tcp(f, "127.0.0.1", port), 0);
    hs_stop(&f->srv);
}

/* A host name goes through the resolver first. */
static void test_tcp_open_by_name(void **state)
{
    struct fixture *f = *state;
    int port = hs_start(&f->srv, &f->loop, HS_SLOW);
    /* localhost may resolve to ::1 first; listen on 127.0.0.1 only, so
     * accept either a pass or a refusal on ::1, but never a resolver
     * error. */
    int rv = probe_tcp(f, "localhost", port);
    assert_true(rv == 0 || rv == UV_ECONNREFUSED);
    hs_stop(&f->srv);
}

/* A closed port fails with "connection refused", quickly. */
static void test_tcp_closed(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vip_now_ms();
    assert_int_equal(probe_tcp(f, "127.0.0.1", hs_closed_port()),
                     UV_ECONNREFUSED);
    assert_true(vip_now_ms() - t0 < 1000);
}

/* A probe cannot start while the previous one still runs; close abandons
 * it without calling back. */
static void test_tcp_busy_and_close(void **state)
{
    struct fixture *f = *state;
    int port = hs_start(&f->srv, &f->loop, HS_SLOW);
    assert_int_equal(
        check_tcp_init(&f->tcp, &f->loop, "127.0.0.1", (uint16_t)port), 0);
    f->tcp.data = f;
    assert_int_equal(check_tcp_start(&f->tcp, 2000, tcp_cb), 0);
    assert_int_equal(check_tcp_start(&f->tcp, 2000, tcp_cb), -EBUSY);
    check_tcp_close(&f->tcp, tcp_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_int_equal(f->n_results, 0);
    hs_stop(&f->srv);
}

/****** http ******/

static void http_cb(struct check_http *h, int status)
{
    struct fixture *f = h->data;
    f->status = status;
    f->n_results++;
    f->done = true;
}

static void http_closed(struct check_http *h)
{
    struct fixture *f = h->data;
    f->closed = true;
}

/* Probe the in-test server in @mode with @timeout_ms; returns the status
 * and leaves the code in f->http.code. */
static int probe_http(struct fixture *f,
                      enum hs_mode mode,
                      int expect,
                      uint32_t timeout_ms)
{
    char url[128];
    int port = hs_start(&f->srv, &f->loop, mode);
    assert_true(port > 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health?x=1", port);
    assert_int_equal(check_http_init(&f->http, &f->loop, url, expect), 0);
    f->http.data = f;
    f->done = false;
    assert_int_equal(check_http_start(&f->http, timeout_ms, http_cb), 0);
    assert_true(hu_run_until(&f->loop, &f->done, timeout_ms + 3000));
    int code = f->http.code;
    f->closed = false;
    check_http_close(&f->http, http_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    f->http.code = code;
    hs_stop(&f->srv);
    hu_run_for(&f->loop, 10);
    assert_int_equal(f->n_results, 1);
    return f->status;
}

/* 200 passes; the request is a proper HTTP/1.1 GET with a Host. */
static void test_http_200(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_200, 200, 2000), 0);
    assert_int_equal(f->http.code, 200);
    assert_int_equal(f->srv.n_requests, 1);
    assert_memory_equal(f->srv.last_request, "GET /health?x=1 HTTP/1.1\r\n",
                        26);
    assert_non_null(strstr(f->srv.last_request, "\r\nHost: 127.0.0.1:"));
}

/* Another status than the expected one fails, with the code kept. */
static void test_http_503(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_503, 200, 2000), VIP_ERANGE);
    assert_int_equal(f->http.code, 503);
}

/* The expected status may be something else than 200. */
static void test_http_expect_503(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_503, 503, 2000), 0);
}

/* Garbage is a protocol error, at once. */
static void test_http_garbage(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vip_now_ms();
    assert_int_equal(probe_http(f, HS_GARBAGE, 200, 2000), VIP_EPROTO);
    assert_true(vip_now_ms() - t0 < 1500);
}

/* A server that never answers fails at the timeout, not later. */
static void test_http_slow(void **state)
{
    struct fixture *f = *state;
    uint64_t t0 = vip_now_ms();
    assert_int_equal(probe_http(f, HS_SLOW, 200, 300), VIP_ETIMEDOUT);
    uint64_t took = vip_now_ms() - t0;
    assert_true(took >= 290 && took < 2000);
}

/* Half a status line, then silence: timeout. */
static void test_http_partial(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_PARTIAL, 200, 300), VIP_ETIMEDOUT);
}

/* An endless line is cut off at CHECK_HTTP_MAX_LINE. */
static void test_http_huge(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_HUGE, 200, 2000), VIP_EPROTO);
}

/* A server that hangs up without answering fails. */
static void test_http_close(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(probe_http(f, HS_CLOSE, 200, 2000), VIP_EPROTO);
}

/* Nothing listening: connection refused. */
static void test_http_refused(void **state)
{
    struct fixture *f = *state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", hs_closed_port());
    assert_int_equal(check_http_init(&f->http, &f->loop, url, 200), 0);
    f->http.data = f;
    assert_int_equal(check_http_start(&f->http, 2000, http_cb), 0);
    assert_true(hu_run_until(&f->loop, &f->done, 5000));
    assert_int_equal(f->status, UV_ECONNREFUSED);
    check_http_close(&f->http, http_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
}

/* Repeated probes on one check object work (state is reset each time). */
static void test_http_repeat(void **state)
{
    struct fixture *f = *state;
    char url[64];
    int port = hs_start(&f->srv, &f->loop, HS_200);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    assert_int_equal(check_http_init(&f->http, &f->loop, url, 0), 0);
    f->http.data = f;
    for (int i = 0; i < 5; i++) {
        f->done = false;
        int rv;
        uint64_t end = vip_now_ms() + 2000;
        /* The previous socket may still be closing: -EBUSY, try again. */
        while ((rv = check_http_start(&f->http, 2000, http_cb)) == -EBUSY &&
               vip_now_ms() < end) {
            hu_run_for(&f->loop, 5);
        }
        assert_int_equal(rv, 0);
        assert_true(hu_run_until(&f->loop, &f->done, 5000));
        assert_int_equal(f->status, 0);
    }
    assert_int_equal(f->srv.n_requests, 5);
    assert_memory_equal(f->srv.last_request, "GET / HTTP/1.1\r\n", 16);
    check_http_close(&f->http, http_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    hs_stop(&f->srv);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tcp_open),        T(test_tcp_open_by_name),
        T(test_tcp_closed),      T(test_tcp_busy_and_close),
        T(test_http_200),        T(test_http_503),
        T(test_http_expect_503), T(test_http_garbage),
        T(test_http_slow),       T(test_http_partial),
        T(test_http_huge),       T(test_http_close),
        T(test_http_refused),    T(test_http_repeat),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
