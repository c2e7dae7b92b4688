/* Unit tests of the effective priority and holder choice (raft/priority.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "raft/priority.h"

/****** Building members and states by hand ******/

static struct fsm_member *member(uint64_t id, uint8_t prio)
{
    struct fsm_member *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->node.origin.node_id = id;
    m->has_node = true;
    snprintf(m->node.name, sizeof m->node.name, "n%llu",
             (unsigned long long)id);
    m->node.ip_family = AF_INET;
    m->node.ip[0] = 10;
    m->node.ip[3] = (uint8_t)id;
    m->node.n_instances = 1;
    strcpy(m->node.instances[0].name, "VI_1");
    m->node.instances[0].base_priority = prio;
    return m;
}

static void track(struct fsm_member *m,
                  unsigned kind,
                  const char *name,
                  int32_t weight,
                  uint8_t flags)
{
    struct entry_instance *in = &m->node.instances[0];
    struct entry_track *t = &in->tracks[in->n_tracks++];
    t->kind = (uint8_t)kind;
    strcpy(t->name, name);
    t->weight = weight;
    t->flags = flags;
}

static void health(struct fsm_member *m,
                   unsigned kind,
                   const char *name,
                   int32_t value)
{
    for (unsigned i = 0; i < m->n_health; i++) {
        if (m->health[i].kind == kind && strcmp(m->health[i].name, name) == 0) {
            m->health[i].value = value;
            return;
        }
    }
    struct fsm_health *h = &m->health[m->n_health++];
    h->kind = (uint8_t)kind;
    strcpy(h->name, name);
    h->value = value;
}

static int prio(const struct fsm_member *m)
{
    struct priority_result r;
    priority_effective(m, 0, true, &r);
    return r.why == PRIORITY_OK ? r.priority : -(int)r.why;
}

/****** Effective priority ******/

/* Without tracks the effective priority is the base, clamped to 254. */
static void test_base(void **state)
{
    struct fsm_member *m = member(1, 100);
    (void)state;
    assert_int_equal(prio(m), 100);
    m->node.instances[0].base_priority = 255; /* address owner */
    assert_int_equal(prio(m), 254);
    free(m);
}

/* Script weight > 0 adds while ok (never reported counts as ok). */
static void test_script_positive(void **state)
{
    struct fsm_member *m = member(1, 100);
    (void)state;
    track(m, ENTRY_TRACK_SCRIPT, "chk", 20, 0);
    assert_int_equal(prio(m), 120);
    health(m, ENTRY_TRACK_SCRIPT, "chk", 0);
    assert_int_equal(prio(m), 100);
    health(m, ENTRY_TRACK_SCRIPT, "chk", 1);
    assert_int_equal(prio(m), 120);
    free(m);
}

/* Script weight < 0 subtracts while failing. */
static void test_script_negative(void **state)
{
    struct fsm_member *m = member(1, 100);
    (void)state;
    track(m, ENTRY_TRACK_SCRIPT, "chk", -30, 0);
    assert_int_equal(prio(m), 100);
    health(m, ENTRY_TRACK_SCRIPT, "chk", 0);
    assert_int_equal(prio(m), 70);
    free(m);
}

/* Weight 0 and failing is FAULT, naming the check. */
static void test_script_fault(void **state)
{
    struct fsm_member *m = member(1, 100);
    struct priority_result r;
    (void)state;
    track(m, ENTRY_TRACK_SCRIPT, "chk_a", 10, 0);
    track(m, ENTRY_TRACK_SCRIPT, "chk_b", 0, 0);
    assert_int_equal(prio(m), 110);
    health(m, ENTRY_TRACK_SCRIPT, "chk_b", 0);
    priority_effective(m, 0, true, &r);
    assert_int_equal(r.why, PRIORITY_FAULT);
    assert_int_equal(r.priority, 0);
    assert_string_equal(r.fault, "chk_b");
    free(m);
}

/* `reverse` swaps ok and failing for a weighted script. */
static void test_script_reverse(void **state)
{
    struct fsm_member *m = member(1, 100);
    (void)state;
    track(m, ENTRY_TRACK_SCRIPT, "up", 15, ENTRY_TRACK_F_REVERSE);
    track(m, ENTRY_TRACK_SCRIPT, "down", -5, ENTRY_TRACK_F_REVERSE);
    /* Both "ok": +15 not added (reverse), -5 subtracted (reverse). */
    assert_int_equal(prio(m), 95);
    health(m, ENTRY_TRACK_SCRIPT, "up", 0);
    health(m, ENTRY_TRACK_SCRIPT, "down", 0);
    assert_int_equal(prio(m), 115);
    free(m);
}

/* A tracked interface down is FAULT with weight 0, else it weighs. */
static void test_interface(void **state)
{
    struct fsm_member *m = member(1, 100);
    (void)state;
    track(m, ENTRY_TRACK_IFACE, "eth0", 0, 0);
    track(m, ENTRY_TRACK_IFACE, "eth1", -10, 0);
    assert_int_equal(prio(m), 100);
    health(m, ENTRY_TRACK_IFACE, "eth1", 0);
    assert_int_equal(prio(m), 90);
    health(m, ENTRY_TRACK_IFACE, "eth0", 0);
    assert_int_equal(prio(m), -PRIORITY_FAULT);
    /* A script of the same name does not count for the interface. */
    health(m, ENTRY_TRACK_IFACE, "eth0", 1);
    health(m, ENTRY_TRACK_SCRIPT, "eth0", 0);
    assert_int_equal(prio(m), 90);
    free(m);
}

/* track_file: value * weight; weight 0 and non-zero value is FAULT;
 * value * weight <= -254 is FAULT. */
static void test_track_file(void **state)
{
    struct fsm_member *m = member(1, 100);
    struct fsm_member *z = member(2, 100);
    (void)state;
    track(m, ENTRY_TRACK_FILE, "f", 3, 0);
    assert_int_equal(prio(m), 100); /* never read: 0 */
    health(m, ENTRY_TRACK_FILE, "f", 10);
    assert_int_equal(prio(m), 130);
    health(m, ENTRY_TRACK_FILE, "f", -20);
    assert_int_equal(prio(m), 40);
    health(m, ENTRY_TRACK_FILE, "f", -84); /* -252: clamped, not fault */
    assert_int_equal(prio(m), 1);
    health(m, ENTRY_TRACK_FILE, "f", -85); /* -255 */
    assert_int_equal(prio(m), -PRIORITY_FAULT);
    health(m, ENTRY_TRACK_FILE, "f", INT32_MIN); /* no overflow */
    assert_int_equal(prio(m), -PRIORITY_FAULT);
    health(m, ENTRY_TRACK_FILE, "f", INT32_MAX);
    assert_int_equal(prio(m), 254);

    track(z, ENTRY_TRACK_FILE, "f", 0, 0);
    assert_int_equal(prio(z), 100);
    health(z, ENTRY_TRACK_FILE, "f", 1);
    assert_int_equal(prio(z), -PRIORITY_FAULT);
    free(m);
    free(z);
}

/* The sum is clamped to [1, 254]. */
static void test_clamp(void **state)
{
    struct fsm_member *m = member(1, 250);
    (void)state;
    track(m, ENTRY_TRACK_SCRIPT, "a", 200, 0);
    assert_int_equal(prio(m), 254);
    m->node.instances[0].base_priority = 5;
    m->node.instances[0].tracks[0].weight = -200;
    health(m, ENTRY_TRACK_SCRIPT, "a", 0);
    assert_int_equal(prio(m), 1);
    free(m);
}

/* Maintenance, non-voters and unknown instances are ineligible. */
static void test_ineligible(void **state)
{
    struct fsm_member *m = member(1, 100);
    struct priority_result r;
    (void)state;
    priority_effective(m, 0, false, &r);
    assert_int_equal(r.why, PRIORITY_NOT_VOTER);
    priority_effective(m, 1, true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    priority_effective(NULL, 0, true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    m->maintenance = true;
    priority_effective(m, 0, true, &r);
    assert_int_equal(r.why, PRIORITY_MAINTENANCE);
    m->has_node = false;
    priority_effective(m, 0, true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    assert_string_equal(priority_why_name(PRIORITY_FAULT), "fault");
    assert_string_equal(priority_why_name(99), "?");
    free(m);
}

/* A group sums its instances and fails if any instance is not eligible. */
static void test_group(void **state)
{
    struct fsm_member *m = member(1, 100);
    struct priority_result r;
    (void)state;
    m->node.n_instances = 2;
    strcpy(m->node.instances[1].name, "VI_2");
    m->node.instances[1].base_priority = 50;
    m->node.instances[1].n_tracks = 1;
    strcpy(m->node.instances[1].tracks[0].name, "chk");
    m->node.instances[1].tracks[0].kind = ENTRY_TRACK_SCRIPT;
    priority_group(m, true, &r);
    assert_int_equal(r.why, PRIORITY_OK);
    assert_int_equal(r.priority, 150);
    health(m, ENTRY_TRACK_SCRIPT, "chk", 0);
    priority_group(m, true, &r);
    assert_int_equal(r.why, PRIORITY_FAULT);
    m->node.n_instances = 0;
    priority_group(m, true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    free(m);
}

/****** Holder choice ******/

struct world
{
    struct fsm_state *st;
    uint64_t voters[FSM_MAX_MEMBERS];
    struct priority_ctx ctx;
    struct priority_pending pending;
};

static struct world *world(unsigned n, const uint8_t *prios)
{
    struct world *w = calloc(1, sizeof *w);
    w->st = calloc(1, sizeof *w->st);
    for (unsigned i = 0; i < n; i++) {
        struct fsm_member *m = member(i + 1, prios[i]);
        w->st->members[i] = *m;
        free(m);
        w->voters[i] = i + 1;
    }
    w->st->n_members = (uint16_t)n;
    w->ctx.voters = w->voters;
    w->ctx.n_voters = n;
    return w;
}

static void world_free(struct world *w)
{
    free(w->st);
    free(w);
}

static struct priority_choice choose(struct world *w,
                                     uint64_t holder,
                                     uint64_t now)
{
    struct priority_choice c;
    w->ctx.holder = holder;
    w->ctx.now_ms = now;
    priority_choose(w->st, &w->ctx, &w->pending, &c);
    return c;
}

/* The highest effective priority wins; nobody eligible gives 0. */
static void test_choose_highest(void **state)
{
    const uint8_t p[] = {100, 150, 120};
    struct world *w = world(3, p);
    struct priority_choice c;
    (void)state;
    c = choose(w, 0, 1000);
    assert_int_equal(c.best, 2);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 1000);
    assert_false(c.holder_eligible);
    /* Non-voters are not candidates. */
    w->ctx.n_voters = 1; /* only node 1 */
    c = choose(w, 0, 1000);
    assert_int_equal(c.preferred, 1);
    w->ctx.n_voters = 0;
    c = choose(w, 0, 1000);
    assert_int_equal(c.preferred, 0);
    assert_int_equal(c.best, 0);
    world_free(w);
}

/* A witness is never preferred: not with the highest priority, not when
 * it leads (holder), not when it is the only eligible-looking voter. */
static void test_witness_never_preferred(void **state)
{
    const uint8_t p[] = {100, 150, 254};
    struct world *w = world(3, p);
    struct priority_choice c;
    struct priority_result r;
    (void)state;
    w->st->members[2].node.flags = ENTRY_NODE_F_WITNESS;
    priority_effective(&w->st->members[2], 0, true, &r);
    assert_int_equal(r.why, PRIORITY_WITNESS);
    assert_string_equal(priority_why_name(r.why), "witness");
    c = choose(w, 3, 1000);
    assert_int_equal(c.preferred, 2);
    assert_false(c.holder_eligible);
    /* Both other nodes gone: nobody, never the witness. */
    w->voters[0] = 3;
    w->ctx.n_voters = 1;
    c = choose(w, 0, 1000);
    assert_int_equal(c.preferred, 0);
    assert_int_equal(c.best, 0);
    world_free(w);
}

/* Ties go to the higher primary IP, then to the higher id. */
static void test_choose_tiebreak(void **state)
{
    const uint8_t p[] = {100, 100, 100};
    struct world *w = world(3, p);
    struct priority_choice c;
    (void)state;
    c = choose(w, 0, 0);
    assert_int_equal(c.best, 3);        /* 10.0.0.3 */
    w->st->members[0].node.ip[3] = 200; /* node 1 is 10.0.0.200 */
    c = choose(w, 0, 0);
    assert_int_equal(c.best, 1);
    w->st->members[2].node.ip_family = AF_INET6; /* IPv6 ranks above */
    memset(w->st->members[2].node.ip, 0, 16);
    c = choose(w, 0, 0);
    assert_int_equal(c.best, 3);
    /* Same address: the higher id. */
    memcpy(&w->st->members[1].node, &w->st->members[0].node,
           sizeof w->st->members[1].node);
    w->st->members[1].node.origin.node_id = 2;
    w->st->members[2].node.ip_family = AF_INET;
    w->st->members[2].node.ip[0] = 1;
    c = choose(w, 0, 0);
    assert_int_equal(c.best, 2);
    assert_true(priority_tiebreak(&w->st->members[1], &w->st->members[0]) > 0);
    assert_true(priority_tiebreak(&w->st->members[0], &w->st->members[0]) == 0);
    world_free(w);
}

/* An eligible holder that ranks first stays; an ineligible one is replaced
 * at once. */
static void test_choose_holder(void **state)
{
    const uint8_t p[] = {100, 150};
    struct world *w = world(2, p);
    struct priority_choice c;
    (void)state;
    c = choose(w, 2, 0);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 0);
    assert_true(c.holder_eligible);
    w->st->members[1].maintenance = true;
    c = choose(w, 2, 500);
    assert_false(c.holder_eligible);
    assert_int_equal(c.preferred, 1);
    assert_int_equal(c.move_at_ms, 500);
    world_free(w);
}

/* Without nopreempt/preempt_delay a better node preempts at once. */
static void test_preempt(void **state)
{
    const uint8_t p[] = {100, 150};
    struct world *w = world(2, p);
    struct priority_choice c;
    (void)state;
    c = choose(w, 1, 700);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 700);
    world_free(w);
}

/* nopreempt on the better node keeps an eligible holder. */
static void test_nopreempt(void **state)
{
    const uint8_t p[] = {100, 150};
    struct world *w = world(2, p);
    struct priority_choice c;
    (void)state;
    w->st->members[1].node.instances[0].flags = ENTRY_INSTANCE_F_NOPREEMPT;
    c = choose(w, 1, 0);
    assert_int_equal(c.best, 2);
    assert_int_equal(c.preferred, 1);
    assert_int_equal(c.move_at_ms, 0);
    /* ...but not an ineligible one. */
    w->st->members[0].maintenance = true;
    c = choose(w, 1, 0);
    assert_int_equal(c.preferred, 2);
    world_free(w);
}

/* A requested switchover to a named node pins the VIPs there while it is
 * eligible, against priorities; once it is not, priorities rule again. */
static void test_transfer_pin(void **state)
{
    const uint8_t p[] = {150, 100, 120};
    struct world *w = world(3, p);
    struct priority_choice c;
    (void)state;
    w->st->transfer_target = 2;
    w->st->transfer_index = 40;
    c = choose(w, 1, 10); /* the old holder hands over */
    assert_int_equal(c.best, 1);
    assert_int_equal(c.preferred, 2);
    c = choose(w, 0, 20); /* nobody holds yet */
    assert_int_equal(c.preferred, 2);
    c = choose(w, 2, 30); /* the target holds and keeps it */
    assert_int_equal(c.preferred, 2);
    w->st->members[1].maintenance = true;
    c = choose(w, 2, 40);
    assert_int_equal(c.preferred, 1);
    w->st->members[1].maintenance = false;
    w->ctx.n_voters = 1; /* a dead target (not a live voter) pins nothing */
    c = choose(w, 0, 50);
    assert_int_equal(c.preferred, 1);
    world_free(w);
}

/* preempt_delay: the move is allowed delay ms after the better node first
 * outranked the holder; the clock restarts when the challenger changes. */
static void test_preempt_delay(void **state)
{
    const uint8_t p[] = {100, 150, 120};
    struct world *w = world(3, p);
    struct priority_choice c;
    (void)state;
    w->st->members[1].node.instances[0].preempt_delay_ms = 5000;
    w->st->members[2].node.instances[0].preempt_delay_ms = 1000;
    c = choose(w, 1, 10000);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 15000);
    c = choose(w, 1, 12000); /* still waiting: same deadline */
    assert_int_equal(c.move_at_ms, 15000);
    /* Node 2 fails: node 3 is the challenger, its own delay from now. */
    w->st->members[1].maintenance = true;
    c = choose(w, 1, 13000);
    assert_int_equal(c.preferred, 3);
    assert_int_equal(c.move_at_ms, 14000);
    /* Holder becomes best again: nothing pending. */
    w->st->members[2].maintenance = true;
    c = choose(w, 1, 13500);
    assert_int_equal(c.preferred, 1);
    assert_int_equal(c.move_at_ms, 0);
    assert_int_equal(w->pending.node, 0);
    /* Node 2 back: the delay starts over. */
    w->st->members[1].maintenance = false;
    c = choose(w, 1, 20000);
    assert_int_equal(c.move_at_ms, 25000);
    world_free(w);
}

/****** Placement units ******/

/* Give @m one more instance @name in unit @unit ("" for a lone one). */
static struct entry_instance *add_instance(struct fsm_member *m,
                                           const char *name,
                                           const char *unit,
                                           uint8_t prio)
{
    struct entry_instance *in = &m->node.instances[m->node.n_instances++];
    memset(in, 0, sizeof *in);
    strcpy(in->name, name);
    strcpy(in->unit, unit);
    in->base_priority = prio;
    return in;
}

static struct priority_choice choose_unit(struct world *w,
                                          const char *unit,
                                          struct priority_pending *pending,
                                          uint64_t holder,
                                          uint64_t now)
{
    struct priority_choice c;
    w->ctx.holder = holder;
    w->ctx.now_ms = now;
    priority_choose_unit(w->st, unit, &w->ctx, pending, &c);
    return c;
}

/* Dual master: VI_1 prefers node 1, VI_2 node 2; each unit goes to its own
 * preferred node, where the all-instances rule puts both on one. */
static void test_unit_dual_master(void **state)
{
    const uint8_t p[] = {150, 100, 100};
    struct world *w = world(3, p);
    struct priority_pending p1 = {0}, p2 = {0};
    struct priority_choice c;
    (void)state;
    add_instance(&w->st->members[0], "VI_2", "", 100);
    add_instance(&w->st->members[1], "VI_2", "", 150);
    add_instance(&w->st->members[2], "VI_2", "", 100);
    c = choose_unit(w, "VI_1", &p1, 0, 1000);
    assert_int_equal(c.best, 1);
    assert_int_equal(c.preferred, 1);
    c = choose_unit(w, "VI_2", &p2, 0, 1000);
    assert_int_equal(c.best, 2);
    assert_int_equal(c.preferred, 2);
    /* Equal sums (250): all instances go to the higher address, node 2. */
    c = choose(w, 0, 1000);
    assert_int_equal(c.best, 2);
    /* Node 1 drains: VI_1 moves to the next best, VI_2 stays. */
    w->st->members[0].maintenance = true;
    c = choose_unit(w, "VI_1", &p1, 1, 2000);
    assert_int_equal(c.preferred, 3); /* ties with 2: higher address */
    assert_false(c.holder_eligible);
    c = choose_unit(w, "VI_2", &p2, 2, 2000);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 0);
    world_free(w);
}

/* A sync group is one unit ranked by the sum of its instances, eligible
 * only if every one is; a member without the unit is NO_NODE for it. */
static void test_unit_sync_group(void **state)
{
    const uint8_t p[] = {120, 100, 200};
    struct world *w = world(3, p);
    struct fsm_member *a = &w->st->members[0], *b = &w->st->members[1];
    struct fsm_member *c3 = &w->st->members[2];
    struct priority_pending pg = {0}, p3 = {0};
    struct priority_result r;
    struct priority_choice c;
    (void)state;
    /* Nodes 1 and 2: VI_1 and VI_2 in group G, VI_3 alone. Node 3 has
     * only VI_3 (its VI_1 renamed). */
    strcpy(a->node.instances[0].unit, "G");
    add_instance(a, "VI_2", "G", 100);
    add_instance(a, "VI_3", "", 200);
    strcpy(b->node.instances[0].unit, "G");
    add_instance(b, "VI_2", "G", 130);
    add_instance(b, "VI_3", "", 100);
    strcpy(c3->node.instances[0].name, "VI_3");
    priority_unit(a, "G", true, &r);
    assert_int_equal(r.why, PRIORITY_OK);
    assert_int_equal(r.priority, 220);
    priority_unit(b, "G", true, &r);
    assert_int_equal(r.priority, 230);
    priority_unit(c3, "G", true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    priority_unit(a, "VI_1", true, &r); /* an instance of G is no unit */
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    priority_unit(a, "nope", true, &r);
    assert_int_equal(r.why, PRIORITY_NO_NODE);
    priority_unit(c3, "VI_3", true, &r);
    assert_int_equal(r.priority, 200);
    /* Node 1 has the higher VI_1, node 2 the higher sum: node 2. */
    c = choose_unit(w, "G", &pg, 0, 1000);
    assert_int_equal(c.preferred, 2);
    /* VI_3: 200 on nodes 1 and 3, 100 on 2: the higher address. */
    c = choose_unit(w, "VI_3", &p3, 0, 1000);
    assert_int_equal(c.preferred, 3);
    /* A fault in one instance of G makes node 2 ineligible for G only. */
    b->node.instances[1].n_tracks = 1;
    strcpy(b->node.instances[1].tracks[0].name, "chk");
    b->node.instances[1].tracks[0].kind = ENTRY_TRACK_SCRIPT;
    health(b, ENTRY_TRACK_SCRIPT, "chk", 0);
    priority_unit(b, "G", true, &r);
    assert_int_equal(r.why, PRIORITY_FAULT);
    assert_string_equal(r.fault, "chk");
    priority_unit(b, "VI_3", true, &r);
    assert_int_equal(r.why, PRIORITY_OK);
    c = choose_unit(w, "G", &pg, 2, 2000);
    assert_int_equal(c.preferred, 1);
    assert_false(c.holder_eligible);
    /* Witnesses and non-voters as for the group of all instances. */
    a->node.flags |= ENTRY_NODE_F_WITNESS;
    priority_unit(a, "VI_3", true, &r);
    assert_int_equal(r.why, PRIORITY_WITNESS);
    a->node.flags = 0;
    priority_unit(a, "VI_3", false, &r);
    assert_int_equal(r.why, PRIORITY_NOT_VOTER);
    world_free(w);
}

/* nopreempt and preempt_delay count per unit: those of the challenger's
 * instances of that unit, not of its other units; each unit keeps its own
 * pending challenger. */
static void test_unit_preempt(void **state)
{
    const uint8_t p[] = {100, 150};
    struct world *w = world(2, p);
    struct fsm_member *b = &w->st->members[1];
    struct priority_pending p1 = {0}, p2 = {0};
    struct priority_choice c;
    (void)state;
    add_instance(&w->st->members[0], "VI_2", "", 100);
    add_instance(b, "VI_2", "", 150);
    b->node.instances[0].preempt_delay_ms = 2000;
    b->node.instances[1].preempt_delay_ms = 9000;
    b->node.instances[1].flags = ENTRY_INSTANCE_F_NOPREEMPT;
    /* VI_1: node 2's own delay, its VI_2's nopreempt does not count. */
    c = choose_unit(w, "VI_1", &p1, 1, 10000);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 12000);
    /* VI_2: nopreempt keeps node 1. */
    c = choose_unit(w, "VI_2", &p2, 1, 10500);
    assert_int_equal(c.preferred, 1);
    assert_int_equal(c.move_at_ms, 0);
    assert_int_equal(p2.node, 0);
    /* The all-instances rule sees the nopreempt (and the longest delay). */
    c = choose(w, 1, 10500);
    assert_int_equal(c.preferred, 1);
    /* VI_2 without nopreempt: its own 9 s delay, its own pending clock;
     * VI_1's deadline is unchanged. */
    b->node.instances[1].flags = 0;
    c = choose_unit(w, "VI_2", &p2, 1, 11000);
    assert_int_equal(c.preferred, 2);
    assert_int_equal(c.move_at_ms, 20000);
    c = choose_unit(w, "VI_1", &p1, 1, 11000);
    assert_int_equal(c.move_at_ms, 12000);
    /* nopreempt on the unit's own instance keeps the holder. */
    b->node.instances[0].flags = ENTRY_INSTANCE_F_NOPREEMPT;
    c = choose_unit(w, "VI_1", &p1, 1, 11500);
    assert_int_equal(c.preferred, 1);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base),
        cmocka_unit_test(test_script_positive),
        cmocka_unit_test(test_script_negative),
        cmocka_unit_test(test_script_fault),
        cmocka_unit_test(test_script_reverse),
        cmocka_unit_test(test_interface),
        cmocka_unit_test(test_track_file),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_ineligible),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_choose_highest),
        cmocka_unit_test(test_choose_tiebreak),
        cmocka_unit_test(test_choose_holder),
        cmocka_unit_test(test_preempt),
        cmocka_unit_test(test_nopreempt),
        cmocka_unit_test(test_transfer_pin),
        cmocka_unit_test(test_preempt_delay),
        cmocka_unit_test(test_witness_never_preferred),
        cmocka_unit_test(test_unit_dual_master),
        cmocka_unit_test(test_unit_sync_group),
        cmocka_unit_test(test_unit_preempt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
