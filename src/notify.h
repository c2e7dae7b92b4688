/* Notify scripts on this node's own state changes, as keepalived runs them
 * (vrrp/vrrp_notify.c):
 *
 *   notify_master | notify_backup | notify_fault | notify_stop
 *       run as configured, with no extra arguments;
 *   notify
 *       run with four more: INSTANCE|GROUP NAME MASTER|BACKUP|FAULT|STOP
 *       PRIORITY (a group's priority is 0, as in keepalived).
 *
 * Commands are split, resolved and security-checked like vrrp_scripts
 * (script_cmd.h) at init; a refused one is logged and never run. Each run
 * is independent: a slow script does not delay the others or the loop, and
 * is killed after the notify timeout. The exit status and duration of
 * every run are logged. */
#ifndef VIPD_SRC_NOTIFY_H
#define VIPD_SRC_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "src/script_run.h"
#include "vipd/config.h"

#define NOTIFY_TIMEOUT_MS 30000 /* keepalived has none; ours bounds exit */
#define NOTIFY_STOP_TIMEOUT_MS                   \
    1000 /* keepalived kills STOP notifies after \
            1 s, so shutdown is not held up */

enum notify_state {
    NOTIFY_MASTER,
    NOTIFY_BACKUP,
    NOTIFY_FAULT,
    NOTIFY_STOP,
};

struct notify_set; /* the prepared commands of one instance/group */

struct notify;
typedef void (*notify_close_cb)(struct notify *n);

struct notify
{
    uv_loop_t *loop;
    const struct vip_config *cfg;
    struct script_runner runner;
    struct script_runner fifo_runner; /* the notify_fifo_scripts */
    int fifo_fds[2];                  /* notify_fifo, vrrp_notify_fifo */
    struct script_cmd fifo_cmds[2];
    uint64_t n_fifo_dropped;          /* lines a full FIFO refused */
    struct notify_set *instances; /* one per cfg->instances[i] */
    struct notify_set *groups;    /* one per cfg->groups[i] */
    uint32_t timeout_ms;          /* per run; 0: none */
    uint32_t stop_timeout_ms;     /* for STOP notifies (both scripts) */
    uint64_t n_started;
    uint64_t n_ok;
    uint64_t n_failed;  /* non-zero exit, signal, timeout, spawn error */
    unsigned n_refused; /* commands refused at init */
    notify_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Prepare every notify command of @cfg (which must outlive @n). Returns 0
 * or VIP_ENOMEM; commands that cannot run are refused and logged (counted
 * in n_refused). On success close with notify_close(). */
int notify_init(struct notify *n,
                uv_loop_t *loop,
                const struct vip_config *cfg);

/* Reload, in two steps so that nothing fails once other parts changed:
 * notify_stage() prepares the commands of @cfg (same instances and groups,
 * in the same order, as the running configuration; refused ones are
 * logged); then notify_commit() uses them from now on (@cfg must outlive
 * @n or the next commit), or notify_discard() drops them. */
struct notify_staged
{
    const struct vip_config *cfg;
    struct notify_set *instances;
    struct notify_set *groups;
    unsigned n_refused;
};

/* Returns 0, or VIP_ENOMEM with nothing staged. */
int notify_stage(const struct vip_config *cfg, struct notify_staged *st);
void notify_commit(struct notify *n, struct notify_staged *st);
void notify_discard(struct notify_staged *st);

/* Instance @index (into cfg->instances) entered @state with effective
 * @priority: start its notify_<state> and notify scripts. Returns the
 * number of scripts started (>= 0) or VIP_EINVAL for a bad index. */
int notify_instance(struct notify *n,
                    size_t index,
                    enum notify_state state,
                    int priority);

/* Same for sync group @index (into cfg->groups). */
int notify_group(struct notify *n, size_t index, enum notify_state state);

/* "MASTER", "BACKUP", "FAULT" or "STOP". */
const char *notify_state_name(enum notify_state state);

/* Stop accepting notifies; running ones are let finish (each bounded by
 * the timeout), so a notify_stop started just before still completes.
 * @cb fires when all have exited and every handle is closed. */
void notify_close(struct notify *n, notify_close_cb cb);

#endif /* VIPD_SRC_NOTIFY_H */
