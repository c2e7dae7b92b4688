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

#include "raft/fsm.h"
#include "raft/lease.h"
#include "raft/io_lease.h"
#include "raft/own_renew.h"
#include "raft/own_step.h"
#include "raft/peer_rpc.h"
#include "raft/prevote.h"
#include "raft/priority.h"
#include "raft/raft015.h"
#include "raft/transport.h"
#include "vipd/config.h"
#include "vipd/error.h"

struct cluster_cbs
{
    void *data;
    /* Hold all VIPs until @until_ms (vip_now_ms() time base); called again
     * with a later time on every renewal. */
    void (*hold)(void *data, uint64_t until_ms);
    /* Stop holding now (lease lost, handover, shutdown). */
    void (*release)(void *data);
    /* The FSM applied something or the role/leader changed. */
    void (*changed)(void *data);
    /* libraft gave up on this node (state UNAVAILABLE, e.g. after it found
     * a committed entry contradicted): it will never take part again. The
     * VIPs were released just before; the daemon should exit non-zero so
     * its supervisor restarts it from the data dir. May be NULL. */
    void (*failed)(void *data);
    /* This node left the cluster (`vipctl leave` done): raft must not run
     * on, or it campaigns as a member nobody knows. The daemon should stop
     * and exit 0; the cluster logged what to do next. May be NULL. */
    void (*left)(void *data);
};

struct cluster;
typedef void (*cluster_close_cb)(struct cluster *c);

struct cluster_prop;
struct cluster_session;
struct cluster;
struct vm_client;
struct vm_serve;

/* Outcome of a membership operation (vm_join(), vm_leave(), vm_remove())
 * or of an admin proposal: progress lines, then done() exactly once. */
struct vm_cbs
{
    void *data;
    void (*progress)(void *data, const char *text); /* may be NULL */
    void (*done)(void *data, int rv, const char *message);
};

/* Status gathering: one RPC connection per peer, asked every second while
 * someone reads the status (vipctl status, a metrics scrape; and after the
 * start) and for CLUSTER_STATUS_WARM_MS after, every
 * CLUSTER_STATUS_IDLE_POLL_MS otherwise: an idle node's loop and network
 * stay quiet, and a status read still finds answers at most that old. */
#define CLUSTER_STATUS_POLL_MS 1000
#define CLUSTER_STATUS_IDLE_POLL_MS 10000
#define CLUSTER_STATUS_WARM_MS 60000
struct cluster_peer
{
    struct cluster *c;
    raft_id id;                  /* 0: free slot */
    char address[VR_ADDR_MAX + 1];
    struct vr_rpc_conn *conn;
    bool is_connecting;
    struct vr_rpc_connect req;
    struct vr_rpc_status last;   /* the peer's latest answer */
    uint64_t last_ms;            /* vip_now_ms() of it, 0: none */
};

struct cluster
{
    uv_loop_t *loop;
    const struct vip_config *cfg;
    struct cluster_cbs cbs;
    raft_id id;
    char address[VR_ADDR_MAX + 1];
    char data_dir[4096];
    unsigned n_members;

    struct raft raft;
    struct raft_io io;         /* raft_uv */
    struct io_lease io_lease;  /* wraps io: the lease from acknowledged
                                  AppendEntries (raft/io_lease.h) */
    struct vr_transport transport;
    struct fsm fsm;
    struct raft_fsm fsm_wrap;  /* given to raft: strips the 8-byte padding */
    struct raft_tracer tracer;
    bool has_raft, has_io, has_fsm, is_started;

    /* Ownership: the step (raft/own_step.h) and what executes it. */
    struct own own;
    struct own_renew_ctx renew; /* the TICK carrier (raft/own_renew.h) */
    uv_timer_t timer;          /* runs the step at its deadlines */
    struct raft015_sig sig;    /* what the step read of raft: a change
                                  runs it again (raft015_changed()) */
    bool shutdown_transfer;    /* the shutdown handover is running */
    struct raft_transfer transfer;
    uint64_t n_ticks_sent, n_ticks_committed; /* the terms' TICK entries */
    uint64_t n_lease_renewals; /* lease deadline moved on (hold) */

    /* Proposals. */
    struct cluster_prop *props_head, *props_tail;
    unsigned n_props;
    uint64_t next_seq;
    uint64_t next_req_id;
    uv_timer_t retry_timer;
    struct vr_rpc_conn *fwd;   /* to the leader */
    raft_id fwd_leader;
    bool fwd_connecting;
    struct vr_rpc_connect fwd_req;
    uint64_t prop_sent_ms;     /* head proposal sent at; 0 not in flight */
    bool node_proposed;
    struct cluster_prop *props_waiting; /* applied on the leader, answer
                                           once applied here too */

    /* Peers' own views (status gathering). */
    struct cluster_peer peers[CFG_MAX_PEERS + 1];
    uv_timer_t status_timer;
    uint64_t status_wanted_ms;  /* last cluster_status_wanted() */
    uint32_t status_poll_ms;    /* current polling interval */
    uint32_t status_last_ms;    /* interval after the previous poll */
    uint32_t status_held_ms;    /* the held answers are at most about this
                                   old (max of the last two intervals) */

    /* Serving peers' RPCs. */
    struct cluster_session *sessions;
    uint64_t next_session_id;

    /* Membership (raft/cluster_member.c). */
    bool is_waiting;           /* `bootstrap no` and not admitted yet: no
                                  raft, never holds */
    struct vm_client *vm_clients; /* our membership requests */
    struct vm_serve *vm_serving;  /* leader: changes being carried out */
    uv_timer_t vm_timer;       /* polls their progress and deadlines */
    bool has_left;             /* the leader removed us at our request */
    bool is_left_reported;

    /* Shutdown. */
    bool is_closing;
    int close_stage;
    cluster_close_cb close_cb;
    unsigned n_closing;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Derive the member list and this node's id from @cfg (rules above). Fills
 * @ids/@addrs (arrays of CFG_MAX_PEERS + 1) and *@n, and *@self_index.
 * Returns 0 or VIP_ECONFIG with @errmsg set. Pure. */
int cluster_members(const struct vip_config *cfg,
                    raft_id ids[CFG_MAX_PEERS + 1],
                    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1],
                    unsigned *n, unsigned *self_index, char *errmsg);

/* The id stored in @dir/node-id: 0 if there is none yet, else the id, or
 * VIP_ECONFIG (with @errmsg) for an unreadable file. */
int64_t cluster_read_node_id(const char *dir, char *errmsg);

/* Map a raft return code (positive RAFT_*) to a VIP_E* code. */
int cluster_rv(int raft_rv);

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
