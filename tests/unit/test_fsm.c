/* Unit tests of the replicated state machine (raft/fsm.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "raft/fsm.h"
#include "tests/unit/entry_v1_golden.h"

/****** Helpers ******/

#define SNAP_HEADER_SIZE_T 12 /* raft/fsm.c: magic, version, 3 zero, len */

struct fixture
{
    struct fsm fsm;
    uint64_t index;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(fsm_init(&f->fsm), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fsm_close(&f->fsm);
    free(f);
    return 0;
}

/* Encode @e and apply it at the next index; return fsm_apply_buf()'s code. */
static int apply(struct fixture *f, const struct entry *e)
{
    uint8_t *buf;
    size_t size = entry_encoded_size(e), len;
    int rv;

    assert_true(size > 0);
    buf = malloc(size);
    assert_int_equal(entry_encode(e, buf, size, &len, NULL), 0);
    rv = fsm_apply_buf(&f->fsm, buf, len, ++f->index);
    free(buf);
    return rv;
}

static int apply_node(struct fixture *f,
                      uint64_t id,
                      uint64_t seq,
                      uint8_t prio)
{
    struct entry *e = calloc(1, sizeof *e);
    int rv;
    e->kind = ENTRY_NODE;
    e->u.node.origin.node_id = id;
    e->u.node.origin.seq = seq;
    snprintf(e->u.node.name, sizeof e->u.node.name, "node%llu",
             (unsigned long long)id);
    snprintf(e->u.node.address, sizeof e->u.node.address, "10.0.0.%llu:5405",
             (unsigned long long)id);
    e->u.node.ip_family = AF_INET;
    e->u.node.ip[0] = 10;
    e->u.node.ip[3] = (uint8_t)id;
    e->u.node.n_instances = 1;
    strcpy(e->u.node.instances[0].name, "VI_1");
    e->u.node.instances[0].base_priority = prio;
    rv = apply(f, e);
    free(e);
    return rv;
}

static int apply_health(struct fixture *f,
                        uint64_t id,
                        uint64_t seq,
                        const char *name,
                        int32_t value)
{
    struct entry e = {.kind = ENTRY_HEALTH};
    e.u.health.origin.node_id = id;
    e.u.health.origin.seq = seq;
    e.u.health.kind = ENTRY_TRACK_SCRIPT;
    strcpy(e.u.health.name, name);
    e.u.health.value = value;
    return apply(f, &e);
}

static int apply_admin(struct fixture *f,
                       uint64_t id,
                       uint64_t seq,
                       unsigned op,
                       uint64_t target)
{
    struct entry e = {.kind = ENTRY_ADMIN};
    e.u.admin.origin.node_id = id;
    e.u.admin.origin.seq = seq;
    e.u.admin.op = (uint8_t)op;
    e.u.admin.target = target;
    return apply(f, &e);
}

static int apply_tick(struct fixture *f,
                      uint64_t leader,
                      uint64_t term,
                      uint64_t wall,
                      uint64_t holder,
                      unsigned reason)
{
    struct entry e = {.kind = ENTRY_TICK};
    e.u.tick.leader = leader;
    e.u.tick.term = term;
    e.u.tick.wall_ms = wall;
    e.u.tick.holder = holder;
    e.u.tick.reason = (uint8_t)reason;
    return apply(f, &e);
}

static int apply_assign(struct fixture *f,
                        uint64_t leader,
                        uint64_t seq,
                        const char *unit,
                        uint64_t holder,
                        uint64_t term)
{
    struct entry e = {.kind = ENTRY_ASSIGN};
    e.u.assign.origin.node_id = leader;
    e.u.assign.origin.seq = seq;
    snprintf(e.u.assign.unit, sizeof e.u.assign.unit, "%s", unit);
    e.u.assign.holder = holder;
    e.u.assign.flags = holder == leader ? ENTRY_ASSIGN_F_LEADER_BOUND : 0;
    e.u.assign.term = term;
    return apply(f, &e);
}

static int apply_unit_transfer(struct fixture *f,
                               uint64_t id,
                               uint64_t seq,
                               const char *unit,
                               uint64_t target)
{
    struct entry e = {.kind = ENTRY_ADMIN};
    e.u.admin.origin.node_id = id;
    e.u.admin.origin.seq = seq;
    e.u.admin.op = ENTRY_ADMIN_TRANSFER;
    e.u.admin.target = target;
    snprintf(e.u.admin.unit, sizeof e.u.admin.unit, "%s", unit);
    return apply(f, &e);
}

static const struct fsm_event *last_event(struct fixture *f)
{
    struct fsm_state *st = f->fsm.st;
    assert_true(st->n_events > 0);
    return &st->events[(st->n_events - 1) % FSM_MAX_EVENTS];
}

/* Snapshot bytes of the current state (caller frees with raft_free). */
static void *snap(struct fixture *f, size_t *len)
{
    void *buf;
    assert_int_equal(fsm_snapshot_encode(f->fsm.st, &buf, len), 0);
    return buf;
}

/* A small but complete state: 3 members, health, maintenance, holder. */
static void populate(struct fixture *f)
{
    assert_int_equal(apply_node(f, 1, 1, 100), 0);
    assert_int_equal(apply_node(f, 3, 1, 90), 0);
    assert_int_equal(apply_node(f, 2, 1, 80), 0);
    assert_int_equal(apply_health(f, 2, 2, "chk", 0), 0);
    assert_int_equal(apply_admin(f, 1, 2, ENTRY_ADMIN_MAINT_ON, 3), 0);
    assert_int_equal(apply_tick(f, 1, 2, 5000, 1, ENTRY_HOLD_ELECTED), 0);
}

/****** Tests ******/

/* A NODE record creates a member (sorted by id) and a join event. */
static void test_node_join(void **state)
{
    struct fixture *f = *state;
    const struct fsm_member *m;

    assert_int_equal(apply_node(f, 5, 1, 100), 0);
    assert_int_equal(apply_node(f, 2, 1, 90), 0);
    assert_int_equal(f->fsm.st->n_members, 2);
    assert_int_equal(f->fsm.st->members[0].node.origin.node_id, 2);
    m = fsm_member(f->fsm.st, 5);
    assert_non_null(m);
    assert_true(m->has_node);
    assert_int_equal(m->node.instances[0].base_priority, 100);
    assert_int_equal(m->last_seq, 1);
    assert_int_equal(last_event(f)->type, FSM_EV_JOIN);
    assert_int_equal(last_event(f)->node, 2);
    assert_int_equal(last_event(f)->index, 2);
    assert_null(fsm_member(f->fsm.st, 3));

    /* The same description again: no event. A changed one: update. */
    uint64_t n = f->fsm.st->n_events;
    assert_int_equal(apply_node(f, 5, 2, 100), 0);
    assert_int_equal(f->fsm.st->n_events, n);
    assert_int_equal(apply_node(f, 5, 3, 120), 0);
    assert_int_equal(last_event(f)->type, FSM_EV_UPDATE);
    assert_int_equal(fsm_member(f->fsm.st, 5)->node.instances[0].base_priority,
                     120);
}

/* A retried proposal (same or older seq) applies once. */
static void test_dedupe(void **state)
{
    struct fixture *f = *state;
    int32_t v;

    assert_int_equal(apply_health(f, 4, 10, "chk", 0), 0);
    assert_int_equal(apply_health(f, 4, 10, "chk", 1), 1);
    assert_int_equal(apply_health(f, 4, 9, "chk", 1), 2); /* stale */
    assert_true(fsm_member_health(fsm_member(f->fsm.st, 4), ENTRY_TRACK_SCRIPT,
                                  "chk", &v));
    assert_int_equal(v, 0);
    assert_int_equal(f->fsm.n_duplicate, 2);
    assert_int_equal(apply_health(f, 4, 11, "chk", 1), 0);
    assert_true(fsm_member_health(fsm_member(f->fsm.st, 4), ENTRY_TRACK_SCRIPT,
                                  "chk", &v));
    assert_int_equal(v, 1);
}

/* Health events are recorded for transitions only; kinds are separate. */
static void test_health_events(void **state)
{
    struct fixture *f = *state;
    struct entry e = {.kind = ENTRY_HEALTH};
    int32_t v;

    assert_int_equal(apply_node(f, 1, 1, 100), 0);
    assert_int_equal(apply_health(f, 1, 2, "eth0", 1), 0);
    assert_int_equal(last_event(f)->type, FSM_EV_HEALTH);
    assert_int_equal(last_event(f)->value, 1);
    uint64_t n = f->fsm.st->n_events;
    assert_int_equal(apply_health(f, 1, 3, "eth0", 1), 0);
    assert_int_equal(f->fsm.st->n_events, n);
    e.u.health.origin.node_id = 1;
    e.u.health.origin.seq = 4;
    e.u.health.kind = ENTRY_TRACK_IFACE;
    strcpy(e.u.health.name, "eth0");
    e.u.health.value = 0;
    assert_int_equal(apply(f, &e), 0);
    assert_true(fsm_member_health(fsm_member(f->fsm.st, 1), ENTRY_TRACK_IFACE,
                                  "eth0", &v));
    assert_int_equal(v, 0);
    assert_true(fsm_member_health(fsm_member(f->fsm.st, 1), ENTRY_TRACK_SCRIPT,
                                  "eth0", &v));
    assert_int_equal(v, 1);
    assert_false(fsm_member_health(fsm_member(f->fsm.st, 1), ENTRY_TRACK_FILE,
                                   "eth0", &v));
}

/* Admin: maintenance, transfer, removal; unknown targets are rejected
 * without leaving anything behind. */
static void test_admin(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(apply_node(f, 1, 1, 100), 0);
    assert_int_equal(apply_node(f, 2, 1, 100), 0);
    assert_int_equal(apply_admin(f, 1, 2, ENTRY_ADMIN_MAINT_ON, 2), 0);
    assert_true(fsm_member(f->fsm.st, 2)->maintenance);
    assert_int_equal(last_event(f)->type, FSM_EV_MAINT);
    assert_int_equal(last_event(f)->other, 1);
    assert_int_equal(apply_admin(f, 1, 3, ENTRY_ADMIN_MAINT_OFF, 2), 0);
    assert_false(fsm_member(f->fsm.st, 2)->maintenance);

    assert_int_equal(apply_admin(f, 9, 1, ENTRY_ADMIN_MAINT_ON, 7), VIP_EINVAL);
    assert_null(fsm_member(f->fsm.st, 9));
    assert_int_equal(f->fsm.n_rejected, 1);

    assert_int_equal(apply_admin(f, 1, 4, ENTRY_ADMIN_TRANSFER, 2), 0);
    assert_int_equal(f->fsm.st->transfer_target, 2);
    assert_int_equal(f->fsm.st->transfer_index, f->index);
    /* The target taking over keeps the request (it pins the VIPs there,
     * raft/priority.c); another holder settles it. */
    assert_int_equal(apply_tick(f, 2, 3, 100, 2, ENTRY_HOLD_ELECTED), 0);
    assert_int_equal(f->fsm.st->transfer_target, 2);
    assert_int_not_equal(f->fsm.st->transfer_index, 0);
    assert_int_equal(apply_tick(f, 1, 4, 200, 1, ENTRY_HOLD_ELECTED), 0);
    assert_int_equal(f->fsm.st->transfer_index, 0);

    assert_int_equal(apply_admin(f, 1, 5, ENTRY_ADMIN_REMOVE, 2), 0);
    assert_null(fsm_member(f->fsm.st, 2));
    assert_int_equal(last_event(f)->type, FSM_EV_REMOVE);
    assert_string_equal(last_event(f)->name, "node2");
    assert_int_equal(f->fsm.st->n_members, 1);
}

/* TICKs record leaders, wall clock and holder changes with reasons. */
static void test_tick(void **state)
{
    struct fixture *f = *state;
    const struct fsm_event *ev;

    assert_int_equal(apply_tick(f, 1, 2, 1000, 0, ENTRY_HOLD_NONE), 0);
    assert_int_equal(last_event(f)->type, FSM_EV_LEADER);
    assert_int_equal(apply_tick(f, 1, 2, 1200, 1, ENTRY_HOLD_ELECTED), 0);
    ev = last_event(f);
    assert_int_equal(ev->type, FSM_EV_HOLDER);
    assert_int_equal(ev->node, 1);
    assert_int_equal(ev->other, 0);
    assert_int_equal(ev->kind, ENTRY_HOLD_ELECTED);
    assert_int_equal(ev->term, 2);
    assert_int_equal(ev->wall_ms, 1200);
    assert_int_equal(f->fsm.st->holder_since_ms, 1200);
    uint64_t n = f->fsm.st->n_events;
    assert_int_equal(apply_tick(f, 1, 2, 1400, 1, ENTRY_HOLD_RENEW), 0);
    assert_int_equal(f->fsm.st->n_events, n);
    assert_int_equal(f->fsm.st->wall_ms, 1400);
    /* A tick of an older term cannot come after a newer one. */
    assert_int_equal(apply_tick(f, 3, 1, 1500, 3, ENTRY_HOLD_ELECTED),
                     VIP_EINVAL);
    assert_int_equal(f->fsm.st->holder, 1);
    assert_int_equal(apply_tick(f, 3, 4, 1500, 3, ENTRY_HOLD_ELECTED), 0);
    assert_int_equal(f->fsm.st->holder, 3);
    assert_int_equal(last_event(f)->other, 1);
}

/* Garbage is rejected, counted and changes nothing; the raft hook still
 * returns 0 and hands the error to the proposer. */
static void test_reject_garbage(void **state)
{
    struct fixture *f = *state;
    uint8_t junk[40];
    struct raft_buffer buf = {.base = junk, .len = sizeof junk};
    void *result = NULL;
    size_t l1, l2;
    void *before, *after;

    populate(f);
    before = snap(f, &l1);
    memset(junk, 0xa5, sizeof junk);
    assert_int_equal(fsm_apply_buf(&f->fsm, junk, sizeof junk, 99), VIP_EPROTO);
    assert_int_equal(f->fsm.iface.apply(&f->fsm.iface, &buf, &result), 0);
    assert_non_null(result);
    assert_int_equal(*(int *)result, VIP_EPROTO);
    assert_int_equal(f->fsm.n_rejected, 2);
    assert_true(strlen(f->fsm.errmsg) > 0);
    after = snap(f, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(before, after, l1);
    raft_free(before);
    raft_free(after);

    /* A good record through the hook: result 0. */
    uint8_t ok[64];
    struct entry t = {.kind = ENTRY_TICK};
    size_t len;
    t.u.tick.leader = 1;
    t.u.tick.term = 3;
    assert_int_equal(entry_encode(&t, ok, sizeof ok, &len, NULL), 0);
    buf.base = ok;
    buf.len = len;
    assert_int_equal(f->fsm.iface.apply(&f->fsm.iface, &buf, &result), 0);
    assert_int_equal(*(int *)result, 0);
}

/* Fixed capacity: the 33rd member and the 65th check are rejected. */
static void test_capacity(void **state)
{
    struct fixture *f = *state;
    char name[16];

    for (uint64_t id = 1; id <= FSM_MAX_MEMBERS; id++) {
        assert_int_equal(apply_node(f, id, 1, 100), 0);
    }
    assert_int_equal(apply_node(f, 1000, 1, 100), VIP_ERANGE);
    for (unsigned i = 0; i < FSM_MAX_HEALTH; i++) {
        snprintf(name, sizeof name, "c%u", i);
        assert_int_equal(apply_health(f, 1, 2 + i, name, 1), 0);
    }
    assert_int_equal(apply_health(f, 1, 1000, "one-more", 1), VIP_ERANGE);
    assert_int_equal(fsm_member(f->fsm.st, 1)->last_seq, 1 + FSM_MAX_HEALTH);
}

/* The events ring keeps the newest FSM_MAX_EVENTS in order. */
static void test_events_ring(void **state)
{
    struct fixture *f = *state;
    struct fsm_event *out = calloc(FSM_MAX_EVENTS + 10, sizeof *out);
    size_t n;

    assert_int_equal(apply_node(f, 1, 1, 100), 0); /* event 0 */
    for (unsigned i = 0; i < FSM_MAX_EVENTS + 50; i++) {
        assert_int_equal(apply_health(f, 1, 2 + i, "chk", (int32_t)(i % 2)), 0);
    }
    assert_int_equal(f->fsm.st->n_events, FSM_MAX_EVENTS + 51);
    n = fsm_events(f->fsm.st, 0, out, FSM_MAX_EVENTS + 10);
    assert_int_equal(n, FSM_MAX_EVENTS);
    for (size_t i = 1; i < n; i++) {
        assert_true(out[i].index > out[i - 1].index);
    }
    assert_int_equal(out[n - 1].index, f->index);
    n = fsm_events(f->fsm.st, f->fsm.st->n_events - 3, out, 10);
    assert_int_equal(n, 3);
    n = fsm_events(f->fsm.st, f->fsm.st->n_events, out, 10);
    assert_int_equal(n, 0);
    free(out);
}

/* Snapshot round trip through raft's hooks restores an identical state. */
static void test_snapshot_round_trip(void **state)
{
    struct fixture *f = *state;
    struct fsm other;
    struct raft_buffer *bufs;
    unsigned n_bufs;
    size_t l1, l2;
    void *a, *b;

    populate(f);
    assert_int_equal(f->fsm.iface.snapshot(&f->fsm.iface, &bufs, &n_bufs), 0);
    assert_int_equal(n_bufs, 1);
    assert_int_equal(fsm_init(&other), 0);
    assert_int_equal(other.iface.restore(&other.iface, &bufs[0]), 0);
    raft_free(bufs); /* restore took bufs[0].base */
    a = snap(f, &l1);
    assert_int_equal(fsm_snapshot_encode(other.st, &b, &l2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_true(fsm_member(other.st, 3)->maintenance);
    assert_int_equal(other.st->holder, 1);
    raft_free(a);
    raft_free(b);
    fsm_close(&other);
}

/* Units: a changed unit is an update; a state with units snapshots in
 * version 2 and restores them; one without stays in version 1. */
static void test_snapshot_units(void **state)
{
    struct fixture *f = *state;
    struct fsm_state *out = malloc(sizeof *out);
    struct entry *e = calloc(1, sizeof *e);
    char errmsg[VIP_ERRMSG_SIZE];
    uint8_t *buf;
    size_t len;

    populate(f);
    buf = snap(f, &len);
    assert_int_equal(buf[4], 1);
    raft_free(buf);

    *e = (struct entry){.kind = ENTRY_NODE};
    e->u.node = fsm_member(f->fsm.st, 2)->node;
    e->u.node.origin.seq = 5;
    strcpy(e->u.node.instances[0].unit, "VG");
    assert_int_equal(apply(f, e), 0);
    assert_int_equal(last_event(f)->type, FSM_EV_UPDATE);
    assert_string_equal(fsm_member(f->fsm.st, 2)->node.instances[0].unit,
                        "VG");
    buf = snap(f, &len);
    assert_int_equal(buf[4], 2);
    assert_int_equal(fsm_snapshot_decode(buf, len, out, errmsg), 0);
    assert_string_equal(fsm_member(out, 2)->node.instances[0].unit, "VG");
    assert_string_equal(fsm_member(out, 1)->node.instances[0].unit, "");
    /* Claiming version 1, the unit string misreads: rejected. */
    buf[4] = 1;
    assert_int_equal(fsm_snapshot_decode(buf, len, out, errmsg), VIP_EPROTO);
    raft_free(buf);
    free(e);
    free(out);
}

/* A snapshot written before units existed (tests/unit/entry_v1_golden.h)
 * restores, every unit empty, and is written again byte for byte. */
static void test_snapshot_v1_golden(void **state)
{
    struct fixture *f = *state;
    struct fsm_state *out = malloc(sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    const struct fsm_member *m;
    void *again;
    size_t len;
    (void)f;

    assert_int_equal(
        fsm_snapshot_decode(v1_snapshot, sizeof v1_snapshot, out, errmsg), 0);
    m = fsm_member(out, 7);
    assert_non_null(m);
    assert_int_equal(m->node.n_instances, 2);
    assert_string_equal(m->node.instances[1].name, "VI_2");
    assert_string_equal(m->node.instances[1].unit, "");
    assert_int_equal(m->node.instances[0].tracks[0].weight, -30);
    assert_int_equal(fsm_snapshot_encode(out, &again, &len), 0);
    assert_int_equal(len, sizeof v1_snapshot);
    assert_memory_equal(again, v1_snapshot, len);
    raft_free(again);
    /* The golden NODE record applies as any other. */
    assert_int_equal(fsm_apply_buf(&f->fsm, v1_node, sizeof v1_node, 1), 0);
    assert_string_equal(fsm_member(f->fsm.st, 7)->node.instances[0].unit, "");
    free(out);
}

/* Corrupt snapshots: every truncation and random flips are rejected or
 * decode to a valid state, never crash; restore keeps the old state. */
static void test_snapshot_corrupt(void **state)
{
    struct fixture *f = *state;
    struct fsm_state *out = malloc(sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    size_t len;
    uint8_t *buf, *copy;
    uint64_t x = 99;

    populate(f);
    buf = snap(f, &len);
    copy = malloc(len);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(fsm_snapshot_decode(buf, cut, out, errmsg),
                         VIP_EPROTO);
    }
    for (unsigned round = 0; round < 3000; round++) {
        memcpy(copy, buf, len);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        copy[x % len] ^= (uint8_t)(1u << ((x >> 40) % 8));
        int rv = fsm_snapshot_decode(copy, len, out, errmsg);
        assert_true(rv == 0 || rv == VIP_EPROTO);
    }
    memcpy(copy, buf, len);
    copy[0] ^= 1;
    assert_int_equal(fsm_snapshot_decode(copy, len, out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "magic"));
    memcpy(copy, buf, len);
    copy[4] = FSM_SNAPSHOT_VERSION + 1;
    assert_int_equal(fsm_snapshot_decode(copy, len, out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "version"));
    copy[4] = FSM_SNAPSHOT_VERSION_MIN - 1;
    assert_int_equal(fsm_snapshot_decode(copy, len, out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "version"));

    /* Through raft's hook: an error, and the state is untouched. */
    struct raft_buffer rb = {.base = copy, .len = len};
    uint64_t holder = f->fsm.st->holder;
    assert_int_equal(f->fsm.iface.restore(&f->fsm.iface, &rb), RAFT_MALFORMED);
    assert_int_equal(f->fsm.st->holder, holder);
    free(copy); /* still ours after a failed restore */
    raft_free(buf);
    free(out);
}

/* ASSIGN: the per-unit table, holder events named after the unit, the
 * deterministic rejections (state unchanged). */
static void test_assign(void **state)
{
    struct fixture *f = *state;
    const struct fsm_unit *u;
    const struct fsm_event *ev;
    size_t l1, l2;
    void *before, *after;

    populate(f); /* members 1, 2, 3; TICK term 2 from leader 1, wall 5000 */
    assert_null(fsm_unit(f->fsm.st, "VI_1"));
    assert_int_equal(apply_assign(f, 1, 3, "VI_1", 1, 2), 0);
    u = fsm_unit(f->fsm.st, "VI_1");
    assert_non_null(u);
    assert_int_equal(u->holder, 1);
    assert_true(u->leader_bound);
    assert_int_equal(u->term, 2);
    assert_int_equal(u->index, f->index);
    assert_int_equal(u->since_wall_ms, 5000);
    ev = last_event(f);
    assert_int_equal(ev->type, FSM_EV_HOLDER);
    assert_int_equal(ev->node, 1);
    assert_int_equal(ev->other, 0);
    assert_string_equal(ev->name, "VI_1");
    assert_int_equal(f->fsm.st->holder, 1); /* the group's holder: untouched */

    assert_int_equal(apply_assign(f, 1, 4, "VI_2", 2, 2), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->holder, 2);
    assert_false(fsm_unit(f->fsm.st, "VI_2")->leader_bound);
    assert_int_equal(f->fsm.st->n_units, 2);
    /* The same holder again (a new index): no event. */
    uint64_t n = f->fsm.st->n_events;
    assert_int_equal(apply_assign(f, 1, 5, "VI_2", 2, 2), 0);
    assert_int_equal(f->fsm.st->n_events, n);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->index, f->index);
    /* Moved to nobody: an event with the old holder. */
    assert_int_equal(apply_assign(f, 1, 6, "VI_2", 0, 2), 0);
    ev = last_event(f);
    assert_int_equal(ev->node, 0);
    assert_int_equal(ev->other, 2);
    assert_int_equal(ev->kind, ENTRY_HOLD_RELEASE);
    assert_string_equal(ev->name, "VI_2");
    /* A retry applies once. */
    assert_int_equal(apply_assign(f, 1, 6, "VI_2", 3, 2), 1);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->holder, 0);

    /* Rejections: state byte for byte the same. */
    before = snap(f, &l1);
    assert_int_equal(apply_assign(f, 1, 7, "VI_2", 9, 2), VIP_EINVAL);
    assert_non_null(strstr(f->fsm.errmsg, "not a member"));
    assert_int_equal(apply_assign(f, 1, 8, "VI_2", 2, 1), VIP_EINVAL);
    assert_non_null(strstr(f->fsm.errmsg, "term"));
    assert_int_equal(apply_assign(f, 7, 1, "VI_3", 3, 1), VIP_EINVAL);
    assert_null(fsm_member(f->fsm.st, 7)); /* no member left behind */
    after = snap(f, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(before, after, l1);
    raft_free(before);
    raft_free(after);
    /* A later term's ASSIGN, then an older one for the same unit. */
    assert_int_equal(apply_assign(f, 3, 2, "VI_1", 3, 5), 0);
    u = fsm_unit(f->fsm.st, "VI_1");
    assert_int_equal(u->holder, 3);
    assert_int_equal(u->term, 5);
    assert_true(u->leader_bound);
    assert_int_equal(last_event(f)->other, 1);
    assert_int_equal(apply_assign(f, 1, 9, "VI_1", 1, 4), VIP_EINVAL);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->holder, 3);
    /* Younger than the latest TICK's term. */
    assert_int_equal(apply_tick(f, 3, 6, 6000, 3, ENTRY_HOLD_ELECTED), 0);
    assert_int_equal(apply_assign(f, 3, 3, "VI_9", 0, 5), VIP_EINVAL);
    assert_null(fsm_unit(f->fsm.st, "VI_9"));
}

/* A witness never holds a unit. */
static void test_assign_witness(void **state)
{
    struct fixture *f = *state;
    struct entry *e = calloc(1, sizeof *e);

    e->kind = ENTRY_NODE;
    e->u.node.origin.node_id = 4;
    e->u.node.origin.seq = 1;
    strcpy(e->u.node.name, "witness");
    strcpy(e->u.node.address, "10.0.0.4:5405");
    e->u.node.flags = ENTRY_NODE_F_WITNESS;
    assert_int_equal(apply(f, e), 0);
    free(e);
    assert_int_equal(apply_node(f, 1, 1, 100), 0);
    assert_int_equal(apply_assign(f, 1, 2, "VI_1", 4, 1), VIP_EINVAL);
    assert_non_null(strstr(f->fsm.errmsg, "witness"));
    assert_null(fsm_unit(f->fsm.st, "VI_1"));
    assert_int_equal(apply_assign(f, 1, 3, "VI_1", 1, 1), 0);
}

/* The table holds FSM_MAX_UNITS units; one more is refused, existing ones
 * still move. */
static void test_assign_capacity(void **state)
{
    struct fixture *f = *state;
    char name[16];
    uint64_t seq = 2;

    assert_int_equal(apply_node(f, 1, 1, 100), 0);
    for (unsigned i = 0; i < FSM_MAX_UNITS; i++) {
        snprintf(name, sizeof name, "U%u", i);
        assert_int_equal(apply_assign(f, 1, seq++, name, 1, 1), 0);
    }
    assert_int_equal(apply_assign(f, 1, seq++, "one-more", 1, 1), VIP_ERANGE);
    assert_null(fsm_unit(f->fsm.st, "one-more"));
    assert_int_equal(f->fsm.st->n_units, FSM_MAX_UNITS);
    assert_int_equal(apply_assign(f, 1, seq++, "U7", 0, 1), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "U7")->holder, 0);
}

/* TRANSFER of one unit: its own fields, the group's untouched; settled when
 * another node holds; kept while the target holds; void when the target
 * leaves; an unknown unit is refused. */
static void test_unit_transfer(void **state)
{
    struct fixture *f = *state;
    const struct fsm_unit *u;

    populate(f);
    assert_int_equal(apply_assign(f, 1, 3, "VI_1", 1, 2), 0);
    assert_int_equal(apply_assign(f, 1, 4, "VI_2", 2, 2), 0);
    assert_int_equal(apply_unit_transfer(f, 2, 3, "VI_1", 3), 0);
    u = fsm_unit(f->fsm.st, "VI_1");
    assert_int_equal(u->transfer_target, 3);
    assert_int_equal(u->transfer_index, f->index);
    assert_int_equal(f->fsm.st->transfer_index, 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->transfer_index, 0);
    assert_int_equal(last_event(f)->type, FSM_EV_TRANSFER);
    assert_string_equal(last_event(f)->name, "VI_1");
    assert_int_equal(last_event(f)->node, 3);
    assert_int_equal(last_event(f)->other, 2);
    /* Released, then the target holds: kept (pinned). */
    assert_int_equal(apply_assign(f, 1, 5, "VI_1", 0, 2), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, f->index - 1);
    assert_int_equal(apply_assign(f, 1, 6, "VI_1", 3, 2), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_target, 3);
    assert_int_not_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, 0);
    /* Another holder settles it. */
    assert_int_equal(apply_assign(f, 1, 7, "VI_1", 2, 2), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, 0);
    /* To the preferred node (target 0), settled by any holder change. */
    assert_int_equal(apply_unit_transfer(f, 2, 4, "VI_1", 0), 0);
    assert_int_not_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, 0);
    assert_int_equal(apply_assign(f, 1, 8, "VI_1", 1, 2), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, 0);
    /* The target is removed: the request is void. */
    assert_int_equal(apply_unit_transfer(f, 2, 5, "VI_2", 3), 0);
    assert_int_equal(apply_admin(f, 1, 9, ENTRY_ADMIN_REMOVE, 3), 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->transfer_index, 0);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_2")->transfer_target, 0);
    /* Unknown unit; unknown target. */
    assert_int_equal(apply_unit_transfer(f, 2, 6, "VI_X", 1), VIP_EINVAL);
    assert_non_null(strstr(f->fsm.errmsg, "unknown unit"));
    assert_int_equal(apply_unit_transfer(f, 2, 7, "VI_1", 42), VIP_EINVAL);
    assert_int_equal(fsm_unit(f->fsm.st, "VI_1")->transfer_index, 0);
}

/* Placed units survive a snapshot; a snapshot without units (every earlier one)
 * restores with none; a damaged units section is refused. */
static void test_snapshot_placed_units(void **state)
{
    struct fixture *f = *state;
    struct fsm_state *out = malloc(sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    size_t l0, len, l2;
    uint8_t *old, *buf, *copy, *again;

    populate(f);
    old = snap(f, &l0);
    assert_int_equal(fsm_snapshot_decode(old, l0, out, errmsg), 0);
    assert_int_equal(out->n_units, 0);
    assert_int_equal(apply_assign(f, 1, 3, "VI_1", 1, 2), 0);
    assert_int_equal(apply_assign(f, 1, 4, "SG_2", 2, 2), 0);
    assert_int_equal(apply_unit_transfer(f, 2, 3, "SG_2", 3), 0);
    buf = snap(f, &len);
    /* The body is unchanged but for its new events; the section follows. */
    assert_true(len > l0);
    assert_int_equal(fsm_snapshot_decode(buf, len, out, errmsg), 0);
    assert_int_equal(out->n_units, 2);
    assert_string_equal(out->units[1].name, "SG_2");
    assert_int_equal(out->units[1].holder, 2);
    assert_int_equal(out->units[1].transfer_target, 3);
    assert_true(out->units[0].leader_bound);
    assert_int_equal(fsm_snapshot_encode(out, (void **)&again, &l2), 0);
    assert_int_equal(l2, len);
    assert_memory_equal(again, buf, len);
    raft_free(again);

    /* Every truncation (with a consistent length) fails, except right
     * before the section (a valid older snapshot). */
    copy = malloc(len + 16);
    size_t body_end = 0;
    for (size_t cut = SNAP_HEADER_SIZE_T; cut < len; cut++) {
        memcpy(copy, buf, cut);
        uint32_t blen = (uint32_t)(cut - SNAP_HEADER_SIZE_T);
        copy[8] = (uint8_t)blen;
        copy[9] = (uint8_t)(blen >> 8);
        copy[10] = (uint8_t)(blen >> 16);
        copy[11] = (uint8_t)(blen >> 24);
        if (fsm_snapshot_decode(copy, cut, out, errmsg) == 0) {
            assert_int_equal(body_end, 0); /* only one such cut */
            assert_int_equal(out->n_units, 0);
            body_end = cut;
        }
    }
    assert_int_not_equal(body_end, 0);
    assert_int_equal(buf[body_end], 1); /* the units tag */

    /* Section damage: unknown tag, tag repeated, length overrun, a bad
     * flag, a duplicate name, trailing garbage. */
#define DAMAGED(what)                                                        \
    assert_int_equal(fsm_snapshot_decode(copy, len, out, errmsg), VIP_EPROTO); \
    assert_non_null(strstr(errmsg, what));                                   \
    memcpy(copy, buf, len)
    memcpy(copy, buf, len);
    copy[body_end] = 9;
    DAMAGED("unknown section");
    copy[body_end] = 0;
    DAMAGED("out of order");
    copy[body_end + 1] = 0xff;
    DAMAGED("truncated");
    copy[body_end + 1]--; /* the section is one byte shorter */
    DAMAGED("");
    /* units[0]: u16 count, str "VI_1" (2 + 4), u64 holder, u8 flag. */
    copy[body_end + 5 + 2 + 6 + 8] = 2;
    DAMAGED("leader-bound");
    copy[body_end + 5 + 2 + 6 + 8] = 1;
    memset(copy + body_end + 5 + 2 + 6, 0, 8); /* bound without a holder */
    DAMAGED("leader-bound");
    memcpy(copy + body_end + 5 + 2 + 2, "SG_2", 4);
    DAMAGED("duplicate");
    memset(copy + body_end + 5 + 2 + 6 + 8 + 1, 0, 8); /* term 0 */
    DAMAGED("ASSIGN");
    copy[body_end + 5] = FSM_MAX_UNITS + 1;
    DAMAGED("too many units");
    memcpy(copy, buf, len);
    copy[len] = 0x42;
    copy[8]++;
    assert_int_equal(fsm_snapshot_decode(copy, len + 1, out, errmsg),
                     VIP_EPROTO);
#undef DAMAGED
    free(copy);
    raft_free(old);
    raft_free(buf);
    free(out);
}

/* Random flips of a snapshot with units: rejected or a valid state. */
static void test_snapshot_placed_units_fuzz(void **state)
{
    struct fixture *f = *state;
    struct fsm_state *out = malloc(sizeof *out);
    size_t len;
    uint8_t *buf, *copy;
    uint64_t x = 12345;
    unsigned ok = 0;

    populate(f);
    assert_int_equal(apply_assign(f, 1, 3, "VI_1", 1, 2), 0);
    assert_int_equal(apply_assign(f, 1, 4, "SG_2", 2, 2), 0);
    buf = snap(f, &len);
    copy = malloc(len);
    for (unsigned round = 0; round < 5000; round++) {
        memcpy(copy, buf, len);
        for (unsigned k = 0; k < 1 + round % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Mostly in the tail, where the section is. */
            size_t at = round % 2 ? len - 1 - x % 120 : x % len;
            copy[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
        }
        int rv = fsm_snapshot_decode(copy, len, out, NULL);
        assert_true(rv == 0 || rv == VIP_EPROTO);
        if (rv == 0) {
            ok++;
            assert_true(out->n_units <= FSM_MAX_UNITS);
            for (unsigned i = 0; i < out->n_units; i++) {
                assert_true(out->units[i].name[0] != '\0');
                assert_true(!out->units[i].leader_bound ||
                            out->units[i].holder != 0);
            }
        }
    }
    assert_true(ok > 0);
    free(copy);
    raft_free(buf);
    free(out);
}

/* Event type names are total. */

/* Event type names are total. */
static void test_event_names(void **state)
{
    (void)state;
    assert_string_equal(fsm_event_type_name(FSM_EV_HOLDER), "holder");
    assert_string_equal(fsm_event_type_name(FSM_EV_LEADER), "leader");
    assert_string_equal(fsm_event_type_name(0), "?");
}

/* A forged seq far ahead (2^64 - 2) is refused and poisons nothing: the
 * node's next genuine record applies. A record behind the last applied
 * one is reported as stale (never as done); the same seq again is a retry
 * of what was applied. */
static void test_seq_bounded(void **state)
{
    struct fixture *f = *state;
    uint64_t now_ms = 1700000000000ull;
    uint64_t seq = now_ms * 1024;

    assert_int_equal(apply_tick(f, 1, 1, now_ms, 0, 0), 0);
    assert_int_equal(apply_node(f, 2, seq, 100), 0);
    assert_int_equal(apply_health(f, 2, UINT64_MAX - 1, "chk", 0),
                     VIP_ERANGE);
    /* A day and a bit ahead of the leader's clock. */
    assert_int_equal(apply_health(f, 2, (now_ms + 25ull * 3600 * 1000) * 1024,
                                  "chk", 0),
                     VIP_ERANGE);
    assert_int_equal(apply_health(f, 2, seq + 1, "chk", 1), 0);
    assert_int_equal(apply_health(f, 2, seq + 1, "chk", 1), 1); /* retry */
    assert_int_equal(apply_health(f, 2, seq, "chk", 0), 2);     /* stale */
    {
        struct fsm_member *m = NULL;
        for (unsigned i = 0; i < f->fsm.st->n_members; i++) {
            if (f->fsm.st->members[i].node.origin.node_id == 2) {
                m = &f->fsm.st->members[i];
            }
        }
        assert_non_null(m);
        assert_true(m->last_seq == seq + 1);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_node_join),
        T(test_seq_bounded),
        T(test_dedupe),
        T(test_health_events),
        T(test_admin),
        T(test_tick),
        T(test_reject_garbage),
        T(test_capacity),
        T(test_events_ring),
        T(test_snapshot_round_trip),
        T(test_snapshot_corrupt),
        T(test_snapshot_units),
        T(test_snapshot_v1_golden),
        T(test_event_names),
        T(test_assign),
        T(test_assign_witness),
        T(test_assign_capacity),
        T(test_unit_transfer),
        T(test_snapshot_placed_units),
        T(test_snapshot_placed_units_fuzz),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
