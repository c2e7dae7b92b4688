/* Placed units (--units N): every server runs the placement step
 * (raft/place.c) beside the ownership step, as vipd's node does: the
 * leader's side sees the live voters (own_is_live()) and its lease (the
 * ownership step's hold_until, kept whatever its eligibility when
 * placing), proposes the ASSIGN entries through its own raft, answers
 * requests; every node asks, holds and releases. Requests and replies
 * travel through a message channel that obeys the fixture's faults (see
 * struct sim_msg). The checker: never two holders of a unit at one
 * fixture time; after healing every unit held within the bound. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "raft/place.h"
#include "tests/sim/sim.h"

/****** Set-up ******/

void sim_units_init(struct sim *s)
{
    for (unsigned u = 0; u < s->o.units && u < SIM_MAX_UNITS; u++) {
        snprintf(s->unit_names[u], sizeof s->unit_names[u], "U%u", u);
        s->units[u].min_margin_ms = INT64_MAX;
    }
    for (unsigned i = 0; i < s->n; i++) {
        struct place_params pp;
        place_params_derive(&pp, i + 1, s->o.election_ms, s->o.heartbeat_ms);
        /* The clock-rate bound both sides assume must cover the
         * simulated drift (the daemon's 10 % covers --drift 100). */
        if (pp.drift_pm < s->o.drift_pm) {
            pp.drift_pm = s->o.drift_pm;
        }
        place_init(&s->nodes[i].pl, &pp);
        s->nodes[i].pin_valid = false;
        s->nodes[i].net_ms = 0;
    }
}

void sim_units_close(struct sim *s)
{
    free(s->msgs);
    s->msgs = NULL;
    s->n_msgs = s->cap_msgs = 0;
}

void sim_place_restart(struct sim *s, unsigned i)
{
    struct sim_node *n = &s->nodes[i];
    struct place_params pp = n->pl.p;
    uint64_t now = raft_fixture_time(&s->f);

    /* Numbered above every request of the earlier process, which may
     * still be on its way (as vipd numbers from its wall clock). */
    pp.first_seq = now * 1024;
    place_init(&n->pl, &pp);
    n->pin_valid = false;
    n->epoch++;
    for (unsigned u = 0; u < s->o.units; u++) {
        if (n->unit_until[u] > now) {
            n->unit_until[u] = now;
        }
    }
}

/****** Messages ******/

static bool link_up(struct sim *s, unsigned a, unsigned b)
{
    return raft_fixture_alive(&s->f, a) && raft_fixture_alive(&s->f, b) &&
           !raft_fixture_saturated(&s->f, a, b) && !s->cut[a][b];
}

static struct sim_msg *msg_new(struct sim *s, unsigned from, unsigned to)
{
    struct sim_msg *m;

    if (!link_up(s, from, to)) {
        s->n_msgs_lost++;
        return NULL;
    }
    if (s->n_msgs == s->cap_msgs) {
        unsigned cap = s->cap_msgs != 0 ? 2 * s->cap_msgs : 16;
        struct sim_msg *p = realloc(s->msgs, cap * sizeof *p);
        if (p == NULL) {
            sim_fail(s, "out of memory");
            return NULL;
        }
        s->msgs = p;
        s->cap_msgs = cap;
    }
    m = &s->msgs[s->n_msgs++];
    memset(m, 0, sizeof *m);
    m->from = from;
    m->to = to;
    m->to_epoch = s->nodes[to].epoch;
    /* The sender's latency, as the fixture's messages; at least 1 ms. */
    m->at = raft_fixture_time(&s->f) +
            (s->nodes[from].net_ms != 0 ? s->nodes[from].net_ms : 1);
    return m;
}

/* Carry out @out of node @i's placement step (@global_now). */
static void place_act(struct sim *s, unsigned i, uint64_t global_now,
                      const struct place_out *out);

static void place_run(struct sim *s, unsigned i, uint64_t global_now)
{
    struct sim_node *n = &s->nodes[i];
    struct place_out out;

    place_step(&n->pl, &n->pin, &out);
    place_act(s, i, global_now, &out);
}

static void deliver(struct sim *s, const struct sim_msg *m, uint64_t now)
{
    struct sim_node *to = &s->nodes[m->to];
    struct raft *r = raft_fixture_get(&s->f, m->to);

    if (!link_up(s, m->from, m->to) || to->epoch != m->to_epoch ||
        !to->pin_valid) {
        s->n_msgs_lost++;
        return;
    }
    if (!m->is_reply) {
        struct sim_msg *rm;
        struct place_reply rep;
        /* The leader's observations of this very step (sim_hook drives
         * every node before delivering), its clock read now. */
        to->pin.now = sim_local_ms(to, now);
        place_on_request(&to->pl, m->from + 1, &m->req, &to->pin, &rep);
        s->n_requests++;
        sim_log(s,
                "n%u answers n%u: seq %" PRIu64 " status %d, %u granted%s%s, "
                "%u revoked%s%s",
                m->to + 1, m->from + 1, rep.seq, (int)rep.status,
                rep.n_granted, rep.n_granted ? " " : "",
                rep.n_granted ? rep.granted[0] : "", rep.n_revoked,
                rep.n_revoked ? " " : "", rep.n_revoked ? rep.revoked[0] : "");
        rm = msg_new(s, m->to, m->from);
        if (rm != NULL) {
            rm->is_reply = true;
            rm->rep = rep;
        }
        return;
    }
    s->n_replies++;
    to->pin.now = sim_local_ms(to, now);
    {
        struct place_reply rep = m->rep;
        if (s->o.grant_extra_ms != 0 && rep.n_granted > 0) {
            rep.grant_ms += s->o.grant_extra_ms; /* --grant-extra */
        }
        (void)place_on_reply(&to->pl, &rep, to->pin.now,
                             (uint64_t)r->current_term);
    }
    /* Run the step now: a revoke stops the unit at once, a grant starts
     * it (vipd runs the step after a reply that changed something). */
    place_run(s, m->to, now);
}

void sim_place_deliver(struct sim *s, uint64_t now)
{
    /* Messages may queue new ones (replies): deliver in rounds, in order
     * of delivery time, never one queued during this call at this time. */
    unsigned n = s->n_msgs;
    struct sim_msg *due;
    unsigned n_due = 0;

    if (n == 0) {
        return;
    }
    due = malloc(n * sizeof *due);
    if (due == NULL) {
        sim_fail(s, "out of memory");
        return;
    }
    for (unsigned k = 0; k < s->n_msgs;) {
        if (s->msgs[k].at <= now) {
            due[n_due++] = s->msgs[k];
            s->msgs[k] = s->msgs[--s->n_msgs];
        } else {
            k++;
        }
    }
    /* Stable order: by delivery time, then by sender. */
    for (unsigned a = 1; a < n_due; a++) {
        struct sim_msg m = due[a];
        unsigned b = a;
        while (b > 0 && (due[b - 1].at > m.at ||
                         (due[b - 1].at == m.at && due[b - 1].from > m.from))) {
            due[b] = due[b - 1];
            b--;
        }
        due[b] = m;
    }
    for (unsigned k = 0; k < n_due && !s->failed; k++) {
        deliver(s, &due[k], now);
    }
    free(due);
}

/****** The step ******/

/* The first fixture time at which @n's clock shows @local. */
static uint64_t to_global(const struct sim_node *n, uint64_t local)
{
    return (local * 1000u + n->rate_pm - 1) / n->rate_pm;
}

/* Submit an ASSIGN through node @i's own raft (the leader proposes its
 * own entries; a stale leader's entry never commits). */
static void assign_cb(struct raft_apply *req, int status, void *result)
{
    (void)status;
    (void)result;
    free(req);
}

static void propose_assign(struct sim *s, unsigned i,
                           const struct place_assign *a)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct raft_apply *req = calloc(1, sizeof *req);
    struct entry e = {.kind = ENTRY_ASSIGN};

    if (req == NULL) {
        return;
    }
    e.u.assign.origin.node_id = i + 1;
    e.u.assign.origin.seq = ++s->nodes[i].seq;
    snprintf(e.u.assign.unit, sizeof e.u.assign.unit, "%s", a->unit);
    e.u.assign.holder = a->holder;
    e.u.assign.flags = a->leader_bound ? ENTRY_ASSIGN_F_LEADER_BOUND : 0;
    e.u.assign.term = r->current_term;
    if (!sim_submit(r, req, &e, assign_cb)) {
        free(req);
        sim_log(s, "n%u: ASSIGN %s -> n%llu refused by raft", i + 1, a->unit,
                (unsigned long long)a->holder);
        return;
    }
    s->n_assigns++;
    sim_log(s, "n%u proposes ASSIGN %s -> n%llu%s (term %llu)", i + 1, a->unit,
            (unsigned long long)a->holder, a->leader_bound ? " (self)" : "",
            (unsigned long long)r->current_term);
}

static void place_act(struct sim *s, unsigned i, uint64_t global_now,
                      const struct place_out *out)
{
    struct sim_node *n = &s->nodes[i];

    for (unsigned k = 0; k < out->n_assign; k++) {
        propose_assign(s, i, &out->assign[k]);
    }
    for (unsigned u = 0; u < s->o.units; u++) {
        uint64_t until = out->hold_until[u];
        if (until > n->pin.now) {
            uint64_t g = to_global(n, until);
            if (n->unit_until[u] <= global_now) {
                sim_log(s, "n%u takes %s (until %" PRIu64 ")", i + 1,
                        s->unit_names[u], g);
                s->units[u].handed_over[i] = false;
            }
            n->unit_until[u] = g;
            n->unit_lease_end[u] = g;
        } else if (n->unit_until[u] > global_now) {
            sim_log(s, "n%u releases %s", i + 1, s->unit_names[u]);
            n->unit_until[u] = global_now;
            s->units[u].handed_over[i] = true;
        }
    }
    if (out->ask && n->pin.leader != 0 && n->pin.leader <= s->n) {
        unsigned to = (unsigned)n->pin.leader - 1;
        struct raft *r = raft_fixture_get(&s->f, i);
        struct place_request req;
        struct sim_msg *m;
        /* The request is made (its send time remembered) even when the
         * network loses it, as a real send would be. */
        place_request_make(&n->pl, n->pin.now, (uint64_t)r->current_term,
                           &req);
        m = msg_new(s, i, to);
        if (m != NULL) {
            m->req = req;
        }
    }
    /* The node's timer serves both steps, as in vipd: the placement step
     * asks for its own deadlines (renewals, grant ends, waits). */
    if (out->wake_at != UINT64_MAX) {
        uint64_t g = to_global(n, out->wake_at);
        if (g < n->wake_at) {
            n->wake_at = g;
        }
    }
}

void sim_place_drive(struct sim *s, unsigned i, uint64_t global_now,
                     const struct own_in *in)
{
    struct sim_node *n = &s->nodes[i];
    struct place_in *p = &n->pin;
    size_t n_live = 0;

    memset(p, 0, sizeof *p);
    p->now = in->now;
    p->role = in->role;
    p->term = in->term;
    p->leader = in->leader;
    /* The ownership step's hold_until: the leader's lease when placing
     * (raft/own_step.h own_in.placing), 0 when not holding. */
    p->lease_until = n->own.is_holding ? n->own.hold_until : 0;
    for (unsigned k = 0; k < in->n_servers && k < OWN_MAX_SERVERS; k++) {
        if (in->servers[k].is_voter &&
            own_is_live(&n->own, in->servers[k].id, in->now)) {
            n->pin_live[n_live++] = in->servers[k].id;
        }
    }
    p->live = n->pin_live;
    p->n_live = n_live;
    p->st = n->fsm.st;
    p->unit_names = (const char (*)[ENTRY_NAME_MAX])s->unit_names;
    p->n_unit_names = s->o.units;
    n->pin_valid = true;
    place_run(s, i, global_now);
}

/****** Checks ******/

void sim_place_check(struct sim *s, uint64_t now)
{
    for (unsigned u = 0; u < s->o.units; u++) {
        struct sim_unit *su = &s->units[u];
        unsigned holders = 0, who[SIM_MAX];
        uint64_t holder = 0;

        for (unsigned i = 0; i < s->n; i++) {
            if (s->nodes[i].unit_until[u] > now) {
                who[holders++] = i;
                holder = i + 1;
            }
        }
        if (holders > 1) {
            s->two_holders = true;
            sim_fail(s,
                     "two holders of %s at %" PRIu64 " ms: n%u (until %" PRIu64
                     ") and n%u (until %" PRIu64 ")",
                     s->unit_names[u], now, who[0] + 1,
                     s->nodes[who[0]].unit_until[u], who[1] + 1,
                     s->nodes[who[1]].unit_until[u]);
            return;
        }
        if (holders == 0) {
            if (su->last_holder != 0) {
                su->zero_since = now;
            }
        } else {
            if (su->last_holder == 0 && now - su->zero_since > su->max_zero_ms) {
                su->max_zero_ms = now - su->zero_since;
            }
            if (holder != su->last_holder) {
                su->n_changes++;
            }
            /* A takeover without a release: against the old holder's
             * deadline (its grant's end or the old leader's lease). */
            if (su->prev_holder != 0 && holder != su->prev_holder &&
                !su->handed_over[su->prev_holder - 1]) {
                int64_t margin =
                    (int64_t)now -
                    (int64_t)s->nodes[su->prev_holder - 1].unit_lease_end[u];
                if (margin < su->min_margin_ms) {
                    su->min_margin_ms = margin;
                }
            }
            su->prev_holder = holder;
        }
        su->last_holder = holder;
    }
}

bool sim_units_all_held(struct sim *s)
{
    uint64_t now = raft_fixture_time(&s->f);
    for (unsigned u = 0; u < s->o.units; u++) {
        bool held = false;
        for (unsigned i = 0; i < s->n && !held; i++) {
            held = raft_fixture_alive(&s->f, i) &&
                   s->nodes[i].unit_until[u] > now;
        }
        if (!held) {
            return false;
        }
    }
    return true;
}

/* The node holding unit @u now (index + 1), 0: none. */
static unsigned unit_holder(struct sim *s, unsigned u)
{
    uint64_t now = raft_fixture_time(&s->f);
    for (unsigned i = 0; i < s->n; i++) {
        if (s->nodes[i].unit_until[u] > now) {
            return i + 1;
        }
    }
    return 0;
}

/****** Faults and scenarios ******/

void sim_propose_unit_transfer(struct sim *s)
{
    unsigned k = sim_rnd_range(s, 0, s->n - 1);
    unsigned u = sim_rnd_range(s, 0, s->o.units - 1);
    struct entry e = {.kind = ENTRY_ADMIN};

    e.u.admin.op = ENTRY_ADMIN_TRANSFER;
    e.u.admin.target = sim_rnd_range(s, 0, s->n); /* 0: the preferred */
    snprintf(e.u.admin.unit, sizeof e.u.admin.unit, "%s", s->unit_names[u]);
    for (unsigned i = 0; i < s->n; i++) {
        /* As vipctl does: only a described member and a placed unit can
         * be named (the FSM rejects anything else, on every node alike). */
        const struct fsm_member *m;
        if (!raft_fixture_alive(&s->f, i) ||
            raft_state(raft_fixture_get(&s->f, i)) != RAFT_LEADER) {
            continue;
        }
        if (fsm_unit(s->nodes[i].fsm.st, e.u.admin.unit) == NULL) {
            return;
        }
        m = fsm_member(s->nodes[i].fsm.st, e.u.admin.target);
        if (m == NULL || !m->has_node) {
            e.u.admin.target = 0;
        }
    }
    if (sim_propose(s, &e, k)) {
        sim_log(s, "switchover of %s to %llu requested", e.u.admin.unit,
                (unsigned long long)e.u.admin.target);
    }
}

static void step_until(struct sim *s, uint64_t t)
{
    while (!s->failed && raft_fixture_time(&s->f) < t) {
        raft_fixture_step(&s->f);
    }
}

/* A steady cluster: every member described, every unit held by its own
 * holder, nothing moving for 3 T; then the holder of one unit crashes
 * while another unit is held elsewhere. The other unit must have no
 * moment without a holder; the crashed one moves once, within 10 T. The
 * crashed node is the leader when the leader holds a unit (a grant must
 * then outlive its leader), otherwise U0's holder. */
void sim_unit_crash(struct sim *s)
{
    uint64_t t0 = raft_fixture_time(&s->f);
    unsigned victim = 0, crashed_unit = 0, other_unit = 0;
    uint64_t kill_at, last_gap_check, gap = 0, moves = 0;
    unsigned last;

    for (unsigned i = 0; i < s->n; i++) {
        sim_set_net_latency(s, i, sim_rnd_range(s, 1, s->o.latency_ms));
        raft_fixture_set_disk_latency(&s->f, i,
                                      sim_rnd_range(s, 1, s->o.latency_ms));
    }
    for (;;) {
        unsigned changes = 0;
        bool distinct = true, all = true;
        for (unsigned u = 0; u < s->o.units; u++) {
            changes += s->units[u].n_changes;
        }
        step_until(s, raft_fixture_time(&s->f) + 3 * s->o.election_ms);
        if (s->failed) {
            return;
        }
        for (unsigned u = 0; u < s->o.units; u++) {
            changes -= s->units[u].n_changes;
        }
        for (unsigned u = 0; u < s->o.units; u++) {
            all = all && unit_holder(s, u) != 0;
            for (unsigned v = 0; v < u; v++) {
                distinct = distinct && unit_holder(s, u) != unit_holder(s, v);
            }
        }
        for (unsigned k = 0; k < s->n && all; k++) {
            const struct fsm_member *m = fsm_member(s->nodes[0].fsm.st, k + 1);
            all = m != NULL && m->has_node;
        }
        if (changes == 0 && all && distinct) {
            break;
        }
        if (raft_fixture_time(&s->f) - t0 > 60u * s->o.election_ms) {
            sim_fail(s, "no steady placement before the crash");
            return;
        }
    }
    crashed_unit = 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER) {
            for (unsigned u = 0; u < s->o.units; u++) {
                if (unit_holder(s, u) == i + 1) {
                    crashed_unit = u;
                    s->unit_crash_leader = 1;
                }
            }
        }
    }
    other_unit = crashed_unit == 0 ? 1 : 0;
    victim = unit_holder(s, crashed_unit) - 1;
    /* Right after the victim renewed what it holds: its hold runs its
     * full length after the crash (the worst case for the others). */
    {
        uint64_t until = s->nodes[victim].unit_until[crashed_unit];
        while (!s->failed &&
               s->nodes[victim].unit_until[crashed_unit] == until &&
               raft_fixture_time(&s->f) < until) {
            raft_fixture_step(&s->f);
        }
        if (s->failed) {
            return;
        }
        if (unit_holder(s, crashed_unit) != victim + 1) {
            sim_fail(s, "n%u stopped holding %s without a crash", victim + 1,
                     s->unit_names[crashed_unit]);
            return;
        }
    }
    kill_at = raft_fixture_time(&s->f);
    sim_log(s, "crash n%u (holds %s%s); %s stays on n%u", victim + 1,
            s->unit_names[crashed_unit],
            s->unit_crash_leader ? ", the leader" : "",
            s->unit_names[other_unit], unit_holder(s, other_unit));
    raft_fixture_kill(&s->f, victim);
    last = victim + 1;
    last_gap_check = kill_at;
    while (!s->failed &&
           raft_fixture_time(&s->f) < kill_at + 10u * s->o.election_ms) {
        uint64_t now;
        unsigned h;
        bool other_held;
        raft_fixture_step(&s->f);
        now = raft_fixture_time(&s->f);
        other_held = false;
        for (unsigned i = 0; i < s->n; i++) {
            /* Held by an alive node (the victim's hold of the other unit,
             * if any, was excluded by the steady state). */
            other_held = other_held ||
                         (raft_fixture_alive(&s->f, i) &&
                          s->nodes[i].unit_until[other_unit] > now);
        }
        if (!other_held) {
            gap += now - last_gap_check;
        }
        last_gap_check = now;
        h = unit_holder(s, crashed_unit);
        if (h != 0 && h != last) {
            if (moves == 0) {
                s->unit_crash_failover_ms = now - kill_at;
            }
            moves++;
            last = h;
        }
    }
    s->unit_crash_gap_ms = gap;
    s->unit_crash_moves = moves;
    if (s->failed) {
        return;
    }
    if (gap > 0) {
        sim_fail(s, "%s had no holder for %" PRIu64 " ms after n%u crashed",
                 s->unit_names[other_unit], gap, victim + 1);
    } else if (moves == 0) {
        sim_fail(s, "%s not held %u ms after the crash of n%u",
                 s->unit_names[crashed_unit], 10u * s->o.election_ms,
                 victim + 1);
    } else if (moves > 1) {
        sim_fail(s, "%s moved %" PRIu64 " times after the crash of n%u",
                 s->unit_names[crashed_unit], moves, victim + 1);
    }
}
