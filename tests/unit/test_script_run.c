/* Script commands run for real on a libuv loop: exit codes, timeouts,
 * signals, process groups, users, environment, security refusal. */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include "src/script_cmd.h"
#include "src/script_run.h"
#include "tests/unit/health_util.h"

struct fixture
{
    uv_loop_t loop;
    struct script_runner sr;
    char *dir;
    bool done;
    bool closed;
    struct script_result res;
    int n_results;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    script_runner_init(&f->sr, &f->loop);
    f->sr.data = f;
    f->dir = hu_tmpdir();
    *state = f;
    return 0;
}

static void closed_cb(struct script_runner *sr)
{
    struct fixture *f = sr->data;
    f->closed = true;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    script_runner_close(&f->sr, true, closed_cb);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    hu_loop_close(&f->loop);
    /* libuv reaped every child: nothing is left to wait for. */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    hu_rmrf(f->dir);
    free(f);
    return 0;
}

static void result_cb(void *data, const struct script_result *res)
{
    struct fixture *f = data;
    f->res = *res;
    f->n_results++;
    f->done = true;
}

/* Prepare a script with @body in the fixture dir, run it, wait. */
static void run_script(struct fixture *f, const char *body, uint32_t timeout_ms)
{
    struct script_cmd cmd;
    char *path = hu_write(f->dir, "s.sh", body, 0755);
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), 0);
    f->done = false;
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, timeout_ms, result_cb, f),
        0);
    assert_int_equal(script_runner_active(&f->sr), 1);
    assert_true(hu_run_until(&f->loop, &f->done, 10000));
    assert_int_equal(script_runner_active(&f->sr), 0);
    script_cmd_close(&cmd);
    free(path);
}

/* Exit status 0 is ok. */
static void test_exit_zero(void **state)
{
    struct fixture *f = *state;
    run_script(f, "#!/bin/sh\nexit 0\n", 5000);
    assert_int_equal(f->res.outcome, SCRIPT_EXITED);
    assert_int_equal(f->res.exit_status, 0);
    assert_true(f->res.is_ok);
    assert_int_equal(f->n_results, 1);
}

/* Any other exit status is a failure and is reported as such. */
static void test_exit_nonzero(void **state)
{
    struct fixture *f = *state;
    run_script(f, "#!/bin/sh\nexit 3\n", 5000);
    assert_int_equal(f->res.outcome, SCRIPT_EXITED);
    assert_int_equal(f->res.exit_status, 3);
    assert_false(f->res.is_ok);
}

/* Scripts get default signal dispositions even though the daemon ignores
 * SIGPIPE (ctl_server_start()): `cmd | head` must work as in a shell. */
static void test_sigpipe_default_in_script(void **state)
{
    struct fixture *f = *state;
    struct sigaction old;
    struct sigaction ign = {.sa_handler = SIG_IGN};

    assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
    run_script(f,
               "#!/bin/sh\n"
               "m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)\n"
               "[ $(( 0x$m & 0x1000 )) -eq 0 ]\n",
               5000);
    assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
    assert_int_equal(f->res.outcome, SCRIPT_EXITED);
    assert_true(f->res.is_ok);
}

/* A script killed by a signal (not ours) fails with that signal. */
static void test_killed_by_signal(void **state)
{
    struct fixture *f = *state;
    run_script(f, "#!/bin/sh\nkill -TERM $$\nsleep 5\n", 5000);
    assert_int_equal(f->res.outcome, SCRIPT_SIGNALED);
    assert_int_equal(f->res.term_signal, SIGTERM);
    assert_false(f->res.is_ok);
}

static bool pid_is_gone(pid_t pid)
{
    char path[64];
    char buf[256];
    if (kill(pid, 0) != 0) {
        return true;
    }
    /* A zombie waiting for its reaper (init) is gone for our purpose. */
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return true;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* A late script is killed with its whole process group, counted as timed
 * out, and the loop was never blocked meanwhile. */
static void test_timeout_kills_group(void **state)
{
    struct fixture *f = *state;
    char *body = NULL;
    char pidfile[256];
    snprintf(pidfile, sizeof pidfile, "%s/child.pid", f->dir);
    assert_true(asprintf(&body, "#!/bin/sh\nsleep 30 &\necho $! > %s\nwait\n",
                         pidfile) > 0);
    uint64_t t0 = vip_now_ms();
    run_script(f, body, 300);
    free(body);
    assert_int_equal(f->res.outcome, SCRIPT_TIMEDOUT);
    assert_int_equal(f->res.term_signal, SIGKILL);
    assert_false(f->res.is_ok);
    assert_true(f->res.duration_ms >= 300);
    assert_true(vip_now_ms() - t0 < 5000);
    pid_t child = (pid_t)atoi(hu_read(pidfile));
    assert_true(child > 0);
    uint64_t end = vip_now_ms() + 3000;
    while (!pid_is_gone(child) && vip_now_ms() < end) {
        usleep(10000);
    }
    assert_true(pid_is_gone(child));
}

/* Extra arguments are appended; the environment loses LD_* and IFS. */
static void test_args_and_env(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    char *out = NULL;
    char *line = NULL;
    assert_true(asprintf(&out, "%s/out", f->dir) > 0);
    char *path = hu_write(f->dir, "args.sh",
                          "#!/bin/sh\nout=$1; shift\n"
                          "echo \"$#:$1|$2|$3|$4\" > $out\n"
                          "env | grep -c -E '^(LD_LIBRARY_PATH|IFS|VH_SECRET)=' >> $out\n"
                          "echo \"$PATH\" >> $out\n"
                          "exit 0\n",
                          0755);
    assert_true(asprintf(&line, "'%s' '%s'", path, out) > 0);
    setenv("LD_LIBRARY_PATH", "/nonexistent", 1);
    setenv("IFS", ":", 1);
    setenv("VH_SECRET", "daemon-only", 1);
    char *saved_path = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/tmp/writable:/usr/bin:/bin", 1);
    assert_int_equal(script_cmd_init(&cmd, line), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), 0);
    const char *extra[] = {"INSTANCE", "VI 1", "MASTER", "100"};
    f->done = false;
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, extra, 4, 5000, result_cb, f), 0);
    assert_true(hu_run_until(&f->loop, &f->done, 10000));
    unsetenv("LD_LIBRARY_PATH");
    unsetenv("IFS");
    unsetenv("VH_SECRET");
    if (saved_path != NULL) {
        setenv("PATH", saved_path, 1);
        free(saved_path);
    } else {
        unsetenv("PATH");
    }
    assert_true(f->res.is_ok);
    /* Only a minimal environment, with a fixed PATH. */
    assert_string_equal(hu_read(out), "4:INSTANCE|VI 1|MASTER|100\n0\n"
                                      SCRIPT_DEFAULT_PATH "\n");
    script_cmd_close(&cmd);
    free(path);
    free(out);
    free(line);
}

/* A bare name is found in PATH; a missing program is an error at prepare
 * time, and a vanished one fails at spawn without a callback. */
static void test_path_lookup_and_spawn_error(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    assert_int_equal(script_cmd_init(&cmd, "true"), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), 0);
    assert_non_null(cmd.path);
    assert_non_null(strstr(cmd.path, "/true"));
    script_cmd_close(&cmd);

    assert_int_equal(script_cmd_init(&cmd, "no-such-program-vh"), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), -ENOENT);
    script_cmd_close(&cmd);

    assert_int_equal(script_cmd_init(&cmd, "/nonexistent/vh"), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), -ENOENT);
    f->done = false;
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, 1000, result_cb, f),
        UV_ENOENT);
    hu_run_for(&f->loop, 50);
    assert_false(f->done);
    script_cmd_close(&cmd);
}

/* Closing the runner kills running scripts and reports them cancelled. */
static void test_close_kills(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    char *path = hu_write(f->dir, "slow.sh", "#!/bin/sh\nsleep 20\n", 0755);
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), 0);
    f->done = false;
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, 0, result_cb, f), 0);
    hu_run_for(&f->loop, 50);
    uint64_t t0 = vip_now_ms();
    script_runner_close(&f->sr, true, closed_cb);
    assert_true(hu_run_until(&f->loop, &f->closed, 5000));
    assert_true(vip_now_ms() - t0 < 2000);
    assert_true(f->done);
    assert_int_equal(f->res.outcome, SCRIPT_CANCELLED);
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, 0, result_cb, f),
        VIP_EINVAL);
    script_cmd_close(&cmd);
    free(path);
}

/* keepalived's rule: a path component writable by non-root, or owned by
 * someone else, makes a root script unsafe. */
static void test_path_check(void **state)
{
    struct fixture *f = *state;
    char msg[VIP_ERRMSG_SIZE];
    char *path = hu_write(f->dir, "p.sh", "#!/bin/sh\nexit 0\n", 0755);
    if (geteuid() != 0) {
        /* Our own files are not root's. */
        assert_int_equal(script_path_check(path, msg), -EPERM);
        free(path);
        return;
    }
    int rv = script_path_check(path, msg);
    if (rv != 0) {
        print_error("%s\n", msg);
    }
    assert_int_equal(rv, 0);
    assert_int_equal(script_path_check("/bin/sh", msg), 0);
    assert_int_equal(chmod(path, 0757), 0); /* world-writable file */
    assert_int_equal(script_path_check(path, msg), -EPERM);
    assert_non_null(strstr(msg, "writable"));
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(chmod(f->dir, 0777), 0); /* world-writable dir */
    assert_int_equal(script_path_check(path, msg), -EPERM);
    assert_int_equal(chmod(f->dir, 01777), 0); /* sticky: like /tmp */
    assert_int_equal(script_path_check(path, msg), 0);
    assert_int_equal(chmod(f->dir, 0700), 0);
    assert_int_equal(chown(path, 65534, 0), 0); /* not owned by root */
    assert_int_equal(script_path_check(path, msg), -EPERM);
    assert_non_null(strstr(msg, "owned"));
    assert_int_equal(script_path_check("/nonexistent/x", msg), -ENOENT);
    free(path);
}

/* Running as root with enable_script_security, an unsafe script is
 * refused with a clear message and can never be spawned; without it, it
 * only warns (keepalived's behaviour). */
static void test_security_refusal(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    if (geteuid() != 0) {
        skip();
    }
    char *path = hu_write(f->dir, "unsafe.sh", "#!/bin/sh\nexit 0\n", 0755);
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "root", "", true), -EPERM);
    assert_true(cmd.is_refused);
    assert_non_null(strstr(cmd.errmsg, "refusing"));
    assert_non_null(strstr(cmd.errmsg, f->dir));
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, 1000, result_cb, f), -EPERM);
    script_cmd_close(&cmd);
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "root", "", false), 0);
    assert_false(cmd.is_refused);
    script_cmd_close(&cmd);
    /* Run as an unprivileged user, nothing needs protecting. */
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "nobody", "", true), 0);
    script_cmd_close(&cmd);
    assert_int_equal(chmod(f->dir, 0700), 0);
    /* An unknown user is an error. */
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "no-such-user-vh", "", false),
                     VIP_EINVAL);
    script_cmd_close(&cmd);
    free(path);
}

/* As root, script_user decides the uid the script runs with. */
static void test_runs_as_script_user(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    struct passwd *pw = getpwnam("nobody");
    if (geteuid() != 0 || pw == NULL) {
        skip();
    }
    char outdir[300];
    snprintf(outdir, sizeof outdir, "%s/out", f->dir);
    assert_int_equal(mkdir(outdir, 0777), 0);
    assert_int_equal(chmod(outdir, 0777), 0);
    assert_int_equal(chmod(f->dir, 0755), 0);
    char *body = NULL;
    assert_true(asprintf(&body, "#!/bin/sh\nid -u > %s/uid\n", outdir) > 0);
    char *path = hu_write(f->dir, "who.sh", body, 0755);
    assert_int_equal(script_cmd_init(&cmd, path), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "nobody", "", true), 0);
    assert_true(cmd.set_ids);
    assert_int_equal(cmd.uid, pw->pw_uid);
    f->done = false;
    assert_int_equal(
        script_runner_spawn(&f->sr, &cmd, NULL, 0, 5000, result_cb, f), 0);
    assert_true(hu_run_until(&f->loop, &f->done, 10000));
    assert_true(f->res.is_ok);
    char want[32];
    snprintf(want, sizeof want, "%u\n", (unsigned)pw->pw_uid);
    char uidpath[320];
    snprintf(uidpath, sizeof uidpath, "%s/uid", outdir);
    assert_string_equal(hu_read(uidpath), want);
    script_cmd_close(&cmd);
    free(body);
    free(path);
}

/* Many scripts run at once, each independently. */
static void test_parallel_runs(void **state)
{
    struct fixture *f = *state;
    struct script_cmd cmd;
    assert_int_equal(script_cmd_init(&cmd, "/bin/sh -c 'exit 7'"), 0);
    assert_int_equal(script_cmd_prepare(&cmd, "", "", false), 0);
    f->n_results = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(
            script_runner_spawn(&f->sr, &cmd, NULL, 0, 5000, result_cb, f), 0);
    }
    uint64_t end = vip_now_ms() + 10000;
    while (f->n_results < 20 && vip_now_ms() < end) {
        hu_run_for(&f->loop, 10);
    }
    assert_int_equal(f->n_results, 20);
    assert_int_equal(f->res.exit_status, 7);
    script_cmd_close(&cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_nonzero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigpipe_default_in_script, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_args_and_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_lookup_and_spawn_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_kills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_as_script_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parallel_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
