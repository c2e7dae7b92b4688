/* The random faults and repairs of a schedule. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "tests/sim/sim.h"

/****** Faults ******/

unsigned sim_n_alive(struct sim *s)
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
void sim_shuffle_timeouts(struct sim *s)
{
    unsigned slot[SIM_MAX];
    unsigned width = s->o.election_ms / s->n;

    for (unsigned i = 0; i < s->n; i++) {
        slot[i] = i;
    }
    for (unsigned i = s->n - 1; i > 0; i--) {
        unsigned j = sim_rnd_range(s, 0, i);
        unsigned t = slot[i];
        slot[i] = slot[j];
        slot[j] = t;
    }
    for (unsigned i = 0; i < s->n; i++) {
        unsigned jitter =
            width > s->o.heartbeat_ms + 1
                ? sim_rnd_range(s, 0, width - s->o.heartbeat_ms - 1)
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

void sim_set_net_latency(struct sim *s, unsigned i, unsigned ms)
{
    s->nodes[i].net_ms = ms;
    raft_fixture_set_network_latency(&s->f, i, ms);
}

void sim_disconnect(struct sim *s, unsigned i, unsigned j)
{
    s->cut[i][j] = true; /* i -> j, as the fixture's */
    raft_fixture_disconnect(&s->f, i, j);
}

void sim_heal_network(struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        for (unsigned j = 0; j < s->n; j++) {
            if (i != j && both_alive(s, i, j)) {
                s->cut[i][j] = false;
                raft_fixture_reconnect(&s->f, i, j);
                set_saturated(s, i, j, false);
            }
        }
    }
}

/* A health transition of a random node through the leader: changes the
 * effective priorities (chk_0 -60, chk_1 +20, chk_2 FAULT), so the step
 * moves the VIPs. Sometimes reuses a seq: a retried proposal applies once. */
static void propose_health(struct sim *s)
{
    unsigned k = sim_rnd_range(s, 0, s->n - 1);
    struct entry e = {.kind = ENTRY_HEALTH};

    if (s->nodes[k].seq != 0 && sim_rnd_range(s, 0, 3) == 0) {
        e.u.health.origin.seq = s->nodes[k].seq;
    }
    e.u.health.kind = ENTRY_TRACK_SCRIPT;
    snprintf(e.u.health.name, sizeof e.u.health.name, "chk_%u",
             sim_rnd_range(s, 0, 2));
    e.u.health.value = (int32_t)sim_rnd_range(s, 0, 1);
    sim_propose(s, &e, k);
}

/* `vipctl transfer [NODE]`: an ADMIN TRANSFER entry; the step hands over. */
static void propose_transfer(struct sim *s)
{
    unsigned k = sim_rnd_range(s, 0, s->n - 1);
    struct entry e = {.kind = ENTRY_ADMIN};

    e.u.admin.op = ENTRY_ADMIN_TRANSFER;
    e.u.admin.target = sim_rnd_range(s, 0, s->n); /* 0: the preferred */
    for (unsigned i = 0; i < s->n && e.u.admin.target != 0; i++) {
        /* As vipctl does: only a described member can be named (the FSM
         * rejects anything else, on every node alike). */
        const struct fsm_member *m;
        if (!raft_fixture_alive(&s->f, i) ||
            raft_state(raft_fixture_get(&s->f, i)) != RAFT_LEADER) {
            continue;
        }
        m = fsm_member(s->nodes[i].fsm.st, e.u.admin.target);
        if (m == NULL || !m->has_node) {
            e.u.admin.target = 0;
        }
    }
    if (sim_propose(s, &e, k)) {
        sim_log(s, "switchover to %llu requested",
                (unsigned long long)e.u.admin.target);
    }
}

/* Apply one random fault or repair. */
void sim_chaos(struct sim *s)
{
    unsigned a = sim_rnd_range(s, 0, s->n - 1);
    unsigned b = sim_rnd_range(s, 0, s->n - 1);
    unsigned op = sim_rnd_range(s, 0, 99);

    if (op < 10) { /* symmetric partition: a random side against the rest */
        uint64_t side = sim_rnd(s);
        sim_log(s, "partition mask %#x", (unsigned)(side & ((1u << s->n) - 1)));
        for (unsigned i = 0; i < s->n; i++) {
            for (unsigned j = 0; j < s->n; j++) {
                bool cut = ((side >> i) & 1) != ((side >> j) & 1);
                if (both_alive(s, i, j)) {
                    set_saturated(s, i, j, cut);
                }
            }
        }
    } else if (op < 22) { /* one-way: a stops hearing from b, or everyone */
        if (sim_rnd_range(s, 0, 1) == 0) {
            sim_log(s, "one-way cut n%u -> n%u", b + 1, a + 1);
            set_saturated(s, b, a, true);
        } else {
            sim_log(s, "one-way cut everyone -> n%u", a + 1);
            for (unsigned j = 0; j < s->n; j++) {
                set_saturated(s, j, a, true);
            }
        }
    } else if (op < 30) { /* one-way: a's messages are lost */
        sim_log(s, "one-way cut n%u -> everyone", a + 1);
        for (unsigned j = 0; j < s->n; j++) {
            set_saturated(s, a, j, true);
        }
    } else if (op < 40) { /* heal */
        sim_log(s, "heal network");
        sim_heal_network(s);
    } else if (op < 45) {
        if (raft_fixture_alive(&s->f, a)) {
            sim_log(s, "kill n%u", a + 1);
            raft_fixture_kill(&s->f, a);
        }
    } else if (op < 49) { /* fast restart: back within T, state lost */
        if (raft_fixture_alive(&s->f, a)) {
            unsigned ms = sim_rnd_range(s, 1, s->o.election_ms - 1);
            sim_log(s, "restart n%u (down %u ms)", a + 1, ms);
            raft_fixture_kill(&s->f, a);
            s->nodes[a].restart_at = raft_fixture_time(&s->f) + ms;
        }
    } else if (op < 52) { /* the loop thread blocked (disk stall) for 2 T */
        if (raft_fixture_alive(&s->f, a)) {
            sim_log(s, "stall n%u for %u ms", a + 1, 2 * s->o.election_ms);
            raft_fixture_kill(&s->f, a);
            s->nodes[a].restart_at = 0;
            s->nodes[a].stall_until =
                raft_fixture_time(&s->f) + 2 * s->o.election_ms;
        }
    } else if (op < 56) {
        if (!raft_fixture_alive(&s->f, a) && s->nodes[a].restart_at == 0 &&
            s->nodes[a].stall_until == 0) {
            sim_log(s, "revive n%u", a + 1);
            raft_fixture_revive(&s->f, a);
        }
    } else if (op < 64) {
        unsigned ms = sim_rnd_range(s, 0, 3) == 0 ? sim_rnd_range(s, 100, 1500)
                                                  : sim_rnd_range(s, 1, 60);
        sim_log(s, "n%u network latency %u ms", a + 1, ms);
        sim_set_net_latency(s, a, ms);
    } else if (op < 70) {
        /* A 2 T disk stall is the "stall" fault above: libraft's write
         * blocks the loop thread, the whole process freezes. A disk
         * latency of 2 T here would only show the fixture completing
         * appends out of order once it is lowered (raft_uv writes in
         * order), which stalls raft 0.15 followers for good. */
        unsigned r = sim_rnd_range(s, 0, 7);
        unsigned ms = r < 3 ? sim_rnd_range(s, 100, 1200)
                            : sim_rnd_range(s, 1, 40);
        sim_log(s, "n%u disk latency %u ms", a + 1, ms);
        raft_fixture_set_disk_latency(&s->f, a, ms);
    } else if (op < 76) { /* message loss: flip one direction */
        bool on = !raft_fixture_saturated(&s->f, a, b);
        if (a == b || !both_alive(s, a, b)) {
            return;
        }
        sim_log(s, "%s n%u -> n%u", on ? "drop" : "deliver", a + 1, b + 1);
        set_saturated(s, a, b, on);
    } else if (op < 80) { /* connection refused rather than silent loss */
        if (a != b && raft_fixture_alive(&s->f, a) &&
            raft_fixture_alive(&s->f, b)) {
            sim_log(s, "disconnect n%u n%u", a + 1, b + 1);
            sim_disconnect(s, a, b);
        }
    } else if (op < 85) {
        sim_log(s, "new election timeouts");
        sim_shuffle_timeouts(s);
    } else if (op < 88) {
        if (s->o.units >= 2 && sim_rnd_range(s, 0, 1) == 0) {
            sim_propose_unit_transfer(s);
        } else {
            propose_transfer(s);
        }
    } else if (op < 91) {
        uint8_t prio = (uint8_t)sim_rnd_range(s, 50, 150);
        sim_log(s, "n%u base priority %u", a + 1, prio);
        sim_describe(s, a, prio);
    } else {
        propose_health(s);
    }
}
