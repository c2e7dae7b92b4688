/* Every read or write of a libraft 0.15 internal field (struct raft
 * members not behind a raft_* function), in one place. A newer
 * canonical-raft-compatible library changes these, and only these; each
 * is exercised by the simulation (tests/sim), which drives raft_fixture
 * servers through the same functions. docs/DESIGN.md section 7 says why
 * each is needed. */
#ifndef VIPD_RAFT_RAFT015_H
#define VIPD_RAFT_RAFT015_H

#include <raft.h>

#include "raft/io_lease.h"
#include "raft/own_step.h"

/* Fill @in with what raft @r shows now: role, term, leader, time since the
 * follower's last contact, the election timeout raft drew, pre-vote round,
 * the configuration with the leader's replication progress. @now is the
 * caller's clock (the lease's time base), @st the replicated state. */
void raft015_observe(struct raft *r, const struct fsm_state *st, uint64_t now,
                     struct own_in *in);

/* Add to @in (filled by raft015_observe()) what the lease decorator
 * @lease saw: whether a majority of the voters of @in was heard from
 * within 2 T (hears_majority, io_lease_hears_majority()), and for a
 * leader has_ack/ack_since from io_lease_majority_since(), this node
 * @self included. Not a libraft internal, but the same observation for
 * vipd and the simulation. */
void raft015_observe_ack(struct io_lease *lease, uint64_t self,
                         struct own_in *in);

/* What the ownership step reads from raft that changes only when raft
 * handles an event: role, term, leader, pre-vote round, applied index,
 * configuration. */
struct raft015_sig
{
    int role;
    raft_term term;
    raft_id leader;
    bool in_prevote;
    raft_index applied;
    raft_index conf_index;
    raft_index conf_uncommitted;
    unsigned conf_n;
};

/* Whether @r changed since @sig was last taken, and take it again. The
 * owner of the step calls this after each event raft handled (the lease
 * decorator's event hook, raft/io_lease.h) and runs the step soon when it
 * returns true: a quiet cluster then runs the step only at the deadlines
 * it returns (own_out.wake_at). Reads only fields of the current role,
 * after raft's callback returned. */
bool raft015_changed(struct raft *r, struct raft015_sig *sig);

/* Carry out the step's actions that touch raft itself: forget the leader,
 * pre-vote on/off, leave a pre-vote round, set the election timeout. */
void raft015_act(struct raft *r, const struct own_out *out);

/* Leader: end the promotion of spare @id to voter (raft_assign()) at once,
 * the way raft itself ends one whose catch-up rounds time out: the
 * change's callback runs with RAFT_NOCONNECTION before this returns.
 * Returns whether a promotion of @id was running. For a joining node that
 * is known gone (raft/cluster_member.c), so that its spare can be removed
 * at once instead of after the catch-up timeout. */
bool raft015_abort_promotion(struct raft *r, raft_id id);

#endif /* VIPD_RAFT_RAFT015_H */
