/* Each server driven as vipd's raft node drives it, and the checks run
 * after every fixture step. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "tests/sim/sim.h"

/****** Random numbers (splitmix64: tiny and reproducible) ******/

uint64_t sim_rnd(struct sim *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
unsigned sim_rnd_range(struct sim *s, unsigned lo, unsigned hi)
{
    return lo + (unsigned)(sim_rnd(s) % ((uint64_t)hi - lo + 1));
}

void sim_log(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    if (!s->o.verbose) {
        return;
    }
    printf("%8" PRIu64 " ", (uint64_t)raft_fixture_time(&s->f));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    if (s->failed) {
        return;
    }
    s->failed = true;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    sim_log(s, "FAIL %s", s->why);
}

/****** The node: lease driver, as vipd's raft node runs it ******/

static void renewal_cb(struct raft_apply *req, int status, void *result)
{
    struct sim_renewal *rn = (struct sim_renewal *)req;
    struct sim_node *n = &rn->s->nodes[rn->i];
    (void)result;
    if (status == 0) {
        rn->s->n_committed++;
        lease_renewal_committed(&n->lease, rn->t_send, rn->term);
    } else {
        lease_renewal_failed(&n->lease, rn->t_send, rn->term);
    }
    free(rn);
}

/* Submit an encoded entry; false if raft refused it (the buffer is freed). */
bool sim_submit(struct raft *r,
                struct raft_apply *req,
                const struct entry *e,
                raft_apply_cb cb)
{
    size_t size = entry_encoded_size(e);
    struct raft_buffer buf;
    size_t len;

    buf.base = raft_malloc(size);
    if (buf.base == NULL || entry_encode(e, buf.base, size, &len, NULL) != 0) {
        raft_free(buf.base);
        return false;
    }
    buf.len = len;
    if (raft_apply(r, req, &buf, 1, cb) != 0) {
        raft_free(buf.base);
        return false;
    }
    return true;
}

static void renew(struct sim *s, unsigned i, uint64_t now, uint64_t term)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct sim_node *n = &s->nodes[i];
    struct sim_renewal *rn = calloc(1, sizeof *rn);
    struct entry e = {.kind = ENTRY_TICK};

    if (rn == NULL) {
        sim_fail(s, "out of memory");
        return;
    }
    rn->s = s;
    rn->i = i;
    rn->t_send = now;
    rn->term = term;
    e.u.tick.leader = r->id;
    e.u.tick.term = term;
    e.u.tick.wall_ms = 1700000000000ull + now;
    e.u.tick.holder = r->id;
    e.u.tick.reason =
        n->lease.has_commit ? ENTRY_HOLD_RENEW : ENTRY_HOLD_ELECTED;
    if (!sim_submit(r, &rn->req, &e, renewal_cb)) {
        free(rn); /* e.g. RAFT_NOTLEADER during a transfer: retry later */
        return;
    }
    s->n_renewals++;
    lease_renewal_sent(&n->lease, now, term);
}

/* Node @n's own clock at fixture time @t (clock-rate drift, --drift). */
uint64_t sim_local_ms(const struct sim_node *n, uint64_t t)
{
    return t * n->rate_pm / 1000u;
}

/* The first fixture time at which @n's clock shows @local. */
static uint64_t global_ms(const struct sim_node *n, uint64_t local)
{
    return (local * 1000u + n->rate_pm - 1) / n->rate_pm;
}

/* One wake-up of node @i: lease first, then the VIP follows the lease.
 * The lease sees only the node's own clock; the VIP deadline is converted
 * back to fixture time for the checker. */
void sim_drive(struct sim *s, unsigned i, uint64_t global_now)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct sim_node *n = &s->nodes[i];
    bool is_leader = raft_state(r) == RAFT_LEADER;
    uint64_t term = r->current_term;
    uint64_t now = sim_local_ms(n, global_now);
    uint64_t until;

    if (s->o.prevote && s->o.guard) {
        raft_id leader_id;
        const char *leader_addr;
        bool on;
        raft_leader(r, &leader_id, &leader_addr);
        on = prevote_guard_update(
            &n->guard, now,
            is_leader || (raft_state(r) == RAFT_FOLLOWER && leader_id != 0));
        if (on != r->pre_vote) {
            sim_log(s, "n%u pre-vote %s", i + 1, on ? "on" : "off");
        }
        raft_set_pre_vote(r, on);
        if (!on && raft_state(r) == RAFT_CANDIDATE) {
            r->candidate_state.in_pre_vote = false;
        }
    }
    if (lease_tick(&n->lease, now, is_leader, term)) {
        renew(s, i, now, term);
    }
    until = lease_holds_until(&n->lease, now);
    if (until != 0) {
        until = global_ms(n, until);
        if (n->vip_until <= global_now) {
            sim_log(s,
                    "n%u takes the VIP (term %" PRIu64 ", until %" PRIu64 ")",
                    i + 1, term, until);
            n->n_holds++;
        }
        n->vip_until = until;
        n->lease_end = until;
        n->handed_over = false;
    } else if (n->vip_until > global_now) {
        sim_log(s, "n%u releases the VIP (%s)", i + 1,
                !is_leader          ? "not leader"
                : n->lease.released ? "released"
                                    : "lease ended");
        n->vip_until = global_now;
    }
}

void sim_transfer_cb(struct raft_transfer *req)
{
    struct sim_node *n =
        (struct sim_node *)((char *)req - offsetof(struct sim_node, transfer));
    n->transfer_pending = false;
}

/* After a transfer attempt ended: if still leader in the same term, the
 * transfer did not happen; resume holding (or stay released: --no-resume). */
static void transfer_settle(struct sim *s, unsigned i, uint64_t now)
{
    struct sim_node *n = &s->nodes[i];
    struct raft *r = raft_fixture_get(&s->f, i);

    if (n->transfer_pending || !n->lease.released) {
        return;
    }
    if (raft_state(r) == RAFT_LEADER && r->current_term == n->transfer_term &&
        s->o.resume) {
        sim_log(s, "n%u transfer did not happen: resume", i + 1);
        lease_resume(&n->lease, sim_local_ms(n, now));
    }
}

static void check(struct sim *s, uint64_t now)
{
    unsigned holders = 0;
    unsigned who[SIM_MAX];
    uint64_t holder = 0;

    for (unsigned i = 0; i < s->n; i++) {
        if (s->nodes[i].vip_until > now) {
            who[holders++] = i;
            holder = i + 1;
        }
    }
    /* Election Safety (raft_fixture_step() asserts it, but Debian builds
     * libraft with NDEBUG). */
    for (unsigned i = 0; i < s->n; i++) {
        for (unsigned j = i + 1; j < s->n; j++) {
            struct raft *ri = raft_fixture_get(&s->f, i);
            struct raft *rj = raft_fixture_get(&s->f, j);
            if (raft_state(ri) == RAFT_LEADER &&
                raft_state(rj) == RAFT_LEADER &&
                ri->current_term == rj->current_term) {
                sim_fail(s, "n%u and n%u both leaders of term %llu", i + 1,
                         j + 1, (unsigned long long)ri->current_term);
            }
        }
    }
    if (holders > 1) {
        sim_fail(s,
                 "two holders at %" PRIu64 " ms: n%u (until %" PRIu64
                 ") and n%u (until %" PRIu64 ")",
                 now, who[0] + 1, s->nodes[who[0]].vip_until, who[1] + 1,
                 s->nodes[who[1]].vip_until);
        return;
    }
    if (holders == 0) {
        if (s->last_holder != 0) {
            s->zero_since = now;
        }
    } else {
        if (s->last_holder == 0 && now - s->zero_since > s->max_zero_ms) {
            s->max_zero_ms = now - s->zero_since;
        }
        if (holder != s->last_holder) {
            s->n_holder_changes++;
        }
        /* A handover between two nodes: how close did they come? The old
         * holder's VIP ended at its vip_until (expiry or release). */
        if (s->prev_holder != 0 && holder != s->prev_holder) {
            uint64_t end = s->nodes[s->prev_holder - 1].vip_until;
            uint64_t gap = now - (end < now ? end : now);
            if (gap < s->min_gap_ms) {
                s->min_gap_ms = gap;
            }
            if (!s->nodes[s->prev_holder - 1].handed_over) {
                int64_t margin =
                    (int64_t)now -
                    (int64_t)s->nodes[s->prev_holder - 1].lease_end;
                if (margin < s->min_margin_ms) {
                    s->min_margin_ms = margin;
                }
            }
        }
        s->prev_holder = holder;
    }
    s->last_holder = holder;
}

static void trace_emit(struct raft_tracer *t,
                       const char *file,
                       int line,
                       const char *msg)
{
    struct sim *s = t->impl;
    printf("%8llu   trace %s:%d %s\n",
           (unsigned long long)raft_fixture_time(&s->f), file, line, msg);
}

void sim_hook(struct raft_fixture *f, struct raft_fixture_event *ev)
{
    struct sim *s = (struct sim *)f;
    uint64_t now = raft_fixture_time(f);
    (void)ev;

    if (s->o.trace_from >= 0 && now >= (uint64_t)s->o.trace_from) {
        for (unsigned i = 0; i < s->n; i++) {
            s->f.servers[i].tracer.impl = s;
            s->f.servers[i].tracer.emit = trace_emit;
            s->f.servers[i].tracer.enabled = true;
        }
    }

    s->n_steps++;
    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(f, i)) {
            transfer_settle(s, i, now);
            sim_drive(s, i, now);
            /* raft 0.15 shuts a server down for good when the leader's log
             * contradicts one of its committed entries: a log safety
             * violation of the library (no Figure-8 rule, elections
             * counting unpersisted entries). Counted, not failed: the VIP
             * invariant must hold anyway. */
            if (raft_state(raft_fixture_get(f, i)) == RAFT_UNAVAILABLE &&
                !s->nodes[i].is_shut_down) {
                s->nodes[i].is_shut_down = true;
                s->n_shut_down++;
                sim_log(s, "n%u: raft shut down (state unavailable)", i + 1);
            }
        }
    }
    check(s, now);
}
