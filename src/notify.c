/* Notify scripts: prepared once, each run on its own with a timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/notify.h"

#include <unistd.h>

#include "src/notify_fifo.h"
#include "vipd/log.h"

/* Index of each script of a set: the four state scripts, then `notify`. */
enum { NOTIFY_SLOT_ANY = 4, NOTIFY_N_SLOTS = 5 };

struct notify_set
{
    struct script_cmd cmds[NOTIFY_N_SLOTS];
    bool has[NOTIFY_N_SLOTS]; /* configured and runnable */
};

/* One running notify, for the log line at its end. */
struct notify_run
{
    struct notify *n;
    char label[CFG_NAME_MAX + 64];
};

static const char *const slot_keywords[NOTIFY_N_SLOTS] = {
    "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify",
};

const char *notify_state_name(enum notify_state state)
{
    switch (state) {
    case NOTIFY_MASTER:
        return "MASTER";
    case NOTIFY_BACKUP:
        return "BACKUP";
    case NOTIFY_FAULT:
        return "FAULT";
    case NOTIFY_STOP:
        return "STOP";
    }
    return "{UNKNOWN}";
}

static int prepare_set(const struct cfg_global *g,
                       unsigned *n_refused,
                       struct notify_set *set,
                       const struct cfg_notify *cfgn,
                       const char *owner)
{
    const char *lines[NOTIFY_N_SLOTS] = {cfgn->master, cfgn->backup,
                                         cfgn->fault, cfgn->stop, cfgn->any};
    const struct cfg_run_as *as[NOTIFY_N_SLOTS] = {
        &cfgn->master_as, &cfgn->backup_as, &cfgn->fault_as, &cfgn->stop_as,
        &cfgn->any_as};

    for (int i = 0; i < NOTIFY_N_SLOTS; i++) {
        if (lines[i] == NULL) {
            continue;
        }
        int rv = script_cmd_init(&set->cmds[i], lines[i]);
        if (rv == 0) {
            /* A per-script user (`notify_master "CMD" USER [GROUP]`)
             * replaces script_user and its group. */
            bool own = as[i]->user[0] != '\0';
            rv = script_cmd_prepare(&set->cmds[i],
                                    own ? as[i]->user : g->script_user,
                                    own ? as[i]->group : g->script_group,
                                    g->enable_script_security);
        }
        if (rv == VIP_ENOMEM) {
            return rv;
        }
        if (rv != 0) {
            vip_err("%s %s: %s; it will never run", owner, slot_keywords[i],
                    set->cmds[i].errmsg);
            (*n_refused)++;
            continue;
        }
        set->has[i] = true;
    }
    return 0;
}

static void close_sets(struct notify_set *sets, size_t count)
{
    for (size_t i = 0; sets != NULL && i < count; i++) {
        for (int k = 0; k < NOTIFY_N_SLOTS; k++) {
            script_cmd_close(&sets[i].cmds[k]);
        }
    }
    free(sets);
}

static void fifo_script_done(void *data, const struct script_result *res)
{
    struct notify *n = data;
    if (res->outcome != SCRIPT_CANCELLED) {
        vip_warn("notify_fifo_script exited (%s %d); FIFO lines now wait "
                 "for a reader",
                 res->outcome == SCRIPT_EXITED ? "status" : "signal",
                 res->outcome == SCRIPT_EXITED ? res->exit_status
                                               : res->term_signal);
    }
    (void)n;
}

/* keepalived's notify FIFOs: open (or create) each, start its reader
 * script with the FIFO path as last argument. A FIFO that cannot be
 * opened is logged and skipped, like a notify script that cannot run. */
static void open_fifos(struct notify *n)
{
    static const char *const names[2] = {"notify_fifo", "vrrp_notify_fifo"};
    const struct cfg_global *g = &n->cfg->global;

    for (int i = 0; i < 2; i++) {
        const struct cfg_fifo *f = &g->fifos[i];
        if (f->path == NULL) {
            continue;
        }
        int fd = notify_fifo_open(f, n->errmsg);
        if (fd < 0) {
            vip_err("%s: %s; no FIFO notifies", names[i], n->errmsg);
            n->n_refused++;
            continue;
        }
        n->fifo_fds[i] = fd;
        if (f->script == NULL) {
            continue;
        }
        bool own = f->script_as.user[0] != '\0';
        int rv = script_cmd_init(&n->fifo_cmds[i], f->script);
        if (rv == 0) {
            rv = script_cmd_prepare(&n->fifo_cmds[i],
                                    own ? f->script_as.user : g->script_user,
                                    own ? f->script_as.group : g->script_group,
                                    g->enable_script_security);
        }
        const char *extra[1] = {f->path};
        if (rv == 0) {
            /* No timeout: the reader runs as long as vipd. */
            rv = script_runner_spawn(&n->fifo_runner, &n->fifo_cmds[i], extra,
                                     1, 0, fifo_script_done, n);
        }
        if (rv != 0) {
            vip_err("%s_script: %s; it will never run", names[i],
                    n->fifo_cmds[i].errmsg[0] ? n->fifo_cmds[i].errmsg
                                              : vip_strerror(rv));
            n->n_refused++;
        }
    }
}

int notify_init(struct notify *n, uv_loop_t *loop, const struct vip_config *cfg)
{
    int rv;

    memset(n, 0, sizeof *n);
    n->loop = loop;
    n->cfg = cfg;
    n->timeout_ms = NOTIFY_TIMEOUT_MS;
    n->stop_timeout_ms = NOTIFY_STOP_TIMEOUT_MS;
    script_runner_init(&n->runner, loop);
    n->runner.data = n;
    script_runner_init(&n->fifo_runner, loop);
    n->fifo_runner.data = n;
    n->fifo_fds[0] = n->fifo_fds[1] = -1;
    n->instances = calloc(cfg->n_instances + 1, sizeof *n->instances);
    n->groups = calloc(cfg->n_groups + 1, sizeof *n->groups);
    if (n->instances == NULL || n->groups == NULL) {
        rv = VIP_ENOMEM;
        goto err;
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        rv = prepare_set(&cfg->global, &n->n_refused, &n->instances[i],
                         &cfg->instances[i].notify, cfg->instances[i].name);
        if (rv != 0) {
            goto err;
        }
    }
    for (size_t i = 0; i < cfg->n_groups; i++) {
        rv = prepare_set(&cfg->global, &n->n_refused, &n->groups[i],
                         &cfg->groups[i].notify, cfg->groups[i].name);
        if (rv != 0) {
            goto err;
        }
    }
    open_fifos(n);
    return 0;
err:
    close_sets(n->instances, cfg->n_instances);
    close_sets(n->groups, cfg->n_groups);
    n->instances = NULL;
    n->groups = NULL;
    return rv;
}

int notify_stage(const struct vip_config *cfg, struct notify_staged *st)
{
    int rv = 0;

    memset(st, 0, sizeof *st);
    st->cfg = cfg;
    st->instances = calloc(cfg->n_instances + 1, sizeof *st->instances);
    st->groups = calloc(cfg->n_groups + 1, sizeof *st->groups);
    if (st->instances == NULL || st->groups == NULL) {
        rv = VIP_ENOMEM;
    }
    for (size_t i = 0; rv == 0 && i < cfg->n_instances; i++) {
        rv = prepare_set(&cfg->global, &st->n_refused, &st->instances[i],
                         &cfg->instances[i].notify, cfg->instances[i].name);
    }
    for (size_t i = 0; rv == 0 && i < cfg->n_groups; i++) {
        rv = prepare_set(&cfg->global, &st->n_refused, &st->groups[i],
                         &cfg->groups[i].notify, cfg->groups[i].name);
    }
    if (rv != 0) {
        notify_discard(st);
    }
    return rv;
}

void notify_discard(struct notify_staged *st)
{
    if (st->cfg != NULL) {
        close_sets(st->instances, st->cfg->n_instances);
        close_sets(st->groups, st->cfg->n_groups);
    }
    memset(st, 0, sizeof *st);
}

void notify_commit(struct notify *n, struct notify_staged *st)
{
    /* Runs in flight were spawned from their own copies of the command. */
    close_sets(n->instances, n->cfg->n_instances);
    close_sets(n->groups, n->cfg->n_groups);
    n->cfg = st->cfg;
    n->instances = st->instances;
    n->groups = st->groups;
    n->n_refused = st->n_refused;
    memset(st, 0, sizeof *st);
}

static void run_done(void *data, const struct script_result *res)
{
    struct notify_run *run = data;
    struct notify *n = run->n;

    if (res->is_ok) {
        n->n_ok++;
        vip_info("%s: exit 0 in %llu ms", run->label,
                 (unsigned long long)res->duration_ms);
    } else {
        n->n_failed++;
        switch (res->outcome) {
        case SCRIPT_EXITED:
            vip_warn("%s: exit %d in %llu ms", run->label, res->exit_status,
                     (unsigned long long)res->duration_ms);
            break;
        case SCRIPT_SIGNALED:
            vip_warn("%s: killed by signal %d after %llu ms", run->label,
                     res->term_signal, (unsigned long long)res->duration_ms);
            break;
        default:
            vip_warn("%s: timed out, killed after %llu ms", run->label,
                     (unsigned long long)res->duration_ms);
            break;
        }
    }
    free(run);
}

static int start_one(struct notify *n,
                     const struct script_cmd *cmd,
                     const char *const *extra,
                     size_t n_extra,
                     const char *owner,
                     const char *keyword,
                     uint32_t timeout_ms)
{
    struct notify_run *run = calloc(1, sizeof *run);
    if (run == NULL) {
        vip_err("%s %s: out of memory, not run", owner, keyword);
        return VIP_ENOMEM;
    }
    run->n = n;
    snprintf(run->label, sizeof run->label, "%s %s", owner, keyword);
    int rv = script_runner_spawn(&n->runner, cmd, extra, n_extra, timeout_ms,
                                 run_done, run);
    if (rv != 0) {
        /* Logged here: nobody up the stack can do better with it. */
        n->n_failed++;
        vip_err("%s: cannot start: %s", run->label, uv_strerror(rv));
        free(run);
        return rv;
    }
    n->n_started++;
    return 0;
}

static int run_set(struct notify *n,
                   const struct notify_set *set,
                   const char *type,
                   const char *name,
                   enum notify_state state,
                   int priority)
{
    char prio[16];
    int started = 0;
    uint32_t timeout =
        state == NOTIFY_STOP ? n->stop_timeout_ms : n->timeout_ms;

    if (n->close_cb != NULL || n->runner.is_closing) {
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        if (n->fifo_fds[i] < 0) {
            continue;
        }
        int rv = notify_fifo_write(n->fifo_fds[i], type, name,
                                   notify_state_name(state), priority);
        if (rv != 0) {
            n->n_fifo_dropped++;
            vip_warn("notify FIFO %s: %s; %s %s %s not written",
                     n->cfg->global.fifos[i].path, strerror(-rv), type, name,
                     notify_state_name(state));
        }
    }
    if (set->has[state] && start_one(n, &set->cmds[state], NULL, 0, name,
                                     slot_keywords[state], timeout) == 0) {
        started++;
    }
    if (set->has[NOTIFY_SLOT_ANY]) {
        snprintf(prio, sizeof prio, "%d", priority);
        const char *extra[4] = {type, name, notify_state_name(state), prio};
        if (start_one(n, &set->cmds[NOTIFY_SLOT_ANY], extra, 4, name, "notify",
                      timeout) == 0) {
            started++;
        }
    }
    return started;
}

int notify_instance(struct notify *n,
                    size_t index,
                    enum notify_state state,
                    int priority)
{
    if (index >= n->cfg->n_instances || (unsigned)state > NOTIFY_STOP) {
        return VIP_EINVAL;
    }
    return run_set(n, &n->instances[index], "INSTANCE",
                   n->cfg->instances[index].name, state, priority);
}

int notify_group(struct notify *n, size_t index, enum notify_state state)
{
    if (index >= n->cfg->n_groups || (unsigned)state > NOTIFY_STOP) {
        return VIP_EINVAL;
    }
    return run_set(n, &n->groups[index], "GROUP", n->cfg->groups[index].name,
                   state, 0);
}

static void runner_closed(struct script_runner *sr);

static void fifo_runner_closed(struct script_runner *sr)
{
    struct notify *n = sr->data;

    for (int i = 0; i < 2; i++) {
        script_cmd_close(&n->fifo_cmds[i]);
        if (n->fifo_fds[i] >= 0) {
            close(n->fifo_fds[i]);
            n->fifo_fds[i] = -1;
        }
    }
    script_runner_close(&n->runner, false, runner_closed);
}

static void runner_closed(struct script_runner *sr)
{
    struct notify *n = sr->data;

    close_sets(n->instances, n->cfg->n_instances);
    close_sets(n->groups, n->cfg->n_groups);
    n->instances = NULL;
    n->groups = NULL;
    notify_close_cb cb = n->close_cb;
    n->close_cb = NULL;
    if (cb != NULL) {
        cb(n);
    }
}

void notify_close(struct notify *n, notify_close_cb cb)
{
    n->close_cb = cb;
    /* The FIFO readers run for vipd's life: stop them first. */
    script_runner_close(&n->fifo_runner, true, fifo_runner_closed);
}
