/* The ownership step: what one node of one Raft group does about its VIPs,
 * as a pure function of what it observes (docs/DESIGN.md 4.7).
 *
 * No libuv, no clock reads, no I/O: the caller reads raft (through
 * raft/raft015.h), passes the observations in `struct own_in`, and carries
 * out the actions of `struct own_out`. vipd's timer (raft/cluster_own.c)
 * and the simulation (tests/sim/sim_node.c) call this very function; the
 * simulation has no ownership code of its own.
 *
 * One `struct own` per Raft group: it keeps the lease (raft/lease.h), the
 * pre-vote guard (raft/prevote.h), preempt_delay memory, the leader's view
 * of which voters are alive and the handover state. A later design with one
 * Raft group per vrrp_instance runs one of these per group.
 *
 * The rules, in the order the step applies them:
 * 1. raft gave up on the node (UNAVAILABLE): release for good, `failed`.
 * 2. A follower whose leader has been silent for T (no AppendEntries for an
 *    election timeout) forgets it, so that it grants votes to the first
 *    survivor whose timer fires (libraft 0.15 refuses every vote while a
 *    leader is known). T since the last AppendEntries keeps the lease
 *    argument intact (docs/DESIGN.md 4.2).
 * 3. Pre-vote on, except for windows after a long leaderless stretch
 *    spent hearing from a majority (raft/prevote.h): a node cut off from
 *    the others keeps it, so its term stays and its return deposes
 *    nobody. A candidate in a pre-vote round is switched to a real
 *    election when a window opens.
 * 4. A following follower's election timeout follows its rank in the replicated
 *    state among the voters other than its leader: T + rank * rank_step
 *    (rank 0 = the node that should hold once the leader is gone),
 *    so after a holder crash the best survivor's timer fires first and
 *    the VIPs move once (docs/DESIGN.md 4.8). Every value is >= T. A
 *    witness ranks after every node that can hold. A candidate whose
 *    pre-vote round failed retries after a heartbeat + rank * rank_step
 *    (with clock drift the best survivor may ask before the others are
 *    free to answer).
 * 5. The leader decides who should hold (raft/priority.h over live
 *    voters); it holds while its lease runs (raft/lease.h), releases
 *    before any transfer, waits for a settled view of the live voters
 *    after its election before moving the VIPs, and does not retry a
 *    failed handover for 2 T. A witness leader hands over at once to the
 *    best holder-capable voter once that one answers (after two
 *    heartbeats to the best one that answered), without settling.
 * 6. Renewals: one TICK entry per term (the `renew` action: the new
 *    leader's, or after a failed handover), stating the holder for
 *    `vipctl events`; then the lease runs to ack_since + L, from the
 *    AppendEntries a majority acknowledged (raft/io_lease.h): an idle
 *    cluster writes no log entries. A later hold deadline is given out
 *    only once the current one is within L/2 of its end.
 * 7. Wake-ups (own_out.wake_at, own_wants_events()): in a quiet state (a
 *    follower with a leader, a settled leader that holds) the caller runs
 *    the step when raft015_changed() reports a change and at wake_at
 *    (docs/DESIGN.md 4.7); otherwise after every raft event and every
 *    poll_ms.
 *
 * Event inputs between steps go through own_renewal_sent(),
 * own_renewal_done(), own_transfer_done() and own_dropped(). */
#ifndef VIPD_RAFT_OWN_STEP_H
#define VIPD_RAFT_OWN_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/fsm.h"
#include "raft/lease.h"
#include "raft/prevote.h"
#include "raft/priority.h"

#define OWN_MAX_SERVERS (FSM_MAX_MEMBERS + 1)

/* Roles, as raft_state() reports them (same values as RAFT_*). */
enum own_role {
    OWN_UNAVAILABLE = 0,
    OWN_FOLLOWER = 1,
    OWN_CANDIDATE = 2,
    OWN_LEADER = 3,
};

struct own_params
{
    uint64_t self;             /* this node's id */
    uint32_t election_ms;      /* T: raft's base election timeout */
    uint32_t heartbeat_ms;
    uint32_t rank_step_ms;     /* timeout step per rank; 0: raft's random */
    uint32_t poll_ms;          /* wait between two steps while electing
                                  or settling; timer slack elsewhere */
    uint32_t prevote_stuck_ms; /* raft/prevote.h */
    uint32_t prevote_window_ms;
    bool witness; /* this node is a witness (`witness yes`): it ranks after
                     every node that can hold, hands leadership over */
};

/* One server of the Raft configuration as the node sees it. */
struct own_server
{
    uint64_t id;
    bool is_voter;
    /* Leader only (raft's progress of that server): */
    uint64_t match_index;
    bool recent_recv; /* raft heard from it in the current window */
};

/* What the node observes, read at the start of the step. */
struct own_in
{
    uint64_t now;      /* ms, the node's monotonic clock */
    int role;          /* enum own_role */
    uint64_t term;
    uint64_t leader;   /* raft_leader(), 0 none */
    uint64_t since_contact_ms; /* follower: since the election timer was
                                  last reset (last AppendEntries or vote) */
    uint32_t timeout_ms;       /* follower/candidate: the election timeout
                                  raft drew for this term (0: unknown) */
    uint64_t last_index;       /* last log index */
    uint64_t applied;          /* last applied index (0: unknown); with
                                  the configuration it keys own_rank()'s
                                  cache */
    bool in_prevote;           /* candidate in its pre-vote round */
    /* A majority of the voters (this node included) sent this node
     * something within 2 T (io_lease_hears_majority()): a node cut off
     * from them keeps pre-vote on (raft/prevote.h). */
    bool hears_majority;
    /* Leader: the largest t such that a majority of the voters
     * acknowledged an AppendEntries of this term sent at or after t
     * (io_lease_majority_since()); the lease runs to ack_since + L. */
    bool has_ack;
    uint64_t ack_since;
    unsigned n_servers;
    struct own_server servers[OWN_MAX_SERVERS];
    const struct fsm_state *st; /* the replicated state */
    /* More than one unit (raft/place.h): the leader keeps its lease
     * whatever its own eligibility and never hands leadership over to
     * move VIPs; its hold_until is the lease raft/place.c grants and
     * self-holds under. */
    bool placing;
};

enum own_why {
    OWN_WHY_NONE = 0,
    OWN_WHY_NOT_LEADER,
    OWN_WHY_LEASE,       /* lease not renewed in time */
    OWN_WHY_HANDOVER,    /* released to hand over */
    OWN_WHY_INELIGIBLE,  /* this node is not eligible (FAULT, maintenance) */
    OWN_WHY_FAILED,      /* raft UNAVAILABLE */
    OWN_WHY_DROPPED,     /* the network layer dropped the VIPs itself */
    OWN_WHY_SHUTDOWN,
};

/* What to do, in this order. */
struct own_out
{
    bool failed;          /* raft gave up: release (below) and report */
    bool forget_leader;   /* follower: clear raft's current leader */
    bool set_prevote;     /* raft_set_pre_vote(prevote_on) */
    bool prevote_on;
    bool cancel_prevote;  /* candidate: leave the pre-vote round */
    uint32_t set_timeout_ms; /* follower, or candidate in its pre-vote
                                round: set the election timeout (0 no) */
    bool changed;         /* role, term, leader or holding changed */
    /* Holding: exactly one of release / hold. */
    bool release;
    uint8_t release_why;  /* enum own_why */
    bool hold;            /* (re)hold until hold_until */
    uint64_t hold_until;
    bool renew;           /* submit a lease renewal (TICK) now */
    uint64_t renew_holder; /* holder the TICK states (0: none) */
    uint8_t renew_reason;  /* enum entry_hold_reason */
    uint64_t transfer_to; /* raft_transfer() to this node (0: none) */
    bool transfer_requested; /* the transfer is an operator switchover */
    uint64_t wake_at;     /* call the step again at the latest then */
};

/* own_rank()'s last answer and what it depends on. */
struct own_rank_cache
{
    bool valid;
    uint64_t applied;
    uint64_t except;
    uint64_t conf_hash; /* ids and voter flags of the configuration */
    unsigned rank;
};

struct own_seen
{
    uint64_t id;
    uint64_t match;
    uint64_t seen_ms;
};

struct own
{
    struct own_params p;
    struct lease lease;
    struct prevote_guard prevote;
    bool prevote_on;
    struct priority_pending pending;
    int role;           /* as of the last step */
    uint64_t term;
    uint64_t leader;
    uint64_t followed; /* the last leader known, kept when forgotten */
    uint64_t leader_since_ms;
    bool is_holding;
    uint64_t hold_until;
    bool is_transferring;
    uint64_t next_transfer_ms; /* no handover before this */
    uint64_t transfer_done_index;
    bool is_failed;
    bool is_closing;
    uint64_t n_slow_renewals; /* committed later than L after sending */
    struct own_seen seen[OWN_MAX_SERVERS];
    uint64_t decide_wake; /* leader: when decide()'s answer may change */
    bool is_quiet; /* the last step found a quiet state: own_wants_events() */
    uint64_t hold_given_ms; /* when hold_until was last given out */
    struct own_rank_cache rank;
};

/* Initialise @o (not holding, pre-vote on). */
void own_init(struct own *o, const struct own_params *p,
              const struct lease_params *lp);

/* One step: observations in, actions out. */
void own_step(struct own *o, const struct own_in *in, struct own_out *out);

/* Whether the step wants to run after every event raft handles, not only
 * when raft015_changed() says so: while electing, settling, handing over,
 * or leading without holding (acknowledgements that let the lease run
 * again, voters answering again), as before the quiet state of a follower
 * with a leader or a settled leader that holds. */
bool own_wants_events(const struct own *o);

/* The renewal the step asked for was submitted at @t_send in @term. */
void own_renewal_sent(struct own *o, uint64_t t_send, uint64_t term);

/* A renewal sent at @t_send in @term committed (@ok) or failed. */
void own_renewal_done(struct own *o, uint64_t t_send, uint64_t term, bool ok);

/* raft_transfer() was refused at once (@now). */
void own_transfer_refused(struct own *o);

/* The transfer ended; @still_leader: this node still leads (it did not
 * happen: resume holding once a fresh renewal commits). */
void own_transfer_done(struct own *o, uint64_t now, bool still_leader);

/* The network layer dropped the VIPs on its own (its deadline passed). */
void own_dropped(struct own *o);

/* Shutdown: stop holding for good. Returns whether the caller must
 * release now (it held). */
bool own_shutdown(struct own *o);

/* Whether node @id counts as live for the leader at @now (itself always;
 * followers know only their leader). */
bool own_is_live(const struct own *o, uint64_t id, uint64_t now);

/* The rank of node @id in @st among the voters of @servers other than
 * @except (0: first choice to hold; every member has a distinct rank). A
 * follower leaves its leader out: the leader's failure is what its timer
 * is for, so the best survivor gets rank 0. Witnesses (their NODE record's
 * ENTRY_NODE_F_WITNESS, and @id itself when @id_is_witness, for a node
 * that has not described itself yet) rank after every other member. */
unsigned own_rank(const struct fsm_state *st, const struct own_server *servers,
                  unsigned n, uint64_t id, uint64_t except, bool id_is_witness);

/* The default timeout step between two ranks for @T and heartbeat @hb:
 * two heartbeats plus T/10. raft ticks once per heartbeat, so closer
 * timeouts fire in the same tick and split votes; with clocks ±10 % apart
 * the best survivor's first pre-vote round may be refused (its peers are
 * quiet for T on their own clocks) and it needs a heartbeat to retry
 * before the next survivor fires (docs/DESIGN.md 4.8). */
uint32_t own_rank_step(uint32_t T, uint32_t hb);

/* The election timeout the step wants for rank @rank. */
uint32_t own_rank_timeout(const struct own_params *p, unsigned rank);

/* How soon a candidate of rank @rank repeats a pre-vote round the others
 * refused: a heartbeat plus @rank rank steps (below 2 T). */
uint32_t own_prevote_retry(const struct own_params *p, unsigned rank);

/* Static name of a role: "leader", "follower", "candidate", "unavailable",
 * "unknown". */
const char *own_role_name(int role);

/* One letter for log tags: L, F, C, '-'. */
char own_role_letter(int role);

/* Static text of an enum own_why. */
const char *own_why_text(unsigned why);

#endif /* VIPD_RAFT_OWN_STEP_H */
