/* The Raft node: canonical raft 0.15 with raft_uv persistence, our TCP
 * transport (raft/transport.h), the replicated state machine (raft/fsm.h),
 * the lease (raft/lease.h) and the ownership rule (raft/priority.h).
 *
 * Ownership (docs/DESIGN.md 4): only the leader holds, and only while its
 * lease runs; the decisions are the ownership step's (raft/own_step.h),
 * run by a timer in raft/cluster_own.c on what raft shows
 * (raft/raft015.h). The network layer only ever hears hold(until) /
 * release().
 *
 * Node ids (static bootstrap): the members are the `listen` address and the
 * `peer` addresses, each written "HOST:PORT" ("[V6]:PORT" for IPv6
 * literals), exactly as in the config; sorted bytewise, the first gets id 1,
 * the next 2, and so on. Every node must therefore list every member
 * spelled the same way. `node_id`, when set, must equal the derived id.
 * The id is written to DATA_DIR/node-id at first start; a later start with
 * a different derived id refuses to run (a data dir belongs to one node).
 *
 * Proposals (health transitions, admin) are queued, one in flight at a time
 * with a sequence number from wall-clock ms * 1024 (increasing across
 * restarts); the leader applies them, a follower forwards them to the leader
 * over a peer RPC connection; both retry until applied. The FSM drops a
 * repeated sequence number, so each applies exactly once. */
#ifndef VIPD_RAFT_CLUSTER_H
#define VIPD_RAFT_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "raft/cluster_member.h"
#include "raft/cluster_node.h"
#include "raft/cluster_own.h"
#include "raft/cluster_peers.h"
#include "raft/cluster_place.h"
#include "raft/cluster_props.h"
#include "raft/cluster_session.h"
#include "vipd/config.h"
#include "vipd/error.h"

struct cluster;
typedef void (*cluster_close_cb)(struct cluster *c);

/* The parts, each with its own init and close, in the order of their
 * calls: a file only calls the files of the parts listed before it, and
 * what a part has to say upwards goes through a callback its owner set
 * (tests/ops/test_no_cycles.sh checks that no file calls back up):
 *
 *   node      raft/cluster_node.c   identity, raft + raft_uv, lease
 *                                   decorator, transport, FSM
 *                                   (up: applied)
 *   own       raft/cluster_own.c    the ownership step's driver: hold,
 *                                   release, TICK, handover, leave
 *                                   (up: role_changed, struct cluster_cbs)
 *   props     raft/cluster_props.c  proposal queue, forwarding to the
 *                                   leader
 *   sessions  raft/cluster_session.c  peers' RPC connections we serve
 *                                   (up: membership frames hook)
 *   peers     raft/cluster_peers.c  status polling of the other members
 *   member    raft/cluster_member.c join, leave, remove (up: join_start)
 *   place     raft/cluster_place.c  one holder per unit (raft/place.h):
 *                                   the own part's hold/release arrive
 *                                   here as the leader's lease; units go
 *                                   to the daemon's hold_unit/release_unit
 *   cluster   raft/cluster.c        wires the callbacks, start, the
 *                                   shutdown order, the public calls below
 *
 * Shutdown (cluster_close()): every part stops (the ownership part
 * releases the VIPs), the leadership is handed over, the parts close their
 * connections and timers (each counting its own), then the node closes
 * raft, raft_uv, the FSM and the transport. Outside raft/, use the calls
 * below, not the fields. */
struct cluster
{
    struct cluster_cbs cbs;
    struct cluster_node node;
    struct cluster_own own;
    struct cluster_props props;
    struct cluster_sessions sessions;
    struct cluster_peers peers;
    struct cluster_member member;
    struct cluster_place place;

    /* Shutdown. */
    bool is_closing;
    int close_stage;
    unsigned n_closing;        /* parts still closing */
    cluster_close_cb close_cb;
};

/* Prepare the node: create data_dir, check/write the node id, initialise
 * raft, raft_uv, the transport and the FSM, bootstrap the static
 * configuration (skipped when the data dir has state). Nothing runs until
 * cluster_start(). Returns 0 or a negative code with @c->errmsg set; on error
 * nothing needs closing. */
int cluster_init(struct cluster *c, uv_loop_t *loop,
                 const struct vip_config *cfg, const struct cluster_cbs *cbs);

/* Start raft (listen, elections, replication), the lease driver, and
 * propose this node's NODE record. Returns 0 or a negative code. */
int cluster_start(struct cluster *c);

/* Queue a health transition of local check @check_name, named as
 * src/health.h reports them: "NAME" (vrrp_script, tcp/http check),
 * "file:NAME" (track_file), "if:IFNAME" (interface).
 * Returns 0, VIP_ENOMEM, VIP_EINVAL (bad name) or -ESHUTDOWN. */
int cluster_propose_health(struct cluster *c, const char *check_name,
                           int32_t value);

/* Queue an admin operation (enum entry_admin_op) on @target. */
int cluster_propose_admin(struct cluster *c, uint8_t op, uint64_t target);

/* Queue an admin operation like cluster_propose_admin(); @cbs->done fires
 * once with 0 when the entry is applied (on the leader), or with an error
 * (refused, -ESHUTDOWN when the node closes first). On a non-zero return
 * nothing fires. */
int cluster_propose_admin_cb(struct cluster *c, uint8_t op, uint64_t target,
                             const struct vm_cbs *cbs);

/* cluster_propose_admin_cb() for one placement unit (raft/entry.h
 * entry_admin.unit; only ENTRY_ADMIN_TRANSFER takes one): `vipctl
 * transfer INSTANCE NODE`. An empty @unit is the same as
 * cluster_propose_admin_cb(). Returns VIP_EINVAL for a bad unit name. */
int cluster_propose_admin_unit(struct cluster *c, uint8_t op, uint64_t target,
                               const char *unit, const struct vm_cbs *cbs);

/* Reload (src/daemon_reload.c): read the node's description (priorities,
 * tracks and weights, nopreempt, preempt_delay) from @cfg from now on and
 * propose the new NODE record. @cfg must keep the cluster block the node
 * started with (those settings do not change live) and outlive @c or the
 * next call. Returns 0 or cluster_props_push()'s error. */
int cluster_reconfigure(struct cluster *c, const struct vip_config *cfg);

/****** Membership (raft/cluster_member.c) ******
 *
 * Bootstrap rule: a node bootstraps the configuration of its `listen` and
 * `peer` lines (static clusters, unchanged; a config listing only itself
 * forms a one-node cluster) unless its cluster block says `bootstrap no`.
 * Then, with no DATA_DIR/node-id yet, it waits: no raft, no VIPs, until
 * `vipctl join MEMBER` gets it admitted; afterwards it resumes with the
 * stored id. */

/* True while this node waits to be joined. */
bool cluster_is_waiting(const struct cluster *c);

/* Join the cluster @peer ("HOST:PORT" or "HOST", the cluster port then
 * being ours) belongs to: ask it over the peer RPC port (a member that is
 * not the leader names the leader, which we then ask), the leader adds us
 * as a spare with a fresh id (its highest id + 1), we store the id and
 * start raft, and the leader promotes us to voter once we caught up.
 * Returns 0 (then @cbs fire) or VIP_EEXIST (already a member) / -EALREADY
 * (a join is running) / VIP_EINVAL (bad address). */
int vm_join(struct cluster *c, const char *peer, const struct vm_cbs *cbs);

/* Remove node @target through the leader. Refused (by the leader) when
 * @target leads, when it is reachable or the remaining live voters would
 * not be a majority, unless @force. Returns 0 (then @cbs fire) or a
 * negative code. */
int vm_remove(struct cluster *c, uint64_t target, bool force,
              const struct vm_cbs *cbs);

/* Remove this node: when it leads or holds, first maintenance on (the VIP
 * and the leadership move away), then the leader removes it. Refused when
 * the remaining live voters would not be a majority, unless @force.
 * Returns 0 (then @cbs fire) or a negative code with @c->errmsg set. */
int vm_leave(struct cluster *c, bool force, const struct vm_cbs *cbs);

/* The network layer dropped the VIPs on its own (its until passed): forget
 * that we hold, so the next renewal re-adds them. */
void cluster_lease_expired(struct cluster *c);

/* Whether node @id answered recently (leader: from replication progress;
 * follower: only the leader and itself are known). */
bool cluster_is_reachable(const struct cluster *c, raft_id id);

/* The latest status node @id reported about itself, and its age in ms;
 * NULL if it never answered. *@connected tells whether the status
 * connection to it is still open (a killed peer's connection closes at
 * once, so its answer is only the last known one). */
const struct vr_rpc_status *cluster_peer_status(const struct cluster *c,
                                                raft_id id, uint64_t *age_ms,
                                                bool *connected);

/* Someone reads the status: poll the peers every second from now on, for
 * CLUSTER_STATUS_WARM_MS. Returns the interval of the answers now held
 * (CLUSTER_STATUS_POLL_MS or CLUSTER_STATUS_IDLE_POLL_MS): how old an
 * answer may be and still count as current is two of them. */
uint32_t cluster_status_wanted(struct cluster *c);

/* Accessors for status. */
raft_id cluster_id(const struct cluster *c); /* 0 while waiting */
const char *cluster_errmsg(const struct cluster *c); /* of the last error */
const char *cluster_data_dir(const struct cluster *c);
uint64_t cluster_ticks_sent(const struct cluster *c);
bool cluster_is_started(const struct cluster *c); /* raft runs */
/* Whether the member at @address refused our key (raft/transport.h). */
const struct vr_key_refusal *cluster_key_refused(const struct cluster *c,
                                                 const char *address);
bool cluster_is_leader(const struct cluster *c);
/* raft_state() of this node (RAFT_*; RAFT_UNAVAILABLE before start), and
 * its static name ("leader", "follower", ...; raft/own_step.h). */
int cluster_role(const struct cluster *c);
const char *cluster_role_name(int role);
/* The known leader (0: none), as of the last ownership step. */
raft_id cluster_leader(const struct cluster *c);
uint64_t cluster_term(const struct cluster *c);
uint64_t cluster_commit_index(const struct cluster *c);
uint64_t cluster_applied_index(const struct cluster *c);
uint32_t cluster_election_timeout(const struct cluster *c);
uint64_t cluster_renewals_committed(const struct cluster *c);
/* The current Raft configuration (members and their raft roles). */
const struct raft_configuration *cluster_configuration(const struct cluster *c);
bool cluster_is_holding(const struct cluster *c);
const struct fsm_state *cluster_state(const struct cluster *c);

/* Release the VIPs (release callback), hand leadership to another voter if
 * this node leads, stop everything and close raft, raft_uv and the
 * transport. @cb fires once every handle is closed. Call once. */
void cluster_close(struct cluster *c, cluster_close_cb cb);

#endif /* VIPD_RAFT_CLUSTER_H */
