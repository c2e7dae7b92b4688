/* The proposal part of struct cluster (raft/cluster.h): health, admin and
 * NODE records are queued, one in flight at a time; the leader applies
 * them, a follower forwards them to the leader over a peer RPC connection;
 * both retry until applied. Above the node (raft/cluster_node.h); reads
 * the ownership step's timing (raft/own_step.h) but calls no part above. */
#ifndef VIPD_RAFT_CLUSTER_PROPS_H
#define VIPD_RAFT_CLUSTER_PROPS_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/entry.h"
#include "raft/own_step.h"
#include "raft/peer_rpc.h"

/* Outcome of a membership operation (vm_join(), vm_leave(), vm_remove())
 * or of an admin proposal: progress lines, then done() exactly once. */
struct vm_cbs
{
    void *data;
    void (*progress)(void *data, const char *text); /* may be NULL */
    void (*done)(void *data, int rv, const char *message);
};

/* One queued proposal: an encoded entry with its sequence number. */
struct cluster_prop
{
    struct cluster_prop *next;
    struct vm_cbs cbs;   /* done == NULL: nobody waits for it */
    uint64_t seq;
    size_t len;
    uint8_t bytes[];
};

struct cluster_props
{
    struct cluster_node *node;
    const struct own *own;     /* its timing: heartbeat, election timeout */
    struct cluster_prop *props_head, *props_tail;
    unsigned n_props;
    uint64_t next_seq;
    uv_timer_t retry_timer;
    struct vr_rpc_conn *fwd;   /* to the leader */
    raft_id fwd_leader;
    bool fwd_connecting;
    struct vr_rpc_connect fwd_req;
    uint64_t prop_sent_ms;     /* head proposal sent at; 0 not in flight */
    struct cluster_prop *props_waiting; /* applied on the leader, answer
                                           once applied here too */
    /* Other frames the leader sends back on the forwarding connection
     * (PLACE replies: the placement part, set by the owner). */
    void (*frame_hook)(void *data, const struct vr_rpc_frame *f);
    void *frame_hook_data;
    struct cluster_closing k;
};

/* Origin id of proposals queued while waiting to be joined. */
#define CLUSTER_ID_PENDING UINT64_MAX

/* Set up (the retry timer; sequence numbers from the wall clock). */
void cluster_props_init(struct cluster_props *p, struct cluster_node *node,
                        const struct own *own);

/* Queue an entry (its origin seq is assigned here). */
int cluster_props_push(struct cluster_props *p, struct entry *e);

/* Send or forward the head proposal if possible; arms the retry timer. */
void cluster_props_pump(struct cluster_props *p);

/* The FSM applied something: answer proposals that waited for it. */
void cluster_props_applied(struct cluster_props *p);

/* Joined: give the queued proposals this node's new id. */
void cluster_props_adopt_id(struct cluster_props *p);

/* raft/cluster.h: cluster_propose_health(), cluster_propose_admin(),
 * cluster_propose_admin_cb(), cluster_propose_admin_unit(). */
int cluster_props_propose_health(struct cluster_props *p,
                                 const char *check_name, int32_t value);
int cluster_props_propose_admin(struct cluster_props *p, uint8_t op,
                                uint64_t target);
int cluster_props_propose_admin_cb(struct cluster_props *p, uint8_t op,
                                   uint64_t target, const struct vm_cbs *cbs);
int cluster_props_propose_admin_unit(struct cluster_props *p, uint8_t op,
                                     uint64_t target, const char *unit,
                                     const struct vm_cbs *cbs);

/* Send a frame to the leader over the forwarding connection. Returns 0,
 * -EAGAIN when the connection to the current leader is not up yet (it is
 * being opened: try again later), VIP_ENOTLEADER when there is no leader
 * or we are it, -ESHUTDOWN, or a send error. */
int cluster_props_send_leader(struct cluster_props *p, uint8_t type,
                              uint64_t req_id, const void *body, size_t len);

/* Shutdown: stop (refuse new proposals), then close: drop the queue
 * (waiters get -ESHUTDOWN), close the forwarding connection and the timer,
 * @done(@data) once all closed. */
void cluster_props_stop(struct cluster_props *p);
void cluster_props_close(struct cluster_props *p, void (*done)(void *data),
                         void *data);

#endif /* VIPD_RAFT_CLUSTER_PROPS_H */
