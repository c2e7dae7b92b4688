/* Spawning scripts with uv_spawn, a timeout that kills the process group,
 * and results delivered on the loop. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/script_run.h"
#include "vipd/clock.h"
#include "vipd/log.h"

extern char **environ;

struct script_run
{
    struct script_runner *sr;
    struct script_run *prev, *next;
    uv_process_t proc;
    uv_timer_t timer;
    int pid;
    int n_open; /* handles of this run not yet closed */
    uint64_t start_ms;
    bool has_exited;
    bool is_timed_out;
    bool is_cancelled;
    script_run_cb cb;
    void *data;
};

void script_runner_init(struct script_runner *sr, uv_loop_t *loop)
{
    memset(sr, 0, sizeof *sr);
    sr->loop = loop;
}

unsigned script_runner_active(const struct script_runner *sr)
{
    return sr->n_runs;
}

static void runner_maybe_closed(struct script_runner *sr)
{
    if (sr->is_closing && sr->n_runs == 0 && sr->n_handles == 0 &&
        sr->close_cb != NULL) {
        script_runner_close_cb cb = sr->close_cb;
        sr->close_cb = NULL;
        cb(sr);
    }
}

static void run_handle_closed(uv_handle_t *handle)
{
    struct script_run *run = handle->data;
    struct script_runner *sr = run->sr;

    sr->n_handles--;
    /* Both handles of a run close together; free after the second. */
    if (--run->n_open == 0) {
        free(run);
    }
    runner_maybe_closed(sr);
}

static void run_unlink(struct script_run *run)
{
    struct script_runner *sr = run->sr;

    if (run->prev != NULL) {
        run->prev->next = run->next;
    } else {
        sr->runs = run->next;
    }
    if (run->next != NULL) {
        run->next->prev = run->prev;
    }
    run->prev = run->next = NULL;
}

/* Kill the child's whole process group: it is a session leader, so its
 * pgid is its pid. Until libuv has reaped it the pid cannot be reused. */
static void run_kill(struct script_run *run)
{
    if (!run->has_exited && kill(-run->pid, SIGKILL) != 0) {
        (void)kill(run->pid, SIGKILL);
    }
}

static void run_timer_cb(uv_timer_t *timer)
{
    struct script_run *run = timer->data;

    run->is_timed_out = true;
    run_kill(run);
}

static void run_exit_cb(uv_process_t *proc,
                        int64_t exit_status,
                        int term_signal)
{
    struct script_run *run = proc->data;
    struct script_runner *sr = run->sr;
    struct script_result res;

    run->has_exited = true;
    uv_timer_stop(&run->timer);
    memset(&res, 0, sizeof res);
    res.duration_ms = vip_now_ms() - run->start_ms;
    if (run->is_cancelled) {
        res.outcome = SCRIPT_CANCELLED;
        res.term_signal = term_signal;
    } else if (run->is_timed_out) {
        res.outcome = SCRIPT_TIMEDOUT;
        res.term_signal = term_signal;
    } else if (term_signal != 0) {
        res.outcome = SCRIPT_SIGNALED;
        res.term_signal = term_signal;
    } else {
        res.outcome = SCRIPT_EXITED;
        res.exit_status = (int)exit_status;
        res.is_ok = exit_status == 0;
    }
    if (run->is_timed_out || run->is_cancelled) {
        /* What a killed script left in its group must not outlive it. */
        (void)kill(-run->pid, SIGKILL);
    }
    run_unlink(run);
    sr->n_runs--;
    uv_close((uv_handle_t *)&run->proc, run_handle_closed);
    uv_close((uv_handle_t *)&run->timer, run_handle_closed);
    run->cb(run->data, &res);
}

/* A minimal environment: a fixed PATH, and only the locale and time zone
 * of the daemon's own (scripts run as another user must not learn, or be
 * steered by, whatever the daemon was started with: LD_*, IFS, secrets in
 * variables, a PATH with a writable directory). */
static char **minimal_env(void)
{
    static const char *const keep[] = {"LANG=", "LC_ALL=", "TZ="};
    static char path[] = "PATH=" SCRIPT_DEFAULT_PATH;
    char **env = calloc(2 + sizeof keep / sizeof keep[0], sizeof *env);
    size_t k = 0;

    if (env == NULL) {
        return NULL;
    }
    env[k++] = path;
    for (size_t i = 0; environ != NULL && environ[i] != NULL; i++) {
        for (size_t j = 0; j < sizeof keep / sizeof keep[0]; j++) {
            if (strncmp(environ[i], keep[j], strlen(keep[j])) == 0) {
                env[k++] = environ[i];
            }
        }
    }
    return env;
}

int script_runner_spawn(struct script_runner *sr,
                        const struct script_cmd *cmd,
                        const char *const *extra_args,
                        size_t n_extra,
                        uint32_t timeout_ms,
                        script_run_cb cb,
                        void *data)
{
    uv_process_options_t opts;
    uv_stdio_container_t stdio[3];
    int rv;

    if (sr->is_closing || cmd->argv == NULL) {
        return VIP_EINVAL;
    }
    if (cmd->is_refused) {
        return -EPERM;
    }
    if (n_extra > SCRIPT_CMD_MAX_ARGS) {
        return VIP_EINVAL;
    }
    char **args = calloc(cmd->argc + n_extra + 1, sizeof *args);
    char **env = minimal_env();
    struct script_run *run = calloc(1, sizeof *run);
    if (args == NULL || env == NULL || run == NULL) {
        rv = VIP_ENOMEM;
        goto err;
    }
    for (size_t i = 0; i < cmd->argc; i++) {
        args[i] = cmd->argv[i];
    }
    for (size_t i = 0; i < n_extra; i++) {
        args[cmd->argc + i] = (char *)extra_args[i];
    }
    memset(&opts, 0, sizeof opts);
    memset(stdio, 0, sizeof stdio);
    for (int i = 0; i < 3; i++) {
        stdio[i].flags = UV_IGNORE; /* libuv opens /dev/null */
    }
    opts.file = cmd->path != NULL ? cmd->path : cmd->argv[0];
    opts.args = args;
    opts.env = env;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    opts.exit_cb = run_exit_cb;
    /* A new session: its own process group, which a timeout kills whole. */
    opts.flags = UV_PROCESS_DETACHED;
    if (cmd->set_ids) {
        opts.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
        opts.uid = cmd->uid;
        opts.gid = cmd->gid;
    }
    run->sr = sr;
    run->cb = cb;
    run->data = data;
    run->proc.data = run;
    run->timer.data = run;
    uv_timer_init(sr->loop, &run->timer);
    run->start_ms = vip_now_ms();
    rv = uv_spawn(sr->loop, &run->proc, &opts);
    free(args);
    free(env);
    args = NULL;
    env = NULL;
    sr->n_handles += 2;
    run->n_open = 2;
    if (rv != 0) {
        /* libuv wants the process handle closed even when spawn failed. */
        run->has_exited = true;
        uv_close((uv_handle_t *)&run->proc, run_handle_closed);
        uv_close((uv_handle_t *)&run->timer, run_handle_closed);
        return rv;
    }
    run->pid = run->proc.pid;
    if (timeout_ms > 0) {
        uv_update_time(sr->loop); /* the fork took time: measure from now */
        uv_timer_start(&run->timer, run_timer_cb, timeout_ms, 0);
    }
    run->next = sr->runs;
    if (sr->runs != NULL) {
        sr->runs->prev = run;
    }
    sr->runs = run;
    sr->n_runs++;
    return 0;
err:
    free(args);
    free(env);
    free(run);
    return rv;
}

void script_runner_close(struct script_runner *sr,
                         bool kill_children,
                         script_runner_close_cb cb)
{
    sr->is_closing = true;
    sr->kill_on_close = kill_children;
    sr->close_cb = cb;
    if (kill_children) {
        for (struct script_run *run = sr->runs; run != NULL; run = run->next) {
            run->is_cancelled = true;
            run_kill(run);
        }
    }
    runner_maybe_closed(sr);
}
