/* The node part of struct cluster (raft/cluster.h): identity (id, address,
 * data dir), raft with raft_uv, the lease decorator (raft/io_lease.h), the
 * transport and the replicated state machine. The lowest part: it calls no
 * other raft/cluster*.c file; what it has to report goes up through the
 * @applied callback (see the order in raft/cluster.h). */
#ifndef VIPD_RAFT_CLUSTER_NODE_H
#define VIPD_RAFT_CLUSTER_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "raft/fsm.h"
#include "raft/io_lease.h"
#include "raft/transport.h"
#include "vipd/config.h"
#include "vipd/error.h"

struct cluster_node
{
    uv_loop_t *loop;
    const struct vip_config *cfg;
    raft_id id;
    char address[VR_ADDR_MAX + 1];
    char data_dir[4096];
    unsigned n_members;
    uint32_t election_ms, heartbeat_ms; /* T and its heartbeat, defaults
                                           applied */

    struct raft raft;
    struct raft_io io;         /* raft_uv */
    struct io_lease io_lease;  /* wraps io: the lease from acknowledged
                                  AppendEntries (raft/io_lease.h) */
    struct vr_transport transport;
    struct fsm fsm;
    struct raft_fsm fsm_wrap;  /* given to raft: strips the 8-byte padding */
    struct raft_tracer tracer;
    bool has_raft, has_io, has_fsm, is_started;
    bool is_waiting;           /* `bootstrap no` and not admitted yet: no
                                  raft, never holds */

    /* The FSM applied an entry (set by the owner of the node). */
    void (*applied)(void *data);
    void *applied_data;
    /* Raft sent or received something, or an append/persist completed
     * (the lease decorator's event hook, io_lease_set_event_cb()): what
     * the ownership step reads may have changed (set by the owner). */
    void (*raft_event)(void *data);
    void *raft_event_data;

    /* Shutdown. */
    void (*closed)(void *data);
    void *closed_data;
    char errmsg[VIP_ERRMSG_SIZE];
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

/* The clock of the ownership step, the renewals and the lease decorator:
 * vip_now_ms(), as a callback (@data unused). */
uint64_t cluster_clock(void *data);

/* Identity from @cfg (raft/cluster.h: node ids): address, id (unless
 * `bootstrap no`), data dir, T and heartbeat. Pure; 0 or VIP_ECONFIG with
 * @n->errmsg set. */
int cluster_node_init(struct cluster_node *n, uv_loop_t *loop,
                      const struct vip_config *cfg);

/* Create the data dir, check or claim its node id (a `bootstrap no` node
 * reads it, or waits), set up the FSM, the transport (RPC connections go
 * to @accept) and, unless waiting, raft (bootstrapping the static
 * configuration). Returns 0 or a negative code with @n->errmsg set; on
 * error nothing needs closing. */
int cluster_node_open(struct cluster_node *n, vr_rpc_accept_cb accept,
                      void *accept_data);

/* A waiting node was admitted as @id: store it and set up raft. */
int cluster_node_join(struct cluster_node *n, raft_id id);

/* raft_start(); 0 or a VIP_E* code with @n->errmsg set. */
int cluster_node_start(struct cluster_node *n);

/* Submit @len bytes through raft_apply() (padded, copied); @req->data is
 * the caller's. Returns raft's code. */
int cluster_node_apply(struct cluster_node *n, const uint8_t *bytes,
                       size_t len, struct raft_apply *req, raft_apply_cb cb);

/* Close raft, raft_uv, the FSM and the transport; @cb(@data) once done. */
void cluster_node_close(struct cluster_node *n, void (*cb)(void *data),
                        void *data);

/* Derive the member list and this node's id from @cfg (raft/cluster.h). */
int cluster_members(const struct vip_config *cfg,
                    raft_id ids[CFG_MAX_PEERS + 1],
                    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1],
                    unsigned *n, unsigned *self_index, char *errmsg);

/* The id stored in @dir/node-id: 0 if there is none yet, else the id, or
 * VIP_ECONFIG (with @errmsg) for an unreadable file. */
int64_t cluster_read_node_id(const char *dir, char *errmsg);

/* Map a raft return code (positive RAFT_*) to a VIP_E* code. */
int cluster_rv(int raft_rv);

#endif /* VIPD_RAFT_CLUSTER_NODE_H */
