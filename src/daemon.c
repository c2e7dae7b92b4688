/* The daemon: one libuv loop wiring the cluster (raft/) to the host network
 * (vip/), the health checks and the control socket.
 *
 * Data flow: health transition -> cluster_propose_health() -> Raft log ->
 * FSM -> ownership; cluster hold(until) -> manager_hold(until); cluster
 * release() -> manager_release(); manager link_changed -> health (which
 * reports "if:NAME" transitions); manager lease_expired -> cluster.
 *
 * Start-up: manager_start() removes leftover VIPs before the cluster can
 * make this node a holder (docs/DESIGN.md 4.5). SIGTERM/SIGINT -> shutdown
 * chain: control socket -> health -> cluster_close() (release, hand over,
 * raft_close, transport) -> manager_close() -> signal handles -> the loop
 * ends and uv_loop_close() must return 0. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "raft/cluster.h"
#include "raft/cluster_info.h"
#include "raft/snapshot_check.h"
#include "src/daemon.h"
#include "src/daemon_int.h"
#include "src/instance_lock.h"
#include "src/recover_cmd.h"
#include "vipd/clock.h"
#include "vipd/error.h"
#include "vipd/log.h"

/****** Status file ******/

static void status_write(struct vipd *d)
{
    char tmp[4200];
    FILE *f;
    int fd;
    struct cluster *c = &d->cluster;

    if (d->status_path == NULL || !d->has_cluster) {
        return;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", d->status_path);
    /* A fresh file of ours, never through a link planted at the name. */
    (void)unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    fprintf(f,
            "id=%llu\nrole=%s\nterm=%llu\nleader=%llu\nholding=%d\n"
            "commit=%llu\napplied=%llu\nticks_committed=%llu\n"
            "stopping=%d\n",
            (unsigned long long)cluster_id(c),
            cluster_is_started(c) ? cluster_role_name(cluster_role(c)) : "-",
            (unsigned long long)cluster_term(c),
            (unsigned long long)cluster_leader(c), d->has_manager && manager_holds(&d->manager) ? 1 : 0,
            (unsigned long long)cluster_commit_index(c),
            (unsigned long long)cluster_applied_index(c),
            (unsigned long long)cluster_renewals_committed(c), d->is_stopping ? 1 : 0);
    if (fclose(f) == 0) {
        rename(tmp, d->status_path);
    }
    d->status_dirty = false;
}

static void status_timer_cb(uv_timer_t *t)
{
    struct vipd *d = t->data;
    if (d->status_dirty && !d->is_stopping) {
        status_write(d);
    }
}

/****** Notify scripts: this node's own state per instance ******/

/* The log line of an instance's state change (src/log.c words it as
 * keepalived does); vipd's reason: term, holder and why. */
static void log_state(struct vipd *d, size_t i, int state,
                      const struct priority_result *r)
{
    static const char *names[] = {"MASTER", "BACKUP", "FAULT"};
    struct cluster_info ci = {0};
    uint64_t holder = 0;
    char why[160], reason[256];

    if (d->has_cluster) {
        cluster_info(&d->cluster, &ci);
        holder = cluster_state(&d->cluster)->holder;
    }
    if (state == NOTIFY_MASTER) {
        snprintf(why, sizeof why, "this node holds the lease as Raft leader");
    } else if (state == NOTIFY_FAULT) {
        snprintf(why, sizeof why, "not eligible: %s%s%s",
                 priority_why_name(r->why), r->fault[0] != '\0' ? " " : "",
                 r->fault);
    } else if (holder != 0 && holder != cluster_id(&d->cluster)) {
        snprintf(why, sizeof why, "n%llu holds the VIPs",
                 (unsigned long long)holder);
    } else {
        snprintf(why, sizeof why, "no holder known yet");
    }
    char holder_name[32] = "none";
    if (holder != 0) {
        snprintf(holder_name, sizeof holder_name, "n%llu",
                 (unsigned long long)holder);
    }
    snprintf(reason, sizeof reason, "term %llu, holder %s, %s",
             (unsigned long long)ci.term, holder_name, why);
    if (state >= NOTIFY_MASTER && state <= NOTIFY_FAULT) {
        vip_log_state_change(d->cfg->instances[i].name,
                             names[state - NOTIFY_MASTER], reason);
    }
}

/* Whether this node holds placement unit @unit (include/vipd/config.h). */
static bool holds_unit(const struct vipd *d, const char *unit)
{
    return d->has_manager && manager_holds_unit(&d->manager, unit);
}

/* keepalived's states as this node sees them, per instance and per sync
 * group: MASTER while it holds the instance's (or group's) unit, FAULT
 * while it is not eligible (a weight-0 check failing, an interface down,
 * maintenance), BACKUP otherwise. Each change is logged, and scripts run
 * on it. */
void daemon_update_notify(struct vipd *d)
{
    const struct vip_config *cfg = d->cfg;
    const struct fsm_member *m = NULL;

    if (d->inst_state == NULL || d->is_stopping) {
        return;
    }
    if (d->has_cluster) {
        m = fsm_member(cluster_state(&d->cluster), cluster_id(&d->cluster));
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        struct priority_result r = {0};
        bool holds = holds_unit(d, vip_config_unit_of(cfg, i));
        int state;
        r.priority = cfg->instances[i].priority;
        if (m != NULL && i < m->node.n_instances) {
            priority_effective(m, (unsigned)i, true, &r);
        }
        state = holds                        ? NOTIFY_MASTER
                : (m != NULL && r.why != PRIORITY_OK) ? NOTIFY_FAULT
                                                      : NOTIFY_BACKUP;
        if (state != d->inst_state[i]) {
            d->inst_state[i] = state;
            log_state(d, i, state, &r);
            if (d->has_notify) {
                notify_instance(&d->notify, i, (enum notify_state)state,
                                r.priority);
            }
        }
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        bool holds = holds_unit(d, cfg->groups[g].name);
        int state = holds ? NOTIFY_MASTER : NOTIFY_BACKUP;
        for (size_t k = 0; !holds && k < cfg->groups[g].n_instances; k++) {
            for (size_t i = 0; i < cfg->n_instances; i++) {
                if (strcmp(cfg->instances[i].name,
                           cfg->groups[g].instances[k]) == 0 &&
                    d->inst_state[i] == NOTIFY_FAULT) {
                    state = NOTIFY_FAULT;
                }
            }
        }
        if (state != d->group_state[g]) {
            d->group_state[g] = state;
            if (d->has_notify) {
                notify_group(&d->notify, g, (enum notify_state)state);
            }
        }
    }
}

/****** Cluster callbacks ******/

static void on_hold(void *data, uint64_t until_ms)
{
    struct vipd *d = data;
    bool was;
    int rv;

    if (!d->has_manager) {
        /* A witness is never preferred (raft/priority.c); if it is asked
         * anyway, it has nothing it could hold. */
        vip_err("daemon: asked to hold the VIPs, but this node has no "
                "network side (witness)");
        return;
    }
    was = manager_holds(&d->manager);
    rv = manager_hold(&d->manager, until_ms);

    if (rv != 0) {
        /* The manager removed every VIP; the next renewal retries. */
        vip_err("daemon: hold the VIPs: %s: %s", vip_strerror(rv),
                d->manager.errmsg);
    }
    if (was != manager_holds(&d->manager)) {
        daemon_update_notify(d);
        status_write(d);
    }
    /* A renewal (ticks_committed) changes no replicated state now that
     * the lease rides on heartbeats: let the status timer show it. */
    d->status_dirty = true;
}

static void on_release(void *data)
{
    struct vipd *d = data;
    bool was;

    if (!d->has_manager) {
        return;
    }
    was = manager_holds(&d->manager);
    /* On a clean stop the holder also sends priority 0, so that a
     * keepalived backup on the segment takes over without waiting. */
    int rv = d->is_stopping ? manager_release_final(&d->manager)
                            : manager_release(&d->manager);

    if (rv != 0) {
        vip_err("daemon: release the VIPs: %s: %s", vip_strerror(rv),
                d->manager.errmsg);
    }
    if (was) {
        d->n_releases++;
        daemon_update_notify(d);
        status_write(d);
    }
}

/* One unit (raft/cluster_place.h): a vrrp_sync_group or a lone instance. */
static void on_hold_unit(void *data, const char *unit, uint64_t until_ms)
{
    struct vipd *d = data;
    bool was;
    int rv;

    if (!d->has_manager) {
        vip_err("daemon: asked to hold %s, but this node has no network "
                "side (witness)", unit);
        return;
    }
    was = manager_holds_unit(&d->manager, unit);
    rv = manager_hold_unit(&d->manager, unit, until_ms);
    if (rv != 0) {
        /* The manager removed that unit's VIPs; the next renewal retries. */
        vip_err("daemon: hold %s: %s: %s", unit, vip_strerror(rv),
                d->manager.errmsg);
    }
    if (was != manager_holds_unit(&d->manager, unit)) {
        daemon_update_notify(d);
        status_write(d);
    }
    d->status_dirty = true;
}

static void on_release_unit(void *data, const char *unit)
{
    struct vipd *d = data;
    bool was;
    int rv;

    if (!d->has_manager) {
        return;
    }
    was = manager_holds_unit(&d->manager, unit);
    rv = manager_release_unit(&d->manager, unit);
    if (rv != 0) {
        vip_err("daemon: release %s: %s: %s", unit, vip_strerror(rv),
                d->manager.errmsg);
    }
    if (was) {
        d->n_releases++;
        daemon_update_notify(d);
        status_write(d);
    }
}

/* Advertise our effective priority per instance (RFC 5798 adverts carry
 * it; keepalived backups compare against it). */
static void update_priorities(struct vipd *d)
{
    const struct fsm_state *st = cluster_state(&d->cluster);
    const struct fsm_member *m = fsm_member(st, cluster_id(&d->cluster));

    if (m == NULL || !d->has_manager) {
        return;
    }
    for (unsigned i = 0; i < m->node.n_instances && i < d->cfg->n_instances;
         i++) {
        struct priority_result r;
        priority_effective(m, i, true, &r);
        if (r.priority >= 1 && r.priority <= 254) {
            manager_set_priority(&d->manager, i, (uint8_t)r.priority);
        }
    }
}

/* READY=1 for systemd once this node is a member of the Raft group (not
 * waiting to be joined) and knows the holder (an applied TICK names one);
 * the STATUS= line says who holds. */
static void update_systemd(struct vipd *d)
{
    struct cluster_info ci;
    char status[160];
    uint64_t holder;

    if (!d->has_cluster || d->is_stopping) {
        return;
    }
    cluster_info(&d->cluster, &ci);
    holder = cluster_state(&d->cluster)->holder;
    bool joined = !cluster_is_waiting(&d->cluster) && ci.role >= 0;
    if (!joined) {
        snprintf(status, sizeof status, "waiting to join the cluster");
    } else if (holder == 0) {
        snprintf(status, sizeof status, "term %llu, no holder yet",
                 (unsigned long long)ci.term);
    } else {
        snprintf(status, sizeof status, "term %llu, holder n%llu%s",
                 (unsigned long long)ci.term, (unsigned long long)holder,
                 holder == cluster_id(&d->cluster) ? " (this node)" : "");
    }
    daemon_systemd_update(&d->systemd, joined && holder != 0, status);
}

static void on_changed(void *data)
{
    struct vipd *d = data;

    if (d->is_stopping) {
        return;
    }
    uint64_t holder = cluster_state(&d->cluster)->holder;
    if (holder != d->last_holder) {
        d->last_holder = holder;
        d->n_holder_changes++;
    }
    update_systemd(d);
    update_priorities(d);
    daemon_update_notify(d);
    if (d->has_ctl) {
        daemon_ctl_publish(d);
    }
    d->status_dirty = true;
}

static void stop(struct vipd *d, const char *why);

static void on_cluster_failed(void *data)
{
    struct vipd *d = data;

    d->exit_status = 1;
    stop(d, "raft stopped this node");
}

static void on_cluster_left(void *data)
{
    struct vipd *d = data;

    /* Not a failure: the supervisor must not start it again as a member
     * nobody knows (docs/membership.md). */
    d->exit_status = 0;
    stop(d, "this node left the cluster");
}

/****** Health and network callbacks ******/

void daemon_on_transition(void *data, const char *check_name, int32_t value)
{
    struct vipd *d = data;
    int rv;

    vip_info("daemon: check %s -> %d", check_name, (int)value);
    rv = cluster_propose_health(&d->cluster, check_name, value);
    if (rv != 0) {
        vip_err("daemon: propose %s: %s", check_name, vip_strerror(rv));
    }
}

static void on_link_changed(void *data, const char *ifname, bool is_up)
{
    struct vipd *d = data;

    vip_info("daemon: interface %s %s", ifname, is_up ? "up" : "down");
    if (d->is_health_started && !d->is_stopping) {
        /* VIP_ENOENT: not tracked, nothing to report. */
        (void)health_set_interface(d->health, ifname, is_up);
    }
}

static void on_fence_lost(void *data)
{
    struct vipd *d = data;

    /* The manager removed the VIPs and holds no more: hand over, and let
     * systemd start a new daemon with a new fence (vip/fence.h). */
    d->exit_status = 1;
    stop(d, "the fence process is gone");
}

static void on_lease_expired(void *data)
{
    struct vipd *d = data;
    d->n_lease_expired++;
    if (d->has_cluster && !d->is_stopping) {
        cluster_lease_expired(&d->cluster);
    }
    daemon_update_notify(d);
    status_write(d);
}

/****** Shutdown chain ******/

static void handle_closed_cb(uv_handle_t *h)
{
    (void)h;
}

static void close_rest(struct vipd *d)
{
    uv_close((uv_handle_t *)&d->sig_term, handle_closed_cb);
    uv_close((uv_handle_t *)&d->sig_int, handle_closed_cb);
    uv_close((uv_handle_t *)&d->sig_hup, handle_closed_cb);
    uv_close((uv_handle_t *)&d->status_timer, handle_closed_cb);
    daemon_systemd_close(&d->systemd);
}

static void notify_closed_cb(struct notify *n)
{
    struct vipd *d = (struct vipd *)((char *)n - offsetof(struct vipd, notify));
    d->has_notify = false;
    close_rest(d);
}

/* Last: notify_stop / notify STOP for every instance and group (the VIPs
 * are gone by now), then wait for the scripts (bounded by their timeout). */
static void close_notify(struct vipd *d)
{
    if (!d->has_notify) {
        close_rest(d);
        return;
    }
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        if (d->inst_state[i] >= 0) {
            notify_instance(&d->notify, i, NOTIFY_STOP, 0);
        }
    }
    for (size_t g = 0; g < d->cfg->n_groups; g++) {
        if (d->group_state[g] >= 0) {
            notify_group(&d->notify, g, NOTIFY_STOP);
        }
    }
    notify_close(&d->notify, notify_closed_cb);
}

static void manager_closed_cb(struct manager *m)
{
    struct vipd *d = (struct vipd *)((char *)m - offsetof(struct vipd, manager));
    d->has_manager = false;
    close_notify(d);
}

static void close_manager(struct vipd *d)
{
    if (d->has_manager) {
        manager_close(&d->manager, manager_closed_cb);
    } else {
        close_notify(d);
    }
}

static void cluster_closed_cb(struct cluster *c)
{
    struct vipd *d = (struct vipd *)((char *)c - offsetof(struct vipd, cluster));
    d->has_cluster = false;
    close_manager(d);
}

static void close_cluster(struct vipd *d)
{
    if (d->has_cluster) {
        cluster_close(&d->cluster, cluster_closed_cb);
    } else {
        close_manager(d);
    }
}

static void health_closed_cb(struct health *h)
{
    struct vipd *d = h->cbs.data;
    d->has_health = false;
    close_cluster(d);
}

static void close_health(struct vipd *d)
{
    if (d->has_health) {
        d->is_health_started = false;
        health_close(d->health, health_closed_cb);
    } else {
        close_cluster(d);
    }
}

static void ctl_closed_cb(struct ctl_service *svc)
{
    struct vipd *d = (struct vipd *)((char *)svc - offsetof(struct vipd, ctl));
    d->has_ctl = false;
    close_health(d);
}

static void stop(struct vipd *d, const char *why)
{
    if (d->is_stopping) {
        return;
    }
    vip_notice("daemon: %s, shutting down", why);
    status_write(d);
    d->is_stopping = true;
    daemon_systemd_stopping(&d->systemd);
    if (d->has_metrics) {
        /* Closes on its own; uv_run() ends once it and the rest are. */
        d->has_metrics = false;
        metrics_http_close(&d->metrics, NULL);
    }
    if (d->has_ctl) {
        ctl_service_close(&d->ctl, ctl_closed_cb);
    } else {
        close_health(d);
    }
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct vipd *d = s->data;

    if (signum == SIGHUP) {
        daemon_reload(d);
        return;
    }
    stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/****** Run ******/

static int signals_start(struct vipd *d)
{
    uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
    int nums[] = {SIGTERM, SIGINT, SIGHUP};

    for (int i = 0; i < 3; i++) {
        uv_signal_init(&d->loop, sigs[i]);
        sigs[i]->data = d;
        int rv = uv_signal_start(sigs[i], signal_cb, nums[i]);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

/* Bring the parts up in dependency order; on error, stop() unwinds what
 * exists. Returns 0 or a negative code (already logged). */
static int start_parts(struct vipd *d)
{
    const struct vip_config *cfg = d->cfg;
    struct cluster_cbs ccbs;
    struct health_cbs hcbs;
    struct manager_callbacks mcbs;
    struct ctl_server_opts copts;
    struct ctl_backend backend;
    int rv;

    memset(&ccbs, 0, sizeof ccbs);
    ccbs.data = d;
    ccbs.hold = on_hold;
    ccbs.release = on_release;
    ccbs.hold_unit = on_hold_unit;
    ccbs.release_unit = on_release_unit;
    ccbs.changed = on_changed;
    ccbs.failed = on_cluster_failed;
    ccbs.left = on_cluster_left;
    rv = cluster_init(&d->cluster, &d->loop, cfg, &ccbs);
    if (rv != 0) {
        vip_err("daemon: %s", cluster_errmsg(&d->cluster));
        return rv;
    }
    d->has_cluster = true;
    vip_log_set_tag((unsigned)cluster_id(&d->cluster), '-');

    memset(&hcbs, 0, sizeof hcbs);
    hcbs.data = d;
    hcbs.transition = daemon_on_transition;
    d->health = calloc(1, sizeof *d->health);
    if (d->health == NULL) {
        vip_err("daemon: out of memory");
        return VIP_ENOMEM;
    }
    rv = health_init(d->health, &d->loop, cfg, &hcbs);
    if (rv != 0) {
        vip_err("daemon: health checks: %s", d->health->errmsg);
        return rv;
    }
    d->has_health = true;

    d->inst_state = malloc((cfg->n_instances + 1) * sizeof *d->inst_state);
    d->group_state = malloc((cfg->n_groups + 1) * sizeof *d->group_state);
    if (d->inst_state == NULL || d->group_state == NULL) {
        vip_err("daemon: out of memory");
        return VIP_ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        d->inst_state[i] = -1;
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        d->group_state[g] = -1;
    }
    rv = notify_init(&d->notify, &d->loop, cfg);
    if (rv != 0) {
        vip_err("daemon: notify scripts: %s", d->notify.errmsg);
        return rv;
    }
    d->has_notify = true;

    if (cfg->cluster.witness) {
        /* A witness only votes: no VRRP, no addresses, no ARP, so no
         * netlink or raw sockets and no CAP_NET_ADMIN / CAP_NET_RAW. */
        vip_notice("daemon: witness: votes, never holds a VIP");
    } else {
        memset(&mcbs, 0, sizeof mcbs);
        mcbs.data = d;
        mcbs.link_changed = on_link_changed;
        mcbs.lease_expired = on_lease_expired;
        mcbs.fence_lost = on_fence_lost;
        rv = manager_init(&d->manager, &d->loop, cfg, &mcbs);
        if (rv != 0) {
            vip_err("daemon: network: %s", d->manager.errmsg);
            return rv;
        }
        d->has_manager = true;
        rv = manager_set_fence(&d->manager, &d->fence);
        if (rv != 0) {
            vip_err("daemon: network: %s", d->manager.errmsg);
            return rv;
        }
        /* Leftover VIPs go before this node can become a holder. */
        rv = manager_start(&d->manager);
        if (rv != 0) {
            vip_err("daemon: network: %s", d->manager.errmsg);
            return rv;
        }
    }

    rv = cluster_start(&d->cluster);
    if (rv != 0) {
        vip_err("daemon: %s", cluster_errmsg(&d->cluster));
        return rv;
    }
    recover_after_start(&d->cluster); /* after --force-new-cluster */
    d->is_health_started = true;
    rv = health_start(d->health);
    if (rv != 0) {
        d->is_health_started = false;
        vip_err("daemon: health checks: %s", d->health->errmsg);
        return rv;
    }
    daemon_update_notify(d); /* keepalived starts in BACKUP and says so */

    ctl_server_opts_from_config(&copts, cfg);
    daemon_ctl_backend(d, &backend);
    rv = ctl_service_init(&d->ctl, &d->loop, &copts, &backend);
    if (rv != 0) {
        vip_err("daemon: control socket: %s", d->ctl.server.errmsg);
        return rv;
    }
    d->ctl.data = d;
    d->has_ctl = true;
    rv = ctl_service_start(&d->ctl);
    if (rv != 0) {
        vip_err("daemon: control socket: %s", d->ctl.server.errmsg);
        return rv;
    }
    if (cfg->cluster.metrics_port != 0) {
        rv = metrics_http_start(&d->metrics, &d->loop, cfg->cluster.metrics_host,
                                cfg->cluster.metrics_port,
                                daemon_metrics_render, d);
        if (rv != 0) {
            vip_err("daemon: %s", d->metrics.errmsg);
            return rv;
        }
        d->has_metrics = true;
    }
    return 0;
}

int daemon_run(const struct vip_config *cfg, const char *path)
{
    struct instance_lock lock;
    struct ctl_server_opts lock_opts;
    const char *data_dir;
    char errmsg[VIP_ERRMSG_SIZE];
    struct vipd *d;
    int rv;

    if (!cfg->cluster.present) {
        fprintf(stderr, "vipd: the configuration has no cluster block\n");
        return 1;
    }
    /* Before anything touches the data dir or the control socket: a second
     * instance stops here and changes nothing. */
    ctl_server_opts_from_config(&lock_opts, cfg);
    data_dir = cfg->cluster.data_dir != NULL ? cfg->cluster.data_dir
                                             : "/var/lib/vipd";
    if (instance_lock_take(&lock, data_dir,
                           lock_opts.path != NULL ? lock_opts.path
                                                  : CTL_DEFAULT_SOCKET,
                           errmsg) != 0) {
        fprintf(stderr, "vipd: %s\n", errmsg);
        return 1;
    }
    /* A truncated snapshot would hang libraft's start-up for good. */
    if (snapshot_check_dir(data_dir, errmsg) != 0) {
        fprintf(stderr, "vipd: %s; not starting (recovery: move the data dir "
                        "aside and rejoin, see docs/recovery.md)\n",
                errmsg);
        instance_lock_release(&lock);
        return 1;
    }
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        fprintf(stderr, "vipd: out of memory\n");
        instance_lock_release(&lock);
        return 1;
    }
    d->cfg = cfg;
    d->cfg_boot = cfg;
    d->config_path = path;
    /* A peer closing its end must be a write error, not a fatal signal. */
    signal(SIGPIPE, SIG_IGN);
    d->status_path = getenv("VIPD_STATUS_FILE");
    if (d->status_path != NULL && d->status_path[0] == '\0') {
        d->status_path = NULL;
    }
    vip_log_set_tag(cfg->cluster.node_id, '-');
    /* The fence first, while the process has nothing else open. A
     * witness never holds an address: it has nothing to fence. */
    d->fence.fd = -1;
    rv = cfg->cluster.witness ? 0 : fence_start(&d->fence);
    if (rv != 0) {
        fprintf(stderr, "vipd: %s\n", d->fence.errmsg);
        free(d);
        instance_lock_release(&lock);
        return 1;
    }
    rv = uv_loop_init(&d->loop);
    if (rv != 0) {
        fprintf(stderr, "vipd: uv_loop_init: %s\n", uv_strerror(rv));
        fence_stop(&d->fence);
        free(d);
        instance_lock_release(&lock);
        return 1;
    }
    uv_timer_init(&d->loop, &d->status_timer);
    d->status_timer.data = d;
    rv = signals_start(d);
    if (rv != 0) {
        vip_err("daemon: signals: %s", uv_strerror(rv));
    } else if ((rv = daemon_systemd_start(&d->systemd, &d->loop)) != 0) {
        vip_err("daemon: systemd watchdog: %s", uv_strerror(rv));
    } else {
        rv = start_parts(d);
    }
    if (rv != 0) {
        d->exit_status = 1;
        stop(d, "start-up failed");
    } else {
        if (d->status_path != NULL) {
            uv_timer_start(&d->status_timer, status_timer_cb, 100, 100);
            status_write(d);
        }
        vip_info("daemon: running");
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);
    rv = uv_loop_close(&d->loop);
    if (rv != 0) {
        vip_err("daemon: uv_loop_close: %s (handles left open)",
                uv_strerror(rv));
        d->exit_status = 1;
    } else {
        vip_info("daemon: stopped");
    }
    fence_stop(&d->fence);
    rv = d->exit_status;
    free(d->inst_state);
    free(d->group_state);
    free(d->health);
    daemon_reload_free(d->cfg_owned);
    daemon_reload_free(d->cfg_retired);
    free(d);
    instance_lock_release(&lock);
    return rv;
}
