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
 * The lease decorator now removes the cause: a refused pre-vote goes out
 * with the voter's newer term (raft/io_lease.h, R6), so the stuck node
 * adopts it. This guard stays as the fallback for any other way a pre-vote
 * round can stall: after being leaderless for @stuck_ms while hearing from
 * a majority of the voters, run real elections (pre-vote off) for
 * @window_ms, then pre-vote again for @stuck_ms, and so on until a leader
 * is known. A real RequestVote is answered with the voter's current term.
 *
 * Never while cut off from a majority: such a node cannot win a real
 * election, and the term it would climb to makes the leader step down when
 * it comes back (an 8 s cut-off follower used to cost the cluster a new
 * election and about a second without a holder; tests/netns/heal_cutoff.sh).
 * Safety does not depend on pre-vote (docs/DESIGN.md 4.2: leadership + lease).
 *
 * Applying the answer to a raft 0.15 instance @r (candidates decide pre-vote
 * once per candidacy, so a stuck candidate must be told too):
 *     bool on = prevote_guard_update(&g, now, knows_leader, hears_majority);
 *     raft_set_pre_vote(r, on);
 *     if (!on && raft_state(r) == RAFT_CANDIDATE)
 *         r->candidate_state.in_pre_vote = false;
 * where knows_leader = leader, or follower with raft_leader() id != 0, and
 * hears_majority = io_lease_hears_majority() over the voters within 2 T.
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
    uint64_t since_ms; /* start of the leaderless stretch hearing a majority */
};

/* Initialise @g. Suggested: stuck = 3..5 T (the simulation uses 5 T: mean
 * regain 665 ms against 731 ms with 3 T), window = 2 T (one full randomized
 * election timeout fits in the window). */
void prevote_guard_init(struct prevote_guard *g,
                        uint32_t stuck_ms,
                        uint32_t window_ms);

/* Return whether pre-vote should be on at @now, given whether the node
 * currently knows a leader (is leader, or follows one) and whether it
 * hears from a majority of the voters. */
bool prevote_guard_update(struct prevote_guard *g,
                          uint64_t now,
                          bool knows_leader,
                          bool hears_majority);

#endif /* VIPD_RAFT_PREVOTE_H */
