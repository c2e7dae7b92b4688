/* The health scheduler on a real loop: real scripts whose result the test
 * controls through a file, fall/rise over time, track_file, interfaces,
 * native checks, refusal, replay, close. */
#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "src/health.h"
#include "tests/unit/health_util.h"
#include "tests/unit/http_server.h"

#define MAX_EVENTS 64

struct event
{
    char name[HEALTH_NAME_MAX];
    int32_t value;
    uint64_t at_ms;
};

struct fixture
{
    uv_loop_t loop;
    struct health h;
    struct vip_config cfg;
    struct cfg_script scripts[4];
    struct cfg_track_file files[1];
    struct cfg_instance inst;
    struct cfg_track tscripts[4];
    struct cfg_track tifs[1];
    struct cfg_track tfiles[1];
    char *dir;
    char *state_path; /* the ctl script exits with this file's number */
    char *file_path;  /* the track_file */
    char *ctl_cmd;
    struct event events[MAX_EVENTS];
    int n_events;
    bool closed;
    struct hs_server srv;
};

static void transition(void *data, const char *name, int32_t value)
{
    struct fixture *f = data;
    assert_true(f->n_events < MAX_EVENTS);
    struct event *e = &f->events[f->n_events++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->value = value;
    e->at_ms = vip_now_ms();
}

static void set_state(struct fixture *f, const char *v)
{
    FILE *fp = fopen(f->state_path, "w");
    assert_non_null(fp);
    fputs(v, fp);
    fclose(fp);
}

static void set_file(struct fixture *f, const char *v)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->file_path);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs(v, fp);
    fclose(fp);
    assert_int_equal(rename(tmp, f->file_path), 0);
}

/* Script 0 is "chk": exits with the number in the state file, every
 * 40 ms, fall 2, rise 3. The instance tracks it, interface vh-if1 and
 * track_file f1. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->dir = hu_tmpdir();
    assert_true(asprintf(&f->state_path, "%s/state", f->dir) > 0);
    assert_true(asprintf(&f->file_path, "%s/prio", f->dir) > 0);
    char *body = NULL;
    assert_true(asprintf(&body, "#!/bin/sh\nexit $(cat %s)\n", f->state_path) >
                0);
    f->ctl_cmd = hu_write(f->dir, "ctl.sh", body, 0755);
    free(body);
    set_state(f, "0");

    struct cfg_script *s = &f->scripts[0];
    snprintf(s->name, sizeof s->name, "chk");
    s->kind = CFG_CHECK_SCRIPT;
    s->command = f->ctl_cmd;
    s->interval_ms = 40;
    s->timeout_ms = 2000;
    s->weight = -20;
    s->fall = 2;
    s->rise = 3;
    snprintf(f->files[0].name, sizeof f->files[0].name, "f1");
    f->files[0].path = f->file_path;
    f->files[0].weight = 1;

    struct cfg_instance *in = &f->inst;
    snprintf(in->name, sizeof in->name, "VI_1");
    snprintf(in->interface, sizeof in->interface, "vh-if0");
    in->priority = 100;
    snprintf(f->tscripts[0].name, sizeof f->tscripts[0].name, "chk");
    in->track_scripts = f->tscripts;
    in->n_track_scripts = 1;
    snprintf(f->tifs[0].name, sizeof f->tifs[0].name, "vh-if1");
    in->track_interfaces = f->tifs;
    in->n_track_interfaces = 1;
    snprintf(f->tfiles[0].name, sizeof f->tfiles[0].name, "f1");
    in->track_files = f->tfiles;
    in->n_track_files = 1;

    f->cfg.scripts = f->scripts;
    f->cfg.n_scripts = 1;
    f->cfg.track_files = f->files;
    f->cfg.n_track_files = 1;
    f->cfg.instances = &f->inst;
    f->cfg.n_instances = 1;
    *state = f;
    return 0;
}

static void closed_cb(struct health *h)
{
    struct fixture *f =
        (struct fixture *)((char *)h - offsetof(struct fixture, h));
    f->closed = true;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hu_loop_close(&f->loop);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    hu_rmrf(f->dir);
    free(f->state_path);
    free(f->file_path);
    free(f->ctl_cmd);
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    struct health_cbs cbs = {.data = f, .transition = transition};
    assert_int_equal(health_init(&f->h, &f->loop, &f->cfg, &cbs), 0);
    f->h.file_interval_ms = 30;
    assert_int_equal(health_start(&f->h), 0);
}

static void stop(struct fixture *f)
{
    health_close(&f->h, closed_cb);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
}

/* Index of the first event for @name at or after @from; -1 if none. */
static int find_event(struct fixture *f, const char *name, int from)
{
    for (int i = from; i < f->n_events; i++) {
        if (strcmp(f->events[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

static int count_events(struct fixture *f, const char *name)
{
    int n = 0;
    for (int i = 0; i < f->n_events; i++) {
        n += strcmp(f->events[i].name, name) == 0;
    }
    return n;
}

/* Run until an event for @name appears at index >= @from. */
static int wait_event(struct fixture *f,
                      const char *name,
                      int from,
                      uint64_t max_ms)
{
    uint64_t end = vip_now_ms() + max_ms;
    int i;
    while ((i = find_event(f, name, from)) < 0 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    return i;
}

/* The check set follows the config: scripts, files and interfaces with
 * their names; values are unknown until reported. */
static void test_check_set(void **state)
{
    struct fixture *f = *state;
    struct health_cbs cbs = {.data = f, .transition = transition};
    int32_t v;
    assert_int_equal(health_init(&f->h, &f->loop, &f->cfg, &cbs), 0);
    assert_int_equal(health_n_checks(&f->h), 4);
    assert_int_equal(health_value(&f->h, "chk", &v), -EAGAIN);
    assert_int_equal(health_value(&f->h, "file:f1", &v), -EAGAIN);
    assert_int_equal(health_value(&f->h, "if:vh-if0", &v), -EAGAIN);
    assert_int_equal(health_value(&f->h, "if:vh-if1", &v), -EAGAIN);
    assert_int_equal(health_value(&f->h, "nope", &v), VIP_ENOENT);
    assert_false(health_all_known(&f->h));
    stop(f); /* never started: closes at once */
    assert_int_equal(f->n_events, 0);
}

/* The first result is reported at once; then a failure is reported only
 * after `fall` (2) failed probes and a recovery after `rise` (3). */
static void test_fall_rise_over_time(void **state)
{
    struct fixture *f = *state;
    int32_t v;
    start(f);
    int i = wait_event(f, "chk", 0, 3000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 1);
    assert_int_equal(health_value(&f->h, "chk", &v), 0);
    assert_int_equal(v, 1);

    struct health_check_status st;
    size_t idx = 0;
    while (health_status(&f->h, idx, &st) == 0 && strcmp(st.name, "chk") != 0) {
        idx++;
    }
    assert_string_equal(st.name, "chk");
    uint64_t probes_before = st.n_probes;

    set_state(f, "1");
    int j = wait_event(f, "chk", i + 1, 3000);
    assert_true(j > i);
    assert_int_equal(f->events[j].value, 0);
    assert_int_equal(health_status(&f->h, idx, &st), 0);
    /* At least `fall` probes saw the failure before it was reported. */
    assert_true(st.n_probes - probes_before >= 2);
    assert_int_equal(st.last_exit_status, 1);
    assert_string_equal(st.last_result, "exit 1");
    assert_true(st.n_failures >= 2);

    uint64_t probes_at_fail = st.n_probes;
    assert_true(st.changed_ms + 1 >= f->events[j].at_ms &&
                st.changed_ms <= f->events[j].at_ms + 1);
    set_state(f, "0");
    int k = wait_event(f, "chk", j + 1, 3000);
    assert_true(k > j);
    assert_int_equal(f->events[k].value, 1);
    assert_int_equal(health_status(&f->h, idx, &st), 0);
    assert_true(st.n_probes - probes_at_fail >= 3);
    /* Exactly three reports: initial, fall, rise. */
    assert_int_equal(count_events(f, "chk"), 3);
    stop(f);
}

/* One failed probe among good ones is absorbed by fall 2. */
static void test_single_failure_absorbed(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_true(wait_event(f, "chk", 0, 3000) >= 0);
    /* A script that fails exactly once, then succeeds again. */
    char *body = NULL;
    char flag[300];
    snprintf(flag, sizeof flag, "%s/once", f->dir);
    assert_true(asprintf(&body,
                         "#!/bin/sh\nif [ ! -e %s ]; then touch %s; exit 1; "
                         "fi\nexit 0\n",
                         flag, flag) > 0);
    free(hu_write(f->dir, "ctl.sh", body, 0755));
    free(body);
    uint64_t end = vip_now_ms() + 3000;
    while (access(flag, F_OK) != 0 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    assert_int_equal(access(flag, F_OK), 0);
    hu_run_for(&f->loop, 300); /* several more good probes */
    assert_int_equal(count_events(f, "chk"), 1);
    stop(f);
}

/* Interfaces: the state is read at start (a missing one is down, lo is
 * up), then reported on each change only. */
static void test_interfaces(void **state)
{
    struct fixture *f = *state;
    int32_t v;
    snprintf(f->inst.interface, sizeof f->inst.interface, "lo");
    start(f);
    assert_int_equal(count_events(f, "if:lo"), 1);
    assert_int_equal(health_value(&f->h, "if:lo", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(count_events(f, "if:vh-if1"), 1);
    assert_int_equal(health_value(&f->h, "if:vh-if1", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(health_set_interface(&f->h, "vh-if1", true), 0);
    assert_int_equal(health_set_interface(&f->h, "vh-if1", true), 0);
    assert_int_equal(count_events(f, "if:vh-if1"), 2);
    assert_int_equal(health_set_interface(&f->h, "vh-if1", false), 0);
    assert_int_equal(count_events(f, "if:vh-if1"), 3);
    assert_int_equal(health_value(&f->h, "if:vh-if1", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(health_set_interface(&f->h, "eth99", true), VIP_ENOENT);
    assert_true(wait_event(f, "chk", 0, 3000) >= 0);
    assert_true(wait_event(f, "file:f1", 0, 3000) >= 0);
    assert_true(health_all_known(&f->h));
    stop(f);
}

/* track_file: the number is reported when known and when it changes;
 * missing file and non-numbers are 0; out-of-range values are ignored. */
static void test_track_file(void **state)
{
    struct fixture *f = *state;
    int32_t v;
    set_file(f, "5\n");
    start(f);
    int i = wait_event(f, "file:f1", 0, 2000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 5);
    set_file(f, "-3");
    i = wait_event(f, "file:f1", i + 1, 2000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, -3);
    set_file(f, "0x10"); /* strtol base 0, as keepalived */
    i = wait_event(f, "file:f1", i + 1, 2000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 16);
    set_file(f, "99999999999"); /* out of range: keep 16 */
    hu_run_for(&f->loop, 150);
    assert_int_equal(find_event(f, "file:f1", i + 1), -1);
    assert_int_equal(unlink(f->file_path), 0); /* missing: 0 */
    i = wait_event(f, "file:f1", i + 1, 2000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    set_file(f, "7");
    i = wait_event(f, "file:f1", i + 1, 2000);
    set_file(f, "abc"); /* not a number: 0 */
    i = wait_event(f, "file:f1", i + 1, 2000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    assert_int_equal(health_value(&f->h, "file:f1", &v), 0);
    assert_int_equal(v, 0);
    stop(f);
}

/* A script that outlives its timeout is killed and counts as failed; the
 * loop keeps running other checks meanwhile. */
static void test_script_timeout(void **state)
{
    struct fixture *f = *state;
    char *slow = hu_write(f->dir, "slow.sh", "#!/bin/sh\nsleep 10\n", 0755);
    f->scripts[0].command = slow;
    f->scripts[0].timeout_ms = 150;
    f->scripts[0].interval_ms = 1000;
    set_file(f, "1");
    start(f);
    /* The file check keeps reporting while the script hangs. */
    assert_true(wait_event(f, "file:f1", 0, 1000) >= 0);
    int i = wait_event(f, "chk", 0, 3000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    struct health_check_status st;
    for (size_t k = 0; health_status(&f->h, k, &st) == 0; k++) {
        if (strcmp(st.name, "chk") == 0) {
            break;
        }
    }
    assert_non_null(strstr(st.last_result, "timed out"));
    assert_true(st.last_duration_ms >= 140 && st.last_duration_ms < 2000);
    stop(f);
    free(slow);
}

/* Closing kills a running script at once and reports nothing more. */
static void test_close_while_running(void **state)
{
    struct fixture *f = *state;
    char *slow = hu_write(f->dir, "slow.sh", "#!/bin/sh\nsleep 10\n", 0755);
    f->scripts[0].command = slow;
    f->scripts[0].timeout_ms = 0; /* = interval */
    f->scripts[0].interval_ms = 20000;
    start(f);
    hu_run_for(&f->loop, 100);
    int before = f->n_events;
    uint64_t t0 = vip_now_ms();
    stop(f);
    assert_true(vip_now_ms() - t0 < 2000);
    assert_int_equal(count_events(f, "chk"), 0);
    assert_int_equal(f->n_events, before);
    free(slow);
}

/* Replay reports every known value again, and only known ones. */
static void test_replay(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_true(wait_event(f, "chk", 0, 3000) >= 0);
    assert_true(wait_event(f, "file:f1", 0, 3000) >= 0);
    int before = f->n_events;
    assert_int_equal(health_replay(&f->h), 4);
    assert_int_equal(f->n_events, before + 4);
    assert_true(find_event(f, "chk", before) >= 0);
    assert_true(find_event(f, "file:f1", before) >= 0);
    assert_true(find_event(f, "if:vh-if0", before) >= 0);
    assert_true(find_event(f, "if:vh-if1", before) >= 0);
    stop(f);
}

/* tcp_check and http_check run through the same scheduler. */
static void test_native_checks(void **state)
{
    struct fixture *f = *state;
    char tcp_target[64];
    char url[64];
    int port = hs_start(&f->srv, &f->loop, HS_200);
    snprintf(tcp_target, sizeof tcp_target, "127.0.0.1:%d", hs_closed_port());
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct cfg_script *t = &f->scripts[1];
    snprintf(t->name, sizeof t->name, "tcp");
    t->kind = CFG_CHECK_TCP;
    t->target = tcp_target;
    t->interval_ms = 50;
    t->fall = t->rise = 1;
    struct cfg_script *h = &f->scripts[2];
    snprintf(h->name, sizeof h->name, "web");
    h->kind = CFG_CHECK_HTTP;
    h->target = url;
    h->http_status = 200;
    h->interval_ms = 50;
    h->timeout_ms = 1000;
    h->fall = h->rise = 1;
    f->cfg.n_scripts = 3;
    snprintf(f->tscripts[1].name, sizeof f->tscripts[1].name, "tcp");
    snprintf(f->tscripts[2].name, sizeof f->tscripts[2].name, "web");
    f->inst.n_track_scripts = 3;
    start(f);
    int i = wait_event(f, "tcp", 0, 3000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    i = wait_event(f, "web", 0, 3000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 1);
    f->srv.mode = HS_503;
    i = wait_event(f, "web", i + 1, 3000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    stop(f);
    hs_stop(&f->srv);
}

/* An https:// http_check runs through the same scheduler, and its status
 * says why it failed in libcurl's words: here the server speaks plain
 * HTTP (it waits for a request line that never comes), so the TLS
 * handshake cannot succeed, even with tls_verify no. */
static void test_https_check(void **state)
{
    struct fixture *f = *state;
    char url[64];
    struct health_check_status st;
    int port = hs_start(&f->srv, &f->loop, HS_200);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/", port);
    struct cfg_script *h = &f->scripts[0];
    h->kind = CFG_CHECK_HTTP;
    h->target = url;
    h->http_status = 200;
    h->interval_ms = 50;
    h->timeout_ms = 1000;
    h->tls_no_verify = true;
    start(f);
    int i = wait_event(f, "chk", 0, 5000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    size_t idx = 0;
    while (health_status(&f->h, idx, &st) == 0 && strcmp(st.name, "chk") != 0) {
        idx++;
    }
    assert_string_equal(st.name, "chk");
    print_message("https check failed with: %s\n", st.last_result);
    assert_true(st.n_failures >= 1);
    assert_true(strlen(st.last_result) > 0);
    assert_null(strstr(st.last_result, "HTTP 200"));
    stop(f);
    hs_stop(&f->srv);
}

/* init_fail: the script is reported failed at start, before any probe,
 * and needs `rise` (3) good probes to become ok. */
static void test_init_fail(void **state)
{
    struct fixture *f = *state;
    f->scripts[0].init_fail = true;
    f->scripts[0].interval_ms = 40;
    start(f);
    int i = find_event(f, "chk", 0);
    assert_true(i >= 0); /* reported inside health_start() */
    assert_int_equal(f->events[i].value, 0);
    int j = wait_event(f, "chk", i + 1, 3000);
    assert_true(j > i);
    assert_int_equal(f->events[j].value, 1);
    struct health_check_status st;
    assert_int_equal(health_status(&f->h, 0, &st), 0);
    assert_true(st.n_probes >= 3);
    stop(f);
}

static void closing_transition(void *data, const char *name, int32_t value)
{
    struct fixture *f = data;
    transition(data, name, value);
    if (f->n_events == 1) {
        health_close(&f->h, closed_cb);
    }
}

/* The owner may close from inside a transition, even one reported by
 * health_start() itself: nothing runs or reports afterwards. */
static void test_close_from_callback(void **state)
{
    struct fixture *f = *state;
    struct health_cbs cbs = {.data = f, .transition = closing_transition};
    assert_int_equal(health_init(&f->h, &f->loop, &f->cfg, &cbs), 0);
    assert_int_equal(health_start(&f->h), 0);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_int_equal(f->n_events, 1);
    hu_run_for(&f->loop, 100);
    assert_int_equal(f->n_events, 1);
}

/* A bad target is an init error with a message. */
static void test_bad_target(void **state)
{
    struct fixture *f = *state;
    struct health_cbs cbs = {.data = f, .transition = transition};
    f->scripts[0].kind = CFG_CHECK_HTTP;
    f->scripts[0].target = "ftp://x/";
    assert_int_equal(health_init(&f->h, &f->loop, &f->cfg, &cbs), VIP_EINVAL);
    assert_non_null(strstr(f->h.errmsg, "chk"));
}

/* Scripts no instance tracks never run. A script that cannot run is
 * reported failed once and never spawned. */
static void test_unused_and_refused(void **state)
{
    struct fixture *f = *state;
    char marker[300];
    snprintf(marker, sizeof marker, "%s/ran", f->dir);
    char *body = NULL;
    assert_true(asprintf(&body, "#!/bin/sh\ntouch %s\n", marker) > 0);
    char *path = hu_write(f->dir, "unused.sh", body, 0755);
    struct cfg_script *u = &f->scripts[1];
    snprintf(u->name, sizeof u->name, "unused");
    u->command = path;
    u->interval_ms = 20;
    f->cfg.n_scripts = 2;
    f->scripts[0].command = "/nonexistent/vh-check";
    start(f);
    int i = wait_event(f, "chk", 0, 1000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    hu_run_for(&f->loop, 150);
    assert_int_equal(access(marker, F_OK), -1);
    assert_int_equal(count_events(f, "chk"), 1);
    assert_int_equal(find_event(f, "unused", 0), -1);
    struct health_check_status st;
    assert_int_equal(health_status(&f->h, 0, &st), 0);
    assert_true(st.is_refused);
    stop(f);
    free(body);
    free(path);
}

/* As root with enable_script_security, a script in a world-writable
 * directory is refused: reported failed, never run. */
static void test_security_refused(void **state)
{
    struct fixture *f = *state;
    if (geteuid() != 0) {
        skip();
    }
    char marker[300];
    snprintf(marker, sizeof marker, "%s/ran", f->dir);
    char *body = NULL;
    assert_true(asprintf(&body, "#!/bin/sh\ntouch %s\n", marker) > 0);
    free(hu_write(f->dir, "ctl.sh", body, 0755));
    free(body);
    assert_int_equal(chmod(f->dir, 0777), 0);
    f->cfg.global.enable_script_security = true;
    snprintf(f->cfg.global.script_user, sizeof f->cfg.global.script_user,
             "root");
    start(f);
    int i = wait_event(f, "chk", 0, 1000);
    assert_true(i >= 0);
    assert_int_equal(f->events[i].value, 0);
    hu_run_for(&f->loop, 150);
    assert_int_equal(access(marker, F_OK), -1);
    stop(f);
    assert_int_equal(chmod(f->dir, 0700), 0);
}

/* Out of file descriptors (a connection flood): the script cannot be
 * spawned, and that is "unknown, keep the last state", never a failure;
 * once descriptors are back, probes run again. */
static void test_fd_exhaustion_is_unknown(void **state)
{
    struct fixture *f = *state;
    struct health_check_status st;
    size_t idx = 0;
    int fds[4096];
    int n_fds = 0;
    int32_t v;

    start(f);
    assert_true(wait_event(f, "chk", 0, 3000) >= 0);
    while (health_status(&f->h, idx, &st) == 0 && strcmp(st.name, "chk") != 0) {
        idx++;
    }
    /* A low limit (as a unit without LimitNOFILE), then take every
     * descriptor left under it. */
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 256;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (int fd; n_fds < 4096 && (fd = dup(0)) >= 0;) {
        fds[n_fds++] = fd;
    }
    assert_int_equal(errno, EMFILE);
    {
        uint64_t end = vip_now_ms() + 2000;
        do {
            hu_run_for(&f->loop, 20);
            assert_int_equal(health_status(&f->h, idx, &st), 0);
        } while (st.n_unknown < 3 && vip_now_ms() < end);
    }
    while (n_fds > 0) {
        close(fds[--n_fds]);
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_true(st.n_unknown >= 3);
    assert_int_equal(st.n_failures, 0);
    assert_int_equal(health_value(&f->h, "chk", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(count_events(f, "chk"), 1); /* only the initial one */
    {
        uint64_t probes = st.n_probes;
        uint64_t end = vip_now_ms() + 2000;
        do {
            hu_run_for(&f->loop, 20);
            assert_int_equal(health_status(&f->h, idx, &st), 0);
        } while (st.n_probes < probes + 2 && vip_now_ms() < end);
        assert_true(st.n_probes >= probes + 2);
    }
    stop(f);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_check_set),
        T(test_fall_rise_over_time),
        T(test_fd_exhaustion_is_unknown),
        T(test_single_failure_absorbed),
        T(test_interfaces),
        T(test_track_file),
        T(test_script_timeout),
        T(test_close_while_running),
        T(test_replay),
        T(test_native_checks),
        T(test_https_check),
        T(test_init_fail),
        T(test_close_from_callback),
        T(test_bad_target),
        T(test_unused_and_refused),
        T(test_security_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
