/* The daemon's state, shared by daemon.c (wiring, start-up, shutdown) and
 * daemon_ctl.c (the control backend). Private to src/daemon*.c. */
#ifndef VIPD_SRC_DAEMON_INT_H
#define VIPD_SRC_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "raft/cluster.h"
#include "src/ctl_service.h"
#include "src/daemon_systemd.h"
#include "src/metrics_http.h"
#include "src/health.h"
#include "src/notify.h"
#include "vip/fence.h"
#include "vip/manager.h"
#include "vipd/config.h"

struct vipd
{
    uv_loop_t loop;
    const struct vip_config *cfg; /* the running one (boot or reloaded) */
    const struct vip_config *cfg_boot; /* daemon_run()'s, owned by main */
    const char *config_path;      /* re-read on SIGHUP */
    struct vip_config *cfg_owned; /* a reloaded cfg (== cfg), or NULL */
    struct vip_config *cfg_retired; /* the previous reloaded one, freed once
                                       health_old has closed */
    struct manager manager;
    struct fence fence; /* forked first, stopped last */
    struct cluster cluster;
    struct health *health;     /* heap: a reload starts a new set */
    struct health *health_old; /* the set a reload replaced, closing */
    struct ctl_service ctl;
    struct notify notify;
    bool has_manager, has_cluster, has_health, has_ctl, has_notify;
    int *inst_state;  /* per instance: enum notify_state last run, -1 none */
    int *group_state; /* per sync group: the same */
    bool is_health_started;
    uv_signal_t sig_term, sig_int, sig_hup;
    bool is_stopping;
    int exit_status;
    uint64_t n_events_published; /* FSM events already sent to followers */
    struct daemon_systemd systemd; /* sd_notify: READY, STATUS, watchdog */

    /* Prometheus endpoint (metrics_listen) and the counters only it shows. */
    struct metrics_http metrics;
    bool has_metrics;
    uint64_t last_holder;        /* holder in the FSM at the last change */
    uint64_t n_holder_changes;   /* holder changes applied since start */
    uint64_t n_lease_expired;    /* manager lease_expired callbacks */
    uint64_t n_releases;         /* releases of VIPs this node held */

    /* Test and monitoring aid: VIPD_STATUS_FILE names a file rewritten
     * (atomically) with the node's role, term, indexes and holding state. */
    const char *status_path;
    uv_timer_t status_timer;
    bool status_dirty;
};

/* SIGHUP (daemon_reload.c): re-read config_path and apply what can
 * change live; refused (and logged with FILE:LINE) when it is invalid. */
void daemon_reload(struct vipd *d);

/* Free a configuration daemon_reload() loaded (it borrows the cluster
 * block of cfg_boot). */
void daemon_reload_free(struct vip_config *cfg);

/* Health and notify state changes (daemon.c), also after a reload. */
void daemon_on_transition(void *data, const char *check_name, int32_t value);
void daemon_update_notify(struct vipd *d);

/* The control backend (daemon_ctl.c). */
void daemon_ctl_backend(struct vipd *d, struct ctl_backend *b);

/* The /metrics body (daemon_metrics.c); a metrics_render_fn. */
char *daemon_metrics_render(void *data, size_t *len);

/* Publish FSM events applied since the last call to `events --follow`
 * clients (daemon_ctl.c). */
void daemon_ctl_publish(struct vipd *d);

#endif /* VIPD_SRC_DAEMON_INT_H */
