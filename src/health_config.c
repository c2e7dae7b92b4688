/* `vipd -t` checks of health tracking.
 *
 * keepalived moves a VIP on a weighted check only if
 * abs(MASTER priority - BACKUP priority) < abs(weight). With one config
 * file we know only this node's priorities, not its peers', so `-t` checks
 * what one file can decide, and the daemon, which learns every node's base
 * priority from the NODE entries, applies health_can_fail_over() at run
 * time. Checked here:
 *
 * 1. A tracked script, interface or file whose failure cannot change this
 *    node's effective priority after keepalived's clamp to [1, 254]: the
 *    address owner (priority 255, never adjusted), or e.g. priority 254
 *    with weight +10 (254 either way), or priority 1 with a negative
 *    weight. Such a check can never move the VIP: warning.
 * 2. Weight +-1 on a MASTER-hinted instance: it can only move the VIP to a
 *    node of exactly equal priority (then the tie-break decides): warning.
 * 3. vrrp_scripts that no instance tracks (keepalived drops them with the
 *    same warning).
 * 4. When run as root: script commands that cannot run (not found, unknown
 *    script_user) are warnings; commands refused by enable_script_security
 *    are errors, since the daemon would never run them. Notify commands
 *    likewise. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/health.h"
#include "src/script_cmd.h"
#include "src/track_weight.h"

static void emit(struct cfg_report *report,
                 const struct cfg_where *where,
                 bool is_error,
                 const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static void emit(struct cfg_report *report,
                 const struct cfg_where *where,
                 bool is_error,
                 const char *fmt,
                 ...)
{
    char msg[512];
    char line[700];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s:%u: %s: %s",
             where->file != NULL ? where->file : "(config)", where->line,
             is_error ? "error" : "warning", msg);
    if (is_error) {
        report->n_errors++;
    } else {
        report->n_warnings++;
    }
    if (report->emit != NULL) {
        report->emit(report->data, is_error, line);
    } else {
        fprintf(stderr, "%s\n", line);
    }
}

bool health_can_fail_over(int holder_priority, int other_priority, int weight)
{
    if (weight == 0) {
        return true;
    }
    return abs(holder_priority - other_priority) < abs(weight);
}

static const struct cfg_script *find_script(const struct vip_config *cfg,
                                            const char *name)
{
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        if (strcmp(cfg->scripts[i].name, name) == 0) {
            return &cfg->scripts[i];
        }
    }
    return NULL;
}

/* Rule 1 for an ok/failed check. */
static void check_effect(struct cfg_report *report,
                         const struct cfg_instance *in,
                         const struct cfg_track *t,
                         const char *what,
                         int weight,
                         bool reverse)
{
    bool fault_ok, fault_fail;
    if (weight == 0) {
        return; /* weight 0 faults the node: always effective */
    }
    int ok = health_priority_clamp(
        in->priority, health_weight_delta(true, weight, reverse, &fault_ok));
    int fail = health_priority_clamp(
        in->priority, health_weight_delta(false, weight, reverse, &fault_fail));
    if (ok == fail) {
        emit(report, &t->where, false,
             "%s: %s %s with weight %d can never change priority %u "
             "(clamped to %d either way), so it can never move the VIP",
             in->name, what, t->name, weight, in->priority, ok);
    } else if (in->state == CFG_STATE_MASTER && abs(weight) == 1) {
        emit(report, &t->where, false,
             "%s: %s %s has weight %d: it moves the VIP only to a node "
             "whose priority equals %u (keepalived's rule: the priority "
             "gap must be smaller than the weight)",
             in->name, what, t->name, weight, in->priority);
    }
}

static void check_instance(struct cfg_report *report,
                           const struct vip_config *cfg,
                           const struct cfg_instance *in)
{
    bool reverse;

    for (size_t k = 0; k < in->n_track_scripts; k++) {
        const struct cfg_track *t = &in->track_scripts[k];
        if (find_script(cfg, t->name) == NULL) {
            continue; /* the parser reports unknown names */
        }
        int w = track_weight_of(cfg, TRACK_OF_SCRIPT, t, &reverse);
        check_effect(report, in, t, "track_script", w, reverse);
    }
    for (size_t k = 0; k < in->n_track_interfaces; k++) {
        const struct cfg_track *t = &in->track_interfaces[k];
        int w = track_weight_of(cfg, TRACK_OF_INTERFACE, t, &reverse);
        check_effect(report, in, t, "track_interface", w, reverse);
    }
    for (size_t k = 0; k < in->n_track_files; k++) {
        const struct cfg_track *t = &in->track_files[k];
        int w = track_weight_of(cfg, TRACK_OF_FILE, t, &reverse);
        (void)reverse; /* the owner is never adjusted, whatever the sign */
        if (in->priority >= 255 && w != 0) {
            emit(report, &t->where, false,
                 "%s: track_file %s: priority 255 (address owner) is never "
                 "adjusted, so the file can never move the VIP",
                 in->name, t->name);
        }
    }
}

static bool script_is_tracked(const struct vip_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_instances; i++) {
        const struct cfg_instance *in = &cfg->instances[i];
        for (size_t k = 0; k < in->n_track_scripts; k++) {
            if (strcmp(in->track_scripts[k].name, name) == 0) {
                return true;
            }
        }
    }
    return false;
}

static void check_command(struct cfg_report *report,
                          const struct vip_config *cfg,
                          const struct cfg_where *where,
                          const char *owner,
                          const char *keyword,
                          const char *line,
                          const char *user,
                          const char *group)
{
    struct script_cmd cmd;
    int rv = script_cmd_init(&cmd, line);
    if (rv == 0 && geteuid() == 0) {
        rv = script_cmd_prepare(&cmd, user, group,
                                cfg->global.enable_script_security);
    }
    if (rv != 0 && rv != VIP_ENOMEM) {
        emit(report, where, cmd.is_refused || rv == VIP_EINVAL, "%s %s: %s",
             owner, keyword, cmd.errmsg);
    }
    script_cmd_close(&cmd);
}

static void check_notify(struct cfg_report *report,
                         const struct vip_config *cfg,
                         const struct cfg_where *where,
                         const char *owner,
                         const struct cfg_notify *n)
{
    const char *lines[5] = {n->master, n->backup, n->fault, n->stop, n->any};
    const char *keys[5] = {"notify_master", "notify_backup", "notify_fault",
                           "notify_stop", "notify"};
    const struct cfg_run_as *as[5] = {&n->master_as, &n->backup_as,
                                      &n->fault_as, &n->stop_as, &n->any_as};
    for (int i = 0; i < 5; i++) {
        if (lines[i] != NULL) {
            bool own = as[i]->user[0] != '\0';
            check_command(report, cfg, where, owner, keys[i], lines[i],
                          own ? as[i]->user : cfg->global.script_user,
                          own ? as[i]->group : cfg->global.script_group);
        }
    }
}

void health_check_config(const struct vip_config *cfg,
                         struct cfg_report *report)
{
    for (size_t i = 0; i < cfg->n_instances; i++) {
        check_instance(report, cfg, &cfg->instances[i]);
        check_notify(report, cfg, &cfg->instances[i].where,
                     cfg->instances[i].name, &cfg->instances[i].notify);
    }
    for (size_t i = 0; i < cfg->n_groups; i++) {
        check_notify(report, cfg, &cfg->groups[i].where, cfg->groups[i].name,
                     &cfg->groups[i].notify);
    }
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        const struct cfg_script *s = &cfg->scripts[i];
        if (!script_is_tracked(cfg, s->name)) {
            emit(report, &s->where, false,
                 "vrrp_script %s is not used by any instance; it will not run",
                 s->name);
            continue;
        }
        if (s->kind == CFG_CHECK_SCRIPT) {
            const char *user = s->user[0] ? s->user : cfg->global.script_user;
            const char *group =
                s->user[0] ? s->group : cfg->global.script_group;
            check_command(report, cfg, &s->where, s->name, "script", s->command,
                          user, group);
        }
    }
}
