/* The placement part of struct cluster (raft/cluster.h): runs the
 * placement step (raft/place.h) beside the ownership step and carries out
 * its actions: per-unit hold and release through struct cluster_cbs,
 * ASSIGN proposals (raft/cluster_props.h), requests to the leader over
 * the forwarding connection, answers to the requests peers send us
 * (raft/cluster_session.h's PLACE hook).
 *
 * The ownership part no longer talks to the daemon about holding: its
 * hold(until) and release() come here as the leader's lease (the
 * self-holds and the grants run under it), and every unit's hold goes to
 * the daemon's hold_unit()/release_unit(). Above node, own, props and
 * sessions; called only by raft/cluster.c. */
#ifndef VIPD_RAFT_CLUSTER_PLACE_H
#define VIPD_RAFT_CLUSTER_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/cluster_own.h"
#include "raft/cluster_props.h"
#include "raft/cluster_session.h"
#include "raft/place.h"

struct cluster_place
{
    struct cluster_node *node;
    struct cluster_own *own;
    struct cluster_props *props;
    struct cluster_cbs cbs; /* the daemon's */
    struct place pl;
    bool has_config_units;  /* the units come from the config (a node with
                               instances), else from the replicated state
                               (a witness) */
    unsigned n_units;
    char units[PLACE_MAX_UNITS][ENTRY_NAME_MAX];
    uint64_t told[PLACE_MAX_UNITS]; /* what the daemon holds, per unit */
    bool ask_pending;       /* a request could not be sent yet */
    uv_timer_t timer;
    bool has_timer;
    struct cluster_closing k;
};

/* Set up for @node (its config's units; pure, no handle yet). */
void cluster_place_configure(struct cluster_place *pl,
                             struct cluster_node *node,
                             struct cluster_own *own,
                             struct cluster_props *props,
                             const struct cluster_cbs *cbs);

/* Its timer; call once the node is open. */
void cluster_place_init(struct cluster_place *pl);

/* Reload: the units of @cfg from now on (a unit that left is released by
 * the next step). Returns whether there are two or more (placing). */
bool cluster_place_set_units(struct cluster_place *pl,
                             const struct vip_config *cfg);

/* The ownership part's callbacks (struct cluster_cbs, @data: @pl): its
 * hold (own.hold_until, the leader's lease to place under) started,
 * moved or ended: run the step now. */
void cluster_place_own_hold(void *data, uint64_t until_ms);
void cluster_place_own_release(void *data);

/* Run the step soon (the FSM applied something, the role changed). */
void cluster_place_drive_soon(struct cluster_place *pl);

/* The sessions' PLACE hook (@data: @pl) and the forwarding connection's
 * frame hook (PLACE replies). */
void cluster_place_serve(void *data, struct cluster_session *s,
                         const struct vr_rpc_frame *f);
void cluster_place_reply_frame(void *data, const struct vr_rpc_frame *f);

/* Shutdown: drop every unit (the daemon releases them itself), stop
 * asking; then close the timer, @done(@data) once closed. */
void cluster_place_stop(struct cluster_place *pl);
void cluster_place_close(struct cluster_place *pl, void (*done)(void *data),
                         void *data);

#endif /* VIPD_RAFT_CLUSTER_PLACE_H */
