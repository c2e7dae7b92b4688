/* Reload on SIGHUP (`systemctl reload vipd`): re-read the configuration,
 * check it as `vipd -t` does, and apply live what can change without
 * restarting Raft: checks and weights, priorities, nopreempt and
 * preempt_delay (a new NODE record), notify scripts, VIP list additions
 * and removals, garp and advert settings.
 *
 * Refused as a whole, with the reason in the log and the running
 * configuration kept: a file that fails the checks (its FILE:LINE errors
 * are logged), or a change to the set of vrrp_instances / sync groups or to
 * an instance's interface, virtual_router_id or family (a restart is
 * needed for those).
 * The cluster block (listen, peers, data_dir, node_id, witness, the key,
 * the timing) cannot change under a running Raft node: every setting that
 * differs is named in the log, and the running value stays (the new
 * configuration borrows the cluster block the daemon started with).
 *
 * A VIP that is in both the old and the new list is never touched
 * (vip/manager_reload.c), so it does not move and has no outage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/daemon_int.h"
#include "vipd/clock.h"
#include "vipd/error.h"
#include "vipd/log.h"

/* Report sink: every config message goes to the log, prefixed. */
static void emit_log(void *data, bool is_error, const char *line)
{
    (void)data;
    if (is_error) {
        vip_err("reload: %s", line);
    } else {
        vip_warn("reload: %s", line);
    }
}

/****** Cluster block: named, kept ******/

static bool str_differs(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

static bool peers_differ(const struct cfg_cluster *a,
                         const struct cfg_cluster *b)
{
    if (a->n_peers != b->n_peers) {
        return true;
    }
    for (size_t i = 0; i < a->n_peers; i++) {
        if (strcmp(a->peers[i].host, b->peers[i].host) != 0 ||
            a->peers[i].port != b->peers[i].port) {
            return true;
        }
    }
    return false;
}

/* Log each setting of the cluster block that differs; returns how many. */
static unsigned name_cluster_changes(const struct cfg_cluster *run,
                                     const struct cfg_cluster *neu)
{
    struct
    {
        const char *name;
        bool differs;
    } items[] = {
        {"listen", strcmp(run->listen_host, neu->listen_host) != 0 ||
                       run->listen_port != neu->listen_port},
        {"peer", peers_differ(run, neu)},
        {"node_id", run->node_id != neu->node_id},
        {"data_dir", str_differs(run->data_dir, neu->data_dir)},
        {"witness", run->witness != neu->witness},
        {"secret_file", str_differs(run->secret_file, neu->secret_file)},
        {"control_socket",
         str_differs(run->control_socket, neu->control_socket)},
        {"control_group",
         strcmp(run->control_group, neu->control_group) != 0},
        {"bootstrap", run->no_bootstrap != neu->no_bootstrap},
        {"election_timeout",
         run->election_timeout_ms != neu->election_timeout_ms},
        {"heartbeat", run->heartbeat_ms != neu->heartbeat_ms},
        {"lease_mode", run->lease_mode != neu->lease_mode},
        {"takeover_wait", run->takeover_wait_ms != neu->takeover_wait_ms},
        {"snapshot_threshold",
         run->snapshot_threshold != neu->snapshot_threshold},
        {"snapshot_trailing",
         run->snapshot_trailing != neu->snapshot_trailing},
    };
    unsigned n = 0;

    if (run->present != neu->present) {
        vip_warn("reload: the cluster block %s: not applied live, needs a "
                 "restart; the running one stays",
                 neu->present ? "appeared" : "is gone");
        return 1;
    }
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (items[i].differs) {
            vip_warn("reload: %s:%u: cluster '%s' changed: not applied "
                     "live, needs a restart; the running value stays",
                     neu->where.file != NULL ? neu->where.file : "?",
                     neu->where.line, items[i].name);
            n++;
        }
    }
    return n;
}

/* Give @cfg the cluster block of @boot (whose strings it then borrows). */
static void borrow_cluster(struct vip_config *cfg,
                           const struct vip_config *boot)
{
    free(cfg->cluster.data_dir);
    free(cfg->cluster.secret_file);
    free(cfg->cluster.control_socket);
    cfg->cluster = boot->cluster;
}

void daemon_reload_free(struct vip_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    /* Borrowed from the boot configuration (borrow_cluster()). */
    cfg->cluster.data_dir = NULL;
    cfg->cluster.secret_file = NULL;
    cfg->cluster.control_socket = NULL;
    vip_config_free(cfg);
    free(cfg);
}

/****** Instance set: must stay ******/

/* Whether the instances and sync groups are the same set, in the same
 * order, on the same interfaces and VRIDs; else names the first change in
 * @why and returns false. */
static bool same_structure(const struct vip_config *a,
                           const struct vip_config *b,
                           char *why,
                           size_t size)
{
    if (a->n_instances != b->n_instances) {
        snprintf(why, size, "%zu vrrp_instances instead of %zu",
                 b->n_instances, a->n_instances);
        return false;
    }
    for (size_t i = 0; i < a->n_instances; i++) {
        const struct cfg_instance *x = &a->instances[i];
        const struct cfg_instance *y = &b->instances[i];
        if (strcmp(x->name, y->name) != 0) {
            snprintf(why, size, "%s:%u: vrrp_instance '%s' where '%s' was",
                     y->where.file, y->where.line, y->name, x->name);
            return false;
        }
        if (strcmp(x->interface, y->interface) != 0 || x->vrid != y->vrid ||
            x->family != y->family || x->version != y->version) {
            snprintf(why, size,
                     "%s:%u: vrrp_instance '%s': interface, "
                     "virtual_router_id, version or address family changed",
                     y->where.file, y->where.line, y->name);
            return false;
        }
    }
    if (a->n_groups != b->n_groups) {
        snprintf(why, size, "%zu vrrp_sync_groups instead of %zu",
                 b->n_groups, a->n_groups);
        return false;
    }
    for (size_t g = 0; g < a->n_groups; g++) {
        if (strcmp(a->groups[g].name, b->groups[g].name) != 0) {
            snprintf(why, size, "%s:%u: vrrp_sync_group '%s' where '%s' was",
                     b->groups[g].where.file, b->groups[g].where.line,
                     b->groups[g].name, a->groups[g].name);
            return false;
        }
    }
    /* Units are held apart (vip/manager.h): an instance may not move
     * between sync groups on the fly. */
    for (size_t i = 0; i < a->n_instances; i++) {
        const char *ua = vip_config_unit_of(a, i);
        const char *ub = vip_config_unit_of(b, i);
        if (strcmp(ua, ub) != 0) {
            snprintf(why, size,
                     "%s:%u: vrrp_instance '%s' is now in unit '%s', was in "
                     "'%s' (sync group membership changed)",
                     b->instances[i].where.file, b->instances[i].where.line,
                     b->instances[i].name, ub, ua);
            return false;
        }
    }
    return true;
}

/****** Apply ******/

static size_t count_vips(const struct vip_config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_instances; i++) {
        n += cfg->instances[i].n_vips + cfg->instances[i].n_vips_excluded;
    }
    return n;
}

/* The set a reload replaced has closed: now nothing points into the
 * configuration it was built from. */
static void old_health_closed_cb(struct health *h)
{
    struct vipd *d = h->cbs.data;

    free(h);
    d->health_old = NULL;
    daemon_reload_free(d->cfg_retired);
    d->cfg_retired = NULL;
}

/* A set built for a reload that was refused (never started: no handles,
 * so this runs within health_close()). */
static void unstarted_closed_cb(struct health *h)
{
    free(h);
}

/* Load and check @path into a new configuration; NULL (logged) if it
 * cannot be used. */
static struct vip_config *load_checked(struct vipd *d)
{
    struct vip_config *cfg = calloc(1, sizeof *cfg);
    struct cfg_report report = {.emit = emit_log};
    int rv;

    if (cfg == NULL) {
        vip_err("reload: out of memory: not applied");
        return NULL;
    }
    /* Read as at start (the same config id for @ID lines) and checked as
     * `vipd -t` checks, host checks included, so that a reload accepts
     * exactly what a restart would. */
    struct cfg_options opts = {.config_id = d->cfg->config_id};
    rv = vip_config_load_opts(cfg, d->config_path, &opts, &report);
    if (rv == 0) {
        unsigned before = report.n_errors;
        health_check_config(cfg, &report);
        rv = report.n_errors > before ? VIP_ECONFIG : 0;
    }
    if (rv == 0) {
        rv = vip_config_check_host(cfg, &report);
    }
    if (rv == 0) {
        rv = vip_config_check_runnable(cfg, &report);
    }
    if (rv != 0) {
        vip_err("reload: %s: %u error%s: not applied, the running "
                "configuration stays",
                d->config_path, report.n_errors,
                report.n_errors == 1 ? "" : "s");
        vip_config_free(cfg);
        free(cfg);
        return NULL;
    }
    return cfg;
}

void daemon_reload(struct vipd *d)
{
    struct vip_config *cfg;
    struct health *h;
    struct health_cbs hcbs;
    struct notify_staged staged;
    char why[512];
    uint64_t t0 = vip_now_ms();
    int rv;

    if (d->is_stopping || !d->has_health) {
        return;
    }
    if (d->health_old != NULL) {
        vip_warn("reload: the previous reload is still finishing (its "
                 "checks are stopping): not applied, send SIGHUP again");
        return;
    }
    vip_notice("reload: reading %s", d->config_path);
    cfg = load_checked(d);
    if (cfg == NULL) {
        return;
    }
    if (!same_structure(d->cfg, cfg, why, sizeof why)) {
        vip_err("reload: %s: needs a restart: not applied, the running "
                "configuration stays",
                why);
        vip_config_free(cfg);
        free(cfg);
        return;
    }
    unsigned n_kept = name_cluster_changes(&d->cfg_boot->cluster,
                                           &cfg->cluster);
    borrow_cluster(cfg, d->cfg_boot);

    /* Everything that can fail comes before anything changes. */
    h = calloc(1, sizeof *h);
    memset(&hcbs, 0, sizeof hcbs);
    hcbs.data = d;
    hcbs.transition = daemon_on_transition;
    rv = h == NULL ? VIP_ENOMEM : health_init(h, &d->loop, cfg, &hcbs);
    if (rv != 0) {
        vip_err("reload: health checks: %s: not applied",
                h != NULL ? h->errmsg : "out of memory");
        free(h);
        daemon_reload_free(cfg);
        return;
    }
    rv = notify_stage(cfg, &staged);
    if (rv != 0) {
        vip_err("reload: notify scripts: out of memory: not applied");
    } else if (d->has_manager) {
        rv = manager_reconfigure(&d->manager, cfg);
        if (rv != 0) {
            vip_err("reload: network: %s: not applied", d->manager.errmsg);
            notify_discard(&staged);
        }
    }
    if (rv != 0) {
        health_close(h, unstarted_closed_cb);
        daemon_reload_free(cfg);
        return;
    }
    notify_commit(&d->notify, &staged);

    /* Committed: the network side and the notify scripts use @cfg. The
     * previous configuration is retired before the old checks close:
     * without a running probe they close within health_close(), and their
     * callback frees it. */
    d->cfg_retired = d->cfg_owned;
    d->cfg_owned = cfg;
    d->cfg = cfg;
    health_inherit(h, d->health);
    d->health_old = d->health;
    d->health = h;
    health_close(d->health_old, old_health_closed_cb);
    rv = health_start(h);
    if (rv != 0) {
        vip_err("reload: health checks: %s", h->errmsg);
    }
    rv = cluster_reconfigure(&d->cluster, cfg);
    if (rv != 0) {
        vip_err("reload: describe this node: %s", vip_strerror(rv));
    }
    daemon_update_notify(d);
    vip_notice("reload: %s applied in %llu ms: %zu instance%s, %zu VIP%s, "
               "%zu check%s%s",
               d->config_path, (unsigned long long)(vip_now_ms() - t0),
               cfg->n_instances, cfg->n_instances == 1 ? "" : "s",
               count_vips(cfg), count_vips(cfg) == 1 ? "" : "s",
               health_n_checks(h), health_n_checks(h) == 1 ? "" : "s",
               n_kept > 0 ? " (cluster settings kept, see above)" : "");
}
