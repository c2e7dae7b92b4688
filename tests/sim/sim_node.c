/* Each server driven as vipd's raft node drives it, and the checks run
 * after every fixture step. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "raft/own_renew.h"
#include "raft/raft015.h"
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

/****** The node: the ownership step, as vipd's timer runs it ******/

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

static uint64_t renew_clock(void *data)
{
    struct sim_node *n = data;
    return sim_local_ms(n, raft_fixture_time(&n->s->f));
}

static void renew_done(void *data, bool ok)
{
    struct sim_node *n = data;
    if (ok) {
        n->s->n_committed++;
    }
    n->drive_soon = true;
}

/* The lease decorator's event hook, as raft/cluster_own.c's. */
void sim_node_event(void *data)
{
    struct sim_node *n = data;
    struct raft *r = raft_fixture_get(&n->s->f, (unsigned)(n - n->s->nodes));
    bool changed = raft015_changed(r, &n->sig);
    if (changed || own_wants_events(&n->own)) {
        n->drive_soon = true;
    }
}

/* The step's `renew` action, through the daemon's carrier. */
static void renew(struct sim *s, unsigned i, uint64_t now,
                  const struct own_out *out)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct sim_node *n = &s->nodes[i];

    n->s = s;
    n->renew.own = &n->own;
    n->renew.clock = renew_clock;
    n->renew.clock_data = n;
    n->renew.done = renew_done;
    n->renew.done_data = n;
    /* e.g. RAFT_NOTLEADER during a transfer: the next step retries */
    if (own_renew_submit(r, &n->renew, r->id, r->current_term, now,
                         1700000000000ull + now, out) == 0) {
        s->n_renewals++;
    }
}

/* The lease decorator's clock: node @data's own (drifting) clock, the
 * one its ownership step runs on. */
uint64_t sim_node_now(void *data)
{
    struct sim_node *n = data;
    return sim_local_ms(n, raft_fixture_time(&n->s->f));
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

static void transfer_cb(struct raft_transfer *req)
{
    struct sim *s = req->data;
    unsigned i = (unsigned)(
        ((char *)req - (char *)&s->nodes[0].transfer) / sizeof s->nodes[0]);
    struct raft *r = raft_fixture_get(&s->f, i);
    raft_id leader = 0;
    const char *addr = NULL;

    raft_leader(r, &leader, &addr);
    sim_log(s, "n%u transfer ended, leader %llu", i + 1,
            (unsigned long long)leader);
    own_transfer_done(&s->nodes[i].own,
                      sim_local_ms(&s->nodes[i], raft_fixture_time(&s->f)),
                      leader == r->id);
    s->nodes[i].drive_soon = true;
}

/* One wake-up of node @i: the shipped step on the node's own clock, its
 * actions carried out as raft/cluster_own.c does; the VIP deadline is
 * converted back to fixture time for the checker. */
void sim_drive(struct sim *s, unsigned i, uint64_t global_now)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct sim_node *n = &s->nodes[i];
    uint64_t now = sim_local_ms(n, global_now);
    struct own_in in;
    struct own_out out;

    raft015_observe(r, n->fsm.st, now, &in);
    raft015_observe_ack(&n->lease, r->id, &in);
    in.placing = s->o.units >= 2; /* units placed by raft/place.c */
    own_step(&n->own, &in, &out);
    n->drive_soon = false;
    n->wake_at = out.wake_at == UINT64_MAX ? UINT64_MAX
                                            : global_ms(n, out.wake_at);
    if (out.failed) {
        if (n->vip_until > global_now) {
            n->vip_until = global_now;
        }
        if (in.placing) {
            place_drop_all(&n->pl);
            sim_place_drive(s, i, global_now, &in);
        }
        return;
    }
    if (out.forget_leader) {
        sim_log(s, "n%u forgets silent leader %llu (silent %llu ms)", i + 1,
                (unsigned long long)in.leader,
                (unsigned long long)in.since_contact_ms);
    }
    if (out.set_prevote) {
        sim_log(s, "n%u pre-vote %s", i + 1, out.prevote_on ? "on" : "off");
    }
    raft015_act(r, &out);
    if (out.release && n->vip_until > global_now) {
        sim_log(s, "n%u releases the VIP (%s)", i + 1,
                own_why_text(out.release_why));
        n->vip_until = global_now;
    }
    if (out.transfer_to != 0) {
        n->handed_over = true;
        n->transfer.data = s;
        if (raft_transfer(r, &n->transfer, out.transfer_to, transfer_cb) != 0) {
            own_transfer_refused(&n->own);
            sim_log(s, "n%u transfer to n%llu refused", i + 1,
                    (unsigned long long)out.transfer_to);
        } else {
            s->n_transfers++;
            sim_log(s, "n%u released, transfers to n%llu (%s)", i + 1,
                    (unsigned long long)out.transfer_to,
                    out.transfer_requested ? "requested" : "preferred");
        }
    }
    if (out.renew) {
        renew(s, i, now, &out);
    }
    if (in.placing) {
        /* The hold is the leader's lease, under which raft/place.c
         * self-holds and grants units (tests/sim/sim_place.c). */
        sim_place_drive(s, i, global_now, &in);
        return;
    }
    if (out.hold) {
        uint64_t until = global_ms(n, out.hold_until);
        if (n->vip_until <= global_now) {
            sim_log(s,
                    "n%u takes the VIP (term %" PRIu64 ", until %" PRIu64 ")",
                    i + 1, (uint64_t)r->current_term, until);
            n->n_holds++;
        }
        n->vip_until = until;
        n->lease_end = until;
        n->handed_over = false;
    }
    /* What the step saw and did is no news (raft/cluster_own.c). */
    (void)raft015_changed(r, &n->sig);
}

void sim_restart(struct sim *s, unsigned i)
{
    struct sim_node *n = &s->nodes[i];
    struct raft *r = raft_fixture_get(&s->f, i);
    struct own_params op = n->own.p;
    struct lease_params lp = n->own.lease.p;
    struct own_out out;

    /* A new process: the ownership state starts afresh (no lease, not
     * holding, pre-vote on); raft's term, vote and log are on disk, but
     * the known leader and the election timer are not. The VIP went with
     * the old process (the fence, vip/fence.h). */
    own_init(&n->own, &op, &lp);
    io_lease_restart(&n->lease); /* nothing counted, quiet for T */
    memset(&out, 0, sizeof out);
    out.forget_leader = true;
    raft015_act(r, &out);
    sim_fix_restart_timer(r);
    n->drive_soon = true;
    if (n->vip_until > raft_fixture_time(&s->f)) {
        n->vip_until = raft_fixture_time(&s->f);
    }
    sim_place_restart(s, i);
    s->n_restarts++;
}

/****** Proposals: NODE records, health, switchovers ******/

static void proposal_cb(struct raft_apply *req, int status, void *result)
{
    struct sim_proposal *p = (struct sim_proposal *)req;
    (void)status;
    (void)result;
    if (p->describes >= 0) {
        p->s->nodes[p->describes].describing = 0;
    }
    free(p);
}

bool sim_propose(struct sim *s, struct entry *e, unsigned origin)
{
    unsigned l = s->n;
    struct sim_proposal *p;
    struct entry_origin *o = e->kind == ENTRY_NODE     ? &e->u.node.origin
                             : e->kind == ENTRY_HEALTH ? &e->u.health.origin
                                                       : &e->u.admin.origin;

    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(&s->f, i) &&
            raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER) {
            l = i;
        }
    }
    if (l == s->n) {
        return false;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        return false;
    }
    p->s = s;
    p->describes = e->kind == ENTRY_NODE ? (int)origin : -1;
    o->node_id = origin + 1;
    if (o->seq == 0) {
        o->seq = ++s->nodes[origin].seq;
    }
    if (!sim_submit(raft_fixture_get(&s->f, l), &p->req, e, proposal_cb)) {
        free(p);
        return false;
    }
    return true;
}

void sim_describe(struct sim *s, unsigned k, uint8_t prio)
{
    struct entry e = {.kind = ENTRY_NODE};
    struct entry_node *nd = &e.u.node;
    struct entry_instance *in = &nd->instances[0];
    static const struct {
        const char *name;
        int weight;
    } tracks[] = {{"chk_0", -60}, {"chk_1", 20}, {"chk_2", 0}};

    snprintf(nd->name, sizeof nd->name, "n%u", k + 1);
    snprintf(nd->address, sizeof nd->address, "10.0.0.%u:5405", k + 1);
    nd->ip_family = 2; /* AF_INET */
    nd->ip[0] = 10;
    nd->ip[3] = (uint8_t)(k + 1);
    nd->n_instances = 1;
    snprintf(in->name, sizeof in->name, "VI_1");
    in->base_priority = prio;
    /* The node at index 1 sometimes waits before preempting. */
    in->preempt_delay_ms = k == 1 ? 300 : 0;
    for (unsigned t = 0; t < 3; t++) {
        snprintf(in->tracks[t].name, sizeof in->tracks[t].name, "%s",
                 tracks[t].name);
        in->tracks[t].kind = ENTRY_TRACK_SCRIPT;
        in->tracks[t].weight = tracks[t].weight;
    }
    in->n_tracks = 3;
    /* --units: one lone instance per unit (named like it); unit j
     * prefers node j (mod the cluster size): priority 200 there. */
    for (unsigned u = 1; u < s->o.units && u < ENTRY_MAX_INSTANCES; u++) {
        nd->instances[u] = *in;
    }
    for (unsigned u = 0; u < s->o.units && u < ENTRY_MAX_INSTANCES; u++) {
        snprintf(nd->instances[u].name, sizeof nd->instances[u].name, "%s",
                 s->unit_names[u]);
        nd->instances[u].base_priority = u % s->n == k ? 200 : prio;
        nd->n_instances = (uint16_t)(u + 1);
    }
    s->nodes[k].base_prio = prio;
    if (sim_propose(s, &e, k)) {
        s->nodes[k].describing = raft_fixture_time(&s->f) + 1;
    }
}

/* Members without a NODE record in the leader's state get one; after
 * healing, failing FAULT checks (chk_2) recover, so someone is eligible. */
static void keep_described(struct sim *s)
{
    unsigned l = s->n;
    const struct fsm_state *st;

    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(&s->f, i) &&
            raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER) {
            l = i;
        }
    }
    if (l == s->n) {
        return;
    }
    st = s->nodes[l].fsm.st;
    for (unsigned k = 0; k < s->n; k++) {
        const struct fsm_member *m = fsm_member(st, k + 1);
        int32_t v;
        /* Retried after 2 T: a killed leader never answers (the
         * daemon's proposal queue retries the same way). */
        if ((m == NULL || !m->has_node) &&
            (s->nodes[k].describing == 0 ||
             raft_fixture_time(&s->f) >
                 s->nodes[k].describing + 2u * s->o.election_ms)) {
            sim_describe(s, k, s->nodes[k].base_prio);
        } else if (s->healed && m != NULL &&
                   fsm_member_health(m, ENTRY_TRACK_SCRIPT, "chk_2", &v) &&
                   v == 0 && s->props_in_flight < s->n_steps) {
            struct entry e = {.kind = ENTRY_HEALTH};
            e.u.health.kind = ENTRY_TRACK_SCRIPT;
            snprintf(e.u.health.name, sizeof e.u.health.name, "chk_2");
            e.u.health.value = 1;
            /* At most one repair per 50 steps: the log must not flood. */
            if (sim_propose(s, &e, k)) {
                s->props_in_flight = s->n_steps + 50;
            }
        }
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
        s->two_holders = true;
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
        if (!raft_fixture_alive(f, i) && s->nodes[i].restart_at != 0 &&
            now >= s->nodes[i].restart_at) {
            /* A fast restart: back within T, with a fresh process. */
            s->nodes[i].restart_at = 0;
            raft_fixture_revive(f, i);
            /* The fixture cannot turn a leader or candidate back into a
             * follower as a real restart would: those only pause. */
            if (raft_state(raft_fixture_get(f, i)) == RAFT_FOLLOWER) {
                sim_restart(s, i);
                sim_log(s, "n%u restarted", i + 1);
            } else {
                sim_log(s, "n%u resumes (not a follower: no restart)", i + 1);
            }
        }
        if (!raft_fixture_alive(f, i) && s->nodes[i].stall_until != 0 &&
            now >= s->nodes[i].stall_until) {
            /* The same process resumes: it kept its state, and the lease
             * check comes first (its VIP ran out at lease end). */
            s->nodes[i].stall_until = 0;
            raft_fixture_revive(f, i);
            sim_log(s, "n%u resumes after a stall", i + 1);
        }
    }
    for (unsigned i = 0; i < s->n; i++) {
        if (!raft_fixture_alive(f, i)) {
            /* Back from a kill or a stall, its step runs at once (a new
             * process starts with one; a resumed one's timer is due). */
            s->nodes[i].drive_soon = true;
        } else if (s->nodes[i].drive_soon || now >= s->nodes[i].wake_at) {
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
    if (s->o.units >= 2) {
        sim_place_deliver(s, now);
    }
    keep_described(s);
    check(s, now);
    if (s->o.units >= 2) {
        sim_place_check(s, now);
    }
}
