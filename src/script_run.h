/* Running prepared script commands from the libuv loop, never blocking it.
 *
 * Each spawn is its own process group (a new session, UV_PROCESS_DETACHED),
 * stdin/stdout/stderr on /dev/null, a minimal environment (PATH set to
 * SCRIPT_DEFAULT_PATH, plus LANG, LC_ALL and TZ if the daemon has them;
 * nothing else), and the script's uid/gid when
 * set_ids. libuv reaps every child, so there are no zombies. When the
 * timeout passes, the whole group gets SIGKILL and the run counts as timed
 * out (keepalived sends SIGTERM then, 2 s later, SIGKILL; we go straight to
 * SIGKILL: a health check that is late has already failed). */
#ifndef VIPD_SRC_SCRIPT_RUN_H
#define VIPD_SRC_SCRIPT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "src/script_cmd.h"

enum script_outcome {
    SCRIPT_EXITED,    /* exit_status holds the code: 0 is ok */
    SCRIPT_SIGNALED,  /* killed by term_signal (not by us): failure */
    SCRIPT_TIMEDOUT,  /* killed by us after the timeout: failure */
    SCRIPT_CANCELLED, /* killed by script_runner_close(): ignore */
};

struct script_result
{
    enum script_outcome outcome;
    int exit_status;      /* SCRIPT_EXITED */
    int term_signal;      /* SCRIPT_SIGNALED, SCRIPT_TIMEDOUT (SIGKILL) */
    uint64_t duration_ms; /* spawn to exit, vip_now_ms() */
    bool is_ok;           /* SCRIPT_EXITED with status 0 */
};

/* Called exactly once per successful script_runner_spawn(). */
typedef void (*script_run_cb)(void *data, const struct script_result *res);

struct script_runner;
typedef void (*script_runner_close_cb)(struct script_runner *sr);

struct script_run; /* one live child, private to script_run.c */

struct script_runner
{
    uv_loop_t *loop;
    struct script_run *runs; /* live children (doubly linked) */
    unsigned n_runs;         /* children not yet exited */
    unsigned n_handles;      /* uv handles not yet closed */
    bool is_closing;
    bool kill_on_close;
    script_runner_close_cb close_cb;
    void *data; /* for the owner */
};

/* Prepare @sr on @loop. Cannot fail. */
void script_runner_init(struct script_runner *sr, uv_loop_t *loop);

/* Start @cmd with @extra_args (@n_extra words appended to its argv, e.g.
 * notify's INSTANCE NAME STATE PRIO; may be NULL/0). @timeout_ms 0 means
 * no timeout. Returns 0 and later calls @cb(@data, result) once; or a
 * negative libuv/errno code (e.g. -ENOENT, -EACCES: exec failed) and never
 * calls @cb. A refused command (is_refused) returns -EPERM. Not allowed
 * while closing (VIP_EINVAL). */
int script_runner_spawn(struct script_runner *sr,
                        const struct script_cmd *cmd,
                        const char *const *extra_args,
                        size_t n_extra,
                        uint32_t timeout_ms,
                        script_run_cb cb,
                        void *data);

/* Number of children still running. */
unsigned script_runner_active(const struct script_runner *sr);

/* Stop accepting spawns. With @kill_children, every running group gets
 * SIGKILL now and its callback reports SCRIPT_CANCELLED; without, running
 * children finish (or time out) normally. @cb fires when all children have
 * exited and every handle is closed; only then may @sr's memory go. */
void script_runner_close(struct script_runner *sr,
                         bool kill_children,
                         script_runner_close_cb cb);

#endif /* VIPD_SRC_SCRIPT_RUN_H */
