/* The ownership part of struct cluster (raft/cluster.h): runs the
 * ownership step (raft/own_step.h) on the node (raft/cluster_node.h) and
 * carries out its decisions through struct cluster_cbs. Above the node
 * only; a change of role or leader goes up through @role_changed. */
#ifndef VIPD_RAFT_CLUSTER_OWN_H
#define VIPD_RAFT_CLUSTER_OWN_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/lease.h"
#include "raft/own_renew.h"
#include "raft/own_step.h"
#include "raft/raft015.h"

struct cluster_cbs
{
    void *data;
    /* Hold all VIPs until @until_ms (vip_now_ms() time base); called again
     * with a later time on every renewal. */
    void (*hold)(void *data, uint64_t until_ms);
    /* Stop holding now (lease lost, handover, shutdown). */
    void (*release)(void *data);
    /* One unit (raft/place.h; include/vipd/config.h vip_config_unit_of()):
     * hold its VIPs until @until_ms, or stop now. Given to cluster_init(),
     * the cluster's placement part (raft/cluster_place.h) calls these for
     * every unit, and hold/release only at shutdown; NULL: hold/release
     * for every unit (one unit only). */
    void (*hold_unit)(void *data, const char *unit, uint64_t until_ms);
    void (*release_unit)(void *data, const char *unit);
    /* The FSM applied something or the role/leader changed. */
    void (*changed)(void *data);
    /* libraft gave up on this node (state UNAVAILABLE, e.g. after it found
     * a committed entry contradicted): it will never take part again. The
     * VIPs were released just before; the daemon should exit non-zero so
     * its supervisor restarts it from the data dir. May be NULL. */
    void (*failed)(void *data);
    /* This node left the cluster (`vipctl leave` done, or the leader said
     * it removed us): raft must not run on, or it campaigns as a member
     * nobody knows. The daemon should stop and exit 0; the cluster logged
     * what to do next. May be NULL. */
    void (*left)(void *data);
};

struct cluster_own
{
    struct cluster_node *node;
    struct cluster_cbs cbs;
    /* The step saw the role or the leader change (set by the owner). */
    void (*role_changed)(void *data);
    void *role_changed_data;

    struct own own;
    bool placing;              /* two or more units (raft/place.h): set by
                                  the owner, passed as own_in.placing */
    struct lease_params lp;
    struct own_renew_ctx renew; /* the TICK carrier (raft/own_renew.h) */
    uv_timer_t timer;          /* runs the step at its deadlines */
    struct raft015_sig sig;    /* what the step read of raft: a change
                                  runs it again (raft015_changed()) */
    bool shutdown_transfer;    /* the shutdown handover is running */
    struct raft_transfer transfer;
    uint64_t n_ticks_sent, n_ticks_committed; /* the terms' TICK entries */
    uint64_t n_lease_renewals; /* lease deadline moved on (hold) */
    bool has_left;             /* the leader removed us (we asked, or it
                                  told us: removed_by) */
    uint64_t removed_by;       /* 0: we left ourselves */
    bool is_left_reported;
    void (*handover_done)(void *data);
    void *handover_data;
    struct cluster_closing k;
};

/* Derive the lease and set up the step for @node (pure; the id may still
 * be 0, see cluster_own_set_self()). 0 or VIP_ECONFIG with @errmsg set. */
int cluster_own_configure(struct cluster_own *o, struct cluster_node *node,
                          const struct cluster_cbs *cbs, char *errmsg);
void cluster_own_set_self(struct cluster_own *o, raft_id id);

/* Its timer; call once the node is open. */
void cluster_own_init(struct cluster_own *o);

/* Re-evaluate role, lease and ownership now. */
void cluster_own_drive(struct cluster_own *o);

/* The node's raft_event hook (@data: the struct cluster_own): runs the
 * step from the loop when what it reads of raft changed. */
void cluster_own_raft_event(void *data);

/* We are out of the configuration (@removed_by: the leader that told us,
 * 0 when we left ourselves): stop as soon as possible. */
void cluster_own_left(struct cluster_own *o, uint64_t removed_by);

/* The network layer dropped the VIPs on its own. */
void cluster_own_lease_expired(struct cluster_own *o);

/* Whether node @id answered recently (raft/own_step.h: own_is_live). */
bool cluster_own_is_live(const struct cluster_own *o, raft_id id);

/* Shutdown, in this order: stop (release the VIPs, drive no more), hand
 * the leadership over (@done once it is over, maybe at once), close the
 * timer (@done once closed). */
void cluster_own_stop(struct cluster_own *o);
void cluster_own_handover(struct cluster_own *o, void (*done)(void *data),
                          void *data);
void cluster_own_close(struct cluster_own *o, void (*done)(void *data),
                       void *data);

#endif /* VIPD_RAFT_CLUSTER_OWN_H */
