/* The ownership step (rules in raft/own_step.h). Pure: no clock, no I/O. */
#include "raft/own_step.h"

#include <string.h>

#include "raft/entry.h"

void own_init(struct own *o, const struct own_params *p,
              const struct lease_params *lp)
{
    memset(o, 0, sizeof *o);
    o->p = *p;
    if (o->p.poll_ms == 0) {
        o->p.poll_ms = 10;
    }
    lease_init(&o->lease, lp);
    prevote_guard_init(&o->prevote, p->prevote_stuck_ms, p->prevote_window_ms);
    o->prevote_on = true;
    o->role = OWN_UNAVAILABLE;
}

const char *own_role_name(int role)
{
    switch (role) {
    case OWN_LEADER:
        return "leader";
    case OWN_FOLLOWER:
        return "follower";
    case OWN_CANDIDATE:
        return "candidate";
    case OWN_UNAVAILABLE:
        return "unavailable";
    default:
        return "unknown";
    }
}

char own_role_letter(int role)
{
    switch (role) {
    case OWN_LEADER:
        return 'L';
    case OWN_FOLLOWER:
        return 'F';
    case OWN_CANDIDATE:
        return 'C';
    default:
        return '-';
    }
}

const char *own_why_text(unsigned why)
{
    switch (why) {
    case OWN_WHY_NOT_LEADER:
        return "not leader";
    case OWN_WHY_LEASE:
        return "lease not renewed";
    case OWN_WHY_HANDOVER:
        return "handing over";
    case OWN_WHY_INELIGIBLE:
        return "not eligible";
    case OWN_WHY_FAILED:
        return "raft stopped this node";
    case OWN_WHY_DROPPED:
        return "the network layer dropped the VIPs";
    case OWN_WHY_SHUTDOWN:
        return "shutting down";
    default:
        return "-";
    }
}

/****** Events between steps ******/

void own_renewal_sent(struct own *o, uint64_t t_send, uint64_t term)
{
    lease_renewal_sent(&o->lease, t_send, term);
}

void own_renewal_done(struct own *o, uint64_t t_send, uint64_t term, bool ok)
{
    /* The lease runs from the renewal's send time, never from its commit:
     * followers reset their election timers when they received it, which
     * may be long before the commit is known here. */
    if (ok) {
        lease_renewal_committed(&o->lease, t_send, term);
    } else {
        lease_renewal_failed(&o->lease, t_send, term);
    }
}

void own_transfer_refused(struct own *o)
{
    o->is_transferring = false;
}

void own_transfer_done(struct own *o, uint64_t now, bool still_leader)
{
    o->is_transferring = false;
    if (still_leader) {
        /* A transfer whose target lags is dropped after T: keep leading,
         * hold again once a renewal sent from now on commits. Staying
         * released would leave nobody holding until the term changes. */
        lease_resume(&o->lease, now);
    }
}

void own_dropped(struct own *o)
{
    o->is_holding = false;
    o->hold_until = 0;
}

bool own_shutdown(struct own *o)
{
    bool held = o->is_holding;
    o->is_closing = true;
    lease_release(&o->lease);
    o->is_holding = false;
    o->hold_until = 0;
    return held;
}

/****** Ranks ******/

static bool server_is_voter(const struct own_server *servers, unsigned n,
                            uint64_t id)
{
    for (unsigned i = 0; i < n; i++) {
        if (servers[i].id == id) {
            return servers[i].is_voter;
        }
    }
    return false;
}

/* Sort key of a member: pinned transfer target first, then eligible by
 * priority (ties as raft/priority.h breaks them), then the rest that can
 * hold (FAULT, maintenance, not described yet) by id, witnesses last. */
struct rank_key
{
    uint64_t id;
    const struct fsm_member *m;
    int group; /* 0 pinned, 1 eligible, 2 not now, 3 witness: never */
    int prio;
};

static bool member_is_witness(const struct fsm_member *m)
{
    return m != NULL && m->has_node &&
           (m->node.flags & ENTRY_NODE_F_WITNESS) != 0;
}

static void rank_key_of(const struct fsm_state *st,
                        const struct own_server *servers, unsigned n,
                        uint64_t id, bool is_witness, struct rank_key *k)
{
    struct priority_result r;

    k->id = id;
    k->m = st != NULL ? fsm_member(st, id) : NULL;
    k->prio = 0;
    k->group = 2;
    if (is_witness || member_is_witness(k->m)) {
        /* A witness that wins an election only hands over: let every
         * node that can hold time out first (docs/membership.md). */
        k->group = 3;
        return;
    }
    priority_group(k->m, server_is_voter(servers, n, id), &r);
    if (r.why == PRIORITY_OK) {
        k->group = 1;
        k->prio = r.priority;
        if (st->transfer_index != 0 && st->transfer_target == id) {
            k->group = 0;
        }
    }
}

/* > 0 if @a ranks before @b. */
static int rank_cmp(const struct rank_key *a, const struct rank_key *b)
{
    if (a->group != b->group) {
        return a->group < b->group ? 1 : -1;
    }
    if (a->group < 2) {
        if (a->prio != b->prio) {
            return a->prio > b->prio ? 1 : -1;
        }
        int t = priority_tiebreak(a->m, b->m);
        if (t != 0) {
            return t;
        }
    }
    return a->id < b->id ? 1 : (a->id > b->id ? -1 : 0);
}

unsigned own_rank(const struct fsm_state *st, const struct own_server *servers,
                  unsigned n, uint64_t id, uint64_t except, bool id_is_witness)
{
    struct rank_key self, other;
    unsigned rank = 0;

    rank_key_of(st, servers, n, id, id_is_witness, &self);
    for (unsigned i = 0; i < n; i++) {
        if (servers[i].id == id || servers[i].id == except ||
            !servers[i].is_voter) {
            continue;
        }
        rank_key_of(st, servers, n, servers[i].id, false, &other);
        if (rank_cmp(&other, &self) > 0) {
            rank++;
        }
    }
    return rank;
}

/* The configuration's ids and voter flags, folded (FNV-1a). */
static uint64_t conf_hash(const struct own_in *in)
{
    uint64_t h = 1469598103934665603ull;
    for (unsigned i = 0; i < in->n_servers && i < OWN_MAX_SERVERS; i++) {
        h = (h ^ in->servers[i].id) * 1099511628211ull;
        h = (h ^ (in->servers[i].is_voter ? 1u : 2u)) * 1099511628211ull;
    }
    return h ^ in->n_servers;
}

/* This node's own_rank() while it follows: O(n^2) in the members, and it
 * changes only with the replicated state (applied index), the
 * configuration or the leader left out. Not cached when the applied index
 * is unknown (0). */
static unsigned rank_cached(struct own *o, const struct own_in *in)
{
    struct own_rank_cache *c = &o->rank;
    uint64_t h = conf_hash(in);

    if (in->applied != 0 && c->valid && c->applied == in->applied &&
        c->except == o->followed && c->conf_hash == h) {
        return c->rank;
    }
    c->rank = own_rank(in->st, in->servers, in->n_servers, o->p.self,
                       o->followed, o->p.witness);
    c->valid = in->applied != 0;
    c->applied = in->applied;
    c->except = o->followed;
    c->conf_hash = h;
    return c->rank;
}

uint32_t own_rank_step(uint32_t T, uint32_t hb)
{
    return 2u * hb + T / 10u;
}

uint32_t own_rank_timeout(const struct own_params *p, unsigned rank)
{
    /* Never below T: a follower's timer still runs T from the last
     * AppendEntries, which is what the lease rests on. Two polls above T:
     * the other followers forget a leader silent for T at their next poll,
     * and must have done so when the first candidate asks for votes.
     * Capped below 2 T, raft's own upper bound. */
    uint64_t t = (uint64_t)p->election_ms + 2u * p->poll_ms +
                 (uint64_t)rank * p->rank_step_ms;
    uint64_t max = 2u * (uint64_t)p->election_ms - 1u;
    return (uint32_t)(t < max ? t : max);
}

uint32_t own_prevote_retry(const struct own_params *p, unsigned rank)
{
    /* A pre-vote changes no term and wins no vote: repeating it faster
     * than T is harmless, and quiet voters (raft/io_lease.h, R3) still
     * refuse it. raft ticks once per heartbeat, so one heartbeat is the
     * fastest retry it can make. */
    uint64_t t = (uint64_t)p->heartbeat_ms + (uint64_t)rank * p->rank_step_ms;
    uint64_t max = 2u * (uint64_t)p->election_ms - 1u;
    return (uint32_t)(t < max ? (t > 0 ? t : 1u) : max);
}

/****** Liveness of voters (leader) ******/

/* Refresh the signs of life of every server from raft's progress: a match
 * index that moved, or a recent reply from a follower that is caught up.
 * raft 0.15 clears recent_recv only once per election timeout, so while
 * the leader appends, a follower that stopped answering is not kept alive
 * by it (an exited node would otherwise still count as live and be handed
 * the VIPs). */
static void seen_update(struct own *o, const struct own_in *in)
{
    for (unsigned i = 0; i < in->n_servers && i < OWN_MAX_SERVERS; i++) {
        const struct own_server *s = &in->servers[i];
        if (o->seen[i].id != s->id) {
            o->seen[i].id = s->id;
            o->seen[i].match = 0;
            o->seen[i].seen_ms = 0;
        }
        if (s->match_index > o->seen[i].match ||
            (s->recent_recv && s->match_index >= in->last_index)) {
            o->seen[i].match = s->match_index;
            o->seen[i].seen_ms = in->now;
        }
    }
}

/* A voter is live for one election timeout after its last sign of life. */
static bool seen_live(const struct own *o, unsigned i, uint64_t now)
{
    return o->seen[i].seen_ms != 0 &&
           now - o->seen[i].seen_ms <= o->p.election_ms;
}

bool own_is_live(const struct own *o, uint64_t id, uint64_t now)
{
    if (id == o->p.self) {
        return true;
    }
    if (o->role != OWN_LEADER) {
        return id == o->leader;
    }
    for (unsigned i = 0; i < OWN_MAX_SERVERS; i++) {
        if (o->seen[i].id == id) {
            /* A heartbeat of slack for status display. */
            return o->seen[i].seen_ms != 0 &&
                   now - o->seen[i].seen_ms <=
                       (uint64_t)o->p.election_ms + o->p.heartbeat_ms;
        }
    }
    return false;
}

/* When a new leader's picture of who is live is complete: every live voter
 * answered (a heartbeat or two), and a voter that stopped answering just
 * before the election dropped out of the live window (one T). */
static uint64_t settled_at(const struct own *o)
{
    return o->leader_since_ms + o->p.election_ms + 2u * o->p.heartbeat_ms;
}

/****** Wake-ups ******/

/* Lower @w to @t if @t is a deadline still ahead of @now. */
static void wake_min(uint64_t *w, uint64_t t, uint64_t now)
{
    if (t > now && t < *w) {
        *w = t;
    }
}

/* The slow safety poll of a leader that holds: it bounds how long an
 * observation that came without any raft event goes unnoticed (a voter
 * answering again), and keeps its samples of the followers' progress
 * (seen_update()) several per live window T. Safety does not rest on it:
 * the lease ends at its own deadline (lease_next_wake()). */
static uint32_t idle_poll_ms(const struct own *o)
{
    uint32_t t = o->p.election_ms / 4u;
    return t > o->p.poll_ms ? t : o->p.poll_ms;
}

/* How far ahead of its end the leader pushes a later hold deadline: the
 * network layer and the fence (vip/manager.h) need a new deadline a few
 * times per lease, at most once per heartbeat, not at every step. Half a
 * lease leaves a margin of L/2 (at least L - 2 heartbeats - a round trip
 * when acknowledgements come late) against a loop stalled so long that
 * the fence removes the VIPs; the lease itself runs regardless. */
static uint64_t hold_refresh_ms(const struct own *o)
{
    return o->lease.p.lease_ms / 2u;
}

/****** The leader's decision ******/

/* Release now (before any transfer can make another node leader). */
static void give_up(struct own *o)
{
    if (!o->lease.released) {
        lease_release(&o->lease);
    }
}

static bool handover(struct own *o, const struct own_in *in,
                     struct own_out *out, uint64_t target, bool requested)
{
    give_up(o);
    out->transfer_to = target;
    out->transfer_requested = requested;
    o->is_transferring = true;
    o->next_transfer_ms = in->now + 2u * (uint64_t)o->p.election_ms;
    return false;
}

/* Whom a witness leader hands over to now (0: nobody yet): the best
 * holder-capable voter of the configuration as soon as it answered; after
 * two heartbeats (every live voter answered the first round) the best one
 * that answered. Waiting for the view to settle, as a node that can hold
 * does, would only leave the VIPs without a holder for longer. */
static uint64_t witness_target(const struct own *o, const struct own_in *in,
                               const struct priority_choice *live)
{
    uint64_t all[OWN_MAX_SERVERS];
    struct priority_ctx ctx;
    struct priority_pending scratch = {0};
    struct priority_choice best;
    size_t n = 0;

    for (unsigned i = 0; i < in->n_servers && i < OWN_MAX_SERVERS; i++) {
        if (in->servers[i].is_voter) {
            all[n++] = in->servers[i].id;
        }
    }
    ctx.voters = all;
    ctx.n_voters = n;
    ctx.holder = 0;
    ctx.now_ms = in->now;
    priority_choose(in->st, &ctx, &scratch, &best);
    if (best.preferred != 0 && best.preferred == live->preferred) {
        return best.preferred;
    }
    if (in->now >= o->leader_since_ms + 2u * (uint64_t)o->p.heartbeat_ms) {
        return live->preferred;
    }
    return 0;
}

/* Returns whether this node wants to hold. */
static bool decide(struct own *o, const struct own_in *in, struct own_out *out)
{
    uint64_t voters[OWN_MAX_SERVERS];
    struct priority_ctx ctx;
    struct priority_choice choice;
    const struct fsm_state *st = in->st;
    size_t n = 0;

    seen_update(o, in);
    if (in->placing && !o->p.witness &&
        !member_is_witness(fsm_member(st, o->p.self))) {
        /* Units are placed one by one under this lease (raft/place.h);
         * leadership itself stays. */
        if (o->lease.released && !o->is_transferring) {
            lease_resume(&o->lease, in->now);
        }
        return true;
    }

    for (unsigned i = 0; i < in->n_servers && i < OWN_MAX_SERVERS; i++) {
        if (!in->servers[i].is_voter) {
            continue;
        }
        /* Only live voters can be preferred: a dead node with the highest
         * priority must not make the leader hand over forever. */
        if (in->servers[i].id == o->p.self || seen_live(o, i, in->now)) {
            voters[n++] = in->servers[i].id;
        }
    }
    ctx.voters = voters;
    ctx.n_voters = n;
    ctx.holder = o->lease.released ? 0 : o->p.self;
    ctx.now_ms = in->now;
    priority_choose(st, &ctx, &o->pending, &choice);

    /* What can change the answer below without an event: the settle time,
     * a retry or preempt_delay running out, a voter leaving the live
     * window (then its next sample decides). */
    o->decide_wake = UINT64_MAX;
    wake_min(&o->decide_wake, settled_at(o), in->now);
    wake_min(&o->decide_wake, o->next_transfer_ms, in->now);
    wake_min(&o->decide_wake, choice.move_at_ms, in->now);
    for (unsigned i = 0; i < in->n_servers && i < OWN_MAX_SERVERS; i++) {
        if (o->seen[i].seen_ms != 0) {
            wake_min(&o->decide_wake,
                     o->seen[i].seen_ms + o->p.election_ms + 1u, in->now);
        }
    }

    /* A planned switchover (`vipctl transfer`, an ADMIN TRANSFER entry):
     * to the named node, or to the best other live eligible node. */
    if (st->transfer_index > o->transfer_done_index && !o->is_transferring) {
        uint64_t target = st->transfer_target;
        o->transfer_done_index = st->transfer_index;
        if (target == 0) {
            target = choice.best != o->p.self ? choice.best : 0;
            for (size_t i = 0; target == 0 && i < n; i++) {
                if (voters[i] != o->p.self) {
                    target = voters[i];
                }
            }
        }
        if (target != 0 && target != o->p.self) {
            return handover(o, in, out, target, true);
        }
    }

    if (choice.preferred == o->p.self) {
        if (o->lease.released && !o->is_transferring) {
            lease_resume(&o->lease, in->now);
        }
        return true;
    }
    if (o->p.witness || member_is_witness(fsm_member(st, o->p.self))) {
        /* A witness never holds and never stays leader. */
        uint64_t target = 0;
        give_up(o);
        if (!o->is_transferring && in->now >= o->next_transfer_ms) {
            target = witness_target(o, in, &choice);
        }
        return target != 0 ? handover(o, in, out, target, false) : false;
    }
    if (choice.preferred == 0 || !choice.holder_eligible) {
        /* Not eligible (FAULT, maintenance), or nobody is: drop now, even
         * while the view of live voters settles. */
        give_up(o);
        if (choice.preferred == 0 || o->is_transferring ||
            in->now < o->next_transfer_ms || in->now < settled_at(o)) {
            return false;
        }
    } else if (o->is_transferring) {
        return false;
    } else if (in->now < choice.move_at_ms || in->now < o->next_transfer_ms ||
               in->now < settled_at(o)) {
        /* A better node exists but the move is not due yet (preempt_delay,
         * settling after the election, a failed handover): keep holding. */
        return !o->lease.released;
    }
    return handover(o, in, out, choice.preferred, false);
}

/****** The step ******/

static void set_release(struct own *o, struct own_out *out, uint8_t why)
{
    if (o->is_holding) {
        out->release = true;
        out->release_why = why;
        out->changed = true;
    }
    o->is_holding = false;
    o->hold_until = 0;
}

/* When the step must run again at the latest, besides the lease's own
 * deadlines (lease_next_wake()). Between wake-ups the caller runs it as
 * soon as raft's role, term, leader, applied index or configuration
 * change (raft015_changed()), so a node that follows or leads a quiet
 * cluster wakes only for deadlines: forgetting a silent leader,
 * refreshing the hold, the leader's timed decisions, the safety poll.
 * Elections, a leader's settle time and handovers, and a leader that does
 * not hold (its lease waits for acknowledgements, or its choice for voters
 * to answer again: changes raft015_changed() does not see) poll every
 * poll_ms. */
static uint64_t next_wake(struct own *o, const struct own_in *in,
                          uint64_t leader)
{
    uint64_t now = in->now;
    uint64_t w = now + idle_poll_ms(o);

    o->is_quiet = true;
    if (in->role == OWN_FOLLOWER && leader != 0) {
        /* Rule 2's deadline (since_contact_ms < T here), within T: all
         * else a follower reads changes with a raft event (its own
         * election timer sends requests, persists a term). */
        return now + (o->p.election_ms - in->since_contact_ms);
    }
    if (in->role == OWN_LEADER && !o->is_transferring &&
        o->is_holding && now >= settled_at(o) && !o->p.witness &&
        !member_is_witness(fsm_member(in->st, o->p.self))) {
        wake_min(&w, o->decide_wake, now);
        {
            /* Acknowledgements move the lease on once per heartbeat: no
             * refresh sooner than a heartbeat after the last one given. */
            uint64_t t = o->hold_until - hold_refresh_ms(o);
            uint64_t hb = o->hold_given_ms + o->p.heartbeat_ms;
            if (t < hb) {
                t = hb;
            }
            /* Past it without a later deadline to give: try again after
             * the next heartbeat's acknowledgements. */
            wake_min(&w, t > now ? t : now + o->p.heartbeat_ms, now);
        }
        return w;
    }
    o->is_quiet = false;
    return now + o->p.poll_ms;
}

bool own_wants_events(const struct own *o)
{
    return !o->is_quiet;
}

void own_step(struct own *o, const struct own_in *in, struct own_out *out)
{
    uint64_t leader = in->leader;
    uint64_t until, next;
    bool wants = false;
    bool due, knows;

    memset(out, 0, sizeof *out);
    out->wake_at = in->now + o->p.poll_ms;
    o->decide_wake = UINT64_MAX;
    o->is_quiet = false;
    if (o->is_closing) {
        out->wake_at = UINT64_MAX;
        return;
    }
    if (in->role == OWN_UNAVAILABLE) {
        if (!o->is_failed) {
            /* libraft 0.15 stops a node for good in some snapshot races
             * (tests/sim/README.md); holding on would fake a member. */
            o->is_failed = true;
            out->failed = true;
            lease_release(&o->lease);
            set_release(o, out, OWN_WHY_FAILED);
            out->release = true; /* also when it was not holding */
        }
        out->wake_at = UINT64_MAX;
        return;
    }
    if (in->role == OWN_FOLLOWER && leader != 0 &&
        in->since_contact_ms >= o->p.election_ms) {
        /* raft 0.15 followers refuse every (pre-)vote while they know a
         * leader, however long it has been silent: forget one silent for
         * T, so the first survivor to time out wins. */
        out->forget_leader = true;
        leader = 0;
    }
    if (in->role != o->role || in->term != o->term || leader != o->leader) {
        if (in->role == OWN_LEADER &&
            (o->role != OWN_LEADER || o->term != in->term)) {
            o->leader_since_ms = in->now;
            memset(o->seen, 0, sizeof o->seen);
            /* Switchover requests from before this term were for another
             * leader: not ours to replay. */
            o->transfer_done_index = in->st->transfer_index;
        }
        o->role = in->role;
        o->term = in->term;
        o->leader = leader;
        if (leader != 0) {
            o->followed = leader;
        }
        out->changed = true;
    }

    /* Pre-vote with libraft 0.15 can livelock (raft/prevote.h). */
    knows = in->role == OWN_LEADER || (in->role == OWN_FOLLOWER && leader != 0);
    {
        bool on = prevote_guard_update(&o->prevote, in->now, knows,
                                       in->hears_majority);
        if (on != o->prevote_on) {
            o->prevote_on = on;
            out->set_prevote = true;
            out->prevote_on = on;
        }
        if (!on && in->role == OWN_CANDIDATE && in->in_prevote) {
            /* A candidacy decides pre-vote when it starts. */
            out->cancel_prevote = true;
        }
    }

    /* Only while following a leader: ranked timeouts are for the election
     * after that leader fails. Without a leader, raft's random draw stays:
     * fixed timeouts let a node with a stale log and a higher term keep
     * winning the race against the up-to-date one (found by tests/sim). */
    if (in->role == OWN_FOLLOWER && in->leader != 0 && o->p.rank_step_ms != 0) {
        unsigned rank = rank_cached(o, in);
        uint32_t want = own_rank_timeout(&o->p, rank);
        if (in->timeout_ms != want) {
            out->set_timeout_ms = want;
        }
    } else if (in->role == OWN_CANDIDATE && in->in_prevote &&
               o->p.rank_step_ms != 0) {
        /* A pre-vote round the others refused (still quiet, or still
         * following the dead leader: both last T on *their* clocks, so
         * with drift the best survivor may ask too early) is retried
         * soon, in rank order, instead of after a new draw in [T, 2 T]
         * that let the next survivor win first: a second move. */
        unsigned rank = own_rank(in->st, in->servers, in->n_servers,
                                 o->p.self, o->followed, o->p.witness);
        uint32_t want = own_prevote_retry(&o->p, rank);
        if (in->timeout_ms != want) {
            out->set_timeout_ms = want;
        }
    }

    /* The lease learns the role first: a new term resets it. */
    due = lease_tick(&o->lease, in->now, in->role == OWN_LEADER, in->term);
    if (in->role == OWN_LEADER && in->has_ack) {
        lease_acked(&o->lease, in->ack_since, in->term);
    }
    if (in->role == OWN_LEADER) {
        wants = decide(o, in, out);
    }
    if (due && !o->lease.released) {
        out->renew = true;
        out->renew_holder = wants ? o->p.self : 0;
        out->renew_reason = !wants                ? ENTRY_HOLD_RELEASE
                            : o->lease.has_commit ? ENTRY_HOLD_RENEW
                                                  : ENTRY_HOLD_ELECTED;
    }
    until = lease_holds_until(&o->lease, in->now);
    if (until != 0 && wants) {
        /* A shorter deadline at once; a later one when the one given out
         * comes within hold_refresh_ms() of its end. */
        if (!o->is_holding || until < o->hold_until ||
            (until > o->hold_until &&
             in->now + hold_refresh_ms(o) >= o->hold_until)) {
            out->changed = out->changed || !o->is_holding;
            out->hold = true;
            out->hold_until = until;
            o->is_holding = true;
            o->hold_until = until;
            o->hold_given_ms = in->now;
        }
    } else if (o->is_holding) {
        set_release(o, out,
                    in->role != OWN_LEADER ? OWN_WHY_NOT_LEADER
                    : out->transfer_to != 0 ? OWN_WHY_HANDOVER
                    : o->lease.released    ? OWN_WHY_INELIGIBLE
                                           : OWN_WHY_LEASE);
    }

    out->wake_at = next_wake(o, in, leader);
    next = lease_next_wake(&o->lease, in->now);
    if (next < out->wake_at) {
        out->wake_at = next;
    }
}
