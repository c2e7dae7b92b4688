/* Placement: one holder per unit, for configurations with more than one
 * unit (docs/DESIGN.md 4.9). Pure: no clock, no I/O, no libuv; vipd's node
 * (raft/cluster_place.c) and the simulation (tests/sim) drive exactly
 * these functions.
 *
 * A unit is a vrrp_sync_group, or a vrrp_instance in no sync group; its
 * name is the group's or the instance's. With a single unit the rule of
 * raft/own_step.h stands: the Raft leader holds (a self-hold, below) while
 * own_step keeps its lease for holding, and leadership moves to the
 * preferred node. With two or more, leadership stays where it is and the
 * leader places every unit. In both cases the table below runs, so a
 * change of the number of units (a reload) never lets the leader hold a
 * unit that an earlier grant may still cover:
 *
 * - Self-hold: a unit placed on the leader itself is held under the
 *   leader's own lease (raft/lease.h), so it ends, at the latest, before
 *   any later leader is elected, as with one unit. It starts at once; its
 *   ASSIGN (LEADER_BOUND) is only the record of the move.
 * - Grant: a unit placed on another node N is held by N under a grant: N
 *   asks (place_request_make(), sent at N's time a), the leader answers,
 *   while its own lease is valid, with the units it grants N and the grant
 *   length G; N holds each until a + G on its own clock. A grant can thus
 *   outlive the leader that gave it (G > T plus an election), so a unit
 *   held by N does not stop when the leader crashes: N claims it from the
 *   next leader before a + G.
 * - The log: before a unit is granted, the leader commits an ASSIGN
 *   entry naming the grantee.
 *   A later leader reads the last ASSIGN of each unit from the replicated
 *   state: a LEADER_BOUND one (or none) means free at its election; one
 *   naming a grantee H means H may hold a grant up to G after the last
 *   grant of an earlier leader, so the unit waits (WAIT_CLAIM) until H
 *   claims it (then H keeps it), or H asks without claiming it (then H
 *   holds nothing and never will from an earlier term), or G_wait passes.
 *   Idle, nothing is written: grants ride on their own small RPC.
 *
 * Why never two holders of a unit (the argument in full: docs/DESIGN.md
 * 6.2). Grants are issued only while the issuing leader's lease is valid,
 * hence before any later leader's election (raft/io_lease.h). A grant
 * anchored at the asker's send time a ends, in real time, by a + G <=
 * issue time + G. Within one term the leader grants a unit to another node
 * only from FREE, and a unit becomes FREE only when its last holder
 * confirmed the release (a request in this term that acknowledges every
 * reply that granted it the unit and does not claim it), or its grants
 * have ended for sure (G_wait after the last grant, G_wait >= G with both
 * clocks' drift), or it was self-held (the leader stops it itself). Across
 * terms, the last committed ASSIGN names the only node that may still hold
 * a grant (a leader grants only after the ASSIGN naming the grantee has
 * committed), and a node accepts a grant only if it comes from the term
 * raft currently shows it (so, once it asked a new leader, never a late
 * one from an older leader).
 *
 * Messages (raft/place_wire.h codes them):
 *   request, node -> leader: term, seq, acked (highest reply seq applied),
 *     the units the node holds right now (claims).
 *   reply, leader -> node: term, seq (of the request), G, the units
 *     granted (renewed) and the units revoked (release now).
 * A node asks when it holds a granted unit (every renew_ms), when the
 * applied ASSIGN of a unit names it and it does not hold it, when the
 * leader changed while it holds something, and right after it released a
 * revoked unit (the confirmation). A node with nothing granted and nothing
 * assigned sends nothing. */
#ifndef VIPD_RAFT_PLACE_H
#define VIPD_RAFT_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/entry.h"
#include "raft/priority.h"

#define PLACE_MAX_UNITS ENTRY_MAX_INSTANCES
#define PLACE_MAX_NODES 33 /* FSM_MAX_MEMBERS + 1, as OWN_MAX_SERVERS */
#define PLACE_SEQS      8  /* requests remembered for their send times */

struct place_params
{
    uint64_t self;
    uint32_t grant_ms; /* G: how long a grant lasts from the request's send
                          time, on the holder's clock (the leader's value
                          travels in the reply, so nodes need not agree) */
    uint32_t renew_ms; /* R: a holder asks again this often */
    uint32_t drift_pm; /* the clock-rate bound both sides assume, per mille
                          (100 = +-10 %) */
    uint32_t slack_ms; /* timer slack added to every wait */
    uint64_t first_seq; /* requests are numbered from first_seq + 1: above
                           every request of an earlier run of this node,
                           which may still be on its way to a leader (vipd:
                           wall-clock ms * 1024, as its proposals). 0 from
                           place_params_derive(). */
};

/* Derive G and R from the election timeout T and heartbeat: G covers a
 * renewal interval, an election after the leader's death (up to the
 * slowest ranked timeout) and the new leader's first commit. */
void place_params_derive(struct place_params *p, uint64_t self,
                         uint32_t election_ms, uint32_t heartbeat_ms);

/* The longest a grant of length @grant_ms issued at the leader's time r
 * can last, on the leader's clock: G * (1000 + d) / (1000 - d) + slack. */
uint64_t place_grant_wait(const struct place_params *p, uint32_t grant_ms);

/* What the leader reads from the replicated state for each unit (the last
 * applied ASSIGN entry, raft/entry.h ENTRY_ASSIGN; raft/fsm.h keeps them):
 *   const struct fsm_unit *fsm_unit(const struct fsm_state *st,
 *                                   const char *name);
 * with fields name, holder (0: none), leader_bound, term (of the leader
 * that wrote it), index (its log index), transfer_target and
 * transfer_index (a pending `vipctl transfer UNIT NODE`, as for the whole
 * group in struct fsm_state). NULL: never assigned. */

/****** The leader's table ******/

enum place_state {
    PLACE_FREE = 0,   /* nobody holds it; place it */
    PLACE_ASSIGNING,  /* our ASSIGN for @holder is on its way to commit */
    PLACE_HELD,       /* @holder holds it (self-held or granted) */
    PLACE_REVOKING,   /* @holder must stop: no more grants, waiting for its
                         release or the end of its grants */
    PLACE_WAIT_CLAIM, /* new term: an earlier leader's grantee may hold it */
};

struct place_unit
{
    char name[ENTRY_NAME_MAX];
    uint8_t state;         /* enum place_state */
    uint64_t holder;       /* ASSIGNING/HELD/REVOKING/WAIT_CLAIM */
    uint64_t assign_at;    /* ASSIGNING: when we proposed it (0: not yet) */
    uint64_t grant_seq;    /* last request seq of @holder we granted in */
    uint64_t granted_end;  /* our clock: every grant we gave ends by then */
    uint64_t wait_until;   /* grants of earlier leaders end by then */
    uint64_t transfer_done; /* last operator transfer acted on (log index) */
    uint64_t group_transfer_done; /* the same for `vipctl transfer NODE` */
    uint64_t pin;          /* operator transfer target (0: none) */
    struct priority_pending pending; /* preempt_delay memory */
    /* The last ASSIGN we proposed in this term, while the state does not
     * show it yet: at most one in flight per unit (they apply in order,
     * so "shown" is unambiguous), and no grant before it is shown. */
    bool pend;
    uint64_t pend_holder;
    bool pend_bound;
    uint64_t pend_at; /* when proposed: again after G if still not shown
                         (raft refused it, or it never committed) */
};

/****** A node's grants ******/

struct place_held
{
    char name[ENTRY_NAME_MAX];
    uint64_t until; /* our clock; 0: not held */
    uint64_t term;  /* term of the grant */
};

struct place_sent
{
    uint64_t seq;
    uint64_t at; /* our clock when the request was sent */
};

struct place
{
    struct place_params p;
    /* Leader side. */
    bool leading;
    bool table_ready; /* filled from the log in this term */
    uint64_t term;
    uint64_t leader_since;
    unsigned n_units;
    struct place_unit units[PLACE_MAX_UNITS];
    /* Node side. */
    uint64_t leader;  /* the leader we ask (0: none) */
    uint64_t seq;     /* last request seq */
    uint64_t acked;   /* highest reply seq applied */
    uint64_t last_ask;
    bool ask_now;     /* a reason to ask came up */
    uint64_t assigned_index; /* newest ASSIGN naming us we asked for */
    struct place_sent sent[PLACE_SEQS];
    struct place_held held[PLACE_MAX_UNITS];
};

/* What the node observes at a step. */
struct place_in
{
    uint64_t now;
    int role;        /* enum own_role */
    uint64_t term;
    uint64_t leader; /* 0: none known */
    /* Leader: its lease (own_step's hold_until; 0: none).
     * Grants and self-holds only before it; the first step with a valid
     * lease in a term (an entry of the term committed and was applied, so
     * every committed ASSIGN is in @st) fills the table from the log. */
    uint64_t lease_until;
    const uint64_t *live; /* voters that count as live (self included) */
    size_t n_live;
    const struct fsm_state *st;
    /* The units in config order (names); a node without instances (a
     * witness) passes the names found in the replicated state. */
    const char (*unit_names)[ENTRY_NAME_MAX];
    unsigned n_unit_names;
};

struct place_assign
{
    char unit[ENTRY_NAME_MAX];
    uint64_t holder;
    bool leader_bound;
};

struct place_out
{
    /* Leader: ASSIGN entries to propose now. */
    unsigned n_assign;
    struct place_assign assign[PLACE_MAX_UNITS];
    /* Node: what to hold (per unit of place_in.unit_names, same order):
     * hold_until[i] > now: hold unit i until then; 0: do not hold. */
    uint64_t hold_until[PLACE_MAX_UNITS];
    bool ask;        /* send place_request_make() to the leader now */
    uint64_t wake_at;
};

void place_init(struct place *pl, const struct place_params *p);

/* One step. The caller carries out @out: proposes the ASSIGN entries,
 * holds and releases, asks. An ASSIGN that does not show up in the state
 * within G is proposed again. */
void place_step(struct place *pl, const struct place_in *in,
                struct place_out *out);

/****** Messages ******/

struct place_request
{
    uint64_t term;
    uint64_t seq;
    uint64_t acked;
    unsigned n_claims;
    char claims[PLACE_MAX_UNITS][ENTRY_NAME_MAX];
};

struct place_reply
{
    uint64_t term;
    uint64_t seq;
    uint32_t grant_ms;
    int32_t status; /* 0, VIP_ENOTLEADER, VIP_ESTALE (other term) */
    unsigned n_granted;
    char granted[PLACE_MAX_UNITS][ENTRY_NAME_MAX];
    unsigned n_revoked;
    char revoked[PLACE_MAX_UNITS][ENTRY_NAME_MAX];
};

/* Node: build the request to send now (@now), remembering its send time. */
void place_request_make(struct place *pl, uint64_t now, uint64_t term,
                        struct place_request *req);

/* Leader: answer @req from node @from with what @in shows; @in->now and
 * @in->lease_until must be read at the call (a grant is issued only
 * before the lease ends), the rest may be the last step's. */
void place_on_request(struct place *pl, uint64_t from,
                      const struct place_request *req,
                      const struct place_in *in, struct place_reply *rep);

/* Node: apply @rep at @now; @term is raft's current term. Returns whether
 * it changed what the node holds (the caller runs a step). */
bool place_on_reply(struct place *pl, const struct place_reply *rep,
                    uint64_t now, uint64_t term);

/* Node: stop holding everything now (shutdown, raft failed, fence lost). */
void place_drop_all(struct place *pl);

/* Static name of an enum place_state. */
const char *place_state_name(unsigned state);

#endif /* VIPD_RAFT_PLACE_H */
