/* https:// in http_check against a real TLS server: `openssl s_server -www`
 * with a certificate from a CA made here, in a temp dir. Verification is
 * on by default (an unknown CA or a wrong name fails), passes with
 * tls_ca_file, can be turned off; a down server fails; and a server that
 * accepts and never answers does not stop other probes on the same loop. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "src/check_http.h"
#include "tests/unit/health_util.h"
#include "tests/unit/http_server.h"

/* Shared by every test: the certificates and the running server. */
static char *g_dir;
static char *g_ca;
static pid_t g_server = -1;
static int g_server_out = -1; /* its stdout, kept open so it never blocks */
static int g_port;

struct fixture
{
    uv_loop_t loop;
    struct check_http http;
    bool done;
    bool closed;
    int status;
    int n_results;
    /* The loop-not-blocked test. */
    struct hs_server plain_srv;
    struct hs_server mute_srv;
    struct check_http plain;
    uv_timer_t kick;
    bool plain_closed;
    int plain_ok;
};

static void run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_sh(const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* A CA and a server certificate for IP 127.0.0.1 only, signed by it. */
static void make_certs(const char *d)
{
    run_sh(
        "(cd '%s' && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=vipd-test-ca"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1"
        " && printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf"
        " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key"
        " -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf"
        ") >/dev/null 2>&1",
        d);
}

/* Start s_server on a free port; return once it says ACCEPT (listening). */
static void start_server(const char *d)
{
    int out[2];
    char accept_arg[32], cert[512], key[512];

    g_port = hs_closed_port();
    snprintf(accept_arg, sizeof accept_arg, "127.0.0.1:%d", g_port);
    snprintf(cert, sizeof cert, "%s/srv.pem", d);
    snprintf(key, sizeof key, "%s/srv.key", d);
    assert_int_equal(pipe(out), 0);
    g_server = fork();
    assert_true(g_server >= 0);
    if (g_server == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(out[1], 1);
        dup2(null, 2);
        close(out[0]);
        execlp("openssl", "openssl", "s_server", "-accept", accept_arg, "-cert",
               cert, "-key", key, "-www", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    g_server_out = out[0];
    char buf[256] = "";
    size_t len = 0;
    while (strstr(buf, "ACCEPT") == NULL) {
        struct pollfd pfd = {.fd = g_server_out, .events = POLLIN};
        assert_true(poll(&pfd, 1, 10000) == 1);
        ssize_t n = read(g_server_out, buf + len, sizeof buf - 1 - len);
        assert_true(n > 0); /* EOF: s_server failed to start */
        len += (size_t)n;
        buf[len] = '\0';
        if (len == sizeof buf - 1) {
            len = 0;
        }
    }
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    g_dir = hu_tmpdir();
    make_certs(g_dir);
    assert_true(asprintf(&g_ca, "%s/ca.pem", g_dir) > 0);
    start_server(g_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_server > 0) {
        kill(g_server, SIGTERM);
        waitpid(g_server, NULL, 0);
    }
    close(g_server_out);
    free(g_ca);
    hu_rmrf(g_dir);
    return 0;
}

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

/* Prepare f->http for @url with the given TLS settings. */
static void init_https(struct fixture *f,
                       const char *url,
                       const char *ca,
                       bool verify)
{
    assert_int_equal(check_http_init(&f->http, &f->loop, url, 200), 0);
    assert_true(f->http.is_tls);
    f->http.data = f;
    assert_int_equal(check_http_set_tls(&f->http, ca, verify), 0);
}

/* One probe to completion, then close; returns its status. */
static int probe(struct fixture *f, uint32_t timeout_ms)
{
    f->done = false;
    assert_int_equal(check_http_start(&f->http, timeout_ms, http_cb), 0);
    assert_true(hu_run_until(&f->loop, &f->done, timeout_ms + 5000));
    return f->status;
}

static void close_http(struct fixture *f)
{
    f->closed = false;
    check_http_close(&f->http, http_closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
}

static const char *url_of(const char *host, int port)
{
    static char url[128];
    snprintf(url, sizeof url, "https://%s:%d/healthz", host, port);
    return url;
}

/* Default: the system's CAs, which do not know ours: fails, and says why. */
static void test_unknown_ca_fails(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        check_http_init(&f->http, &f->loop, url_of("127.0.0.1", g_port), 200),
        0);
    f->http.data = f; /* no set_tls: verification is on by default */
    assert_int_equal(probe(f, 5000), VIP_EAUTH);
    assert_int_equal(f->http.code, 0);
    assert_non_null(strstr(f->http.detail, "certificate"));
    close_http(f);
    assert_int_equal(f->n_results, 1);
}

/* With our CA the same server passes, with s_server's status 200. */
static void test_ca_file_passes(void **state)
{
    struct fixture *f = *state;
    init_https(f, url_of("127.0.0.1", g_port), g_ca, true);
    uint64_t t0 = vip_now_ms();
    for (int i = 0; i < 5; i++) { /* a fresh handshake each time */
        assert_int_equal(probe(f, 5000), 0);
        assert_int_equal(f->http.code, 200);
    }
    print_message(
        "5 verified https probes (new TLS connection each): "
        "%llu ms\n",
        (unsigned long long)(vip_now_ms() - t0));
    close_http(f);
}

/* The name is verified too: the certificate is for 127.0.0.1 only. */
static void test_wrong_name_fails(void **state)
{
    struct fixture *f = *state;
    init_https(f, url_of("localhost", g_port), g_ca, true);
    int rv = probe(f, 5000);
    /* localhost may resolve to ::1 only, where nothing listens. */
    assert_true(rv == VIP_EAUTH || rv == UV_ECONNREFUSED);
    assert_int_not_equal(rv, 0);
    close_http(f);
}

/* tls_verify no: any certificate will do. */
static void test_verify_off_passes(void **state)
{
    struct fixture *f = *state;
    init_https(f, url_of("127.0.0.1", g_port), NULL, false);
    assert_int_equal(probe(f, 5000), 0);
    close_http(f);
}

/* The expected status is compared as for http://. */
static void test_other_status_fails(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        check_http_init(&f->http, &f->loop, url_of("127.0.0.1", g_port), 204),
        0);
    f->http.data = f;
    assert_int_equal(check_http_set_tls(&f->http, g_ca, true), 0);
    assert_int_equal(probe(f, 5000), VIP_ERANGE);
    assert_int_equal(f->http.code, 200);
    close_http(f);
}

/* Nothing listening: fails (refused), without waiting for the timeout. */
static void test_down_server_fails(void **state)
{
    struct fixture *f = *state;
    init_https(f, url_of("127.0.0.1", hs_closed_port()), g_ca, true);
    assert_int_equal(probe(f, 5000), UV_ECONNREFUSED);
    close_http(f);
}

static void plain_cb(struct check_http *h, int status)
{
    struct fixture *f = h->data;
    if (status == 0) {
        f->plain_ok++;
    }
}

/* Every millisecond, a new plain probe if the last one is over (-EBUSY
 * while it runs or its socket closes), as health.c's timers do. */
static void kick_cb(uv_timer_t *t)
{
    struct fixture *f = t->data;
    int rv = check_http_start(&f->plain, 2000, plain_cb);
    assert_true(rv == 0 || rv == -EBUSY);
}

static void plain_closed(struct check_http *h)
{
    struct fixture *f = h->data;
    f->plain_closed = true;
}

/* A server that accepts and never answers (no ServerHello) makes the
 * https probe time out, and meanwhile plain probes on the same loop keep
 * completing: nothing in the https path blocks the loop. */
static void test_mute_server_does_not_block(void **state)
{
    struct fixture *f = *state;
    int mute = hs_start(&f->mute_srv, &f->loop, HS_SLOW);
    int good = hs_start(&f->plain_srv, &f->loop, HS_200);
    char url[64];

    init_https(f, url_of("127.0.0.1", mute), g_ca, true);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", good);
    assert_int_equal(check_http_init(&f->plain, &f->loop, url, 200), 0);
    f->plain.data = f;

    f->done = false;
    assert_int_equal(check_http_start(&f->http, 1500, http_cb), 0);
    uv_timer_init(&f->loop, &f->kick);
    f->kick.data = f;
    uv_timer_start(&f->kick, kick_cb, 0, 1);
    assert_true(hu_run_until(&f->loop, &f->done, 10000));
    uv_close((uv_handle_t *)&f->kick, NULL);
    assert_int_equal(f->status, VIP_ETIMEDOUT);
    /* Each plain probe is a loopback round trip; a blocked loop would
     * have let none of them finish before the https verdict. */
    print_message(
        "plain probes completed while the https probe hung "
        "for 1.5 s: %d\n",
        f->plain_ok);
    assert_true(f->plain_ok >= 10);
    assert_int_equal(f->mute_srv.n_requests, 0); /* it never saw HTTP */

    close_http(f);
    check_http_close(&f->plain, plain_closed);
    assert_true(hu_run_until(&f->loop, &f->plain_closed, 5000));
    hs_stop(&f->mute_srv);
    hs_stop(&f->plain_srv);
}

/* Closing in the middle of a probe: no callback, everything released
 * (ASan and hu_loop_close check the rest). */
static void test_close_mid_probe(void **state)
{
    struct fixture *f = *state;
    int mute = hs_start(&f->mute_srv, &f->loop, HS_SLOW);
    init_https(f, url_of("127.0.0.1", mute), g_ca, true);
    assert_int_equal(check_http_start(&f->http, 5000, http_cb), 0);
    assert_int_equal(check_http_start(&f->http, 5000, http_cb), -EBUSY);
    hu_run_for(&f->loop, 100); /* connected, handshake under way */
    check_http_close(&f->http, http_closed);
    /* Closed is closed: no new probe, no new TLS setup. */
    assert_int_equal(check_http_start(&f->http, 5000, http_cb), VIP_EINVAL);
    assert_int_equal(check_http_set_tls(&f->http, NULL, true), VIP_EINVAL);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_int_equal(f->n_results, 0);
    hs_stop(&f->mute_srv);
}

/* An https check that is never started still closes from the loop. */
static void test_close_unused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        check_http_init(&f->http, &f->loop, url_of("127.0.0.1", g_port), 200),
        0);
    f->http.data = f;
    close_http(f);
}

int main(void)
{
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        printf("SKIP: no openssl binary (scripts/install-deps.sh)\n");
        return 77;
    }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_unknown_ca_fails),
        T(test_ca_file_passes),
        T(test_wrong_name_fails),
        T(test_verify_off_passes),
        T(test_other_status_fails),
        T(test_down_server_fails),
        T(test_mute_server_does_not_block),
        T(test_close_mid_probe),
        T(test_close_unused),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
