/* Lease arithmetic (see lease.h for the rules and the safety argument). */
#include "raft/lease.h"

#include <string.h>

#include "vipd/error.h"

int lease_params_derive(struct lease_params *p,
                        uint32_t election_timeout_ms,
                        uint32_t heartbeat_ms,
                        uint32_t takeover_wait_ms,
                        uint32_t strict_ms)
{
    uint64_t l;

    memset(p, 0, sizeof *p);
    if (heartbeat_ms == 0 || heartbeat_ms >= election_timeout_ms) {
        return VIP_EINVAL;
    }
    /* 0.8 T leaves 20% for clock-rate drift between holder and followers;
     * one heartbeat more covers the holder's timer firing late. */
    l = (uint64_t)election_timeout_ms * 8u / 10u;
    if (l <= heartbeat_ms + 3u) {
        return VIP_EINVAL;
    }
    l -= heartbeat_ms;
    p->lease_ms = (uint32_t)l;
    p->renew_ms = p->lease_ms / 3u;
    p->takeover_wait_ms = takeover_wait_ms;
    p->strict_wait_ms = strict_ms;
    p->max_in_flight = 4;
    return lease_params_check(p, election_timeout_ms);
}

int lease_params_check(const struct lease_params *p,
                       uint32_t election_timeout_ms)
{
    if (p->lease_ms < 3u || p->lease_ms >= election_timeout_ms) {
        return VIP_EINVAL;
    }
    if (p->renew_ms == 0 || p->renew_ms > p->lease_ms / 3u) {
        return VIP_EINVAL;
    }
    if (p->max_in_flight == 0) {
        return VIP_EINVAL;
    }
    return 0;
}

void lease_init(struct lease *l, const struct lease_params *p)
{
    memset(l, 0, sizeof *l);
    l->p = *p;
}

/* Forget everything about the current term: not holding, nothing pending. */
static void lease_reset(struct lease *l)
{
    l->has_sent = false;
    l->last_sent_ms = 0;
    l->n_in_flight = 0;
    l->has_commit = false;
    l->valid_until_ms = 0;
    l->released = false;
    l->resume_ms = 0;
}

bool lease_tick(struct lease *l, uint64_t now, bool is_leader, uint64_t term)
{
    if (is_leader != l->is_leader || term != l->term) {
        /* Role or term changed: whatever we held belonged to the old term.
         * Callbacks of the old term are ignored by their term check. */
        lease_reset(l);
        l->is_leader = is_leader;
        l->term = term;
        l->leader_since_ms = now;
    }
    if (!l->is_leader || l->released) {
        return false;
    }
    if (l->has_commit || l->n_in_flight >= l->p.max_in_flight) {
        /* One entry per term (or per resume): the acknowledged
         * AppendEntries renew the lease from then on (lease_acked()). */
        return false;
    }
    return !l->has_sent || now >= l->last_sent_ms + l->p.renew_ms;
}

void lease_renewal_sent(struct lease *l, uint64_t t_send, uint64_t term)
{
    if (term != l->term || !l->is_leader) {
        return;
    }
    l->has_sent = true;
    l->last_sent_ms = t_send;
    l->n_in_flight++;
}

/* Account for an answered renewal of the current term. */
static void lease_answered(struct lease *l)
{
    if (l->n_in_flight > 0) {
        l->n_in_flight--;
    }
}

void lease_renewal_committed(struct lease *l, uint64_t t_send, uint64_t term)
{
    uint64_t until;

    if (term != l->term || !l->is_leader) {
        return; /* a renewal of an older term proves nothing now */
    }
    lease_answered(l);
    if (l->released || t_send < l->resume_ms) {
        return;
    }
    l->has_commit = true;
    until = t_send + l->p.lease_ms;
    if (until > l->valid_until_ms) {
        l->valid_until_ms = until;
    }
}

void lease_acked(struct lease *l, uint64_t since, uint64_t term)
{
    uint64_t until;

    /* Only after the term's entry committed: a new leader must have
     * committed in its term before it trusts the replicated state, and a
     * released lease stays released. Acknowledgements of sends from
     * before a resume prove nothing about the transfer that failed. */
    if (term != l->term || !l->is_leader || l->released || !l->has_commit ||
        since < l->resume_ms) {
        return;
    }
    until = since + l->p.lease_ms;
    if (until > l->valid_until_ms) {
        l->valid_until_ms = until;
    }
}

void lease_renewal_failed(struct lease *l, uint64_t t_send, uint64_t term)
{
    (void)t_send;
    if (term != l->term || !l->is_leader) {
        return;
    }
    lease_answered(l);
}

void lease_release(struct lease *l)
{
    l->released = true;
    l->has_commit = false;
    l->valid_until_ms = 0;
}

void lease_resume(struct lease *l, uint64_t now)
{
    if (!l->released) {
        return;
    }
    l->released = false;
    l->resume_ms = now;
    l->has_sent = false; /* renew at once */
}

/* Earliest time a new leader may hold, from its election. */
static uint64_t lease_takeover_at(const struct lease *l)
{
    return l->leader_since_ms + l->p.takeover_wait_ms + l->p.strict_wait_ms;
}

uint64_t lease_holds_until(const struct lease *l, uint64_t now)
{
    if (!l->is_leader || l->released || !l->has_commit) {
        return 0;
    }
    if (now < lease_takeover_at(l) || now >= l->valid_until_ms) {
        return 0;
    }
    return l->valid_until_ms;
}

uint64_t lease_next_wake(const struct lease *l, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    uint64_t t;

    if (!l->is_leader || l->released) {
        return next;
    }
    if (!l->has_commit && l->n_in_flight < l->p.max_in_flight) {
        t = l->has_sent ? l->last_sent_ms + l->p.renew_ms : now;
        next = t < now ? now : t;
    }
    t = lease_takeover_at(l);
    if (t > now && t < next) {
        next = t;
    }
    if (l->valid_until_ms > now && l->valid_until_ms < next) {
        next = l->valid_until_ms;
    }
    return next;
}
