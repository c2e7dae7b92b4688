/* The control service (the daemon's seam) on a real loop: requests become
 * backend calls, answers become the documented JSON; async operations,
 * progress, the leader hint, follow streams, disconnects and close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include "tests/lib/loop.h"

#include "src/ctl_service.h"
#include "src/status_json.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/****** Fixture: a scriptable backend ******/

struct fixture
{
    uv_loop_t loop;
    struct ctl_service svc;
    bool closed;
    char dir[32];
    char path[64];
    int status_rv;     /* what backend status returns */
    int op_rv;         /* what operations return at once */
    bool op_done_now;  /* operations finish inside the call */
    struct ctl_op *op; /* the pending operation */
    char op_arg[64];
    char op_instance[64]; /* transfer's instance; "(null)" when absent */
    bool op_flag;
    unsigned n_calls;
};

static int be_status(void *data, struct vip_status *st)
{
    struct fixture *f = data;
    f->n_calls++;
    if (f->status_rv != 0) {
        return f->status_rv;
    }
    st->node_id = 2;
    st->holds = true;
    struct vip_status_node *n = vip_status_add_node(st);
    n->id = 2;
    snprintf(n->name, sizeof n->name, "n2");
    n->role = VIP_ROLE_LEADER;
    struct vip_status_instance *in = vip_status_add_instance(st);
    snprintf(in->name, sizeof in->name, "VI_1");
    in->holder_id = 2;
    return 0;
}

static void make_event(struct vip_event *ev, uint64_t index)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = VIP_EVENT_HOLDER;
    ev->term = 3;
    ev->index = index;
    snprintf(ev->text, sizeof ev->text, "event %llu",
             (unsigned long long)index);
}

static int be_events(void *data, struct vip_event_list *list)
{
    struct fixture *f = data;
    f->n_calls++;
    for (uint64_t i = 1; i <= 2; i++) {
        make_event(vip_event_list_add(list), i);
    }
    return 0;
}

static int be_op(struct fixture *f,
                 struct ctl_op *op,
                 const char *arg,
                 bool flag)
{
    f->n_calls++;
    snprintf(f->op_arg, sizeof f->op_arg, "%s", arg != NULL ? arg : "");
    f->op_flag = flag;
    if (f->op_rv != 0) {
        return f->op_rv;
    }
    if (f->op_done_now) {
        ctl_op_done(op, 0, "done at once");
        return 0;
    }
    f->op = op;
    return 0;
}

static int be_join(void *data, struct ctl_op *op, const char *peer)
{
    return be_op(data, op, peer, false);
}

static int be_remove(void *data,
                     struct ctl_op *op,
                     const char *node,
                     bool force)
{
    return be_op(data, op, node, force);
}

static int be_transfer(void *data, struct ctl_op *op, const char *node,
                       const char *instance)
{
    struct fixture *f = data;
    snprintf(f->op_instance, sizeof f->op_instance, "%s",
             instance != NULL ? instance : "(null)");
    return be_op(data, op, node, false);
}

static int setup_with(void **state, const struct ctl_backend *tmpl)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ctl_backend be = *tmpl;
    struct ctl_server_opts opts = {.path = NULL};

    vip_log_level = LOG_ERR;
    snprintf(f->dir, sizeof f->dir, "/tmp/vc-svc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/ctl.sock", f->dir);
    opts.path = f->path;
    be.data = f;
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(ctl_service_init(&f->svc, &f->loop, &opts, &be), 0);
    assert_int_equal(ctl_service_start(&f->svc), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    struct ctl_backend be = {
        .status = be_status,
        .events = be_events,
        .join = be_join,
        .remove = be_remove,
        .transfer = be_transfer,
    };
    return setup_with(state, &be);
}

static int setup_empty(void **state)
{
    struct ctl_backend be = {.data = NULL};
    return setup_with(state, &be);
}

#define LOOP_UNTIL(f, cond) LOOP_RUN_UNTIL(&(f)->loop, cond, 3000)

static void close_cb(struct ctl_service *svc)
{
    struct fixture *f = svc->data;
    f->closed = true;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[64];

    if (!f->closed) {
        f->svc.data = f;
        ctl_service_close(&f->svc, close_cb);
        LOOP_UNTIL(f, f->closed);
    }
    if (f->op != NULL) { /* an op may outlive the socket */
        ctl_op_done(f->op, 0, NULL);
    }
    assert_int_equal(f->svc.n_ops, 0);
    assert_int_equal(f->svc.n_followers, 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/****** Client ******/

static int client(struct fixture *f, const char *line)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", f->path);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL),
                     (ssize_t)strlen(line));
    return fd;
}

/* The next line as JSON, running the loop meanwhile; NULL at EOF. */
static json_t *line_of(struct fixture *f, int fd)
{
    static char buf[65536];
    size_t len = 0;
    uint64_t deadline = vip_now_ms() + 3000;

    for (;;) {
        ssize_t n = recv(fd, buf + len, 1, MSG_DONTWAIT);
        if (n == 1 && buf[len] == '\n') {
            json_t *o = json_loadb(buf, len, 0, NULL);
            assert_non_null(o);
            return o;
        }
        if (n == 1) {
            assert_true(++len < sizeof buf);
            continue;
        }
        if (n == 0) {
            return NULL;
        }
        if (vip_now_ms() > deadline) {
            fail_msg("no line within 3 s");
        }
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(200);
    }
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/****** Tests ******/

/* status answers the backend's model in the documented layout. */
static void status_renders_model(void **state)
{
    struct fixture *f = *state;
    char errmsg[VIP_ERRMSG_SIZE];
    struct vip_status st;
    int fd = client(f, "{\"cmd\":\"status\"}\n");
    json_t *o = line_of(f, fd);

    assert_true(json_is_true(json_object_get(o, "ok")));
    assert_int_equal(
        status_json_decode(json_object_get(o, "status"), &st, errmsg), 0);
    assert_int_equal(st.node_id, 2);
    assert_true(st.holds);
    assert_string_equal(st.nodes[0].name, "n2");
    assert_int_equal(st.instances[0].holder_id, 2);
    vip_status_free(&st);
    json_decref(o);
    close(fd);
}

/* A backend error becomes an error reply with its code. */
static void status_error(void **state)
{
    struct fixture *f = *state;
    f->status_rv = VIP_ERAFT;
    int fd = client(f, "{\"cmd\":\"status\"}\n");
    json_t *o = line_of(f, fd);
    assert_int_equal(json_integer_value(json_object_get(o, "code")), VIP_ERAFT);
    assert_string_equal(str(o, "error"), "consensus error");
    json_decref(o);
    close(fd);
}

/* Commands whose backend call is missing answer "not implemented". */
static void missing_callbacks(void **state)
{
    struct fixture *f = *state;
    static const char *const lines[] = {
        "{\"cmd\":\"status\"}\n", "{\"cmd\":\"events\"}\n",
        "{\"cmd\":\"leave\"}\n",
        "{\"cmd\":\"maintenance\",\"args\":{\"on\":true}}\n"};
    for (size_t i = 0; i < 4; i++) {
        int fd = client(f, lines[i]);
        json_t *o = line_of(f, fd);
        assert_int_equal(json_integer_value(json_object_get(o, "code")),
                         VIP_ENOTIMPL);
        json_decref(o);
        close(fd);
    }
    assert_int_equal(f->svc.n_ops, 0);
}

/* An operation refused at once, and one finished inside the call. */
static void op_sync(void **state)
{
    struct fixture *f = *state;
    f->op_rv = VIP_ENOENT;
    int fd = client(f, "{\"cmd\":\"remove\",\"args\":{\"node\":\"n9\"}}\n");
    json_t *o = line_of(f, fd);
    assert_int_equal(json_integer_value(json_object_get(o, "code")),
                     VIP_ENOENT);
    assert_string_equal(f->op_arg, "n9");
    assert_false(f->op_flag);
    json_decref(o);
    close(fd);

    f->op_rv = 0;
    f->op_done_now = true;
    fd = client(f,
                "{\"cmd\":\"remove\",\"args\":{\"node\":\"3\",\"force\":"
                "true}}\n");
    o = line_of(f, fd);
    assert_true(json_is_true(json_object_get(o, "ok")));
    assert_string_equal(str(o, "message"), "done at once");
    assert_true(f->op_flag);
    assert_int_equal(f->svc.n_ops, 0);
    json_decref(o);
    close(fd);
}

/* Progress lines, then an error that names the leader. */
static void op_async_progress_and_leader(void **state)
{
    struct fixture *f = *state;
    int fd = client(f, "{\"cmd\":\"transfer\"}\n");
    LOOP_UNTIL(f, f->op != NULL);
    assert_string_equal(f->op_arg, ""); /* no node: NULL */
    assert_int_equal(f->svc.n_ops, 1);
    ctl_op_progress(f->op, "releasing");
    ctl_op_set_leader(f->op, "n1 (10.0.0.1:5405)");
    ctl_op_done(f->op, VIP_ENOTLEADER, NULL);
    f->op = NULL;
    json_t *o = line_of(f, fd);
    assert_true(json_is_true(json_object_get(o, "more")));
    assert_string_equal(str(o, "progress"), "releasing");
    json_decref(o);
    o = line_of(f, fd);
    assert_int_equal(json_integer_value(json_object_get(o, "code")),
                     VIP_ENOTLEADER);
    assert_string_equal(str(o, "leader"), "n1 (10.0.0.1:5405)");
    assert_string_equal(str(o, "error"), "this node is not the leader");
    json_decref(o);
    close(fd);
}

/* transfer's "instance" reaches the backend with the node; without it
 * the backend gets NULL (every unit). */
static void op_transfer_instance(void **state)
{
    struct fixture *f = *state;
    json_t *o;
    int fd;

    f->op_done_now = true;
    fd = client(f, "{\"cmd\":\"transfer\",\"args\":{\"node\":\"n3\","
                   "\"instance\":\"VI_2\"}}\n");
    o = line_of(f, fd);
    assert_true(json_is_true(json_object_get(o, "ok")));
    assert_string_equal(f->op_arg, "n3");
    assert_string_equal(f->op_instance, "VI_2");
    json_decref(o);
    close(fd);
    fd = client(f, "{\"cmd\":\"transfer\",\"args\":{\"node\":\"n1\"}}\n");
    o = line_of(f, fd);
    assert_true(json_is_true(json_object_get(o, "ok")));
    assert_string_equal(f->op_arg, "n1");
    assert_string_equal(f->op_instance, "(null)");
    json_decref(o);
    close(fd);
}

/* The client leaves mid-operation: the op is marked cancelled and stays
 * valid; progress and done after that are safe. */
static void op_client_gone(void **state)
{
    struct fixture *f = *state;
    int fd = client(f, "{\"cmd\":\"join\",\"args\":{\"peer\":\"p:1\"}}\n");
    LOOP_UNTIL(f, f->op != NULL);
    assert_false(ctl_op_cancelled(f->op));
    assert_int_equal(ctl_op_peer(f->op)->uid, geteuid());
    close(fd);
    LOOP_UNTIL(f, ctl_op_cancelled(f->op));
    ctl_op_progress(f->op, "still going");
    ctl_op_done(f->op, 0, "joined");
    f->op = NULL;
    assert_int_equal(f->svc.n_ops, 0);
}

/* events --follow: the backlog, then published events in order, then the
 * end of the stream. */
static void follow_stream(void **state)
{
    struct fixture *f = *state;
    struct vip_event ev;
    int fd = client(f, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    json_t *o = line_of(f, fd);

    assert_true(json_is_true(json_object_get(o, "more")));
    assert_int_equal(json_array_size(json_object_get(o, "events")), 2);
    json_decref(o);
    assert_int_equal(f->svc.n_followers, 1);
    for (uint64_t i = 3; i <= 4; i++) {
        make_event(&ev, i);
        ctl_service_event(&f->svc, &ev);
    }
    for (uint64_t i = 3; i <= 4; i++) {
        o = line_of(f, fd);
        json_t *e = json_array_get(json_object_get(o, "events"), 0);
        assert_int_equal(json_integer_value(json_object_get(e, "index")), i);
        assert_string_equal(str(e, "kind"), "holder");
        json_decref(o);
    }
    ctl_service_end_follow(&f->svc);
    assert_int_equal(f->svc.n_followers, 0);
    assert_null(line_of(f, fd));
    close(fd);
    /* Without follow: one final line. */
    fd = client(f, "{\"cmd\":\"events\"}\n");
    o = line_of(f, fd);
    assert_null(json_object_get(o, "more"));
    assert_int_equal(json_array_size(json_object_get(o, "events")), 2);
    json_decref(o);
    close(fd);
}

/* A follower that disconnects is dropped; publishing goes on. */
static void follower_gone(void **state)
{
    struct fixture *f = *state;
    struct vip_event ev;
    int fd = client(f, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    json_decref(line_of(f, fd));
    close(fd);
    LOOP_UNTIL(f, f->svc.n_followers == 0);
    make_event(&ev, 9);
    ctl_service_event(&f->svc, &ev);
}

/* Closing with a follower and a running op: the follower ends, the op
 * outlives the socket and finishes after the close (teardown). */
static void close_with_op_and_follower(void **state)
{
    struct fixture *f = *state;
    int fd1 = client(f, "{\"cmd\":\"events\",\"args\":{\"follow\":true}}\n");
    int fd2 = client(f, "{\"cmd\":\"join\",\"args\":{\"peer\":\"p\"}}\n");
    json_decref(line_of(f, fd1));
    LOOP_UNTIL(f, f->op != NULL);
    f->svc.data = f;
    ctl_service_close(&f->svc, close_cb);
    LOOP_UNTIL(f, f->closed);
    assert_int_equal(f->svc.n_followers, 0);
    assert_int_equal(f->svc.n_ops, 1);
    assert_true(ctl_op_cancelled(f->op));
    assert_null(line_of(f, fd1));
    assert_null(line_of(f, fd2));
    close(fd1);
    close(fd2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_renders_model, setup, teardown),
        cmocka_unit_test_setup_teardown(status_error, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_callbacks, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(op_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(op_async_progress_and_leader, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(op_transfer_instance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(op_client_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(follower_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(close_with_op_and_follower, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
