/* The daemon's Prometheus metrics (text exposition format 0.0.4), served
 * by src/metrics_http.c when the cluster block has metrics_listen. Names
 * follow Prometheus conventions: vipd_ prefix, base units (seconds),
 * counters end in _total. Raft numbers come through raft/cluster_info.h
 * and the cluster accessors only. The list is also in vipd(8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_info.h"
#include "src/daemon_int.h"
#include "vipd/clock.h"

/* Label values: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"') {
            fputc('\\', f);
            fputc(*s, f);
        } else if (*s == '\n') {
            fputs("\\n", f);
        } else {
            fputc(*s, f);
        }
    }
}

static void head(FILE *f, const char *name, const char *type,
                 const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type,
                const char *help, unsigned long long value)
{
    head(f, name, type, help);
    fprintf(f, "%s %llu\n", name, value);
}

static const char *role_names[] = {"follower", "candidate", "leader",
                                   "unavailable"};
static const int role_values[] = {RAFT_FOLLOWER, RAFT_CANDIDATE, RAFT_LEADER,
                                  RAFT_UNAVAILABLE};

static void raft_metrics(FILE *f, struct vipd *d)
{
    struct cluster_info ci;

    cluster_info(&d->cluster, &ci);
    head(f, "vipd_raft_role", "gauge",
         "1 for this node's current Raft role, 0 for the others.");
    for (size_t i = 0; i < sizeof role_names / sizeof *role_names; i++) {
        fprintf(f, "vipd_raft_role{role=\"%s\"} %d\n", role_names[i],
                ci.role == role_values[i] ? 1 : 0);
    }
    one(f, "vipd_raft_term", "gauge", "Current Raft term.", ci.term);
    one(f, "vipd_raft_leader_id", "gauge",
        "Node id of the Raft leader as this node knows it, 0 if unknown.",
        ci.leader_id);
    one(f, "vipd_raft_commit_index", "gauge", "Raft commit index.",
        ci.commit_index);
    one(f, "vipd_raft_applied_index", "gauge", "Raft last applied index.",
        ci.applied_index);
    one(f, "vipd_raft_waiting_to_join", "gauge",
        "1 while this node waits for vipctl join (bootstrap no).",
        cluster_is_waiting(&d->cluster) ? 1 : 0);
    one(f, "vipd_lease_renewals_total", "counter",
        "Lease renewals as leader (the term's TICK entry committed, "
        "then majorities acknowledging heartbeats).",
        ci.ticks_committed);
    one(f, "vipd_lease_renewals_sent_total", "counter",
        "TICK entries this node proposed as leader (one per term).", ci.ticks_sent);
}

static void holder_metrics(FILE *f, struct vipd *d)
{
    const struct fsm_state *st = cluster_state(&d->cluster);
    static const char *states[] = {"MASTER", "BACKUP", "FAULT"};
    bool holds = d->has_manager && manager_holds(&d->manager);

    head(f, "vipd_vip_holder_node_id", "gauge",
         "Node id holding the instance's VIPs per the replicated state, "
         "0 if none.");
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        fputs("vipd_vip_holder_node_id{vrrp_instance=\"", f);
        put_label(f, d->cfg->instances[i].name);
        fprintf(f, "\"} %llu\n", (unsigned long long)st->holder);
    }
    head(f, "vipd_vip_held", "gauge",
         "1 while this node has the instance's VIPs on its interfaces.");
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        fputs("vipd_vip_held{vrrp_instance=\"", f);
        put_label(f, d->cfg->instances[i].name);
        fprintf(f, "\"} %d\n", holds ? 1 : 0);
    }
    head(f, "vipd_instance_state", "gauge",
         "1 for this node's keepalived-style state of the instance.");
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        int cur = d->inst_state != NULL ? d->inst_state[i] : -1;
        for (int s = 0; s < 3; s++) {
            fputs("vipd_instance_state{vrrp_instance=\"", f);
            put_label(f, d->cfg->instances[i].name);
            fprintf(f, "\",state=\"%s\"} %d\n", states[s],
                    cur == NOTIFY_MASTER + s ? 1 : 0);
        }
    }
    one(f, "vipd_holder_changes_total", "counter",
        "Holder changes this node applied from the Raft log since start.",
        d->n_holder_changes);
    one(f, "vipd_lease_expired_total", "counter",
        "Times this node's VIPs ran out because the lease was not renewed "
        "in time.",
        d->n_lease_expired);
    one(f, "vipd_vip_releases_total", "counter",
        "Times this node released the VIPs it held (handover, lost lease, "
        "fault).",
        d->n_releases);
}

static void check_metrics(FILE *f, struct vipd *d)
{
    /* Indexed by enum health_kind (src/health.h). */
    static const char *kinds[] = {
        [HEALTH_KIND_SCRIPT] = "script", [HEALTH_KIND_TCP] = "tcp",
        [HEALTH_KIND_HTTP] = "http",     [HEALTH_KIND_FILE] = "file",
        [HEALTH_KIND_IFACE] = "interface", [HEALTH_KIND_PROCESS] = "process"};
    size_t n = d->has_health ? health_n_checks(d->health) : 0;
    struct health_check_status cs;

#define EACH_CHECK(BODY)                                              \
    for (size_t i = 0; i < n; i++) {                                  \
        if (health_status(d->health, i, &cs) != 0) {                 \
            continue;                                                 \
        }                                                             \
        BODY                                                          \
    }
#define CHECK_LABELS()                                                \
    do {                                                              \
        fputs("{check=\"", f);                                        \
        put_label(f, cs.name);                                        \
        fprintf(f, "\",kind=\"%s\"}",                                 \
                (size_t)cs.kind < sizeof kinds / sizeof kinds[0] ? kinds[cs.kind] : "other"); \
    } while (0)

    head(f, "vipd_check_value", "gauge",
         "Smoothed check result: 1 ok / 0 failed for scripts and "
         "interfaces, the number read for track_files; absent until known.");
    EACH_CHECK(if (cs.is_known) {
        fputs("vipd_check_value", f);
        CHECK_LABELS();
        fprintf(f, " %d\n", (int)cs.value);
    })
    head(f, "vipd_check_duration_seconds", "gauge",
         "Duration of the check's last probe.");
    EACH_CHECK(if (cs.n_probes > 0) {
        fputs("vipd_check_duration_seconds", f);
        CHECK_LABELS();
        fprintf(f, " %.3f\n", (double)cs.last_duration_ms / 1000.0);
    })
    head(f, "vipd_check_probes_total", "counter", "Probes completed.");
    EACH_CHECK({
        fputs("vipd_check_probes_total", f);
        CHECK_LABELS();
        fprintf(f, " %llu\n", (unsigned long long)cs.n_probes);
    })
    head(f, "vipd_check_failures_total", "counter", "Probes that failed.");
    EACH_CHECK({
        fputs("vipd_check_failures_total", f);
        CHECK_LABELS();
        fprintf(f, " %llu\n", (unsigned long long)cs.n_failures);
    })
#undef EACH_CHECK
#undef CHECK_LABELS
}

static void vrrp_metrics(FILE *f, struct vipd *d)
{
    struct manager_stats ms;
    uint64_t now = vip_now_ms();
    struct timespec wall;

    if (!d->has_manager) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &wall);
    double wall_s = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
    head(f, "vipd_vrrp_foreign_adverts_total", "counter",
         "VRRP adverts of the instance's VRID from a host that is not a "
         "cluster member (e.g. a keepalived master).");
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        if (manager_stats(&d->manager, i, &ms) != 0) {
            continue;
        }
        fputs("vipd_vrrp_foreign_adverts_total{vrrp_instance=\"", f);
        put_label(f, d->cfg->instances[i].name);
        fprintf(f, "\"} %llu\n", (unsigned long long)ms.n_foreign);
    }
    head(f, "vipd_vrrp_foreign_master_last_seen_timestamp_seconds", "gauge",
         "When a foreign VRRP master of the VRID was last seen (Unix time); "
         "absent if never.");
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        if (manager_stats(&d->manager, i, &ms) != 0 || ms.n_foreign == 0 ||
            ms.foreign_ms > now) {
            continue;
        }
        fputs("vipd_vrrp_foreign_master_last_seen_timestamp_seconds"
              "{vrrp_instance=\"", f);
        put_label(f, d->cfg->instances[i].name);
        fprintf(f, "\"} %.3f\n",
                wall_s - (double)(now - ms.foreign_ms) / 1000.0);
    }
}

/* A follower's Raft view knows only the leader, so also count a member
 * whose status connection is open and answered within three polls. A
 * scrape makes the polls fast (cluster_status_wanted()). */
static bool peer_up(struct vipd *d, uint64_t id)
{
    uint64_t age_ms = 0;
    bool connected = false;
    uint64_t poll_ms = cluster_status_wanted(&d->cluster);

    if (cluster_is_reachable(&d->cluster, id)) {
        return true;
    }
    return cluster_peer_status(&d->cluster, id, &age_ms, &connected) != NULL &&
           connected && age_ms <= 3 * poll_ms;
}

static void peer_metrics(FILE *f, struct vipd *d)
{
    const struct fsm_state *st = cluster_state(&d->cluster);

    head(f, "vipd_peer_up", "gauge",
         "1 if the cluster member answered recently (Raft traffic or the "
         "status poll), as this node sees it.");
    for (size_t i = 0; i < st->n_members; i++) {
        const struct fsm_member *m = &st->members[i];
        uint64_t id = m->node.origin.node_id;
        if (id == cluster_id(&d->cluster)) {
            continue;
        }
        fprintf(f, "vipd_peer_up{node=\"%llu\",name=\"",
                (unsigned long long)id);
        put_label(f, m->node.name);
        fputs("\",address=\"", f);
        put_label(f, m->node.address);
        fprintf(f, "\"} %d\n", peer_up(d, id) ? 1 : 0);
    }
}

char *daemon_metrics_render(void *data, size_t *len)
{
    struct vipd *d = data;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);

    if (f == NULL) {
        return NULL;
    }
    head(f, "vipd_build_info", "gauge", "vipd's version, value always 1.");
    fprintf(f, "vipd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
    one(f, "vipd_node_id", "gauge", "This node's id.",
        (unsigned long long)cluster_id(&d->cluster));
    if (d->has_cluster) {
        raft_metrics(f, d);
        holder_metrics(f, d);
        peer_metrics(f, d);
    }
    check_metrics(f, d);
    vrrp_metrics(f, d);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
