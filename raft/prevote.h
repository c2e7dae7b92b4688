/* Pre-vote guard: a work-around for a permanent election livelock of
 * libraft 0.15 with pre-vote on, found by the simulation (tests/sim).
 *
 * The livelock: the node with the most up-to-date log has a lower term than
 * the others (it was cut off while they ran failed elections). Its pre-vote
 * requests are rejected ("local term is higher") but 0.15 answers a pre-vote
 * with the *request's* term (recv_request_vote.c), so it never learns the
 * higher term; the others' (pre-)votes are rejected because their logs are
 * shorter. No leader, ever, with every node up and connected (canonical/raft
 * is archived; the code is unchanged upstream).
 *
 * The way out: after being leaderless for @stuck_ms, run real elections
 * (pre-vote off) for @window_ms, then pre-vote again for @stuck_ms, and so
 * on until a leader is known. A real RequestVote is answered with the
 * voter's current term, so the stuck node adopts it and wins the next round.
 * The cost: a node cut off from the majority for long enough bumps its term
 * during the windows, and on its return makes the leader step down once.
 * Safety does not depend on pre-vote (docs/DESIGN.md 4.2: leadership + lease).
 *
 * Applying the answer to a raft 0.15 instance @r (candidates decide pre-vote
 * once per candidacy, so a stuck candidate must be told too):
 *     bool on = prevote_guard_update(&g, now, knows_leader);
 *     raft_set_pre_vote(r, on);
 *     if (!on && raft_state(r) == RAFT_CANDIDATE)
 *         r->candidate_state.in_pre_vote = false;
 * where knows_leader = leader, or follower with raft_leader() id != 0.
 * Pure: no I/O, time comes in as an argument. */
#ifndef VIPD_RAFT_PREVOTE_H
#define VIPD_RAFT_PREVOTE_H

#include <stdbool.h>
#include <stdint.h>

struct prevote_guard
{
    uint32_t stuck_ms;  /* leaderless this long before a real election */
    uint32_t window_ms; /* length of a pre-vote-off window */
    bool is_leaderless;
    uint64_t since_ms; /* start of the leaderless stretch */
};

/* Initialise @g. Suggested: stuck = 3..5 T (the simulation uses 5 T: mean
 * regain 665 ms against 731 ms with 3 T), window = 2 T (one full randomized
 * election timeout fits in the window). */
void prevote_guard_init(struct prevote_guard *g,
                        uint32_t stuck_ms,
                        uint32_t window_ms);

/* Return whether pre-vote should be on at @now, given whether the node
 * currently knows a leader (is leader, or follows one). */
bool prevote_guard_update(struct prevote_guard *g,
                          uint64_t now,
                          bool knows_leader);

#endif /* VIPD_RAFT_PREVOTE_H */
