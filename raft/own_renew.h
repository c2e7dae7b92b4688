/* The carrier of the ownership step's `renew` action: the term's one TICK
 * entry (leader, term, wall clock, holder and reason for `vipctl events`;
 * later renewals ride on acknowledged heartbeats, raft/io_lease.h)
 * submitted with raft_apply(); its commit or failure is reported to the
 * step with the renewal's SEND time (raft/own_step.h). Shared by vipd
 * (raft/cluster_own.c) and the simulation (tests/sim/sim_node.c). */
#ifndef VIPD_RAFT_OWN_RENEW_H
#define VIPD_RAFT_OWN_RENEW_H

#include <stdbool.h>
#include <stdint.h>

#include <raft.h>

#include "raft/own_step.h"

struct own_renew_ctx
{
    struct own *own;
    uint64_t (*clock)(void *data); /* the step's time base, ms (to count
                                      renewals that commit too late) */
    void *clock_data;
    bool pad8; /* zero-pad the entry to a multiple of 8 (raft/cluster_node.h) */
    /* Called after the step heard of the outcome (may be NULL). */
    void (*done)(void *data, bool ok);
    void *done_data;
};

/* Submit the renewal @out asks for, as node @self of term @term, at @now
 * (the step's clock) with wall clock @wall_ms. Returns 0, or a RAFT_* code
 * (not submitted: the lease simply runs out, the next step retries).
 * @ctx must live until the callback. */
int own_renew_submit(struct raft *r, const struct own_renew_ctx *ctx,
                     uint64_t self, uint64_t term, uint64_t now,
                     uint64_t wall_ms, const struct own_out *out);

#endif /* VIPD_RAFT_OWN_RENEW_H */
