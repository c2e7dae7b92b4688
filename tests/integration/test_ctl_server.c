/* The control socket server on a real libuv loop, with plain blocking
 * client sockets. Every wait is a bounded poll on an event (LOOP_UNTIL),
 * and teardown asserts uv_loop_close() == 0. */
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include "tests/lib/loop.h"

#include "src/ctl_server.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/****** Fixture ******/

enum mode { REPLY_NOW, DEFER, STREAM_END_NOW, REPLY_BIG };

struct fixture
{
    uv_loop_t loop;
    struct ctl_server server;
    bool server_closed;
    char dir[32];
    char path[64];
    enum mode mode;
    struct ctl_request *pending[4]; /* deferred requests, in order */
    unsigned n_pending;
    unsigned n_requests;
    unsigned n_cancels;
    bool end_in_cancel; /* finish a request when it is cancelled */
    char last_cmd[32];
    json_t *last_args;
};

static void on_request(void *data,
                       struct ctl_request *req,
                       enum ctl_cmd cmd,
                       const char *name,
                       json_t *args)
{
    struct fixture *f = data;
    f->n_requests++;
    snprintf(f->last_cmd, sizeof f->last_cmd, "%s", name);
    json_decref(f->last_args);
    f->last_args = json_incref(args);
    assert_string_equal(ctl_cmd_name(cmd), name);
    assert_int_equal(ctl_request_peer(req)->uid, geteuid());
    switch (f->mode) {
    case REPLY_NOW: {
        json_t *r = ctl_reply_ok_new();
        json_object_set_new(r, "echo", json_string(name));
        assert_int_equal(ctl_reply(req, r), 0);
        break;
    }
    case DEFER:
        assert_true(f->n_pending < 4);
        f->pending[f->n_pending++] = req;
        break;
    case STREAM_END_NOW:
        ctl_stream(req, json_pack("{sbsi}", "ok", 1, "n", 1));
        ctl_end(req);
        break;
    case REPLY_BIG: {
        static char blob[60001];
        memset(blob, 'x', sizeof blob - 1);
        ctl_reply(req, json_pack("{sbss}", "ok", 1, "b", blob));
        break;
    }
    }
}

static void on_cancel(void *data, struct ctl_request *req)
{
    struct fixture *f = data;
    f->n_cancels++;
    assert_true(ctl_request_cancelled(req));
    if (f->end_in_cancel) {
        for (unsigned i = 0; i < f->n_pending; i++) {
            if (f->pending[i] == req) {
                f->pending[i] = f->pending[--f->n_pending];
            }
        }
        ctl_end(req);
    }
}

#define LOOP_UNTIL(f, cond) LOOP_RUN_UNTIL(&(f)->loop, cond, 3000)

static int setup_opts(void **state, const struct ctl_server_opts *extra)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ctl_server_cbs cbs = {
        .data = f, .request = on_request, .cancel = on_cancel};
    struct ctl_server_opts opts = {.path = NULL};

    assert_non_null(f);
    vip_log_level = LOG_ERR;
    snprintf(f->dir, sizeof f->dir, "/tmp/vc-ctl-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/run/vipd/vipd.sock", f->dir);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    if (extra != NULL) {
        opts = *extra;
    }
    opts.path = f->path;
    assert_int_equal(ctl_server_init(&f->server, &f->loop, &opts, &cbs), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    int rv = setup_opts(state, NULL);
    struct fixture *f = *state;
    assert_int_equal(ctl_server_start(&f->server), 0);
    return rv;
}

static void server_close_cb(struct ctl_server *s)
{
    struct fixture *f = s->data;
    f->server_closed = true;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    f->end_in_cancel = true;
    f->server.data = f;
    ctl_server_close(&f->server, server_close_cb);
    LOOP_UNTIL(f, f->server_closed);
    assert_int_equal(f->n_pending, 0); /* all ended from on_cancel */
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    json_decref(f->last_args);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/****** Client helpers (blocking socket, non-blocking reads) ******/

static int client_connect(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static void client_send(int fd, const char *text, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
        assert_true(n > 0);
        off += (size_t)n;
    }
}

static void client_send_str(int fd, const char *text)
{
    client_send(fd, text, strlen(text));
}

/* Read one line (returned as parsed JSON), running the loop meanwhile;
 * NULL at end of file. */
static json_t *client_line(struct fixture *f, int fd)
{
    static char buf[1 << 17];
    size_t len = 0;
    uint64_t deadline = vip_now_ms() + 3000;

    for (;;) {
        ssize_t n = recv(fd, buf + len, 1, MSG_DONTWAIT);
        if (n == 1) {
            if (buf[len] == '\n') {
                json_error_t err;
                json_t *o = json_loadb(buf, len, 0, &err);
                if (o == NULL) {
                    fail_msg("bad line '%.*s': %s", (int)len, buf, err.text);
                }
                return o;
            }
            assert_true(++len < sizeof buf);
            continue;
        }
        if (n == 0) {
            assert_int_equal(len, 0); /* no partial line before EOF */
            return NULL;
        }
        if (vip_now_ms() > deadline) {
            fail_msg("no reply line within 3 s");
        }
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(500);
    }
}

static void expect_ok(json_t *o)
{
    assert_non_null(o);
    assert_true(json_is_true(json_object_get(o, "ok")));
}

static void expect_error(json_t *o, int code, const char *part)
{
    assert_non_null(o);
    assert_true(json_is_false(json_object_get(o, "ok")));
    assert_int_equal(json_integer_value(json_object_get(o, "code")), code);
    const char *msg = json_string_value(json_object_get(o, "error"));
    assert_non_null(msg);
    if (strstr(msg, part) == NULL) {
        fail_msg("error '%s' lacks '%s'", msg, part);
    }
}

/****** Requests and replies ******/

/* A request gets its reply on the same connection, and args arrive as
 * sent. */
static void reply_immediate(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    client_send_str(fd, "{\"cmd\":\"remove\",\"args\":{\"node\":\"n3\"}}\n");
    json_t *o = client_line(f, fd);
    expect_ok(o);
    assert_string_equal(json_string_value(json_object_get(o, "echo")),
                        "remove");
    assert_string_equal(
        json_string_value(json_object_get(f->last_args, "node")), "n3");
    json_decref(o);
    close(fd);
}

/* The handler answers later, from outside the request callback. */
static void reply_async(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"status\"}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    assert_false(ctl_request_cancelled(f->pending[0]));
    ctl_request_set_data(f->pending[0], f);
    assert_ptr_equal(ctl_request_data(f->pending[0]), f);
    ctl_reply(f->pending[0], json_pack("{sbsi}", "ok", 1, "late", 1));
    f->n_pending = 0;
    json_t *o = client_line(f, fd);
    expect_ok(o);
    assert_int_equal(json_integer_value(json_object_get(o, "late")), 1);
    json_decref(o);
    close(fd);
}

/* Two requests in one write: the second waits until the first is
 * answered (and is then served from the loop, not from inside
 * ctl_reply()), and replies come in order. */
static void pipelined_in_order(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"status\"}\n{\"cmd\":\"events\"}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    for (int i = 0; i < 20; i++) { /* give it a chance to misbehave */
        uv_run(&f->loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(f->n_pending, 1);
    assert_string_equal(f->last_cmd, "status");
    ctl_reply(f->pending[0], json_pack("{sbsi}", "ok", 1, "n", 1));
    f->n_pending = 0;
    assert_int_equal(f->n_requests, 1); /* not nested in ctl_reply() */
    LOOP_UNTIL(f, f->n_pending == 1);
    assert_string_equal(f->last_cmd, "events");
    ctl_reply(f->pending[0], json_pack("{sbsi}", "ok", 1, "n", 2));
    f->n_pending = 0;
    for (int want = 1; want <= 2; want++) {
        json_t *o = client_line(f, fd);
        expect_ok(o);
        assert_int_equal(json_integer_value(json_object_get(o, "n")), want);
        json_decref(o);
    }
    close(fd);
}

/* Bad JSON, wrong types and unknown commands get error replies and the
 * connection stays usable. */
static void bad_requests_answered(void **state)
{
    static const struct
    {
        const char *line;
        int code;
        const char *part;
    } cases[] = {
        {"nope\n", VIP_EPROTO, "not valid JSON"},
        {"{\"cmd\":42}\n", VIP_EPROTO, "\"cmd\" must be a string"},
        {"{\"cmd\":\"frobnicate\"}\n", VIP_EINVAL, "unknown command"},
        {"{\"cmd\":\"leave\",\"args\":{\"force\":\"yes\"}}\n", VIP_EINVAL,
         "must be a boolean"},
        {"[1,2]\n", VIP_EPROTO, "must be a JSON object"},
    };
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        client_send_str(fd, cases[i].line);
        json_t *o = client_line(f, fd);
        expect_error(o, cases[i].code, cases[i].part);
        json_decref(o);
    }
    /* An embedded NUL byte. */
    static const char nul[] = "{\"cmd\":\0\"status\"}\n";
    client_send(fd, nul, sizeof nul - 1);
    json_t *o = client_line(f, fd);
    expect_error(o, VIP_EPROTO, "NUL");
    json_decref(o);
    assert_int_equal(f->n_requests, 0);
    assert_int_equal(f->server.n_bad, 6);
    client_send_str(fd, "\n{\"cmd\":\"status\"}\n");
    o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    assert_int_equal(f->n_requests, 1);
    close(fd);
}

/* A line longer than 64 KiB gets an error reply, then end of file; the
 * server keeps serving others. */
static void oversize_line_closes(void **state)
{
    struct fixture *f = *state;
    size_t n = CTL_MAX_REQUEST + 100;
    char *big = malloc(n);
    int fd = client_connect(f->path);

    assert_non_null(big);
    memset(big, ' ', n); /* whitespace: valid JSON so far, just too long */
    client_send(fd, big, n);
    free(big);
    json_t *o = client_line(f, fd);
    expect_error(o, VIP_ERANGE, "longer than 65536");
    json_decref(o);
    assert_null(client_line(f, fd));
    close(fd);
    fd = client_connect(f->path);
    client_send_str(fd, "{\"cmd\":\"status\"}\n");
    o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    close(fd);
}

/****** Disconnects and streams ******/

/* The client goes away while its request is pending: cancel is called,
 * the request stays valid, and answering it later is safe (ASan checks
 * for use-after-free and leaks). */
static void disconnect_mid_request(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"join\",\"args\":{\"peer\":\"x\"}}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    close(fd);
    LOOP_UNTIL(f, f->n_cancels == 1);
    LOOP_UNTIL(f, f->server.n_conns == 0); /* connection memory is gone */
    struct ctl_request *req = f->pending[0];
    assert_true(ctl_request_cancelled(req));
    assert_int_equal(ctl_stream(req, json_pack("{sb}", "ok", 1)), -ECANCELED);
    assert_int_equal(ctl_reply(req, json_pack("{sb}", "ok", 1)), 0);
    f->n_pending = 0;
    assert_int_equal(f->n_cancels, 1);
}

/* Stream lines carry "more":true; ctl_end closes the connection after
 * they are written, so the client sees them and then end of file. */
static void stream_then_end(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            ctl_stream(f->pending[0], json_pack("{sbsi}", "ok", 1, "i", i)), 0);
    }
    ctl_end(f->pending[0]);
    f->n_pending = 0;
    for (int i = 0; i < 3; i++) {
        json_t *o = client_line(f, fd);
        expect_ok(o);
        assert_true(json_is_true(json_object_get(o, "more")));
        assert_int_equal(json_integer_value(json_object_get(o, "i")), i);
        json_decref(o);
    }
    assert_null(client_line(f, fd));
    assert_int_equal(f->n_cancels, 0);
    close(fd);
}

/* A follower that never reads is dropped once CTL_MAX_QUEUED bytes wait
 * for it, instead of growing memory without bound; the handler learns it
 * from ctl_stream()'s result (no cancel from inside the call) and ends the
 * request. */
static void slow_reader_dropped(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);
    char *blob = malloc(60000);
    int rv = 0;
    int n = 0;

    assert_non_null(blob);
    memset(blob, 'x', 59999);
    blob[59999] = '\0';
    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    while (rv == 0 && n < 1000) {
        rv = ctl_stream(f->pending[0], json_pack("{sbss}", "ok", 1, "b", blob));
        n++;
    }
    assert_int_equal(rv, -ECANCELED);
    assert_true(n > CTL_MAX_QUEUED / 60000); /* not before the limit */
    assert_int_equal(f->n_cancels, 0);
    assert_true(ctl_request_cancelled(f->pending[0]));
    ctl_end(f->pending[0]);
    f->n_pending = 0;
    LOOP_UNTIL(f, f->server.n_conns == 0);
    free(blob);
    close(fd);
}

/* A client that pipelines requests and never reads the replies is dropped
 * once CTL_MAX_QUEUED bytes wait for it, instead of queueing a reply for
 * every request it sends. */
static void pipelining_non_reader_dropped(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);
    unsigned n_sent = 0;
    char line[] = "{\"cmd\":\"status\"}\n";

    f->mode = REPLY_BIG; /* 60 kB per reply */
    LOOP_UNTIL(f, f->server.n_conns == 1);
    /* Twice the limit's worth, in batches the server takes as they come:
     * its input buffer holds only two request lines' worth. */
    while (n_sent < 2 * CTL_MAX_QUEUED / 60000 && f->server.n_conns > 0) {
        if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
            break; /* dropped: EPIPE */
        }
        n_sent++;
        for (int i = 0; i < 5; i++) {
            uv_run(&f->loop, UV_RUN_NOWAIT);
        }
    }
    LOOP_UNTIL(f, f->server.n_conns == 0);
    assert_true(f->n_requests > CTL_MAX_QUEUED / 60000 / 2);
    assert_true(f->n_requests < 2 * CTL_MAX_QUEUED / 60000);
    assert_int_equal(f->server.n_bad, 1);
    close(fd);
}

/* A reply sent after the client hung up, before the loop has read the
 * end of file (an operation finishing from another callback), fails
 * quietly instead of killing the process with SIGPIPE. */
static void reply_after_hangup(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"join\",\"args\":{\"peer\":\"a\"}}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    close(fd);
    /* No loop run in between: the server has not seen the hang-up. */
    ctl_reply(f->pending[0], ctl_reply_ok_new());
    f->n_pending = 0;
    LOOP_UNTIL(f, f->server.n_conns == 0);
}

/* A stream may finish with a final reply line (join's progress). */
static void stream_then_reply(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd, "{\"cmd\":\"join\",\"args\":{\"peer\":\"p\"}}\n");
    LOOP_UNTIL(f, f->n_pending == 1);
    ctl_stream(f->pending[0], json_pack("{sbss}", "ok", 1, "progress", "a"));
    ctl_reply(f->pending[0], json_pack("{sbss}", "ok", 1, "message", "done"));
    f->n_pending = 0;
    json_t *o = client_line(f, fd);
    assert_true(json_is_true(json_object_get(o, "more")));
    json_decref(o);
    o = client_line(f, fd);
    expect_ok(o);
    assert_null(json_object_get(o, "more"));
    json_decref(o);
    /* The connection serves the next request. */
    f->mode = REPLY_NOW;
    client_send_str(fd, "{\"cmd\":\"status\"}\n");
    o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    close(fd);
}

/* Finishing a request from inside the request callback with a stream and
 * ctl_end works too. */
static void stream_end_synchronously(void **state)
{
    struct fixture *f = *state;
    int fd = client_connect(f->path);

    f->mode = STREAM_END_NOW;
    client_send_str(fd, "{\"cmd\":\"events\"}\n{\"cmd\":\"status\"}\n");
    json_t *o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    assert_null(client_line(f, fd)); /* the second line is not served */
    assert_int_equal(f->n_requests, 1);
    close(fd);
}

/* Closing the server cancels pending requests of every client and closes
 * cleanly (teardown checks uv_loop_close). */
static void close_with_pending(void **state)
{
    struct fixture *f = *state;
    int fd1 = client_connect(f->path);
    int fd2 = client_connect(f->path);

    f->mode = DEFER;
    client_send_str(fd1, "{\"cmd\":\"status\"}\n");
    client_send_str(fd2, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    LOOP_UNTIL(f, f->n_pending == 2);
    f->end_in_cancel = true;
    f->server.data = f;
    ctl_server_close(&f->server, server_close_cb);
    LOOP_UNTIL(f, f->server_closed);
    assert_int_equal(f->n_cancels, 2);
    assert_int_equal(f->n_pending, 0);
    assert_null(client_line(f, fd1));
    assert_null(client_line(f, fd2));
    struct stat st;
    assert_int_equal(stat(f->path, &st), -1); /* the socket file is gone */
    close(fd1);
    close(fd2);
    /* Teardown's close must not run twice: reopen a fresh server. */
    struct ctl_server_cbs cbs = {
        .data = f, .request = on_request, .cancel = on_cancel};
    struct ctl_server_opts opts = {.path = f->path};
    f->server_closed = false;
    assert_int_equal(ctl_server_init(&f->server, &f->loop, &opts, &cbs), 0);
}

/****** Socket file ******/

/* The directory is created 0755 and the socket is 0600 without a group. */
static void socket_modes(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    char dir[128];

    snprintf(dir, sizeof dir, "%s/run/vipd", f->dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
}

/* With a group the socket is 0660 and owned by that group. */
static void socket_group(void **state)
{
    struct group *g = getgrnam("nogroup");
    struct ctl_server_opts opts = {.group = "nogroup"};
    struct stat st;

    if (g == NULL || geteuid() != 0) {
        skip();
    }
    gid_t gid = g->gr_gid;
    setup_opts(state, &opts);
    struct fixture *f = *state;
    assert_int_equal(ctl_server_start(&f->server), 0);
    assert_int_equal(lstat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0660);
    assert_int_equal(st.st_gid, gid);
    teardown(state);
}

/* An unknown group is a configuration error. */
static void socket_unknown_group(void **state)
{
    struct ctl_server_opts opts = {.group = "no-such-group-vc"};
    setup_opts(state, &opts);
    struct fixture *f = *state;
    assert_int_equal(ctl_server_start(&f->server), VIP_ECONFIG);
    assert_non_null(strstr(f->server.errmsg, "no-such-group-vc"));
    teardown(state);
}

/* A socket file nobody listens on is removed; the server starts. */
static void stale_socket_removed(void **state)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    setup_opts(state, NULL);
    struct fixture *f = *state;
    char dir[128];

    snprintf(dir, sizeof dir, "mkdir -p %s/run/vipd", f->dir);
    assert_int_equal(system(dir), 0);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", f->path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    close(fd); /* the file stays, nobody listens */
    assert_int_equal(ctl_server_start(&f->server), 0);
    fd = client_connect(f->path);
    client_send_str(fd, "{\"cmd\":\"status\"}\n");
    json_t *o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    close(fd);
    teardown(state);
}

/* A second server on a live socket refuses to start and leaves the first
 * one working. */
static void live_socket_kept(void **state)
{
    struct fixture *f = *state;
    struct ctl_server other;
    struct ctl_server_cbs cbs = {.data = f, .request = on_request};
    struct ctl_server_opts opts = {.path = f->path};

    assert_int_equal(ctl_server_init(&other, &f->loop, &opts, &cbs), 0);
    assert_int_equal(ctl_server_start(&other), VIP_EEXIST);
    assert_non_null(strstr(other.errmsg, "already running"));
    ctl_server_close(&other, NULL);
    int fd = client_connect(f->path);
    client_send_str(fd, "{\"cmd\":\"status\"}\n");
    json_t *o = client_line(f, fd);
    expect_ok(o);
    json_decref(o);
    close(fd);
}

/* A file that is not a socket is never removed. */
static void regular_file_kept(void **state)
{
    setup_opts(state, NULL);
    struct fixture *f = *state;
    char cmd[300];
    struct stat st;

    snprintf(cmd, sizeof cmd, "mkdir -p %s/run/vipd && echo keep > %s", f->dir,
             f->path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ctl_server_start(&f->server), VIP_EEXIST);
    assert_non_null(strstr(f->server.errmsg, "not a socket"));
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    teardown(state);
}

/* Paths that cannot be a Unix socket address are refused by init. */
static void path_too_long(void **state)
{
    char path[200];
    struct ctl_server s;
    struct ctl_server_cbs cbs = {.request = on_request};
    struct ctl_server_opts opts = {.path = path};
    (void)state;

    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_int_equal(ctl_server_init(&s, NULL, &opts, &cbs), VIP_EINVAL);
    opts.path = "";
    assert_int_equal(ctl_server_init(&s, NULL, &opts, &cbs), VIP_EINVAL);
    cbs.request = NULL;
    opts.path = "/tmp/x.sock";
    assert_int_equal(ctl_server_init(&s, NULL, &opts, &cbs), VIP_EINVAL);
}

/****** Credentials ******/

/* Root, the daemon's own uid and members of the group are permitted;
 * everybody else is not. */
static void peer_permission_rules(void **state)
{
    struct ctl_peer p = {.pid = 1, .uid = 1000, .gid = 1000};
    (void)state;

    assert_false(ctl_peer_permitted(&p, 0, false, 0));
    assert_true(ctl_peer_permitted(&p, 1000, false, 0)); /* own uid */
    p.uid = 0;
    assert_true(ctl_peer_permitted(&p, 999, false, 0));
    p.uid = 1000;
    assert_false(ctl_peer_permitted(&p, 0, true, 50));
    p.gid = 50;
    assert_true(ctl_peer_permitted(&p, 0, true, 50)); /* primary group */
    p.gid = 1000;
    p.groups[0] = 20;
    p.groups[1] = 50;
    p.n_groups = 2;
    assert_true(ctl_peer_permitted(&p, 0, true, 50));   /* supplementary */
    assert_false(ctl_peer_permitted(&p, 0, false, 50)); /* no group set */
    p.n_groups = 1;
    assert_false(ctl_peer_permitted(&p, 0, true, 50));
}

/* The supplementary groups of this very process are read from /proc. */
static void peer_groups_from_proc(void **state)
{
    struct ctl_peer p = {.pid = getpid()};
    gid_t mine[CTL_PEER_MAX_GROUPS];
    (void)state;

    int n = getgroups(CTL_PEER_MAX_GROUPS, mine);
    assert_true(n >= 0);
    assert_int_equal(ctl_peer_read_groups(&p), 0);
    assert_int_equal(p.n_groups, (size_t)n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(p.groups[i], mine[i]);
    }
    p.pid = 0;
    assert_int_equal(ctl_peer_read_groups(&p), -ESRCH);
}

/* The socket path and group come from the cluster block of the config,
 * with the documented default. */
static void opts_from_config(void **state)
{
    static const char with[] =
        "cluster {\n listen 10.0.0.1:5405\n control_socket /tmp/vc/x.sock\n"
        " control_group vipd\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n "
        "virtual_ipaddress { 10.0.0.9/24 }\n}\n";
    static const char without[] =
        "cluster {\n listen 10.0.0.1:5405\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n "
        "virtual_ipaddress { 10.0.0.9/24 }\n}\n";
    struct vip_config cfg;
    struct ctl_server_opts opts;
    (void)state;

    assert_int_equal(
        vip_config_load_string(&cfg, "t.conf", with, sizeof with - 1, NULL), 0);
    ctl_server_opts_from_config(&opts, &cfg);
    assert_string_equal(opts.path, "/tmp/vc/x.sock");
    assert_string_equal(opts.group, "vipd");
    assert_int_equal(opts.mode, 0);
    vip_config_free(&cfg);
    assert_int_equal(vip_config_load_string(&cfg, "t.conf", without,
                                            sizeof without - 1, NULL),
                     0);
    ctl_server_opts_from_config(&opts, &cfg);
    assert_string_equal(opts.path, CTL_DEFAULT_SOCKET);
    assert_string_equal(opts.group, "");
    vip_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reply_immediate, setup, teardown),
        cmocka_unit_test_setup_teardown(reply_async, setup, teardown),
        cmocka_unit_test_setup_teardown(pipelined_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(oversize_line_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(disconnect_mid_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stream_then_end, setup, teardown),
        cmocka_unit_test_setup_teardown(stream_then_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_reader_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(pipelining_non_reader_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reply_after_hangup, setup, teardown),
        cmocka_unit_test_setup_teardown(stream_end_synchronously, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(close_with_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(socket_modes, setup, teardown),
        cmocka_unit_test(socket_group),
        cmocka_unit_test(socket_unknown_group),
        cmocka_unit_test(stale_socket_removed),
        cmocka_unit_test_setup_teardown(live_socket_kept, setup, teardown),
        cmocka_unit_test(regular_file_kept),
        cmocka_unit_test(path_too_long),
        cmocka_unit_test(peer_permission_rules),
        cmocka_unit_test(peer_groups_from_proc),
        cmocka_unit_test(opts_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
