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
 *            [--duration MS] [--wait MS] [--lease MS] [--crash]
 *            [--unranked] [--bound MS] [--snapshot N]
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

#include "raft/entry.h"
#include "raft/raft015.h"
#include "tests/sim/sim.h"

/****** One schedule ******/

static void step_until(struct sim *s, uint64_t t)
{
    while (!s->failed && raft_fixture_time(&s->f) < t) {
        raft_fixture_step(&s->f);
    }
}

static void dump(struct sim *s)
{
    for (unsigned i = 0; i < s->n && s->o.verbose; i++) {
        struct raft *r = raft_fixture_get(&s->f, i);
        struct sim_node *n = &s->nodes[i];
        sim_log(
            s,
            "  n%u %s %s term %llu applied %llu commit %llu lease: "
            "leader %d sent %d inflight %u commit %d until %llu released %d "
            "holds %d rv sent %u recv %u res recv %u sat %d%d%d",
            i + 1, raft_fixture_alive(&s->f, i) ? "alive" : "dead ",
            own_role_name(raft_state(r)), (unsigned long long)r->current_term,
            (unsigned long long)raft_last_applied(r),
            (unsigned long long)r->commit_index, n->own.lease.is_leader,
            n->own.lease.has_sent, n->own.lease.n_in_flight,
            n->own.lease.has_commit,
            (unsigned long long)n->own.lease.valid_until_ms,
            n->own.lease.released, n->own.is_holding,
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
                sim_fail(s, "n%u and n%u applied index %llu but differ", i + 1,
                         j + 1, (unsigned long long)raft_last_applied(ri));
            }
            raft_free(bi);
            raft_free(bj);
        }
    }
}

/* The crash scenario: a steady cluster with every NODE record applied; the
 * holder crashes right after a renewal committed (the lease's worst case:
 * it runs its full length after the last contact). The VIPs must move
 * once, to the survivor the replicated state ranks first, and never
 * overlap. */
static void crash_once(struct sim *s)
{
    uint64_t t0 = raft_fixture_time(&s->f);
    unsigned h, best = 0;
    unsigned best_rank = ~0u;
    uint64_t until, kill_at, first = 0, moves = 0, last;
    const struct fsm_state *st;
    struct own_in in;

    for (unsigned i = 0; i < s->n; i++) {
        sim_set_net_latency(s, i, sim_rnd_range(s, 1, s->o.latency_ms));
        raft_fixture_set_disk_latency(&s->f, i,
                                      sim_rnd_range(s, 1, s->o.latency_ms));
    }
    /* Steady: a holder, every member described, nothing moving for 3 T. */
    for (;;) {
        uint64_t since = raft_fixture_time(&s->f);
        uint64_t holder = alive_holder(s);
        step_until(s, since + 3 * s->o.election_ms);
        if (s->failed) {
            return;
        }
        if (holder != 0 && holder == alive_holder(s) &&
            s->n_holder_changes == s->n_holder_changes_at_check) {
            bool all = true;
            st = s->nodes[holder - 1].fsm.st;
            for (unsigned k = 0; k < s->n; k++) {
                const struct fsm_member *m = fsm_member(st, k + 1);
                all = all && m != NULL && m->has_node;
            }
            if (all) {
                break;
            }
        }
        s->n_holder_changes_at_check = s->n_holder_changes;
        if (raft_fixture_time(&s->f) - t0 > 60u * s->o.election_ms) {
            sim_fail(s, "no steady holder before the crash");
            return;
        }
    }
    h = (unsigned)alive_holder(s) - 1;
    if (s->o.slow_disk_ms != 0) {
        /* The deposed holder with a slow disk: its commits come late (its
         * own write counts), while the followers heard the renewal at
         * once. Cut its messages out right after they have it: the lease
         * must count from the send, not from the late commit. */
        raft_fixture_set_disk_latency(&s->f, h, s->o.slow_disk_ms);
        step_until(s, raft_fixture_time(&s->f) + 2u * s->o.election_ms);
        /* Its lease rides on acknowledged heartbeats, which need no disk:
         * cut it off right after a majority's acknowledgements extended
         * it (the lease counts from the send of what they acknowledged). */
        until = s->nodes[h].own.lease.valid_until_ms;
        while (!s->failed && s->nodes[h].own.lease.valid_until_ms == until) {
            raft_fixture_step(&s->f);
        }
        if (s->failed) {
            return;
        }
    } else {
        /* Kill right after a renewal extended the lease. */
        until = s->nodes[h].own.lease.valid_until_ms;
        while (!s->failed && s->nodes[h].own.lease.valid_until_ms == until) {
            raft_fixture_step(&s->f);
        }
    }
    if (s->failed || alive_holder(s) != h + 1) {
        return; /* moved on its own (cannot happen when steady) */
    }
    /* The best survivor by the replicated state. */
    raft015_observe(raft_fixture_get(&s->f, h), s->nodes[h].fsm.st, 0, &in);
    for (unsigned k = 0; k < s->n; k++) {
        unsigned rank;
        if (k == h) {
            continue;
        }
        rank = own_rank(s->nodes[h].fsm.st, in.servers, in.n_servers, k + 1,
                        h + 1, false);
        if (rank < best_rank) {
            best_rank = rank;
            best = k;
        }
    }
    kill_at = raft_fixture_time(&s->f);
    if (s->o.slow_disk_ms != 0) {
        sim_log(s, "cut n%u off, expect n%u to take over", h + 1,
                best + 1);
        for (unsigned k = 0; k < s->n; k++) {
            if (k != h) {
                raft_fixture_saturate(&s->f, h, k);
                raft_fixture_saturate(&s->f, k, h);
            }
        }
    } else {
        sim_log(s, "crash n%u, expect n%u to take over", h + 1, best + 1);
        raft_fixture_kill(&s->f, h);
    }
    last = h + 1;
    while (!s->failed &&
           raft_fixture_time(&s->f) < kill_at + 10u * s->o.election_ms) {
        uint64_t holder;
        raft_fixture_step(&s->f);
        holder = alive_holder(s);
        if (holder != 0 && holder != last) {
            if (first == 0) {
                first = holder;
                s->crash_failover_ms = raft_fixture_time(&s->f) - kill_at;
            }
            moves++;
            last = holder;
        }
    }
    if (s->failed) {
        return;
    }
    if (first == 0) {
        sim_fail(s, "no holder %u ms after the crash of n%u",
                 10u * s->o.election_ms, h + 1);
    } else if (first != best + 1 && s->o.ranked) {
        sim_fail(s, "after the crash of n%u the VIPs went to n%" PRIu64
                 ", not to the best survivor n%u",
                 h + 1, first, best + 1);
    } else if (moves > 1) {
        sim_fail(s, "after the crash of n%u the VIPs moved %" PRIu64
                 " times", h + 1, moves);
    }
}

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
            sim_fail(s, "setup failed");
            goto out;
        }
        r = raft_fixture_get(&s->f, i);
        fsm_attach(&s->nodes[i].fsm, r);
        raft_set_election_timeout(r, o->election_ms);
        raft_set_heartbeat_timeout(r, o->heartbeat_ms);
        raft_set_pre_vote(r, true); /* as the daemon (raft/cluster.c) */
        raft_set_snapshot_threshold(r, s->o.snap_threshold);
        raft_set_snapshot_trailing(r, o->snap_trailing);
        /* A snapshot lost on the way is resent only after this timeout
         * (0.15's default is 30 s, during which the follower is stuck). */
        raft_set_install_snapshot_timeout(r, 2 * o->election_ms);
        {
            /* The daemon's parameters (raft/cluster.c). */
            struct own_params op = {
                .self = i + 1,
                .election_ms = o->election_ms,
                .heartbeat_ms = o->heartbeat_ms,
                .rank_step_ms = o->ranked ? own_rank_step(o->election_ms,
                                                          o->heartbeat_ms)
                                          : 0,
                .poll_ms = o->heartbeat_ms < 10 ? o->heartbeat_ms : 10,
                .prevote_stuck_ms = o->guard_stuck_ms,
                .prevote_window_ms = o->guard_window_ms,
            };
            own_init(&s->nodes[i].own, &op, &lp);
        }
        s->nodes[i].base_prio = (uint8_t)sim_rnd_range(s, 50, 150);
        s->nodes[i].rate_pm =
            1000 - o->drift_pm + sim_rnd_range(s, 0, 2 * o->drift_pm);
        sim_fix_install(s, i);
        /* The daemon's lease decorator around the fixture's io
         * (raft/cluster.c does the same around raft_uv); raft_init()
         * already ran the inner io's init(). */
        s->nodes[i].s = s;
        if (io_lease_init(&s->nodes[i].lease, &s->f.servers[i].io,
                          o->election_ms, sim_node_now, &s->nodes[i]) != 0) {
            sim_fail(s, "setup failed");
            goto out;
        }
        r->io = &s->nodes[i].lease.io;
        s->nodes[i].lease.io.data = r;
        io_lease_set_event_cb(&s->nodes[i].lease, sim_node_event,
                              &s->nodes[i]);
        s->nodes[i].drive_soon = true;
    }
    if (o->units >= 2) {
        sim_units_init(s);
    }
    sim_shuffle_timeouts(s);
    if (raft_fixture_configuration(&s->f, s->n, &conf) != 0) {
        sim_fail(s, "setup failed");
        goto out;
    }
    rv = raft_fixture_bootstrap(&s->f, &conf);
    raft_configuration_close(&conf);
    if (rv != 0 || raft_fixture_start(&s->f) != 0) {
        sim_fail(s, "setup failed");
        goto out;
    }
    raft_fixture_hook(&s->f, sim_hook);

    if (o->scenario == SIM_CRASH) {
        crash_once(s);
        if (!s->failed) {
            check_states(s);
        }
        goto out;
    }
    if (o->scenario == SIM_UNIT_CRASH) {
        sim_unit_crash(s);
        if (!s->failed) {
            check_states(s);
        }
        goto out;
    }

    /* Fault phase. */
    while (!s->failed && raft_fixture_time(&s->f) < o->duration_ms) {
        uint64_t next = raft_fixture_time(&s->f) + sim_rnd_range(s, 20, 1200);
        step_until(s, next);
        sim_chaos(s);
    }

    /* Healing: network whole, a majority alive, sane latencies. */
    heal_at = raft_fixture_time(&s->f);
    {
        unsigned keep_dead = sim_rnd_range(s, 0, (s->n - 1) / 2);
        for (unsigned i = 0; i < s->n; i++) {
            bool dead = i < keep_dead;
            unsigned k = (unsigned)((i + o->seed) % s->n);
            bool restarting = s->nodes[k].restart_at != 0;
            s->nodes[k].restart_at = 0;
            s->nodes[k].stall_until = 0;
            if (!dead && !raft_fixture_alive(&s->f, k)) {
                raft_fixture_revive(&s->f, k);
                if (restarting &&
                    raft_state(raft_fixture_get(&s->f, k)) == RAFT_FOLLOWER) {
                    sim_restart(s, k);
                }
            } else if (dead && raft_fixture_alive(&s->f, k)) {
                raft_fixture_kill(&s->f, k);
            }
            sim_set_net_latency(s, k, sim_rnd_range(s, 1, 30));
            raft_fixture_set_disk_latency(&s->f, k, sim_rnd_range(s, 1, 20));
        }
        sim_heal_network(s);
        s->healed = true;
        sim_log(s, "healed, %u of %u alive", sim_n_alive(s), s->n);
    }
    bound = o->bound_ms;
    uint64_t next_dump = heal_at;
    while (!s->failed && raft_fixture_time(&s->f) < heal_at + bound + 2000) {
        if (raft_fixture_time(&s->f) >= next_dump) {
            dump(s);
            next_dump += 1000;
        }
        raft_fixture_step(&s->f);
        if (o->units >= 2 ? sim_units_all_held(s) : alive_holder(s) != 0) {
            regained = true;
            regain = raft_fixture_time(&s->f) - heal_at;
            if (o->units >= 2) {
                sim_log(s, "every unit held %" PRIu64 " ms after healing",
                        regain);
            } else {
                sim_log(s, "holder n%" PRIu64 " %" PRIu64 " ms after healing",
                        alive_holder(s), regain);
            }
            step_until(s, raft_fixture_time(&s->f) + 3000);
            break;
        }
    }
    if (!s->failed && !regained) {
        sim_fail(s, "no holder%s %u ms after healing%s",
                 o->units >= 2 ? " of some unit" : "", bound + 2000,
                 s->n_shut_down > 0 ? " (libraft shut a server down)" : "");
    } else if (!s->failed && regain > bound) {
        sim_fail(s, "holder only %" PRIu64 " ms after healing (bound %u)",
                 regain, bound);
    }
    if (!s->failed) {
        check_states(s);
    }
out:
    res->ok = !s->failed;
    res->two_holders = s->two_holders;
    res->crash_failover_ms = s->crash_failover_ms;
    res->regain_ms = regain;
    res->max_zero_ms = s->max_zero_ms;
    res->holder_changes = s->n_holder_changes;
    res->transfers = s->n_transfers;
    res->steps = s->n_steps;
    res->n = s->n;
    res->renewals = s->n_renewals;
    res->shut_down = s->n_shut_down;
    res->min_gap_ms = s->min_gap_ms;
    res->min_margin_ms = s->min_margin_ms;
    res->committed = s->n_committed;
    res->requests = s->n_requests;
    res->replies = s->n_replies;
    res->msgs_lost = s->n_msgs_lost;
    res->assigns = s->n_assigns;
    res->unit_min_margin_ms = INT64_MAX;
    for (unsigned u = 0; u < o->units; u++) {
        if (s->units[u].max_zero_ms > res->unit_max_zero_ms) {
            res->unit_max_zero_ms = s->units[u].max_zero_ms;
        }
        if (s->units[u].min_margin_ms < res->unit_min_margin_ms) {
            res->unit_min_margin_ms = s->units[u].min_margin_ms;
        }
        res->unit_changes += s->units[u].n_changes;
    }
    res->unit_crash_leader = s->unit_crash_leader != 0;
    res->unit_crash_gap_ms = s->unit_crash_gap_ms;
    res->unit_crash_failover_ms = s->unit_crash_failover_ms;
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
        io_lease_detach(&s->nodes[i].lease); /* if raft never closed it */
        fsm_close(&s->nodes[i].fsm);
    }
    sim_units_close(s);
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
        "           [--crash [--slow-disk MS]] [--latency MS] [--heartbeat MS]\n"
        "           [--unranked]\n"
        "           [--drift PERMILLE] [--isolate]\n"
        "           [--snapshot N] [--trace-from MS] [--expect-violation]\n"
        "           [--units N [--unit-crash] [--grant-extra MS]]\n"
        "           (placed units, 2..%d)\n",
        SIM_MAX_UNITS);
    exit(2);
}

int main(int argc, char **argv)
{
    struct sim_opts o = {.election_ms = 1000,
                         .heartbeat_ms = 100,
                         .duration_ms = 20000,
                         .ranked = true,
                         .latency_ms = 10,
                         .trace_from = -1,
                         .snap_threshold = 24,
                         .snap_trailing = 4};
    uint64_t first = 1, n_seeds = 100;
    bool expect_violation = false;
    bool isolate = false;
    uint64_t n_fail = 0, n_unsafe = 0, sum_regain = 0, max_regain = 0, max_zero = 0;
    uint64_t steps = 0, changes = 0, transfers = 0;
    uint64_t installs = 0, dups = 0, renewals = 0, committed = 0;
    uint64_t shut_down = 0, seeds_shut_down = 0;
    uint64_t min_gap = UINT64_MAX;
    uint64_t n_crash = 0, sum_crash = 0;
    int64_t min_margin = INT64_MAX;
    uint64_t hist[8] = {0};
    /* --units */
    uint64_t u_req = 0, u_rep = 0, u_lost = 0, u_assign = 0, u_zero = 0;
    uint64_t u_changes = 0, u_crash_leader = 0, u_gap = 0, u_crash_sum = 0;
    uint64_t u_crash_max = 0, u_crash_sum_leader = 0, u_crash_max_leader = 0;
    int64_t u_margin = INT64_MAX;
    uint32_t *regains;
    uint64_t n_regains = 0;
    char why[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-v") == 0) {
            o.verbose = true;
        } else if (strcmp(a, "--unranked") == 0) {
            o.ranked = false;
        } else if (strcmp(a, "--crash") == 0) {
            o.scenario = SIM_CRASH;
        } else if (strcmp(a, "--unit-crash") == 0) {
            o.scenario = SIM_UNIT_CRASH;
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
        } else if (strcmp(a, "--slow-disk") == 0) {
            o.slow_disk_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--latency") == 0) {
            o.latency_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--heartbeat") == 0) {
            o.heartbeat_ms = (unsigned)strtoul(v, NULL, 0), i++;
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
        } else if (strcmp(a, "--units") == 0) {
            o.units = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--grant-extra") == 0) {
            o.grant_extra_ms = (unsigned)strtoul(v, NULL, 0), i++;
        } else {
            usage();
        }
    }
    if ((o.nodes != 0 && o.nodes != 3 && o.nodes != 5) || o.drift_pm >= 1000 ||
        o.units == 1 || o.units > SIM_MAX_UNITS ||
        (o.units != 0 && o.scenario == SIM_CRASH) ||
        (o.scenario == SIM_UNIT_CRASH && o.units == 0)) {
        usage();
    }
    if (o.guard_stuck_ms == 0) { /* the daemon's (raft/cluster.c) */
        o.guard_stuck_ms = 3 * o.election_ms;
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
            n_unsafe += r.two_holders;
            printf("FAIL%s seed %" PRIu64 " (%u nodes): %s\n",
                   r.two_holders ? " SAFETY" : "", seed, r.n, why);
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
            if (expect_violation && r.two_holders) {
                break;
            }
            continue;
        }
        if (o.scenario == SIM_CRASH) {
            n_crash++;
            sum_crash += r.crash_failover_ms;
        }
        u_req += r.requests;
        u_rep += r.replies;
        u_lost += r.msgs_lost;
        u_assign += r.assigns;
        u_changes += r.unit_changes;
        if (r.unit_max_zero_ms > u_zero) {
            u_zero = r.unit_max_zero_ms;
        }
        if (r.unit_min_margin_ms < u_margin) {
            u_margin = r.unit_min_margin_ms;
        }
        if (o.scenario == SIM_UNIT_CRASH) {
            n_crash++;
            sum_crash += r.unit_crash_failover_ms;
            u_crash_leader += r.unit_crash_leader;
            u_gap += r.unit_crash_gap_ms;
            if (r.unit_crash_leader) {
                u_crash_sum_leader += r.unit_crash_failover_ms;
                if (r.unit_crash_failover_ms > u_crash_max_leader) {
                    u_crash_max_leader = r.unit_crash_failover_ms;
                }
            } else {
                u_crash_sum += r.unit_crash_failover_ms;
                if (r.unit_crash_failover_ms > u_crash_max) {
                    u_crash_max = r.unit_crash_failover_ms;
                }
            }
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
        shut_down += r.shut_down;
        seeds_shut_down += r.shut_down > 0;
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
           " failed; T=%u L=%u W=%u ms, fault phase %u ms, %s%s, "
           "clock drift +-%u/1000\n",
           n_seeds, first, n_fail, o.election_ms,
           o.lease_ms ? o.lease_ms : (o.election_ms * 8 / 10 - o.heartbeat_ms),
           o.wait_ms, o.duration_ms, o.scenario == SIM_CRASH ? "crash" : "chaos",
           o.ranked ? ", ranked timeouts" : "", o.drift_pm);
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
        printf("sim: libraft shut down %" PRIu64 " servers in %" PRIu64
               " passing schedules (RAFT_UNAVAILABLE, e.g. after a log "
               "conflict on a committed entry)\n",
               shut_down, seeds_shut_down);
        printf("sim: closest handover between two holders: %" PRIu64
               " ms from the old holder's end to the new one's start\n",
               min_gap);
        printf("sim: closest takeover without transfer: %" PRId64
               " ms from the old holder's lease deadline to the new one's "
               "start\n",
               min_margin);
    }
    if (o.units >= 2 && n_ok > 0) {
        printf("sim: %u units: %" PRIu64 " unit holder changes, %" PRIu64
               " ASSIGN proposed, %" PRIu64 " requests answered, %" PRIu64
               " replies delivered, %" PRIu64 " messages lost; longest "
               "stretch of a unit without a holder %" PRIu64 " ms\n",
               o.units, u_changes, u_assign, u_req, u_rep, u_lost, u_zero);
        printf("sim: closest unit takeover without a release: %" PRId64
               " ms from the old holder's deadline to the new one's start\n",
               u_margin);
    }
    if (o.scenario == SIM_UNIT_CRASH && n_crash > 0) {
        uint64_t n_grantee = n_crash - u_crash_leader;
        printf("sim: unit crashes: %" PRIu64 " passed, the unit moved once "
               "in each; the other unit's gaps: %" PRIu64 " ms in total\n",
               n_crash, u_gap);
        printf("sim: crash to new holder: leader (self-held) %" PRIu64
               " crashes, mean %" PRIu64 " max %" PRIu64 " ms; grantee %" PRIu64
               " crashes, mean %" PRIu64 " max %" PRIu64 " ms\n",
               u_crash_leader,
               u_crash_leader ? u_crash_sum_leader / u_crash_leader : 0,
               u_crash_max_leader, n_grantee,
               n_grantee ? u_crash_sum / n_grantee : 0, u_crash_max);
    }
    free(regains);
    printf("sim: %" PRIu64 " schedules with two holders, %" PRIu64
           " other failures; %" PRIu64 " crash failovers, mean %" PRIu64
           " ms\n",
           n_unsafe, n_fail - n_unsafe, n_crash,
           n_crash ? sum_crash / n_crash : 0);
    /* Exit status: 0 all passed, 3 two holders (safety), 1 other
     * failures only. --expect-violation: 0 only if two holders were
     * found, whatever else failed. */
    if (expect_violation) {
        return n_unsafe > 0 ? 0 : 1;
    }
    return n_unsafe > 0 ? 3 : n_fail == 0 ? 0 : 1;
}
