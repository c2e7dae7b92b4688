/* The daemon: one libuv loop wiring the cluster (raft/) to the host network
 * (vip/), health checks and the control socket.
 *
 * Data flow: cluster hold(until) -> VIPs held until then; cluster release()
 * -> VIPs removed now. Health transitions -> cluster_propose_health().
 * SIGTERM/SIGINT -> shutdown chain: cluster_close() (release, hand over,
 * raft_close, transport) -> network layer close -> signal handles -> the
 * loop ends and uv_loop_close() must return 0.
 *
 * Hook points for parts landing later are marked "HOOK(...)". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "raft/cluster.h"
#include "src/daemon.h"
#include "vipd/clock.h"
#include "vipd/error.h"
#include "vipd/log.h"

/* Until vip/ is wired in: a stand-in that only logs what it would do. */
struct standin
{
    bool is_holding;
    uint64_t until_ms;
};

struct vipd
{
    uv_loop_t loop;
    const struct vip_config *cfg;
    struct cluster cluster;
    bool has_cluster;
    struct standin net; /* HOOK(vip): struct manager manager; */
    uv_signal_t sig_term, sig_int, sig_hup;
    bool is_stopping;
    int exit_status;

    /* Test and monitoring aid: VIPD_STATUS_FILE names a file rewritten
     * (atomically) with the node's role, term, indexes and holding state. */
    const char *status_path;
    uv_timer_t status_timer;
    bool status_dirty;
};

/****** Status file ******/

static const char *state_name(int state)
{
    switch (state) {
    case RAFT_LEADER:
        return "leader";
    case RAFT_FOLLOWER:
        return "follower";
    case RAFT_CANDIDATE:
        return "candidate";
    default:
        return "unavailable";
    }
}

static void status_write(struct vipd *d)
{
    char tmp[4200];
    FILE *f;
    struct cluster *c = &d->cluster;

    if (d->status_path == NULL || !d->has_cluster) {
        return;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", d->status_path);
    f = fopen(tmp, "we");
    if (f == NULL) {
        return;
    }
    fprintf(f,
            "id=%llu\nrole=%s\nterm=%llu\nleader=%llu\nholding=%d\n"
            "commit=%llu\napplied=%llu\nticks_committed=%llu\n"
            "stopping=%d\n",
            (unsigned long long)c->id,
            c->is_started ? state_name(raft_state(&c->raft)) : "-",
            (unsigned long long)c->raft.current_term,
            (unsigned long long)c->leader_id, d->net.is_holding ? 1 : 0,
            (unsigned long long)c->raft.commit_index,
            (unsigned long long)raft_last_applied(&c->raft),
            (unsigned long long)c->n_ticks_committed, d->is_stopping ? 1 : 0);
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

/****** Cluster callbacks ******/

static void on_hold(void *data, uint64_t until_ms)
{
    struct vipd *d = data;
    uint64_t now = vip_now_ms();

    /* HOOK(vip): manager_hold(&d->manager, until_ms); */
    if (!d->net.is_holding) {
        vip_notice("daemon: would hold the VIPs until +%llu ms",
                   (unsigned long long)(until_ms > now ? until_ms - now : 0));
        d->net.is_holding = true;
        d->status_dirty = true;
        status_write(d);
    }
    d->net.until_ms = until_ms;
}

static void on_release(void *data)
{
    struct vipd *d = data;

    /* HOOK(vip): manager_release(&d->manager); */
    if (d->net.is_holding) {
        vip_notice("daemon: would release the VIPs");
        d->net.is_holding = false;
        d->net.until_ms = 0;
        d->status_dirty = true;
        status_write(d);
    }
}

static void on_changed(void *data)
{
    struct vipd *d = data;
    /* HOOK(ctl): refresh the status model; HOOK(vip): set priorities. */
    d->status_dirty = true;
}

/* HOOK(health): transition(data, check, value) ->
 *     cluster_propose_health(&d->cluster, check, value);
 * HOOK(vip): link_changed(data, ifname, is_up) -> the same with the
 *     interface name when it is tracked; lease_expired(data) ->
 *     cluster_drive() via the cluster (the manager already dropped the VIPs). */

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
}

static void cluster_closed_cb(struct cluster *c)
{
    struct vipd *d = (struct vipd *)((char *)c - offsetof(struct vipd, cluster));
    /* HOOK(vip): manager_close(&d->manager, ...) then close_rest(). */
    d->has_cluster = false;
    close_rest(d);
}

static void stop(struct vipd *d, const char *why)
{
    if (d->is_stopping) {
        return;
    }
    vip_notice("daemon: %s, shutting down", why);
    d->is_stopping = true;
    /* HOOK(ctl): ctl_server_close(); HOOK(health): health_stop(). */
    if (d->status_path != NULL && d->has_cluster) {
        status_write(d);
    }
    if (d->has_cluster) {
        cluster_close(&d->cluster, cluster_closed_cb);
    } else {
        close_rest(d);
    }
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct vipd *d = s->data;

    if (signum == SIGHUP) {
        vip_notice("daemon: SIGHUP ignored (reload not supported yet)");
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

int daemon_run(const struct vip_config *cfg)
{
    struct vipd *d;
    struct cluster_cbs cbs;
    int rv;

    if (!cfg->cluster.present) {
        fprintf(stderr, "vipd: the configuration has no cluster block\n");
        return 1;
    }
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        fprintf(stderr, "vipd: out of memory\n");
        return 1;
    }
    d->cfg = cfg;
    /* A peer closing its end must be a write error, not a fatal signal. */
    signal(SIGPIPE, SIG_IGN);
    d->status_path = getenv("VIPD_STATUS_FILE");
    if (d->status_path != NULL && d->status_path[0] == '\0') {
        d->status_path = NULL;
    }
    rv = uv_loop_init(&d->loop);
    if (rv != 0) {
        fprintf(stderr, "vipd: uv_loop_init: %s\n", uv_strerror(rv));
        free(d);
        return 1;
    }
    vip_log_set_tag(cfg->cluster.node_id, '-');
    uv_timer_init(&d->loop, &d->status_timer);
    d->status_timer.data = d;
    rv = signals_start(d);
    if (rv != 0) {
        vip_err("daemon: signals: %s", uv_strerror(rv));
        d->exit_status = 1;
        goto stop;
    }

    /* HOOK(vip): manager_init(&d->manager, &d->loop, cfg, &mcbs) and
     * manager_start() go here, before the cluster: leftover VIPs are
     * removed before this node can become a holder (DESIGN.md 4.5). */

    memset(&cbs, 0, sizeof cbs);
    cbs.data = d;
    cbs.hold = on_hold;
    cbs.release = on_release;
    cbs.changed = on_changed;
    rv = cluster_init(&d->cluster, &d->loop, cfg, &cbs);
    if (rv != 0) {
        vip_err("daemon: %s", d->cluster.errmsg);
        d->exit_status = 1;
        goto stop;
    }
    d->has_cluster = true;
    vip_log_set_tag((unsigned)d->cluster.id, '-');
    rv = cluster_start(&d->cluster);
    if (rv != 0) {
        vip_err("daemon: %s", d->cluster.errmsg);
        d->exit_status = 1;
        goto stop;
    }
    /* HOOK(health): health_start(); HOOK(ctl): ctl_server_start(). */
    if (d->status_path != NULL) {
        uv_timer_start(&d->status_timer, status_timer_cb, 100, 100);
        status_write(d);
    }
    vip_info("daemon: running");
    goto run;

stop:
    stop(d, "start-up failed");
run:
    uv_run(&d->loop, UV_RUN_DEFAULT);
    rv = uv_loop_close(&d->loop);
    if (rv != 0) {
        vip_err("daemon: uv_loop_close: %s (handles left open)",
                uv_strerror(rv));
        d->exit_status = 1;
    } else {
        vip_info("daemon: stopped");
    }
    rv = d->exit_status;
    free(d);
    return rv;
}
