/* Deterministic simulation of vipd's VIP ownership on canonical raft's
 * raft_fixture: 3 or 5 servers, each with vipd's FSM (raft/fsm.c) and lease
 * (raft/lease.c), driven exactly as the real node drives them; random
 * seeded schedules of partitions (symmetric and one-way), message loss,
 * disconnects, kills/revives, network and disk latency, election timeout
 * changes and leadership transfers; optionally each node's clock runs at its
 * own rate (--drift), as the lease reads the holder's clock while the
 * election timers run on the followers' clocks.
 *
 * Checked at every fixture step:
 *   safety   at no instant do two servers have the VIP (a killed server
 *            keeps it until its lease end: a frozen process whose address
 *            expires exactly at lease end; the kernel's extra lifetime
 *            slack is outside the simulation);
 * and after the schedule, once faults are healed and a majority is alive:
 *   liveness an alive server holds the VIP within --bound ms;
 *   state    servers that applied the same index have identical FSM state.
 *
 * Usage: sim [--seeds N] [--first S] [--seed S] [-v] [--nodes 3|5]
 *            [--duration MS] [--wait MS] [--lease MS] [--no-resume]
 *            [--no-prevote] [--no-guard] [--bound MS] [--snapshot N]
 *            [--drift PERMILLE] [--trace-from MS] [--isolate]
 *            [--expect-violation]
 * A failing seed is printed with the command line that replays it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <raft.h>
#include <raft/fixture.h>

#include "raft/entry.h"
#include "raft/fsm.h"
#include "raft/lease.h"
#include "raft/prevote.h"

#define SIM_MAX 5

struct sim_opts
{
    uint64_t seed;
    unsigned nodes;       /* 0: 3 for even seeds, 5 for odd ones */
    unsigned duration_ms; /* fault phase */
    unsigned election_ms; /* T */
    unsigned heartbeat_ms;
    unsigned wait_ms;  /* W */
    unsigned lease_ms; /* 0: derived from T */
    unsigned bound_ms; /* liveness bound after healing; 0: derived */
    bool resume;       /* resume holding after a failed transfer */
    bool prevote;
    bool guard; /* pre-vote guard (raft/prevote.h) */
    unsigned guard_stuck_ms;
    unsigned guard_window_ms;
    bool verbose;
    unsigned snap_threshold; /* raft snapshot threshold (entries) */
    unsigned snap_trailing;  /* entries kept after a snapshot */
    unsigned drift_pm;       /* clock rates drawn in 1000 +- drift_pm */
    int64_t trace_from;      /* raft tracer from this time on; -1: never */
};

/* An append in flight on the fixture's in-memory disk (see io_fix_*). */
struct sim;
struct sim_append
{
    struct raft_io_append proxy; /* what the fixture sees: first member */
    struct raft_io_append *req;  /* raft's request */
    struct sim *s;
    unsigned i;
    unsigned n;
};

struct sim_node
{
    struct fsm fsm;
    struct lease lease;
    struct prevote_guard guard;
    uint64_t vip_until; /* has the VIP while fixture time < this */
    unsigned rate_pm;   /* its clock runs at rate_pm / 1000 of real time */
    uint64_t lease_end; /* last lease deadline granted, fixture time */
    bool handed_over;   /* released for a transfer since it last held */
    uint64_t seq;       /* HEALTH proposals made by this node */
    struct raft_transfer transfer;
    bool transfer_pending;
    uint64_t transfer_term;
    unsigned n_holds;
    /* Work-around for raft 0.15's fixture: see io_fix_truncate(). */
    int (*orig_append)(struct raft_io *io,
                       struct raft_io_append *req,
                       const struct raft_entry entries[],
                       unsigned n,
                       raft_io_append_cb cb);
    int (*orig_truncate)(struct raft_io *io, raft_index index);
    uint64_t n_stored; /* entries in the fixture's disk array */
    uint64_t n_truncate_clamped;
};

struct sim
{
    struct raft_fixture f; /* first: the hook gets &f */
    struct sim_opts o;
    unsigned n;
    uint64_t rng;
    struct sim_node nodes[SIM_MAX];
    bool failed;
    char why[512];
    /* Statistics. */
    uint64_t n_steps;
    uint64_t n_renewals;
    uint64_t n_committed;
    unsigned n_transfers;
    unsigned n_holder_changes;
    uint64_t last_holder;
    uint64_t zero_since;   /* start of the current no-holder stretch */
    uint64_t max_zero_ms;  /* longest no-holder stretch (incl. faults) */
    uint64_t prev_holder;  /* the last node that held, 0 at start */
    uint64_t min_gap_ms;   /* closest handover: new start - old end */
    int64_t min_margin_ms; /* same against the old lease deadline, for
                              handovers not started by a transfer */
};

/* A renewal in flight: a TICK entry submitted with raft_apply(). */
struct sim_renewal
{
    struct raft_apply req;
    struct sim *s;
    unsigned i;
    uint64_t t_send;
    uint64_t term;
};

struct sim_proposal
{
    struct raft_apply req;
};

/****** Random numbers (splitmix64: tiny and reproducible) ******/

static uint64_t rnd(struct sim *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static unsigned rnd_range(struct sim *s, unsigned lo, unsigned hi)
{
    return lo + (unsigned)(rnd(s) % ((uint64_t)hi - lo + 1));
}

static void vlog(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vlog(struct sim *s, const char *fmt, ...)
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

static void fail(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    if (s->failed) {
        return;
    }
    s->failed = true;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    vlog(s, "FAIL %s", s->why);
}

/****** Fixture work-around ******/

/* raft 0.15's fixture truncates its in-memory disk by absolute count
 * (memcpy of index - 1 entries) although appends still in flight (disk
 * latency) or an installed snapshot leave fewer entries there: a heap
 * overflow. We count the entries really there and never ask for more. The
 * fixture's disk copy is only read back at start, which the simulation
 * never repeats, so keeping a few stale entries there changes nothing. */
static struct sim *io_sim(struct raft_io *io, unsigned *i)
{
    /* raft_init() sets io->data to the raft instance, which the fixture
     * embeds in servers[id - 1]; the sim embeds the fixture first. */
    struct raft *r = io->data;
    struct raft_fixture_server *srv =
        (struct raft_fixture_server *)((char *)r -
                                       offsetof(struct raft_fixture_server,
                                                raft));
    *i = (unsigned)(r->id - 1);
    return (struct sim *)((char *)(srv - *i) -
                          offsetof(struct raft_fixture, servers));
}

static void io_fix_append_cb(struct raft_io_append *proxy, int status)
{
    struct sim_append *a = (struct sim_append *)proxy;
    struct raft_io_append *req = a->req;

    if (status == 0) {
        a->s->nodes[a->i].n_stored += a->n;
    }
    free(a);
    req->cb(req, status);
}

static int io_fix_append(struct raft_io *io,
                         struct raft_io_append *req,
                         const struct raft_entry entries[],
                         unsigned n,
                         raft_io_append_cb cb)
{
    unsigned i;
    struct sim *s = io_sim(io, &i);
    struct sim_append *a = calloc(1, sizeof *a);
    int rv;

    if (a == NULL) {
        return RAFT_NOMEM;
    }
    a->req = req;
    req->cb = cb;
    a->s = s;
    a->i = i;
    a->n = n;
    rv = s->nodes[i].orig_append(io, &a->proxy, entries, n, io_fix_append_cb);
    if (rv != 0) {
        free(a);
    }
    return rv;
}

static int io_fix_truncate(struct raft_io *io, raft_index index)
{
    unsigned i;
    struct sim *s = io_sim(io, &i);
    struct sim_node *n = &s->nodes[i];
    int rv;

    if (index - 1 > n->n_stored) {
        index = n->n_stored + 1;
        n->n_truncate_clamped++;
    }
    rv = n->orig_truncate(io, index);
    if (rv == 0) {
        n->n_stored = index - 1;
    }
    return rv;
}

static void io_fix_install(struct sim *s, unsigned i)
{
    struct raft_io *io = &s->f.servers[i].io;
    s->nodes[i].orig_append = io->append;
    s->nodes[i].orig_truncate = io->truncate;
    io->append = io_fix_append;
    io->truncate = io_fix_truncate;
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
static bool submit(struct raft *r,
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
        fail(s, "out of memory");
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
    if (!submit(r, &rn->req, &e, renewal_cb)) {
        free(rn); /* e.g. RAFT_NOTLEADER during a transfer: retry later */
        return;
    }
    s->n_renewals++;
    lease_renewal_sent(&n->lease, now, term);
}

/* Node @n's own clock at fixture time @t (clock-rate drift, --drift). */
static uint64_t local_ms(const struct sim_node *n, uint64_t t)
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
static void drive(struct sim *s, unsigned i, uint64_t global_now)
{
    struct raft *r = raft_fixture_get(&s->f, i);
    struct sim_node *n = &s->nodes[i];
    bool is_leader = raft_state(r) == RAFT_LEADER;
    uint64_t term = r->current_term;
    uint64_t now = local_ms(n, global_now);
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
            vlog(s, "n%u pre-vote %s", i + 1, on ? "on" : "off");
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
            vlog(s, "n%u takes the VIP (term %" PRIu64 ", until %" PRIu64 ")",
                 i + 1, term, until);
            n->n_holds++;
        }
        n->vip_until = until;
        n->lease_end = until;
        n->handed_over = false;
    } else if (n->vip_until > global_now) {
        vlog(s, "n%u releases the VIP (%s)", i + 1,
             !is_leader          ? "not leader"
             : n->lease.released ? "released"
                                 : "lease ended");
        n->vip_until = global_now;
    }
}

static void transfer_cb(struct raft_transfer *req)
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
        vlog(s, "n%u transfer did not happen: resume", i + 1);
        lease_resume(&n->lease, local_ms(n, now));
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
                fail(s, "n%u and n%u both leaders of term %llu", i + 1, j + 1,
                     (unsigned long long)ri->current_term);
            }
        }
    }
    if (holders > 1) {
        fail(s,
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

static void hook(struct raft_fixture *f, struct raft_fixture_event *ev)
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
            drive(s, i, now);
        }
    }
    check(s, now);
}

/****** Faults ******/

static unsigned n_alive(struct sim *s)
{
    unsigned k = 0;
    for (unsigned i = 0; i < s->n; i++) {
        k += raft_fixture_alive(&s->f, i);
    }
    return k;
}

static void set_saturated(struct sim *s, unsigned i, unsigned j, bool on)
{
    if (i == j) {
        return;
    }
    if (on) {
        raft_fixture_saturate(&s->f, i, j);
    } else {
        raft_fixture_desaturate(&s->f, i, j);
    }
}

/* Distinct election timeouts in [T, 2T), more than a heartbeat apart
 * (closer ones cause endless split votes in raft 0.15's fixture). */
static void shuffle_timeouts(struct sim *s)
{
    unsigned slot[SIM_MAX];
    unsigned width = s->o.election_ms / s->n;

    for (unsigned i = 0; i < s->n; i++) {
        slot[i] = i;
    }
    for (unsigned i = s->n - 1; i > 0; i--) {
        unsigned j = rnd_range(s, 0, i);
        unsigned t = slot[i];
        slot[i] = slot[j];
        slot[j] = t;
    }
    for (unsigned i = 0; i < s->n; i++) {
        unsigned jitter = width > s->o.heartbeat_ms + 1
                              ? rnd_range(s, 0, width - s->o.heartbeat_ms - 1)
                              : 0;
        raft_fixture_set_randomized_election_timeout(
            &s->f, i, s->o.election_ms + slot[i] * width + jitter);
    }
}

/* Links of killed servers stay cut: the fixture marks a server dead only by
 * cutting its links and stopping its ticks, so opening them would make it a
 * zombie that answers messages. */
static bool both_alive(struct sim *s, unsigned i, unsigned j)
{
    return raft_fixture_alive(&s->f, i) && raft_fixture_alive(&s->f, j);
}

static void heal_network(struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        for (unsigned j = 0; j < s->n; j++) {
            if (i != j && both_alive(s, i, j)) {
                raft_fixture_reconnect(&s->f, i, j);
                set_saturated(s, i, j, false);
            }
        }
    }
}

static void proposal_cb(struct raft_apply *req, int status, void *result)
{
    (void)status;
    (void)result;
    free(req);
}

/* Make the leader (if any) propose a health transition for a random node:
 * exercises the FSM, dedupe and snapshots under the same faults. */
static void propose_health(struct sim *s)
{
    unsigned l = raft_fixture_leader_index(&s->f);
    unsigned k = rnd_range(s, 0, s->n - 1);
    struct sim_proposal *p;
    struct entry e = {.kind = ENTRY_HEALTH};

    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(&s->f, i) &&
            raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER) {
            l = i;
        }
    }
    if (l >= s->n || !raft_fixture_alive(&s->f, l)) {
        return;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        return;
    }
    e.u.health.origin.node_id = k + 1;
    /* Sometimes reuse a seq: a retried proposal must apply once. */
    if (s->nodes[k].seq == 0 || rnd_range(s, 0, 3) != 0) {
        s->nodes[k].seq++;
    }
    e.u.health.origin.seq = s->nodes[k].seq;
    e.u.health.kind = ENTRY_TRACK_SCRIPT;
    snprintf(e.u.health.name, sizeof e.u.health.name, "chk_%u",
             rnd_range(s, 0, 2));
    e.u.health.value = (int32_t)rnd_range(s, 0, 1);
    if (!submit(raft_fixture_get(&s->f, l), &p->req, &e, proposal_cb)) {
        free(p);
    }
}

static void start_transfer(struct sim *s)
{
    unsigned l = s->n;
    unsigned target;
    struct sim_node *n;
    struct raft *r;

    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(&s->f, i) &&
            raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER &&
            lease_holds_until(
                &s->nodes[i].lease,
                local_ms(&s->nodes[i], raft_fixture_time(&s->f)))) {
            l = i;
        }
    }
    if (l == s->n) {
        return;
    }
    n = &s->nodes[l];
    if (n->transfer_pending) {
        return;
    }
    target = rnd_range(s, 0, s->n - 2);
    if (target >= l) {
        target++;
    }
    r = raft_fixture_get(&s->f, l);
    /* Only the holder starts a transfer, and only after it released. */
    lease_release(&n->lease);
    n->handed_over = true;
    drive(s, l, raft_fixture_time(&s->f));
    n->transfer_term = r->current_term;
    n->transfer_pending = true;
    if (raft_transfer(r, &n->transfer, target + 1, transfer_cb) != 0) {
        n->transfer_pending = false;
        vlog(s, "n%u transfer to n%u refused", l + 1, target + 1);
        return;
    }
    s->n_transfers++;
    vlog(s, "n%u released, transfers to n%u", l + 1, target + 1);
}

/* Apply one random fault or repair. */
static void chaos(struct sim *s)
{
    unsigned a = rnd_range(s, 0, s->n - 1);
    unsigned b = rnd_range(s, 0, s->n - 1);
    unsigned op = rnd_range(s, 0, 99);

    if (op < 10) { /* symmetric partition: a random side against the rest */
        uint64_t side = rnd(s);
        vlog(s, "partition mask %#x", (unsigned)(side & ((1u << s->n) - 1)));
        for (unsigned i = 0; i < s->n; i++) {
            for (unsigned j = 0; j < s->n; j++) {
                bool cut = ((side >> i) & 1) != ((side >> j) & 1);
                if (both_alive(s, i, j)) {
                    set_saturated(s, i, j, cut);
                }
            }
        }
    } else if (op < 22) { /* one-way: a stops hearing from b, or everyone */
        if (rnd_range(s, 0, 1) == 0) {
            vlog(s, "one-way cut n%u -> n%u", b + 1, a + 1);
            set_saturated(s, b, a, true);
        } else {
            vlog(s, "one-way cut everyone -> n%u", a + 1);
            for (unsigned j = 0; j < s->n; j++) {
                set_saturated(s, j, a, true);
            }
        }
    } else if (op < 30) { /* one-way: a's messages are lost */
        vlog(s, "one-way cut n%u -> everyone", a + 1);
        for (unsigned j = 0; j < s->n; j++) {
            set_saturated(s, a, j, true);
        }
    } else if (op < 40) { /* heal */
        vlog(s, "heal network");
        heal_network(s);
    } else if (op < 47) {
        if (raft_fixture_alive(&s->f, a)) {
            vlog(s, "kill n%u", a + 1);
            raft_fixture_kill(&s->f, a);
        }
    } else if (op < 56) {
        if (!raft_fixture_alive(&s->f, a)) {
            vlog(s, "revive n%u", a + 1);
            raft_fixture_revive(&s->f, a);
        }
    } else if (op < 64) {
        unsigned ms = rnd_range(s, 0, 3) == 0 ? rnd_range(s, 100, 1500)
                                              : rnd_range(s, 1, 60);
        vlog(s, "n%u network latency %u ms", a + 1, ms);
        raft_fixture_set_network_latency(&s->f, a, ms);
    } else if (op < 70) {
        unsigned ms = rnd_range(s, 0, 3) == 0 ? rnd_range(s, 100, 1200)
                                              : rnd_range(s, 1, 40);
        vlog(s, "n%u disk latency %u ms", a + 1, ms);
        raft_fixture_set_disk_latency(&s->f, a, ms);
    } else if (op < 76) { /* message loss: flip one direction */
        bool on = !raft_fixture_saturated(&s->f, a, b);
        if (a == b || !both_alive(s, a, b)) {
            return;
        }
        vlog(s, "%s n%u -> n%u", on ? "drop" : "deliver", a + 1, b + 1);
        set_saturated(s, a, b, on);
    } else if (op < 80) { /* connection refused rather than silent loss */
        if (a != b && raft_fixture_alive(&s->f, a) &&
            raft_fixture_alive(&s->f, b)) {
            vlog(s, "disconnect n%u n%u", a + 1, b + 1);
            raft_fixture_disconnect(&s->f, a, b);
        }
    } else if (op < 85) {
        vlog(s, "new election timeouts");
        shuffle_timeouts(s);
    } else if (op < 91) {
        start_transfer(s);
    } else {
        propose_health(s);
    }
}

/****** One schedule ******/

static void step_until(struct sim *s, uint64_t t)
{
    while (!s->failed && raft_fixture_time(&s->f) < t) {
        raft_fixture_step(&s->f);
    }
}

static const char *state_name(int state)
{
    static const char *names[] = {"unavailable", "follower", "candidate",
                                  "leader"};
    return state >= 0 && state <= 3 ? names[state] : "?";
}

static void dump(struct sim *s)
{
    uint64_t now = raft_fixture_time(&s->f);
    for (unsigned i = 0; i < s->n && s->o.verbose; i++) {
        struct raft *r = raft_fixture_get(&s->f, i);
        struct sim_node *n = &s->nodes[i];
        vlog(s,
             "  n%u %s %s term %llu applied %llu commit %llu lease: "
             "leader %d sent %d inflight %u commit %d until %llu released %d "
             "holds %llu rv sent %u recv %u res recv %u sat %d%d%d",
             i + 1, raft_fixture_alive(&s->f, i) ? "alive" : "dead ",
             state_name(raft_state(r)), (unsigned long long)r->current_term,
             (unsigned long long)raft_last_applied(r),
             (unsigned long long)r->commit_index, n->lease.is_leader,
             n->lease.has_sent, n->lease.n_in_flight, n->lease.has_commit,
             (unsigned long long)n->lease.valid_until_ms, n->lease.released,
             (unsigned long long)lease_holds_until(&n->lease, local_ms(n, now)),
             raft_fixture_n_send(&s->f, i, RAFT_IO_REQUEST_VOTE),
             raft_fixture_n_recv(&s->f, i, RAFT_IO_REQUEST_VOTE),
             raft_fixture_n_recv(&s->f, i, RAFT_IO_REQUEST_VOTE_RESULT),
             raft_fixture_saturated(&s->f, i, 0),
             raft_fixture_saturated(&s->f, i, 1),
             raft_fixture_saturated(&s->f, i, 2 % s->n));
    }
}

static uint64_t alive_holder(struct sim *s)
{
    uint64_t now = raft_fixture_time(&s->f);
    for (unsigned i = 0; i < s->n; i++) {
        if (raft_fixture_alive(&s->f, i) && s->nodes[i].vip_until > now) {
            return i + 1;
        }
    }
    return 0;
}

/* Same applied index implies the same state, byte for byte. */
static void check_states(struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        for (unsigned j = i + 1; j < s->n; j++) {
            struct raft *ri = raft_fixture_get(&s->f, i);
            struct raft *rj = raft_fixture_get(&s->f, j);
            void *bi, *bj;
            size_t li, lj;
            if (raft_last_applied(ri) != raft_last_applied(rj)) {
                continue;
            }
            if (fsm_snapshot_encode(s->nodes[i].fsm.st, &bi, &li) != 0) {
                continue;
            }
            if (fsm_snapshot_encode(s->nodes[j].fsm.st, &bj, &lj) != 0) {
                raft_free(bi);
                continue;
            }
            if (li != lj || memcmp(bi, bj, li) != 0) {
                fail(s, "n%u and n%u applied index %llu but differ", i + 1,
                     j + 1, (unsigned long long)raft_last_applied(ri));
            }
            raft_free(bi);
            raft_free(bj);
        }
    }
}

struct sim_result
{
    bool ok;
    uint64_t regain_ms; /* heal -> alive holder */
    uint64_t max_zero_ms;
    unsigned holder_changes;
    unsigned transfers;
    uint64_t steps;
    unsigned n;
    uint64_t min_gap_ms; /* closest handover between two holders */
    int64_t min_margin_ms;
    uint64_t installs;   /* InstallSnapshot messages sent */
    uint64_t duplicates; /* FSM records skipped as already applied */
    uint64_t rejected;   /* FSM records rejected (must stay 0) */
    uint64_t renewals;   /* lease renewals submitted / committed */
    uint64_t committed;
};

static int sim_run(const struct sim_opts *o,
                   struct sim_result *res,
                   char *why,
                   size_t why_size)
{
    struct sim *s = calloc(1, sizeof *s);
    struct raft_configuration conf;
    struct lease_params lp;
    uint64_t heal_at, regain = 0;
    bool regained = false;
    unsigned bound;
    int rv = 0;

    memset(res, 0, sizeof *res);
    if (s == NULL) {
        return -1;
    }
    s->o = *o;
    s->rng = o->seed * 0x2545f4914f6cdd1dull + 1;
    s->n = o->nodes != 0 ? o->nodes : (o->seed % 2 == 0 ? 3 : 5);
    s->zero_since = 0;
    s->min_gap_ms = UINT64_MAX;
    s->min_margin_ms = INT64_MAX;
    if (lease_params_derive(&lp, o->election_ms, o->heartbeat_ms, o->wait_ms,
                            0) != 0) {
        free(s);
        return -1;
    }
    if (o->lease_ms != 0) { /* deliberately unsafe settings, to test the test */
        lp.lease_ms = o->lease_ms;
        lp.renew_ms = o->lease_ms / 3;
    }
    if (raft_fixture_initialize(&s->f) != 0) {
        free(s);
        return -1;
    }
    for (unsigned i = 0; i < s->n; i++) {
        struct raft *r;
        if (fsm_init(&s->nodes[i].fsm) != 0 ||
            raft_fixture_grow(&s->f, &s->nodes[i].fsm.iface) != 0) {
            fail(s, "setup failed");
            goto out;
        }
        r = raft_fixture_get(&s->f, i);
        fsm_attach(&s->nodes[i].fsm, r);
        raft_set_election_timeout(r, o->election_ms);
        raft_set_heartbeat_timeout(r, o->heartbeat_ms);
        raft_set_pre_vote(r, o->prevote);
        raft_set_snapshot_threshold(r, s->o.snap_threshold);
        raft_set_snapshot_trailing(r, o->snap_trailing);
        /* A snapshot lost on the way is resent only after this timeout
         * (0.15's default is 30 s, during which the follower is stuck). */
        raft_set_install_snapshot_timeout(r, 2 * o->election_ms);
        lease_init(&s->nodes[i].lease, &lp);
        s->nodes[i].rate_pm =
            1000 - o->drift_pm + rnd_range(s, 0, 2 * o->drift_pm);
        prevote_guard_init(&s->nodes[i].guard, o->guard_stuck_ms,
                           o->guard_window_ms);
        io_fix_install(s, i);
    }
    shuffle_timeouts(s);
    if (raft_fixture_configuration(&s->f, s->n, &conf) != 0) {
        fail(s, "setup failed");
        goto out;
    }
    rv = raft_fixture_bootstrap(&s->f, &conf);
    raft_configuration_close(&conf);
    if (rv != 0 || raft_fixture_start(&s->f) != 0) {
        fail(s, "setup failed");
        goto out;
    }
    raft_fixture_hook(&s->f, hook);

    /* Fault phase. */
    while (!s->failed && raft_fixture_time(&s->f) < o->duration_ms) {
        uint64_t next = raft_fixture_time(&s->f) + rnd_range(s, 20, 1200);
        step_until(s, next);
        chaos(s);
    }

    /* Healing: network whole, a majority alive, sane latencies. */
    heal_at = raft_fixture_time(&s->f);
    {
        unsigned keep_dead = rnd_range(s, 0, (s->n - 1) / 2);
        for (unsigned i = 0; i < s->n; i++) {
            bool dead = i < keep_dead;
            unsigned k = (unsigned)((i + o->seed) % s->n);
            if (!dead && !raft_fixture_alive(&s->f, k)) {
                raft_fixture_revive(&s->f, k);
            } else if (dead && raft_fixture_alive(&s->f, k)) {
                raft_fixture_kill(&s->f, k);
            }
            raft_fixture_set_network_latency(&s->f, k, rnd_range(s, 1, 30));
            raft_fixture_set_disk_latency(&s->f, k, rnd_range(s, 1, 20));
        }
        heal_network(s);
        vlog(s, "healed, %u of %u alive", n_alive(s), s->n);
    }
    bound = o->bound_ms;
    uint64_t next_dump = heal_at;
    while (!s->failed && raft_fixture_time(&s->f) < heal_at + bound + 2000) {
        if (raft_fixture_time(&s->f) >= next_dump) {
            dump(s);
            next_dump += 1000;
        }
        raft_fixture_step(&s->f);
        if (alive_holder(s) != 0) {
            regained = true;
            regain = raft_fixture_time(&s->f) - heal_at;
            vlog(s, "holder n%" PRIu64 " %" PRIu64 " ms after healing",
                 alive_holder(s), regain);
            step_until(s, raft_fixture_time(&s->f) + 3000);
            break;
        }
    }
    if (!s->failed && !regained) {
        fail(s, "no holder %u ms after healing", bound + 2000);
    } else if (!s->failed && regain > bound) {
        fail(s, "holder only %" PRIu64 " ms after healing (bound %u)", regain,
             bound);
    }
    if (!s->failed) {
        check_states(s);
    }
out:
    res->ok = !s->failed;
    res->regain_ms = regain;
    res->max_zero_ms = s->max_zero_ms;
    res->holder_changes = s->n_holder_changes;
    res->transfers = s->n_transfers;
    res->steps = s->n_steps;
    res->n = s->n;
    res->renewals = s->n_renewals;
    res->min_gap_ms = s->min_gap_ms;
    res->min_margin_ms = s->min_margin_ms;
    res->committed = s->n_committed;
    for (unsigned i = 0; i < s->n; i++) {
        res->installs +=
            raft_fixture_n_send(&s->f, i, RAFT_IO_INSTALL_SNAPSHOT);
        res->duplicates += s->nodes[i].fsm.n_duplicate;
        res->rejected += s->nodes[i].fsm.n_rejected;
    }
    if (res->ok && res->rejected != 0) {
        res->ok = false;
        snprintf(s->why, sizeof s->why, "FSM rejected %llu records",
                 (unsigned long long)res->rejected);
    }
    snprintf(why, why_size, "%s", s->why);
    raft_fixture_close(&s->f);
    for (unsigned i = 0; i < s->n; i++) {
        fsm_close(&s->nodes[i].fsm);
    }
    free(s);
    return res->ok ? 0 : 1;
}

/****** Main ******/

/* Run one seed in a child process, so that a crash inside libraft is
 * reported as that seed's failure and the run goes on (--isolate). */
static int sim_run_isolated(const struct sim_opts *o,
                            struct sim_result *res,
                            char *why,
                            size_t why_size)
{
    int fds[2];
    pid_t pid;
    int status;
    ssize_t n;

    if (pipe(fds) != 0) {
        return sim_run(o, res, why, why_size);
    }
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return sim_run(o, res, why, why_size);
    }
    if (pid == 0) {
        int rv;
        close(fds[0]);
        rv = sim_run(o, res, why, why_size);
        if (write(fds[1], res, sizeof *res) != (ssize_t)sizeof *res ||
            write(fds[1], why, why_size) != (ssize_t)why_size) {
            _exit(3);
        }
        _exit(rv);
    }
    close(fds[1]);
    memset(res, 0, sizeof *res);
    n = read(fds[0], res, sizeof *res);
    if (n == (ssize_t)sizeof *res) {
        n = read(fds[0], why, why_size);
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFSIGNALED(status)) {
        res->ok = false;
        res->n = o->nodes != 0 ? o->nodes : (o->seed % 2 == 0 ? 3 : 5);
        snprintf(why, why_size, "crashed with signal %d (inside libraft)",
                 WTERMSIG(status));
        return 1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && res->ok ? 0 : 1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: sim [--seeds N] [--first S] [--seed S] [-v] [--nodes 3|5]\n"
        "           [--duration MS] [--wait MS] [--lease MS] [--bound MS]\n"
        "           [--no-resume] [--no-prevote] [--no-guard]\n"
        "           [--snapshot N] [--trace-from MS] [--expect-violation]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct sim_opts o = {.election_ms = 1000,
                         .heartbeat_ms = 100,
                         .duration_ms = 20000,
                         .resume = true,
                         .prevote = true,
                         .guard = true,
                         .trace_from = -1,
                         .snap_threshold = 24,
                         .snap_trailing = 4};
    uint64_t first = 1, n_seeds = 100;
    bool expect_violation = false;
    bool isolate = false;
    uint64_t n_fail = 0, sum_regain = 0, max_regain = 0, max_zero = 0;
    uint64_t steps = 0, changes = 0, transfers = 0;
    uint64_t installs = 0, dups = 0, renewals = 0, committed = 0;
    uint64_t min_gap = UINT64_MAX;
    int64_t min_margin = INT64_MAX;
    uint64_t hist[8] = {0};
    uint32_t *regains;
    uint64_t n_regains = 0;
    char why[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-v") == 0) {
            o.verbose = true;
        } else if (strcmp(a, "--no-resume") == 0) {
            o.resume = false;
        } else if (strcmp(a, "--no-guard") == 0) {
            o.guard = false;
        } else if (strcmp(a, "--no-prevote") == 0) {
            o.prevote = false;
        } else if (strcmp(a, "--isolate") == 0) {
            isolate = true;
        } else if (strcmp(a, "--expect-violation") == 0) {
            expect_violation = true;
        } else if (v == NULL) {
            usage();
        } else if (strcmp(a, "--seeds") == 0) {
            n_seeds = strtoull(v, NULL, 0), i++;
        } else if (strcmp(a, "--first") == 0) {
            first = strtoull(v, NULL, 0), i++;
        } else if (strcmp(a, "--seed") == 0) {
            first = strtoull(v, NULL, 0), n_seeds = 1, i++;
        } else if (strcmp(a, "--nodes") == 0) {
            o.nodes = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--duration") == 0) {
            o.duration_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--wait") == 0) {
            o.wait_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--lease") == 0) {
            o.lease_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--drift") == 0) { /* per mille */
            o.drift_pm = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--trailing") == 0) {
            o.snap_trailing = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--snapshot") == 0) {
            o.snap_threshold = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--guard-stuck") == 0) {
            o.guard_stuck_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--guard-window") == 0) {
            o.guard_window_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--trace-from") == 0) {
            o.trace_from = strtoll(v, NULL, 0), i++;
        } else if (strcmp(a, "--bound") == 0) {
            o.bound_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else {
            usage();
        }
    }
    if ((o.nodes != 0 && o.nodes != 3 && o.nodes != 5) || o.drift_pm >= 1000) {
        usage();
    }
    if (o.guard_stuck_ms == 0) {
        o.guard_stuck_ms = 5 * o.election_ms;
    }
    if (o.guard_window_ms == 0) {
        o.guard_window_ms = 2 * o.election_ms;
    }
    if (o.bound_ms == 0) {
        /* Old lease runs out (L) + the slowest election timeout (2T) +
         * pre-vote and vote rounds and one split vote (T) + first renewal
         * commit and W. */
        o.bound_ms = 10 * o.election_ms + o.wait_ms;
    }

    setvbuf(stdout, NULL, _IOLBF, 0); /* failures survive a crash */
    regains = calloc(n_seeds ? n_seeds : 1, sizeof *regains);
    for (uint64_t seed = first; seed < first + n_seeds; seed++) {
        struct sim_result r;
        o.seed = seed;
        int rv = isolate ? sim_run_isolated(&o, &r, why, sizeof why)
                         : sim_run(&o, &r, why, sizeof why);
        if (rv != 0) {
            n_fail++;
            printf("FAIL seed %" PRIu64 " (%u nodes): %s\n", seed, r.n, why);
            printf("  replay: %s --seed %" PRIu64, argv[0], seed);
            for (int k = 1; k < argc; k++) {
                const char *a = argv[k];
                if (strcmp(a, "--seeds") == 0 || strcmp(a, "--first") == 0 ||
                    strcmp(a, "--seed") == 0) {
                    k++;
                } else if (strcmp(a, "-v") != 0 &&
                           strcmp(a, "--isolate") != 0 &&
                           strcmp(a, "--expect-violation") != 0) {
                    printf(" %s", a);
                }
            }
            printf(" -v\n");
            if (expect_violation) {
                break;
            }
            continue;
        }
        sum_regain += r.regain_ms;
        if (r.regain_ms > max_regain) {
            max_regain = r.regain_ms;
        }
        if (r.max_zero_ms > max_zero) {
            max_zero = r.max_zero_ms;
        }
        hist[r.regain_ms / 500 < 7 ? r.regain_ms / 500 : 7]++;
        if (regains != NULL) {
            regains[n_regains++] = (uint32_t)r.regain_ms;
        }
        steps += r.steps;
        changes += r.holder_changes;
        transfers += r.transfers;
        installs += r.installs;
        if (r.min_gap_ms < min_gap) {
            min_gap = r.min_gap_ms;
        }
        if (r.min_margin_ms < min_margin) {
            min_margin = r.min_margin_ms;
        }
        dups += r.duplicates;
        renewals += r.renewals;
        committed += r.committed;
    }
    uint64_t n_ok = n_seeds - n_fail;
    printf("sim: %" PRIu64 " seeds from %" PRIu64 ", %" PRIu64
           " failed; T=%u L=%u W=%u ms, fault phase %u ms, prevote %s%s, "
           "clock drift +-%u/1000\n",
           n_seeds, first, n_fail, o.election_ms,
           o.lease_ms ? o.lease_ms : (o.election_ms * 8 / 10 - o.heartbeat_ms),
           o.wait_ms, o.duration_ms, o.prevote ? "on" : "off",
           o.prevote && o.guard ? " with guard" : "", o.drift_pm);
    if (n_ok > 0) {
        printf("sim: regain after healing: mean %" PRIu64 " ms, max %" PRIu64
               " ms (bound %u); histogram per 500 ms:",
               sum_regain / n_ok, max_regain, o.bound_ms);
        for (unsigned k = 0; k < 8; k++) {
            printf(" %" PRIu64, hist[k]);
        }
        if (regains != NULL && n_regains > 0) {
            qsort(regains, n_regains, sizeof *regains, cmp_u32);
            printf(
                "\nsim: regain percentiles: p50 %u p90 %u p99 %u p99.9 %u "
                "ms",
                regains[n_regains / 2], regains[n_regains * 9 / 10],
                regains[n_regains * 99 / 100], regains[n_regains * 999 / 1000]);
        }
        printf("\nsim: %" PRIu64 " steps, %" PRIu64 " holder changes, %" PRIu64
               " transfers, longest no-holder stretch %" PRIu64 " ms\n",
               steps, changes, transfers, max_zero);
        printf("sim: %" PRIu64 " renewals sent, %" PRIu64 " committed; %" PRIu64
               " snapshots installed; %" PRIu64
               " retried records deduplicated\n",
               renewals, committed, installs, dups);
        printf("sim: closest handover between two holders: %" PRIu64
               " ms from the old holder's end to the new one's start\n",
               min_gap);
        printf("sim: closest takeover without transfer: %" PRId64
               " ms from the old holder's lease deadline to the new one's "
               "start\n",
               min_margin);
    }
    free(regains);
    if (expect_violation) {
        return n_fail > 0 ? 0 : 1;
    }
    return n_fail == 0 ? 0 : 1;
}
