/* Shared between cluster.c (node, lease, shutdown) and cluster_rpc.c
 * (proposals, forwarding, serving peers). Not for use outside raft/. */
#ifndef VIPD_RAFT_CLUSTER_INTERNAL_H
#define VIPD_RAFT_CLUSTER_INTERNAL_H

#include "raft/cluster.h"

/* Stages of the shutdown chain (c->close_stage). */
enum {
    CLUSTER_CLOSE_HANDOVER = 1, /* waiting for the transfer */
    CLUSTER_CLOSE_CONNS,        /* RPC connections closing */
    CLUSTER_CLOSE_RAFT,         /* raft_close() running */
    CLUSTER_CLOSE_TRANSPORT,    /* transport handles closing */
    CLUSTER_CLOSE_TIMERS,       /* our timers closing */
    CLUSTER_CLOSE_DONE,
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

/* A peer's RPC connection we serve. */
struct cluster_session
{
    struct cluster *c;
    struct cluster_session *prev, *next;
    uint64_t id;
    uint64_t peer_id;
    struct vr_rpc_conn *conn;
};

/* raft 0.15's raft_uv sends entries unpadded over the network but its
 * receiver skips padding up to 8 bytes after each entry: an entry whose
 * length is not a multiple of 8 corrupts the next and reads past the
 * buffer. So every entry we submit is zero-padded to a multiple of 8, and
 * the padding is stripped again before the FSM sees it. */
static inline size_t cluster_padded_len(size_t len)
{
    return (len + 7u) & ~(size_t)7u;
}

/* Accept callback for the transport (RPC connections). */
void cluster_rpc_accept(void *data, uv_stream_t *stream,
                        const struct vr_preamble *p);

/* Send or forward the head proposal if possible; arms the retry timer. */
void cluster_props_pump(struct cluster *c);

/* Initialise the proposal machinery (retry timer). */
void cluster_props_init(struct cluster *c);

/* Close the forwarding connection and the sessions, drop queued proposals.
 * Each closed connection decrements c->n_closing and calls
 * cluster_close_step() when it is done. */
void cluster_props_close(struct cluster *c);

/* Queue an entry (its origin seq is assigned here). */
int cluster_props_push(struct cluster *c, struct entry *e);

/* Status gathering: start polling peers (cluster_start()). */
void cluster_status_start(struct cluster *c);

/* Continue the shutdown chain once something finished closing. */
void cluster_close_step(struct cluster *c);

/* raft_transfer() callback of handovers and of the shutdown handover
 * (cluster_own.c). */
void cluster_transfer_cb(struct raft_transfer *req);

/* Ids of the voters of the current configuration into @voters (at most
 * @max); returns the count. */
size_t cluster_collect_voters(const struct cluster *c, uint64_t *voters,
                              size_t max);

/* Stop holding the VIPs (release callback), logging @why (enum own_why):
 * the one place that does it. */
void cluster_stop_holding(struct cluster *c, unsigned why);

/* The clock of the ownership step, the renewals and the lease decorator:
 * vip_now_ms(), as a callback (@data unused). */
uint64_t cluster_clock(void *data);

/* The lease decorator's event hook (io_lease_set_event_cb()): schedules
 * the step from the loop when what it reads of raft changed. */
void cluster_raft_event(void *data);

/* Re-evaluate role, lease and ownership now. */
void cluster_drive(struct cluster *c);

/* The same, from the loop as soon as possible (never inside a callback of
 * libraft or of an RPC connection). */
void cluster_drive_soon(struct cluster *c);

/* The FSM applied something: answer proposals that waited for it. */
void cluster_props_applied(struct cluster *c);

/* A serving session by id; NULL once it closed. */
struct cluster_session *cluster_session_find(struct cluster *c, uint64_t id);

/* A connection counted during CLUSTER_CLOSE_CONNS finished closing. */
void cluster_close_done_one(struct cluster *c);

/* Membership (cluster_member.c): timer set-up, serving JOIN/REMOVE frames
 * on a session, and closing every membership connection (counted like
 * cluster_props_close() does). */
void vm_init(struct cluster *c);
void vm_serve_frame(struct cluster_session *s, const struct vr_rpc_frame *f);
void vm_close(struct cluster *c);

/* Origin id of proposals queued while waiting to be joined. */
#define CLUSTER_ID_PENDING UINT64_MAX

/* Joined: give the queued proposals this node's new id. */
void cluster_props_adopt_id(struct cluster *c);

/* Store @id, set up and start raft on a node that waited to be joined. */
int cluster_join_start(struct cluster *c, raft_id id);

#endif /* VIPD_RAFT_CLUSTER_INTERNAL_H */
