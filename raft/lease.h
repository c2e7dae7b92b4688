/* Lease arithmetic: when the Raft leader may hold the VIPs (docs/DESIGN.md 4.1, 4.2).
 * Pure: time comes in as arguments (vip_now_ms() in vipd, fixture time in the
 * simulation); both drive exactly these functions.
 *
 * Rules:
 * - A leader submits one entry in its term (raft_barrier() or a TICK
 *   entry), again every renew_ms until one commits. When the entry
 *   submitted at t_send commits in the same term, with this node still
 *   leader, the lease runs until t_send + L.
 * - From then on no entry is written: the io decorator (raft/io_lease.h)
 *   reports `since`, the largest t such that a majority of voters
 *   acknowledged an AppendEntries of this term sent at or after t
 *   (heartbeats included), and the lease runs until since + L.
 * - A new leader holds only once its entry in its own term has committed,
 *   and not before W (+ the kernel lifetime bound in strict mode) has
 *   passed since it became leader.
 * - Any role loss or term change ends the lease at once; without fresh
 *   acknowledgements it ends at since + L anyway, whatever Raft says.
 * - Why no successor overlaps: a majority received a message of this term
 *   at or after t_send (or since); the decorator keeps each of them out of
 *   elections for T from then (raft/io_lease.h, R3), and any future leader
 *   needs one of their votes; so no new leader exists before t + T > t + L
 *   (L < T).
 *
 * Driving it (one lease per node):
 *   on every wake-up, first:  if (lease_tick(l, now, is_leader, term)) submit;
 *   after a successful submit: lease_renewal_sent(l, now, term);
 *   commit callback:           lease_renewal_committed(l, t_send, term);
 *   leader, on every wake-up:  lease_acked(l, since, term);
 *   failure callback:          lease_renewal_failed(l, t_send, term);
 *   then:                      until = lease_holds_until(l, now);
 *                              until ? manager_hold(until) : manager_release();
 * where t_send and term are the values remembered with the request.
 *
 * Handover: lease_release() and manager_release(), then raft_transfer(); in
 * the transfer callback, if raft still says leader in the same term, the
 * transfer did not happen: lease_resume(l, now), and the VIPs come back
 * after the next renewal commits. (A TimeoutNow delivered after the
 * transfer's own timeout could in theory let the target win while the old
 * leader renews again; the simulation, with message delays above T, never
 * produced that overlap. Staying released instead leaves no holder until
 * the term changes: 121 of 3000 simulated schedules ended without one.) */
#ifndef VIPD_RAFT_LEASE_H
#define VIPD_RAFT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

struct lease_params
{
    uint32_t lease_ms;         /* L: must be < the election timeout T */
    uint32_t renew_ms;         /* renewal interval, <= L / 3 */
    uint32_t takeover_wait_ms; /* W: extra wait after winning (0: none) */
    uint32_t strict_wait_ms;   /* strict mode: kernel lifetime bound, added
                                  to W; 0 in normal mode */
    uint32_t max_in_flight;    /* renewals outstanding at once (>= 1) */
};

/* Fill @p from the Raft timeouts: L = 0.8 * T - heartbeat (margin for clock
 * rate drift and timer slack), renew = L / 3, max_in_flight = 4. @strict_ms
 * is the kernel lifetime bound to wait in strict mode (0: normal mode).
 * Returns 0 or VIP_EINVAL if the result is unusable (L < 3 ms, heartbeat >=
 * T ...). */
int lease_params_derive(struct lease_params *p,
                        uint32_t election_timeout_ms,
                        uint32_t heartbeat_ms,
                        uint32_t takeover_wait_ms,
                        uint32_t strict_ms);

/* Check @p against the election timeout: 0 or VIP_EINVAL. */
int lease_params_check(const struct lease_params *p,
                       uint32_t election_timeout_ms);

struct lease
{
    struct lease_params p;
    bool is_leader;           /* as of the last lease_tick() */
    uint64_t term;            /* term of the last lease_tick() */
    uint64_t leader_since_ms; /* when leadership in @term was first seen */
    bool has_sent;            /* a renewal was sent in this term */
    uint64_t last_sent_ms;
    uint32_t n_in_flight;    /* renewals of this term not yet answered */
    bool has_commit;         /* a renewal of this term committed */
    uint64_t valid_until_ms; /* lease end from commits; 0: none */
    bool released;           /* lease_release() in this term */
    uint64_t resume_ms;      /* only renewals sent at/after this count */
};

/* Initialise @l: not leader, not holding. @p is copied. */
void lease_init(struct lease *l, const struct lease_params *p);

/* Tell the lease the node's current role and term, read from Raft now.
 * Leaving the leader role or a different term resets the lease (not
 * holding, nothing in flight). Returns true if a renewal should be
 * submitted now. Call before lease_holds_until() on every wake-up. */
bool lease_tick(struct lease *l, uint64_t now, bool is_leader, uint64_t term);

/* A renewal was submitted at @t_send in @term (only after the submit
 * succeeded). */
void lease_renewal_sent(struct lease *l, uint64_t t_send, uint64_t term);

/* The renewal submitted at @t_send in @term committed (applied on this
 * leader). Extends the lease to t_send + L if @term is the current term,
 * this node is still leader, and the lease is not released. */
void lease_renewal_committed(struct lease *l, uint64_t t_send, uint64_t term);

/* The io decorator reports that a majority acknowledged AppendEntries of
 * @term sent at or after @since (io_lease_majority_since()). Extends the
 * lease to since + L once the term's entry has committed (and not before
 * the last resume), if this node still leads in @term and holds. */
void lease_acked(struct lease *l, uint64_t since, uint64_t term);

/* The renewal submitted at @t_send in @term failed (not leader, leadership
 * lost, shutdown). The lease simply runs out if nothing else commits. */
void lease_renewal_failed(struct lease *l, uint64_t t_send, uint64_t term);

/* Give the VIPs up for the rest of this term (before raft_transfer() or on
 * shutdown): not holding, no renewals. Cleared by a new term. */
void lease_release(struct lease *l);

/* Undo lease_release() in the same term (e.g. a transfer that did not
 * happen): holding again needs a renewal sent at or after @now to commit. */
void lease_resume(struct lease *l, uint64_t now);

/* 0 if the node must not hold the VIPs at @now, else the time until which it
 * may hold them (exclusive, > @now). */
uint64_t lease_holds_until(const struct lease *l, uint64_t now);

/* The next time (>= @now) at which lease_tick() or lease_holds_until() may
 * give a different answer without any callback: next renewal due, lease
 * end, end of the takeover wait. UINT64_MAX if none. */
uint64_t lease_next_wake(const struct lease *l, uint64_t now);

#endif /* VIPD_RAFT_LEASE_H */
