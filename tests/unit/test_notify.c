/* Notify scripts for real: keepalived's arguments written to files the
 * test reads, independence of slow scripts, timeouts, close. */
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "src/notify.h"
#include "tests/unit/health_util.h"

struct fixture
{
    uv_loop_t loop;
    struct notify n;
    struct vip_config cfg;
    struct cfg_instance inst;
    struct cfg_sync_group group;
    char *dir;
    char *rec;     /* records "$0-ish tag: args" into DIR/out.TAG */
    char *cmds[8]; /* command lines, owned */
    int n_cmds;
    bool closed;
};

/* A command line running the recorder with @tag first. */
static char *rec_cmd(struct fixture *f, const char *tag)
{
    char *line = NULL;
    assert_true(asprintf(&line, "%s %s", f->rec, tag) > 0);
    f->cmds[f->n_cmds++] = line;
    return line;
}

static char *out_path(struct fixture *f, const char *tag)
{
    static char path[300];
    snprintf(path, sizeof path, "%s/out.%s", f->dir, tag);
    return path;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->dir = hu_tmpdir();
    char *body = NULL;
    /* DELAY env-free: a tag starting with "slow" sleeps first. */
    assert_true(asprintf(&body,
                         "#!/bin/sh\ntag=$1; shift\n"
                         "case $tag in slow*) sleep 0.4;; hang*) sleep 30;; "
                         "esac\n"
                         "echo \"$*\" > %s/out.$tag.tmp\n"
                         "mv %s/out.$tag.tmp %s/out.$tag\n"
                         "case $tag in fail*) exit 3;; esac\nexit 0\n",
                         f->dir, f->dir, f->dir) > 0);
    f->rec = hu_write(f->dir, "rec.sh", body, 0755);
    free(body);
    snprintf(f->inst.name, sizeof f->inst.name, "VI_1");
    f->inst.priority = 100;
    snprintf(f->group.name, sizeof f->group.name, "G1");
    f->cfg.instances = &f->inst;
    f->cfg.n_instances = 1;
    f->cfg.groups = &f->group;
    f->cfg.n_groups = 1;
    *state = f;
    return 0;
}

static void closed_cb(struct notify *n)
{
    struct fixture *f =
        (struct fixture *)((char *)n - offsetof(struct fixture, n));
    f->closed = true;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (!f->closed) {
        notify_close(&f->n, closed_cb);
        assert_true(hu_run_until(&f->loop, &f->closed, 40000));
    }
    hu_loop_close(&f->loop);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    for (int i = 0; i < f->n_cmds; i++) {
        free(f->cmds[i]);
    }
    free(f->rec);
    hu_rmrf(f->dir);
    free(f);
    return 0;
}

/* Wait until the recorder wrote out.TAG; returns its content. */
static const char *wait_out(struct fixture *f, const char *tag, uint64_t max_ms)
{
    uint64_t end = vip_now_ms() + max_ms;
    while (access(out_path(f, tag), F_OK) != 0 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    return hu_read(out_path(f, tag));
}

/* notify_<state> runs bare; `notify` gets INSTANCE NAME STATE PRIORITY. */
static void test_instance_args(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.master = rec_cmd(f, "master");
    f->inst.notify.backup = rec_cmd(f, "backup");
    f->inst.notify.any = rec_cmd(f, "any");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 110), 2);
    assert_string_equal(wait_out(f, "master", 3000), "\n");
    assert_string_equal(wait_out(f, "any", 3000), "INSTANCE VI_1 MASTER 110\n");
    assert_int_equal(access(out_path(f, "backup"), F_OK), -1);
    /* A state without its own script still runs `notify`. */
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_FAULT, 80), 1);
    assert_int_equal(notify_instance(&f->n, 7, NOTIFY_FAULT, 80), VIP_EINVAL);
    uint64_t end = vip_now_ms() + 3000;
    while (f->n.n_ok < 3 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    assert_int_equal(f->n.n_ok, 3);
    assert_string_equal(hu_read(out_path(f, "any")),
                        "INSTANCE VI_1 FAULT 80\n");
}

/* Reload: a staged set is used only once committed; a discarded one
 * never runs. */
static void test_reload_stage_commit(void **state)
{
    struct fixture *f = *state;
    struct vip_config cfg2 = f->cfg;
    struct cfg_instance inst2 = f->inst;
    struct notify_staged st;

    f->inst.notify.master = rec_cmd(f, "old");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    inst2.notify.master = rec_cmd(f, "new");
    cfg2.instances = &inst2;
    /* Staged and dropped: the old command still runs. */
    assert_int_equal(notify_stage(&cfg2, &st), 0);
    notify_discard(&st);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 1);
    assert_string_equal(wait_out(f, "old", 3000), "\n");
    /* Staged and committed: the new one runs, the old one no more. */
    assert_int_equal(unlink(out_path(f, "old")), 0);
    assert_int_equal(notify_stage(&cfg2, &st), 0);
    notify_commit(&f->n, &st);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 1);
    assert_string_equal(wait_out(f, "new", 3000), "\n");
    assert_int_equal(access(out_path(f, "old"), F_OK), -1);
    /* Closing frees the committed set (teardown, under ASan). */
    notify_close(&f->n, closed_cb);
    assert_true(hu_run_until(&f->loop, &f->closed, 40000));
}

/* Groups: GROUP NAME STATE 0, and notify_stop. */
static void test_group_args(void **state)
{
    struct fixture *f = *state;
    f->group.notify.stop = rec_cmd(f, "gstop");
    f->group.notify.any = rec_cmd(f, "gany");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(notify_group(&f->n, 0, NOTIFY_STOP), 2);
    assert_string_equal(wait_out(f, "gany", 3000), "GROUP G1 STOP 0\n");
    assert_string_equal(wait_out(f, "gstop", 3000), "\n");
}

/* A slow notify does not delay a fast one or the loop. */
static void test_slow_does_not_block(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.backup = rec_cmd(f, "slowb");
    f->inst.notify.any = rec_cmd(f, "fast");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    uint64_t t0 = vip_now_ms();
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_BACKUP, 90), 2);
    assert_true(vip_now_ms() - t0 < 300); /* spawning did not wait */
    assert_string_equal(wait_out(f, "fast", 3000), "INSTANCE VI_1 BACKUP 90\n");
    assert_int_equal(access(out_path(f, "slowb"), F_OK), -1);
    assert_string_equal(wait_out(f, "slowb", 3000), "\n");
}

/* A hung notify is killed at the timeout and counted as failed; a non-zero
 * exit is counted as failed too. */
static void test_timeout_and_failure(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.master = rec_cmd(f, "hang");
    f->inst.notify.any = rec_cmd(f, "failx");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    f->n.timeout_ms = 200;
    uint64_t t0 = vip_now_ms();
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 2);
    uint64_t end = vip_now_ms() + 5000;
    while (f->n.n_failed < 2 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    assert_int_equal(f->n.n_failed, 2);
    assert_int_equal(f->n.n_ok, 0);
    assert_true(vip_now_ms() - t0 < 3000);
    assert_int_equal(access(out_path(f, "hang"), F_OK), -1);
}

/* Close lets a running notify (e.g. notify_stop) finish first, and no new
 * notify starts afterwards. */
static void test_close_waits(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.stop = rec_cmd(f, "slowstop");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_STOP, 100), 1);
    notify_close(&f->n, closed_cb);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_STOP, 100), 0);
    assert_false(f->closed);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_string_equal(hu_read(out_path(f, "slowstop")), "\n");
}

/* STOP notifies get keepalived's short timeout (1 s by default), the
 * others the long one: a hung notify_stop cannot hold up shutdown. */
static void test_stop_timeout(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.stop = rec_cmd(f, "hangstop");
    f->inst.notify.master = rec_cmd(f, "slowm");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(f->n.stop_timeout_ms, 1000);
    f->n.stop_timeout_ms = 100;
    f->n.timeout_ms = 5000;
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_STOP, 100), 1);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 1);
    uint64_t end = vip_now_ms() + 3000;
    while ((f->n.n_failed < 1 || f->n.n_ok < 1) && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    /* The stop script was killed; the slow (0.4 s) master one was not. */
    assert_int_equal(f->n.n_failed, 1);
    assert_int_equal(f->n.n_ok, 1);
    assert_string_equal(hu_read(out_path(f, "slowm")), "\n");
}

/* A command that cannot run is refused at init and never started. */
static void test_refused(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.master = "/nonexistent/vh-notify";
    f->inst.notify.fault = "echo 'unterminated";
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(f->n.n_refused, 2);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 0);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_FAULT, 100), 0);
    assert_int_equal(f->n.n_started, 0);
    assert_string_equal(notify_state_name(NOTIFY_BACKUP), "BACKUP");
}

/* `notify_master "CMD" USER`: the script runs as USER, not script_user;
 * an unknown USER refuses the script. Needs root (setuid). */
static void test_per_script_user(void **state)
{
    struct fixture *f = *state;
    struct passwd *pw = getpwnam("nobody");
    if (geteuid() != 0 || pw == NULL) {
        skip();
    }
    uid_t nobody = pw->pw_uid; /* getpwnam's buffer is reused */
    /* nobody must reach the script and write its output. */
    assert_int_equal(chmod(f->dir, 0755), 0);
    char *out = NULL;
    assert_true(asprintf(&out, "%s/w", f->dir) > 0);
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(chmod(out, 0777), 0);
    char *body = NULL;
    assert_true(asprintf(&body, "#!/bin/sh\nid -u > %s/uid.tmp\n"
                                "mv %s/uid.tmp %s/uid\n",
                         out, out, out) > 0);
    char *script = hu_write(f->dir, "uid.sh", body, 0755);
    free(body);
    f->inst.notify.master = script;
    snprintf(f->inst.notify.master_as.user, CFG_NAME_MAX, "nobody");
    f->inst.notify.fault = "/bin/true";
    snprintf(f->inst.notify.fault_as.user, CFG_NAME_MAX, "vh-no-such-user");
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    assert_int_equal(f->n.n_refused, 1); /* the unknown user */
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 100), 1);
    char *uid_path = NULL;
    assert_true(asprintf(&uid_path, "%s/uid", out) > 0);
    uint64_t end = vip_now_ms() + 3000;
    while (access(uid_path, F_OK) != 0 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 5);
    }
    char want[32];
    snprintf(want, sizeof want, "%u\n", (unsigned)nobody);
    assert_string_equal(hu_read(uid_path), want);
    free(uid_path);
    free(script);
    free(out);
}

/* keepalived's notify FIFOs: vipd creates the FIFO, starts the reader
 * script with the path as last argument, and writes one line per event in
 * keepalived's format to notify_fifo and vrrp_notify_fifo alike; closing
 * stops the reader. */
static void test_notify_fifo(void **state)
{
    struct fixture *f = *state;
    char *fifo = NULL, *fifo2 = NULL, *reader = NULL, *body = NULL;
    assert_true(asprintf(&fifo, "%s/events.fifo", f->dir) > 0);
    assert_true(asprintf(&fifo2, "%s/vrrp.fifo", f->dir) > 0);
    /* The reader copies each line it gets to out.fifo, as it comes. */
    assert_true(asprintf(&body,
                         "#!/bin/sh\nwhile read -r line; do "
                         "echo \"$line\" >> %s/out.fifo; done < \"$1\"\n",
                         f->dir) > 0);
    reader = hu_write(f->dir, "reader.sh", body, 0755);
    free(body);
    f->cfg.global.fifos[0].path = fifo;
    f->cfg.global.fifos[0].script = reader;
    f->cfg.global.fifos[1].path = fifo2; /* no reader: lines stay queued */
    assert_int_equal(notify_init(&f->n, &f->loop, &f->cfg), 0);
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(notify_instance(&f->n, 0, NOTIFY_MASTER, 110), 0);
    assert_int_equal(notify_group(&f->n, 0, NOTIFY_BACKUP), 0);
    const char *want = "INSTANCE \"VI_1\" MASTER 110\nGROUP \"G1\" BACKUP 0\n";
    uint64_t end = vip_now_ms() + 3000;
    const char *got = NULL;
    while (vip_now_ms() < end) {
        got = access(out_path(f, "fifo"), F_OK) == 0
                  ? hu_read(out_path(f, "fifo"))
                  : NULL;
        if (got != NULL && strcmp(got, want) == 0) {
            break;
        }
        hu_run_for(&f->loop, 10);
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    /* The FIFO without a reader holds the same lines. */
    int fd = open(fifo2, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    char buf[256] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_true(n > 0);
    assert_string_equal(buf, want);
    assert_int_equal(f->n.n_fifo_dropped, 0);
    /* teardown() closes: the reader is killed, so close completes. */
    notify_close(&f->n, closed_cb);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    f->cfg.global.fifos[0].path = NULL;
    f->cfg.global.fifos[0].script = NULL;
    f->cfg.global.fifos[1].path = NULL;
    free(fifo);
    free(fifo2);
    free(reader);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_instance_args),
        T(test_group_args),
        T(test_slow_does_not_block),
        T(test_timeout_and_failure),
        T(test_close_waits),
        T(test_stop_timeout),
        T(test_refused),
        T(test_reload_stage_commit),
        T(test_per_script_user),
        T(test_notify_fifo),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
