/* Unit tests of the ownership step (raft/own_step.c): each rule of
 * raft/own_step.h, one observation at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "raft/entry.h"
#include "raft/own_step.h"

#define T 1000u
#define HB 100u

struct fx
{
    struct fsm_state *st;
    struct own o;
    struct own_in in;
    struct own_out out;
};

static void describe(struct fsm_state *st, uint64_t id, uint8_t prio)
{
    struct fsm_member *m = &st->members[st->n_members++];
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
}

/* Node @self of three voters with priorities 100 (n1), 90 (n2), 80 (n3). */
static struct fx *fx_new(uint64_t self)
{
    struct fx *f = calloc(1, sizeof *f);
    struct own_params p = {.self = self,
                           .election_ms = T,
                           .heartbeat_ms = HB,
                           .rank_step_ms = own_rank_step(T, HB),
                           .poll_ms = 10,
                           .prevote_stuck_ms = 3 * T,
                           .prevote_window_ms = 2 * T};
    struct lease_params lp;

    assert_non_null(f);
    f->st = calloc(1, sizeof *f->st);
    assert_non_null(f->st);
    describe(f->st, 1, 100);
    describe(f->st, 2, 90);
    describe(f->st, 3, 80);
    assert_int_equal(lease_params_derive(&lp, T, HB, 0, 0), 0);
    own_init(&f->o, &p, &lp);
    f->in.st = f->st;
    f->in.term = 2;
    f->in.n_servers = 3;
    for (unsigned i = 0; i < 3; i++) {
        f->in.servers[i].id = i + 1;
        f->in.servers[i].is_voter = true;
    }
    return f;
}

static void fx_free(struct fx *f)
{
    free(f->st);
    free(f);
}

static void step(struct fx *f, uint64_t now)
{
    f->in.now = now;
    own_step(&f->o, &f->in, &f->out);
}

/* Leader at @now: every peer answers (match index moves with the log). */
static void lead(struct fx *f, uint64_t now)
{
    f->in.role = OWN_LEADER;
    f->in.leader = f->o.p.self;
    f->in.last_index++;
    for (unsigned i = 0; i < f->in.n_servers; i++) {
        f->in.servers[i].match_index = f->in.last_index;
        f->in.servers[i].recent_recv = true;
    }
    step(f, now);
}

/* Lead from @t0 until holding: the first renewal commits at once. */
static void lead_and_hold(struct fx *f, uint64_t t0)
{
    lead(f, t0);
    assert_true(f->out.renew);
    own_renewal_sent(&f->o, t0, f->in.term);
    own_renewal_done(&f->o, t0, f->in.term, true);
    lead(f, t0 + 1);
    assert_true(f->out.hold);
    assert_true(f->o.is_holding);
}

/****** Holding and the lease ******/

/* The preferred leader renews, holds once a renewal committed, until
 * t_send + L counted from the SEND time, not from the commit. */
static void test_lease_from_send_time(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead(f, 100);
    assert_true(f->out.renew);
    assert_int_equal(f->out.renew_holder, 1);
    assert_false(f->out.hold);
    own_renewal_sent(&f->o, 100, 2);
    lead(f, 350);
    assert_false(f->out.hold); /* not committed yet */
    own_renewal_done(&f->o, 100, 2, true); /* commit seen at 400 */
    lead(f, 400);
    assert_true(f->out.hold);
    assert_int_equal(f->out.hold_until, 100 + f->o.lease.p.lease_ms);
    fx_free(f);
}

/* Without a fresh commit the lease ends on its own: release at L. */
static void test_lease_runs_out(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    lead(f, 100 + f->o.lease.p.lease_ms);
    assert_true(f->out.release);
    assert_int_equal(f->out.release_why, OWN_WHY_LEASE);
    fx_free(f);
}

/* Losing the leader role releases at once. */
static void test_not_leader_releases(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    f->in.role = OWN_FOLLOWER;
    f->in.term = 3;
    f->in.leader = 2;
    step(f, 150);
    assert_true(f->out.release);
    assert_int_equal(f->out.release_why, OWN_WHY_NOT_LEADER);
    assert_false(f->o.is_holding);
    fx_free(f);
}

/* A switchover pinned to this node (it won through the transfer): it
 * renews and holds although another node has a higher priority. */
static void test_pinned_target_holds(void **state)
{
    struct fx *f = fx_new(2);
    (void)state;
    f->st->transfer_target = 2;
    f->st->transfer_index = 7;
    lead_and_hold(f, 100);
    for (uint64_t t = 200; t <= 100 + 2 * T; t += 100) {
        own_renewal_done(&f->o, t - 50, 2, true);
        lead(f, t);
        assert_int_equal(f->out.transfer_to, 0);
        assert_false(f->out.release);
    }
    assert_true(f->o.is_holding);
    fx_free(f);
}

/****** Handover ******/

/* A new leader that is not preferred keeps holding while its view of the
 * live voters settles (T + 2 heartbeats), then releases and transfers. */
static void test_settle_then_handover(void **state)
{
    struct fx *f = fx_new(2);
    uint64_t settled = 100 + T + 2 * HB;
    (void)state;
    lead_and_hold(f, 100);
    for (uint64_t t = 200; t < settled; t += 100) {
        own_renewal_done(&f->o, t - 50, 2, true);
        lead(f, t);
        assert_int_equal(f->out.transfer_to, 0);
        assert_false(f->out.release);
    }
    lead(f, settled);
    assert_int_equal(f->out.transfer_to, 1);
    assert_true(f->out.release); /* released in the same step, first */
    assert_int_equal(f->out.release_why, OWN_WHY_HANDOVER);
    fx_free(f);
}

/* A FAULT (or maintenance) holder drops at once, settled or not. */
static void test_ineligible_drops_at_once(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    f->st->members[0].maintenance = true;
    lead(f, 200); /* long before the view settles */
    assert_true(f->out.release);
    assert_false(f->o.is_holding);
    assert_int_equal(f->out.transfer_to, 0); /* the move waits */
    fx_free(f);
}

/* A failed handover (the target lagged): hold again once a renewal sent
 * after the failure commits; no new transfer for 2 T. */
static void test_resume_after_failed_handover(void **state)
{
    struct fx *f = fx_new(2);
    uint64_t settled = 100 + T + 2 * HB;
    (void)state;
    lead_and_hold(f, 100);
    own_renewal_done(&f->o, settled - 50, 2, true);
    lead(f, settled);
    assert_int_equal(f->out.transfer_to, 1);
    own_transfer_done(&f->o, settled + T, true);
    lead(f, settled + T + 1);
    assert_true(f->out.renew);
    assert_int_equal(f->out.transfer_to, 0);
    own_renewal_sent(&f->o, settled + T + 1, 2);
    own_renewal_done(&f->o, settled + T + 1, 2, true);
    lead(f, settled + T + 2);
    assert_true(f->out.hold);
    fx_free(f);
}

/* A better node that stopped answering is not live after T: no handover
 * to it, the leader keeps holding. */
static void test_dead_peer_not_preferred(void **state)
{
    struct fx *f = fx_new(2);
    (void)state;
    lead_and_hold(f, 100);
    /* n1 stops answering from 150 on. */
    f->in.servers[0].recent_recv = false;
    for (uint64_t t = 150; t <= 100 + 3 * T; t += 50) {
        f->in.role = OWN_LEADER;
        f->in.last_index++;
        f->in.servers[1].match_index = f->in.last_index;
        f->in.servers[2].match_index = f->in.last_index;
        f->in.servers[2].recent_recv = true;
        own_renewal_sent(&f->o, t, 2);
        own_renewal_done(&f->o, t, 2, true);
        step(f, t);
        assert_int_equal(f->out.transfer_to, 0);
    }
    assert_true(f->o.is_holding);
    assert_false(own_is_live(&f->o, 1, 100 + 3 * T));
    assert_true(own_is_live(&f->o, 3, 100 + 3 * T));
    fx_free(f);
}

/* An operator switchover: release and transfer to the named node. */
static void test_requested_switchover(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    f->st->transfer_target = 3;
    f->st->transfer_index = 9;
    lead(f, 200);
    assert_int_equal(f->out.transfer_to, 3);
    assert_true(f->out.transfer_requested);
    assert_true(f->out.release);
    fx_free(f);
}

/****** Raft-facing rules ******/

/* raft UNAVAILABLE: release for good and report, once. */
static void test_unavailable(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    f->in.role = OWN_UNAVAILABLE;
    step(f, 200);
    assert_true(f->out.failed);
    assert_true(f->out.release);
    assert_false(f->o.is_holding);
    assert_false(f->out.renew);
    step(f, 300);
    assert_false(f->out.failed);
    fx_free(f);
}

/* A follower forgets a leader silent for T, not before. */
static void test_forget_silent_leader(void **state)
{
    struct fx *f = fx_new(2);
    (void)state;
    f->in.role = OWN_FOLLOWER;
    f->in.leader = 1;
    f->in.since_contact_ms = T - 1;
    step(f, 100);
    assert_false(f->out.forget_leader);
    f->in.since_contact_ms = T;
    step(f, 101);
    assert_true(f->out.forget_leader);
    fx_free(f);
}

/* Ranked election timeouts, leader left out: after n1 fails, n2 (90)
 * fires first, n3 (80) one step later; none below T; none set without a
 * leader. */
static void test_ranked_timeouts(void **state)
{
    struct fx *f2 = fx_new(2), *f3 = fx_new(3);
    (void)state;
    f2->in.role = f3->in.role = OWN_FOLLOWER;
    f2->in.leader = f3->in.leader = 1;
    step(f2, 100);
    step(f3, 100);
    assert_int_equal(f2->out.set_timeout_ms, T + 2 * 10);
    assert_int_equal(f3->out.set_timeout_ms,
                     T + 2 * 10 + own_rank_step(T, HB));
    f2->in.timeout_ms = f2->out.set_timeout_ms;
    step(f2, 110);
    assert_int_equal(f2->out.set_timeout_ms, 0); /* already right */
    f3->in.leader = 0;
    f3->in.timeout_ms = 1500;
    step(f3, 110);
    assert_int_equal(f3->out.set_timeout_ms, 0);
    for (unsigned r = 0; r < 40; r++) {
        assert_true(own_rank_timeout(&f2->o.p, r) >= T);
        assert_true(own_rank_timeout(&f2->o.p, r) < 2 * T);
    }
    fx_free(f2);
    fx_free(f3);
}

/* A candidate whose pre-vote round failed retries after a heartbeat plus
 * its rank steps (the leader it followed left out), not after raft's draw;
 * a real election keeps raft's draw. The step between ranks covers 10 %
 * clock drift: two heartbeats plus T/10. */
static void test_prevote_retry(void **state)
{
    struct fx *f2 = fx_new(2), *f3 = fx_new(3);
    (void)state;
    assert_int_equal(own_rank_step(1000, 100), 300);
    assert_int_equal(own_rank_step(1000, 10), 120);
    f2->in.role = f3->in.role = OWN_FOLLOWER;
    f2->in.leader = f3->in.leader = 1;
    step(f2, 100);
    step(f3, 100);
    f2->in.role = f3->in.role = OWN_CANDIDATE;
    f2->in.leader = f3->in.leader = 0;
    f2->in.in_prevote = f3->in.in_prevote = true;
    f2->in.timeout_ms = f3->in.timeout_ms = 1700;
    step(f2, 1200);
    step(f3, 1200);
    assert_int_equal(f2->out.set_timeout_ms, HB);
    assert_int_equal(f3->out.set_timeout_ms, HB + own_rank_step(T, HB));
    f2->in.timeout_ms = HB;
    step(f2, 1210);
    assert_int_equal(f2->out.set_timeout_ms, 0); /* already right */
    f3->in.in_prevote = false;
    step(f3, 1210);
    assert_int_equal(f3->out.set_timeout_ms, 0);
    for (unsigned r = 0; r < 40; r++) {
        assert_true(own_prevote_retry(&f2->o.p, r) > 0);
        assert_true(own_prevote_retry(&f2->o.p, r) < 2 * T);
    }
    fx_free(f2);
    fx_free(f3);
}

/* A witness ranks after every node that can hold: by its NODE record
 * (n1, with the best priority, marked witness), and by its own config
 * before it described itself (n1 without a record against n3 in
 * maintenance, which would otherwise rank after it by id). */
static void test_witness_ranks_last(void **state)
{
    struct fx *f1 = fx_new(1), *f3 = fx_new(3);
    (void)state;
    f1->st->members[0].node.flags |= ENTRY_NODE_F_WITNESS;
    f3->st->members[0].node.flags |= ENTRY_NODE_F_WITNESS;
    f1->o.p.witness = true;
    f1->in.role = f3->in.role = OWN_FOLLOWER;
    f1->in.leader = f3->in.leader = 2;
    step(f1, 100);
    step(f3, 100);
    assert_int_equal(f1->out.set_timeout_ms,
                     T + 2 * 10 + own_rank_step(T, HB));
    assert_int_equal(f3->out.set_timeout_ms, T + 2 * 10);
    fx_free(f1);
    fx_free(f3);

    f1 = fx_new(1);
    f1->st->members[0].has_node = false;
    f1->st->members[2].maintenance = true;
    f1->in.role = OWN_FOLLOWER;
    f1->in.leader = 2;
    step(f1, 100);
    assert_int_equal(f1->out.set_timeout_ms, T + 2 * 10); /* not a witness */
    f1->o.p.witness = true;
    f1->in.timeout_ms = f1->out.set_timeout_ms;
    step(f1, 110);
    assert_int_equal(f1->out.set_timeout_ms,
                     T + 2 * 10 + own_rank_step(T, HB));
    fx_free(f1);
}

/* A witness that wins hands leadership to the best node in the step where
 * that node answers, without waiting for the view to settle, and never
 * holds. */
static void test_witness_hands_over_at_once(void **state)
{
    struct fx *f = fx_new(3);
    (void)state;
    f->st->members[2].node.flags |= ENTRY_NODE_F_WITNESS;
    lead(f, 100);
    assert_int_equal(f->out.transfer_to, 1);
    assert_false(f->out.transfer_requested);
    assert_false(f->out.hold);
    assert_false(f->o.is_holding);
    fx_free(f);
}

/* The best node (n1) does not answer: the witness hands over to n2 two
 * heartbeats after its election (every live voter answered the first
 * round), not after T. */
static void test_witness_best_dead(void **state)
{
    struct fx *f = fx_new(3);
    uint64_t t;
    (void)state;
    f->o.p.witness = true;
    f->in.role = OWN_LEADER;
    f->in.leader = 3;
    for (t = 100; t < 100 + 2 * HB; t += 10) {
        f->in.last_index++;
        f->in.servers[1].match_index = f->in.last_index;
        f->in.servers[1].recent_recv = true;
        step(f, t);
        assert_int_equal(f->out.transfer_to, 0);
        assert_false(f->out.hold);
    }
    step(f, t);
    assert_int_equal(f->out.transfer_to, 2);
    fx_free(f);
}

/* Pre-vote off after a leaderless stretch hearing a majority, never while
 * cut off; a candidate in a pre-vote round leaves it; on again with a
 * leader. */
static void test_prevote_guard(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    f->in.role = OWN_CANDIDATE;
    f->in.in_prevote = true;
    /* Cut off from the others: pre-vote stays on. */
    step(f, 100);
    step(f, 100 + 10 * T);
    assert_false(f->out.set_prevote);
    f->in.hears_majority = true;
    step(f, 100 + 10 * T);
    assert_false(f->out.set_prevote);
    step(f, 100 + 13 * T - 1);
    assert_false(f->out.set_prevote);
    step(f, 100 + 13 * T);
    assert_true(f->out.set_prevote);
    assert_false(f->out.prevote_on);
    assert_true(f->out.cancel_prevote);
    f->in.role = OWN_FOLLOWER;
    f->in.leader = 2;
    step(f, 200 + 13 * T);
    assert_true(f->out.set_prevote);
    assert_true(f->out.prevote_on);
    fx_free(f);
}

/* Shutdown: release once, never hold again. */
static void test_shutdown(void **state)
{
    struct fx *f = fx_new(1);
    (void)state;
    lead_and_hold(f, 100);
    assert_true(own_shutdown(&f->o));
    lead(f, 200);
    assert_false(f->out.hold);
    assert_false(f->out.renew);
    assert_false(own_shutdown(&f->o));
    fx_free(f);
}

/****** Wake-ups (the step runs at its deadlines, not every poll) ******/

/* A follower of a live leader sleeps until the leader would have been
 * silent for T, and needs no step on raft events that change nothing. */
static void test_follower_wakes_at_forget_deadline(void **state)
{
    struct fx *f = fx_new(2);
    (void)state;
    f->in.role = OWN_FOLLOWER;
    f->in.leader = 1;
    f->in.since_contact_ms = 300;
    step(f, 5000);
    assert_false(f->out.forget_leader);
    assert_int_equal(f->out.wake_at, 5000 + T - 300);
    assert_false(own_wants_events(&f->o));
    /* Without a leader it polls and wants every event again. */
    f->in.role = OWN_CANDIDATE;
    f->in.leader = 0;
    f->in.term++;
    step(f, 5100);
    assert_int_equal(f->out.wake_at, 5100 + 10);
    assert_true(own_wants_events(&f->o));
    fx_free(f);
}

/* A settled leader that holds gives the network layer a later deadline
 * only when the one it gave comes within L/2 of its end, and sleeps until
 * then; an earlier step keeps the deadline. */
static void test_leader_refreshes_hold_at_half_lease(void **state)
{
    struct fx *f = fx_new(1);
    uint32_t L = f->o.lease.p.lease_ms;
    uint64_t H, t1, t2;
    (void)state;
    lead_and_hold(f, 100);
    for (uint64_t t = 200; t <= 100 + T + 4 * HB; t += HB) {
        f->in.has_ack = true;
        f->in.ack_since = t - 50;
        lead(f, t);
        assert_false(f->out.release);
    }
    assert_true(f->o.is_holding);
    assert_false(own_wants_events(&f->o));
    H = f->o.hold_until;
    t1 = H - L / 2 - 1;
    f->in.ack_since = t1 - 50;
    lead(f, t1);
    assert_false(f->out.hold); /* a later deadline exists, not due yet */
    assert_int_equal(f->o.hold_until, H);
    assert_int_equal(f->out.wake_at, H - L / 2);
    t2 = H - L / 2;
    f->in.ack_since = t2 - 50;
    lead(f, t2);
    assert_true(f->out.hold);
    assert_int_equal(f->out.hold_until, t2 - 50 + L);
    fx_free(f);
}

/* The follower's rank is cached on the applied index: a new state at the
 * same index keeps the old answer, a new index recomputes it. */
static void test_rank_cached_on_applied_index(void **state)
{
    struct fx *f = fx_new(3);
    uint32_t step_ms = f->o.p.rank_step_ms;
    (void)state;
    f->in.role = OWN_FOLLOWER;
    f->in.leader = 1;
    f->in.applied = 7;
    step(f, 100);
    assert_int_equal(f->out.set_timeout_ms, T + 2 * 10 + step_ms); /* rank 1 */
    f->in.timeout_ms = f->out.set_timeout_ms;
    f->st->members[2].node.instances[0].base_priority = 95; /* n3 > n2 */
    step(f, 200);
    assert_int_equal(f->out.set_timeout_ms, 0); /* same index: cached */
    f->in.applied = 8;
    step(f, 300);
    assert_int_equal(f->out.set_timeout_ms, T + 2 * 10); /* rank 0 now */
    fx_free(f);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(own_role_name(OWN_LEADER), "leader");
    assert_string_equal(own_role_name(OWN_FOLLOWER), "follower");
    assert_string_equal(own_role_name(OWN_CANDIDATE), "candidate");
    assert_string_equal(own_role_name(OWN_UNAVAILABLE), "unavailable");
    assert_string_equal(own_role_name(42), "unknown");
    assert_int_equal(own_role_letter(OWN_LEADER), 'L');
    assert_int_equal(own_role_letter(7), '-');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_from_send_time),
        cmocka_unit_test(test_lease_runs_out),
        cmocka_unit_test(test_not_leader_releases),
        cmocka_unit_test(test_pinned_target_holds),
        cmocka_unit_test(test_settle_then_handover),
        cmocka_unit_test(test_ineligible_drops_at_once),
        cmocka_unit_test(test_resume_after_failed_handover),
        cmocka_unit_test(test_dead_peer_not_preferred),
        cmocka_unit_test(test_requested_switchover),
        cmocka_unit_test(test_unavailable),
        cmocka_unit_test(test_forget_silent_leader),
        cmocka_unit_test(test_ranked_timeouts),
        cmocka_unit_test(test_prevote_retry),
        cmocka_unit_test(test_witness_ranks_last),
        cmocka_unit_test(test_witness_hands_over_at_once),
        cmocka_unit_test(test_witness_best_dead),
        cmocka_unit_test(test_prevote_guard),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_follower_wakes_at_forget_deadline),
        cmocka_unit_test(test_leader_refreshes_hold_at_half_lease),
        cmocka_unit_test(test_rank_cached_on_applied_index),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
