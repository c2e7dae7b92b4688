/* Placement of units by grants (rules and safety argument in raft/place.h
 * and docs/DESIGN.md 4.9). Pure: no clock, no I/O. */
#include "raft/place.h"

#include <string.h>

#include "raft/fsm.h"
#include "raft/own_step.h"
#include "vipd/error.h"

void place_params_derive(struct place_params *p, uint64_t self,
                         uint32_t election_ms, uint32_t heartbeat_ms)
{
    memset(p, 0, sizeof *p);
    p->self = self;
    p->renew_ms = election_ms / 5u > 0 ? election_ms / 5u : 1u;
    /* A grant must outlast: the age of the holder's last renewal (R), the
     * election after the leader's death (T, two polls and a rank step:
     * the best survivor times out first, docs/DESIGN.md 4.8), the new
     * leader's first commit and the holder's claim (a heartbeat and a
     * round trip each). */
    p->grant_ms = election_ms + election_ms / 5u + p->renew_ms +
                  2u * heartbeat_ms;
    p->drift_pm = 100;
    p->slack_ms = heartbeat_ms;
}

uint64_t place_grant_wait(const struct place_params *p, uint32_t grant_ms)
{
    uint64_t d = p->drift_pm < 500 ? p->drift_pm : 500;
    /* The holder's G on its clock lasts at most G / (1 - d) real time; our
     * wait of W on ours at least W / (1 + d): W = G (1 + d) / (1 - d). */
    uint64_t num = (uint64_t)grant_ms * (1000u + d);
    uint64_t den = 1000u - d;
    return (num + den - 1u) / den + p->slack_ms;
}

void place_init(struct place *pl, const struct place_params *p)
{
    memset(pl, 0, sizeof *pl);
    pl->p = *p;
    pl->seq = p->first_seq;
    pl->acked = p->first_seq;
}

const char *place_state_name(unsigned state)
{
    switch (state) {
    case PLACE_FREE:
        return "free";
    case PLACE_ASSIGNING:
        return "assigning";
    case PLACE_HELD:
        return "held";
    case PLACE_REVOKING:
        return "revoking";
    case PLACE_WAIT_CLAIM:
        return "waiting for a claim";
    default:
        return "?";
    }
}

/****** Small helpers ******/

static bool name_in(const char (*names)[ENTRY_NAME_MAX], unsigned n,
                    const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static bool id_in(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

static struct place_held *held_of(struct place *pl, const char *name,
                                  bool create)
{
    struct place_held *free_slot = NULL;
    for (unsigned i = 0; i < PLACE_MAX_UNITS; i++) {
        struct place_held *h = &pl->held[i];
        if (h->name[0] != '\0' && strcmp(h->name, name) == 0) {
            return h;
        }
        if (h->name[0] == '\0' && free_slot == NULL) {
            free_slot = h;
        }
    }
    if (create && free_slot != NULL) {
        snprintf(free_slot->name, sizeof free_slot->name, "%s", name);
        free_slot->until = 0;
        free_slot->term = 0;
        return free_slot;
    }
    return NULL;
}

/* Our grant of @name, valid at @now: its end, else 0. */
static uint64_t held_until(struct place *pl, const char *name, uint64_t now)
{
    struct place_held *h = held_of(pl, name, false);
    return h != NULL && h->until > now ? h->until : 0;
}

static void held_drop(struct place *pl, const char *name)
{
    struct place_held *h = held_of(pl, name, false);
    if (h != NULL) {
        h->until = 0;
    }
}

static struct place_unit *unit_of(struct place *pl, const char *name)
{
    for (unsigned i = 0; i < pl->n_units; i++) {
        if (strcmp(pl->units[i].name, name) == 0) {
            return &pl->units[i];
        }
    }
    return NULL;
}

static uint64_t lease_valid(const struct place_in *in)
{
    return in->lease_until > in->now;
}

/****** The leader's table ******/

/* A new term of ours: every unit starts from what the log says once the
 * state is complete (the first step with a valid lease). */
static void table_reset(struct place *pl, const struct place_in *in)
{
    pl->leading = true;
    pl->table_ready = false;
    pl->term = in->term;
    pl->leader_since = in->now;
    pl->n_units = 0;
    memset(pl->units, 0, sizeof pl->units);
}

static void unit_set(struct place_unit *u, uint8_t state, uint64_t holder)
{
    u->state = state;
    u->holder = holder;
    u->grant_seq = 0;
    u->granted_end = 0;
    u->assign_at = 0;
    u->wait_until = 0;
}

/* The same holder in another state: what it may still hold stays known. */
static void unit_keep(struct place_unit *u, uint8_t state)
{
    u->state = state;
    u->assign_at = 0;
}

/* What the last ASSIGN of @u says at the start of our term. */
static void unit_from_log(struct place *pl, struct place_unit *u,
                          const struct place_in *in)
{
    const struct fsm_unit *fu = fsm_unit(in->st, u->name);

    u->transfer_done = fu != NULL ? fu->transfer_index : 0;
    u->group_transfer_done = in->st->transfer_index;
    if (fu == NULL || fu->holder == 0 || fu->leader_bound) {
        /* Nobody, or a leader's self-hold: it ended with that leader's
         * lease, before our election. */
        unit_set(u, PLACE_FREE, 0);
        return;
    }
    if (fu->holder == pl->p.self) {
        /* Our own grant from an earlier leader: we know whether it runs;
         * from now on we accept none from an older term. */
        if (held_until(pl, u->name, in->now) != 0) {
            unit_set(u, PLACE_HELD, pl->p.self);
        } else {
            unit_set(u, PLACE_FREE, 0);
        }
        return;
    }
    unit_set(u, PLACE_WAIT_CLAIM, fu->holder);
    u->wait_until = pl->leader_since + place_grant_wait(&pl->p,
                                                       pl->p.grant_ms);
}

static void table_sync(struct place *pl, const struct place_in *in)
{
    struct place_unit old[PLACE_MAX_UNITS];
    unsigned n_old = pl->n_units;

    memcpy(old, pl->units, sizeof old);
    pl->n_units = 0;
    for (unsigned i = 0; i < in->n_unit_names && i < PLACE_MAX_UNITS; i++) {
        struct place_unit *u = &pl->units[pl->n_units++];
        const struct place_unit *prev = NULL;
        for (unsigned j = 0; j < n_old; j++) {
            if (strcmp(old[j].name, in->unit_names[i]) == 0) {
                prev = &old[j];
            }
        }
        if (prev != NULL) {
            *u = *prev;
            continue;
        }
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", in->unit_names[i]);
        if (pl->table_ready) {
            unit_from_log(pl, u, in);
        }
    }
}

/* The best live eligible node for @u other than @not (0: none). */
static uint64_t best_other(const struct place_unit *u,
                           const struct place_in *in, uint64_t not)
{
    const struct fsm_member *best = NULL;
    int best_prio = 0;

    for (size_t i = 0; i < in->n_live; i++) {
        const struct fsm_member *m = fsm_member(in->st, in->live[i]);
        struct priority_result r;
        if (m == NULL || in->live[i] == not) {
            continue;
        }
        priority_unit(m, u->name, true, &r);
        if (r.why != PRIORITY_OK) {
            continue;
        }
        if (best == NULL || r.priority > best_prio ||
            (r.priority == best_prio && priority_tiebreak(m, best) > 0)) {
            best = m;
            best_prio = r.priority;
        }
    }
    return best != NULL ? best->node.origin.node_id : 0;
}

/* Who should hold @u now (0: nobody), and whether the move from the
 * current holder is due (keepalived's rules, raft/priority.h). */
static uint64_t unit_choice(const struct place *pl, struct place_unit *u,
                            const struct place_in *in, bool *due)
{
    const struct fsm_unit *fu = fsm_unit(in->st, u->name);
    struct priority_ctx ctx;
    struct priority_choice choice;
    uint64_t holder = u->state == PLACE_FREE ? 0 : u->holder;

    if (in->n_unit_names <= 1) {
        /* One unit: the leader holds while own_step keeps its lease for
         * holding, and moves leadership, not the unit, to a better node
         * (raft/own_step.h). */
        uint64_t want = lease_valid(in) ? pl->p.self : 0;
        *due = true;
        return want;
    }

    /* A switchover the operator asked for (`vipctl transfer UNIT NODE`)
     * sticks while NODE stays live and eligible; without a node it goes
     * to the best other node once. */
    if (fu != NULL && fu->transfer_index > u->transfer_done) {
        u->transfer_done = fu->transfer_index;
        u->pin = fu->transfer_target != 0 ? fu->transfer_target
                                          : best_other(u, in, holder);
    }
    if (in->st->transfer_index > u->group_transfer_done) {
        /* `vipctl transfer [NODE]` without a unit: every unit. */
        u->group_transfer_done = in->st->transfer_index;
        u->pin = in->st->transfer_target != 0 ? in->st->transfer_target
                                              : best_other(u, in, holder);
    }
    if (u->pin != 0) {
        const struct fsm_member *m = fsm_member(in->st, u->pin);
        struct priority_result r;
        if (m != NULL && id_in(in->live, in->n_live, u->pin)) {
            priority_unit(m, u->name, true, &r);
            if (r.why == PRIORITY_OK) {
                *due = u->pin != holder;
                return u->pin;
            }
        }
        u->pin = 0;
    }
    ctx.voters = in->live;
    ctx.n_voters = in->n_live;
    ctx.holder = holder;
    ctx.now_ms = in->now;
    priority_choose_unit(in->st, u->name, &ctx, &u->pending, &choice);
    *due = choice.preferred != holder &&
           (!choice.holder_eligible || in->now >= choice.move_at_ms);
    return choice.preferred;
}

/* @u leaves @holder now: a self-hold stops in this very step, a grantee
 * is asked to release. */
static void unit_leave(struct place *pl, struct place_unit *u)
{
    if (u->holder == pl->p.self) {
        held_drop(pl, u->name);
        unit_set(u, PLACE_FREE, 0);
    } else {
        unit_keep(u, PLACE_REVOKING);
    }
}

static void propose(struct place_unit *u, struct place_out *out,
                    uint64_t now, uint64_t holder, bool leader_bound)
{
    struct place_assign *a;

    if (out->n_assign >= PLACE_MAX_UNITS) {
        return;
    }
    a = &out->assign[out->n_assign++];
    snprintf(a->unit, sizeof a->unit, "%s", u->name);
    a->holder = holder;
    a->leader_bound = leader_bound;
    u->pend = true;
    u->pend_holder = holder;
    u->pend_bound = leader_bound;
    u->pend_at = now;
}

/* Our ASSIGN in flight has been applied: the state shows it. Until then
 * it may still commit after anything the state shows now (it is in the
 * log of whoever leads next), so no other ASSIGN is proposed and nobody
 * is granted the unit on the strength of what the state shows. */
static void pend_update(const struct place *pl, struct place_unit *u,
                        const struct fsm_unit *fu)
{
    if (u->pend && fu != NULL && fu->term == pl->term &&
        fu->holder == u->pend_holder && fu->leader_bound == u->pend_bound) {
        u->pend = false;
    }
}

static void unit_step(struct place *pl, struct place_unit *u,
                      const struct place_in *in, struct place_out *out)
{
    const struct fsm_unit *fu;
    bool due = false;
    uint64_t want;

    if (u->state == PLACE_WAIT_CLAIM && in->now >= u->wait_until) {
        unit_set(u, PLACE_FREE, 0);
    }
    if (u->state == PLACE_REVOKING && in->now >= u->granted_end &&
        in->now >= u->wait_until) {
        /* Every grant it could hold has ended. */
        unit_set(u, PLACE_FREE, 0);
    }
    want = unit_choice(pl, u, in, &due);
    pend_update(pl, u, fsm_unit(in->st, u->name));
    if (u->pend && in->now >= u->pend_at + pl->p.grant_ms) {
        /* Lost (raft refused it, or the FSM skipped it): the same again,
         * so that what may still commit names one node only. */
        propose(u, out, in->now, u->pend_holder, u->pend_bound);
        if (u->state == PLACE_ASSIGNING) {
            u->assign_at = in->now;
        }
    }

    if (u->state == PLACE_ASSIGNING && want != u->holder) {
        /* Nobody holds it yet (the grantee gets nothing before the ASSIGN
         * committed, and asks only then): change our mind freely. */
        unit_set(u, PLACE_FREE, 0);
    }
    switch (u->state) {
    case PLACE_FREE:
        if (want == 0) {
            return;
        }
        fu = fsm_unit(in->st, u->name);
        if (want == pl->p.self) {
            /* A self-hold ends with our lease, before any later leader
             * exists, whatever the log says: hold at once. The ASSIGN is
             * only the record of the move (`vipctl events`). */
            unit_set(u, PLACE_HELD, want);
            if (!u->pend &&
                (fu == NULL || fu->holder != want || !fu->leader_bound)) {
                propose(u, out, in->now, want, true);
            }
            return;
        }
        if (u->pend) {
            /* Our ASSIGN naming someone else may still commit after what
             * the state shows: wait for it first. */
            return;
        }
        if (fu != NULL && fu->holder == want && !fu->leader_bound) {
            /* The log names this grantee and nothing of ours is in flight
             * (kept across terms, or our own ASSIGN already applied). */
            unit_set(u, PLACE_HELD, want);
            return;
        }
        unit_set(u, PLACE_ASSIGNING, want);
        propose(u, out, in->now, want, false);
        u->assign_at = in->now;
        return;
    case PLACE_ASSIGNING:
        /* A grant only once the ASSIGN naming the grantee has committed
         * (rule 3 of raft/place.h), and it is our last one. */
        fu = fsm_unit(in->st, u->name);
        if (!u->pend && fu != NULL && fu->holder == u->holder &&
            !fu->leader_bound) {
            unit_set(u, PLACE_HELD, u->holder);
        } else if (!u->pend && in->now >= u->assign_at + pl->p.grant_ms) {
            /* The proposal got lost: propose again. */
            propose(u, out, in->now, u->holder, false);
            u->assign_at = in->now;
        }
        return;
    case PLACE_HELD:
        if (want != u->holder && due) {
            unit_leave(pl, u);
            return;
        }
        fu = fsm_unit(in->st, u->name);
        if (u->holder == pl->p.self && !u->pend &&
            held_until(pl, u->name, in->now) == 0 &&
            (fu == NULL || fu->holder != u->holder || !fu->leader_bound)) {
            /* A self-hold's record, deferred while another was in
             * flight (not while a grant of an earlier leader to us runs:
             * that one may outlast our lease, the log must keep naming
             * us as its grantee). */
            propose(u, out, in->now, u->holder, true);
        }
        return;
    case PLACE_REVOKING:
        if (want == u->holder) {
            /* It is the best again, and the only node that may hold it. */
            unit_keep(u, PLACE_HELD);
        }
        return;
    case PLACE_WAIT_CLAIM:
    default:
        return;
    }
}

static void leader_step(struct place *pl, const struct place_in *in,
                        struct place_out *out)
{
    if (!pl->leading || pl->term != in->term) {
        table_reset(pl, in);
    }
    if (!pl->table_ready) {
        if (!lease_valid(in)) {
            /* Not before an entry of our term committed: only then is
             * every committed ASSIGN applied here. */
            return;
        }
        pl->table_ready = true;
        pl->n_units = 0;
    }
    table_sync(pl, in);
    for (unsigned i = 0; i < pl->n_units; i++) {
        unit_step(pl, &pl->units[i], in, out);
    }
}

/****** Requests and replies ******/

void place_request_make(struct place *pl, uint64_t now, uint64_t term,
                        struct place_request *req)
{
    struct place_sent *s;

    memset(req, 0, sizeof *req);
    pl->seq++;
    s = &pl->sent[pl->seq % PLACE_SEQS];
    s->seq = pl->seq;
    s->at = now;
    req->term = term;
    req->seq = pl->seq;
    req->acked = pl->acked;
    for (unsigned i = 0; i < PLACE_MAX_UNITS; i++) {
        const struct place_held *h = &pl->held[i];
        if (h->name[0] != '\0' && h->until > now) {
            snprintf(req->claims[req->n_claims], ENTRY_NAME_MAX, "%s",
                     h->name);
            req->n_claims++;
        }
    }
    pl->last_ask = now;
    pl->ask_now = false;
}

static void reply_add(char (*list)[ENTRY_NAME_MAX], unsigned *n,
                      const char *name)
{
    if (*n < PLACE_MAX_UNITS) {
        snprintf(list[*n], ENTRY_NAME_MAX, "%s", name);
        (*n)++;
    }
}

void place_on_request(struct place *pl, uint64_t from,
                      const struct place_request *req,
                      const struct place_in *in, struct place_reply *rep)
{
    uint64_t wait = place_grant_wait(&pl->p, pl->p.grant_ms);

    memset(rep, 0, sizeof *rep);
    rep->term = in->term;
    rep->seq = req->seq;
    rep->grant_ms = pl->p.grant_ms;
    if (in->role != OWN_LEADER || !pl->leading || pl->term != in->term) {
        rep->status = VIP_ENOTLEADER;
        return;
    }
    if (req->term != in->term) {
        rep->status = VIP_ESTALE;
        return;
    }
    if (!pl->table_ready) {
        /* Nothing granted or revoked before our state is complete; the
         * node asks again. */
        return;
    }
    for (unsigned i = 0; i < pl->n_units; i++) {
        struct place_unit *u = &pl->units[i];
        bool claimed = name_in(req->claims, req->n_claims, u->name);
        bool mine = u->holder == from;

        if (mine && u->state == PLACE_WAIT_CLAIM) {
            if (!claimed) {
                /* It holds nothing of it and, asking in our term, will
                 * accept no grant from an older one. */
                unit_set(u, PLACE_FREE, 0);
                continue;
            }
            unit_keep(u, PLACE_HELD);
        }
        if (mine && u->state == PLACE_REVOKING) {
            if (claimed) {
                reply_add(rep->revoked, &rep->n_revoked, u->name);
            } else if (req->acked >= u->grant_seq) {
                /* It applied every reply that granted it the unit and
                 * holds it no longer: released. */
                unit_set(u, PLACE_FREE, 0);
            }
            continue;
        }
        if (mine && u->state == PLACE_HELD) {
            if (lease_valid(in)) {
                reply_add(rep->granted, &rep->n_granted, u->name);
                /* The highest: a request overtaken by a later one must
                 * not make an earlier acknowledgement look complete. */
                if (req->seq > u->grant_seq) {
                    u->grant_seq = req->seq;
                }
                if (in->now + wait > u->granted_end) {
                    u->granted_end = in->now + wait;
                }
            }
            continue;
        }
        if (claimed) {
            /* It claims what it may not hold (a bug, or a stale table):
             * never let it keep it. */
            reply_add(rep->revoked, &rep->n_revoked, u->name);
        }
    }
}

bool place_on_reply(struct place *pl, const struct place_reply *rep,
                    uint64_t now, uint64_t term)
{
    const struct place_sent *s = &pl->sent[rep->seq % PLACE_SEQS];
    bool changed = false;

    if (rep->seq <= pl->acked || rep->seq > pl->seq || rep->term != term) {
        /* Out of order, not ours, or from another term: a grant from an
         * older term must never be accepted once we know a newer one. */
        return false;
    }
    pl->acked = rep->seq;
    if (rep->status != 0) {
        return false;
    }
    for (unsigned i = 0; i < rep->n_revoked; i++) {
        struct place_held *h = held_of(pl, rep->revoked[i], false);
        if (h != NULL && h->until != 0) {
            h->until = 0;
            changed = true;
        }
        /* Confirm the release at once. */
        pl->ask_now = true;
    }
    if (s->seq != rep->seq) {
        /* Its send time is forgotten: no anchor, no grant. */
        return changed;
    }
    for (unsigned i = 0; i < rep->n_granted; i++) {
        uint64_t until = s->at + rep->grant_ms;
        struct place_held *h;
        if (until <= now) {
            continue;
        }
        h = held_of(pl, rep->granted[i], true);
        if (h == NULL) {
            continue;
        }
        if (h->until <= now) {
            changed = true;
        }
        if (until > h->until) {
            h->until = until;
        }
        h->term = rep->term;
    }
    /* A unit we hold that the reply neither grants nor revokes: the
     * leader's table is not ready yet, or its lease not valid yet (right
     * after its election, just when our grants run short). Ask again
     * after slack_ms, not renew_ms. */
    for (unsigned i = 0; i < PLACE_MAX_UNITS; i++) {
        const struct place_held *h = &pl->held[i];
        if (h->name[0] == '\0' || h->until <= now ||
            name_in(rep->granted, rep->n_granted, h->name) ||
            name_in(rep->revoked, rep->n_revoked, h->name)) {
            continue;
        }
        if (now + pl->p.slack_ms < pl->last_ask + pl->p.renew_ms) {
            uint64_t retry = now + pl->p.slack_ms;
            pl->last_ask =
                retry > pl->p.renew_ms ? retry - pl->p.renew_ms : 0;
        }
        break;
    }
    return changed;
}

void place_drop_all(struct place *pl)
{
    for (unsigned i = 0; i < PLACE_MAX_UNITS; i++) {
        pl->held[i].until = 0;
    }
    pl->n_units = 0;
    pl->leading = false;
}

/****** The step ******/

static void wake(struct place_out *out, uint64_t now, uint64_t t)
{
    if (t > now && t < out->wake_at) {
        out->wake_at = t;
    }
}

void place_step(struct place *pl, const struct place_in *in,
                struct place_out *out)
{
    bool asking = false;

    memset(out, 0, sizeof *out);
    out->wake_at = UINT64_MAX;

    if (in->role == OWN_LEADER) {
        leader_step(pl, in, out);
    } else if (pl->leading) {
        pl->leading = false;
        pl->table_ready = false;
        pl->n_units = 0;
    }

    if (in->leader != pl->leader) {
        pl->leader = in->leader;
        for (unsigned i = 0; i < PLACE_MAX_UNITS; i++) {
            if (pl->held[i].until > in->now) {
                /* Claim what we hold from the new leader at once. */
                pl->ask_now = true;
            }
        }
    }

    for (unsigned i = 0; i < in->n_unit_names && i < PLACE_MAX_UNITS; i++) {
        const char *name = in->unit_names[i];
        uint64_t until = held_until(pl, name, in->now);
        const struct fsm_unit *fu = fsm_unit(in->st, name);

        if (until != 0) {
            asking = true;
            wake(out, in->now, until);
        } else if (fu != NULL && fu->holder == pl->p.self &&
                   !fu->leader_bound && in->role != OWN_LEADER) {
            /* Assigned to us: ask for it, at once for a new ASSIGN. */
            asking = true;
            if (fu->index > pl->assigned_index) {
                pl->assigned_index = fu->index;
                pl->ask_now = true;
            }
        }
        if (pl->leading && pl->table_ready) {
            const struct place_unit *u = unit_of(pl, name);
            if (u != NULL && u->state == PLACE_HELD &&
                u->holder == pl->p.self && lease_valid(in) &&
                in->lease_until > until) {
                until = in->lease_until;
            }
            if (u != NULL) {
                wake(out, in->now, u->wait_until);
                wake(out, in->now, u->granted_end);
                if (u->state == PLACE_ASSIGNING) {
                    wake(out, in->now, u->assign_at + pl->p.grant_ms);
                }
                if (u->state != PLACE_FREE || u->pending.node != 0) {
                    wake(out, in->now, in->now + pl->p.renew_ms);
                }
            }
        }
        out->hold_until[i] = until;
    }

    if (in->leader != 0 && in->leader != pl->p.self &&
        in->role != OWN_LEADER) {
        if (pl->ask_now ||
            (asking && in->now >= pl->last_ask + pl->p.renew_ms)) {
            out->ask = true;
        } else if (asking) {
            wake(out, in->now, pl->last_ask + pl->p.renew_ms);
        }
    }
    if (pl->leading) {
        wake(out, in->now, in->lease_until);
    }
}
