/* The Raft node's ownership side: role polling (raft 0.15 has no state
 * callback), the lease driver (TICK entries), the choice of the holder and
 * the handover (release, then raft_transfer()). See raft/cluster.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_internal.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static void timer_cb(uv_timer_t *t)
{
    cluster_drive(t->data);
}


static char role_letter(int role)
{
    switch (role) {
    case RAFT_LEADER:
        return 'L';
    case RAFT_FOLLOWER:
        return 'F';
    case RAFT_CANDIDATE:
        return 'C';
    default:
        return '-';
    }
}

struct cluster_tick
{
    struct raft_apply req;
    struct cluster *c;
    uint64_t t_send;
    raft_term term;
};

static void tick_cb(struct raft_apply *req, int status, void *result)
{
    struct cluster_tick *t = req->data;
    struct cluster *c = t->c;
    (void)result;

    if (status == 0) {
        c->n_ticks_committed++;
        lease_renewal_committed(&c->lease, t->t_send, t->term);
    } else {
        lease_renewal_failed(&c->lease, t->t_send, t->term);
    }
    free(t);
    if (c->is_closing) {
        return;
    }
    if (status == 0) {
        cluster_drive(c);
    } else {
        /* A failed renewal is reported from inside raft's step-down, with
         * the leader state already freed but the role not yet changed:
         * driving now would submit to a half-converted raft (SEGV in
         * raft_apply, tests/netns/pair_witness.sh). Drive from the loop. */
        uv_timer_start(&c->timer, timer_cb, 0, 0);
    }
}

/* Append a TICK: the lease renewal carrier (and the wall clock for the
 * events history). */
static void tick_submit(struct cluster *c, uint64_t now, bool will_hold)
{
    struct cluster_tick *t;
    struct entry e;
    struct raft_buffer buf;
    struct timespec ts;
    size_t len;
    int rv;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_TICK;
    e.u.tick.leader = c->id;
    e.u.tick.term = c->raft.current_term;
    clock_gettime(CLOCK_REALTIME, &ts);
    e.u.tick.wall_ms =
        (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    e.u.tick.holder = will_hold ? c->id : 0;
    e.u.tick.reason = !will_hold               ? ENTRY_HOLD_RELEASE
                      : c->lease.has_commit ? ENTRY_HOLD_RENEW
                                            : ENTRY_HOLD_ELECTED;
    t = malloc(sizeof *t);
    len = entry_encoded_size(&e);
    buf.len = cluster_padded_len(len);
    buf.base = len > 0 ? raft_calloc(1, buf.len) : NULL;
    if (t == NULL || buf.base == NULL) {
        /* The lease runs out on its own; the next wake-up retries. */
        vip_warn("cluster: out of memory for a lease renewal");
        free(t);
        raft_free(buf.base);
        return;
    }
    rv = entry_encode(&e, buf.base, buf.len, &len, NULL);
    assert(rv == 0);
    t->c = c;
    t->t_send = now;
    t->term = c->raft.current_term;
    t->req.data = t;
    rv = raft_apply(&c->raft, &t->req, &buf, 1, tick_cb);
    if (rv != 0) {
        vip_debug("cluster: lease renewal not submitted: %s",
                  raft_strerror(rv));
        raft_free(buf.base);
        free(t);
        return;
    }
    c->n_ticks_sent++;
    lease_renewal_sent(&c->lease, now, t->term);
}

void cluster_transfer_cb(struct raft_transfer *req)
{
    struct cluster *c = req->data;
    raft_id leader = 0;
    const char *addr = NULL;

    c->is_transferring = false;
    raft_leader(&c->raft, &leader, &addr);
    if (c->is_closing) {
        vip_info("cluster: shutdown handover %s", leader != c->id
                                                      ? "done"
                                                      : "did not happen");
        cluster_close_step(c);
        return;
    }
    if (leader == c->id) {
        /* A transfer whose target lags is dropped after T: keep leading,
         * hold again once a fresh renewal commits, retry later. */
        vip_notice("cluster: handover failed, holding again");
        lease_resume(&c->lease, vip_now_ms());
    } else {
        vip_notice("cluster: handed leadership over");
    }
    cluster_drive(c);
}

size_t cluster_collect_voters(const struct cluster *c, uint64_t *voters,
                             size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->raft.configuration.n && n < max; i++) {
        if (c->raft.configuration.servers[i].role == RAFT_VOTER) {
            voters[n++] = c->raft.configuration.servers[i].id;
        }
    }
    return n;
}

/* Leader: refresh the signs of life of every voter from raft's progress.
 * A sign of life is a match index that moved, or a recent reply from a
 * follower that is fully caught up. raft 0.15 clears recent_recv only once
 * per election timeout, so while the leader appends (lease renewals every
 * L/3) a follower that stopped answering must not be kept alive by it: a
 * node that had just exited (SIGTERM handover) was still "live" when the
 * new leader's settling time ended, the VIPs were handed to it, and the
 * failed transfer left nobody holding for T (measured: 580-610 ms of
 * outage after each SIGTERM handover at T = 500 ms). */
static void seen_update(struct cluster *c, uint64_t now)
{
    const struct raft_configuration *conf = &c->raft.configuration;
    raft_index last = raft_last_index(&c->raft);

    for (unsigned i = 0; i < conf->n && i < CFG_MAX_PEERS + 1; i++) {
        const struct raft_progress *p = &c->raft.leader_state.progress[i];
        if (c->seen[i].id != conf->servers[i].id) {
            c->seen[i].id = conf->servers[i].id;
            c->seen[i].match = 0;
            c->seen[i].seen_ms = 0;
        }
        if (p->match_index > c->seen[i].match ||
            (p->recent_recv && p->match_index >= last)) {
            c->seen[i].match = p->match_index;
            c->seen[i].seen_ms = now;
        }
    }
}

/* Voters that may be preferred: this node, and live peers. */
static size_t collect_live_voters(const struct cluster *c, uint64_t now,
                                  uint64_t *voters, size_t max)
{
    const struct raft_configuration *conf = &c->raft.configuration;
    uint64_t window = c->raft.election_timeout;
    size_t n = 0;

    for (unsigned i = 0; i < conf->n && i < CFG_MAX_PEERS + 1 && n < max;
         i++) {
        if (conf->servers[i].role != RAFT_VOTER) {
            continue;
        }
        if (conf->servers[i].id == c->id ||
            (c->seen[i].id == conf->servers[i].id && c->seen[i].seen_ms != 0 &&
             now - c->seen[i].seen_ms <= window)) {
            voters[n++] = conf->servers[i].id;
        }
    }
    return n;
}

/* When a new leader's picture of who is live is complete: every live voter
 * has answered (within a heartbeat or two), and a voter that stopped
 * answering just before the election has dropped out of the live window
 * (one election timeout after its last sign of life). */
static uint64_t cluster_settled_at(const struct cluster *c)
{
    return c->leader_since_ms + c->raft.election_timeout +
           2u * c->raft.heartbeat_timeout;
}

/* Release, then hand leadership to @target. Returns false (not holding). */
static bool cluster_handover(struct cluster *c, uint64_t now, uint64_t target,
                             const char *why)
{
    int rv;

    if (!c->lease.released) {
        lease_release(&c->lease);
    }
    /* Release first, before raft_transfer() can make anyone else leader. */
    if (c->is_holding) {
        c->is_holding = false;
        c->hold_until_ms = 0;
        c->cbs.release(c->cbs.data);
    }
    c->transfer.data = c;
    rv = raft_transfer(&c->raft, &c->transfer, target, cluster_transfer_cb);
    c->next_transfer_ms = now + 2u * c->raft.election_timeout;
    if (rv != 0) {
        vip_warn("cluster: handover to node %llu: %s",
                 (unsigned long long)target, raft_strerror(rv));
        return false;
    }
    vip_notice("cluster: released, handing over to node %llu (%s)",
               (unsigned long long)target, why);
    c->is_transferring = true;
    return false;
}

/* The leader's ownership decision: hold (lease permitting), release and
 * hand over, or hold nothing. Returns whether this node wants to hold. */
static bool ownership_decide(struct cluster *c, uint64_t now)
{
    uint64_t voters[CFG_MAX_PEERS + 1];
    struct priority_ctx ctx;
    struct priority_choice choice;

    seen_update(c, now);
    ctx.n_voters = collect_live_voters(c, now, voters, CFG_MAX_PEERS + 1);
    ctx.voters = voters;
    ctx.holder = c->lease.released ? 0 : c->id;
    ctx.now_ms = now;
    priority_choose(c->fsm.st, &ctx, &c->pending, &choice);

    /* A planned switchover (`vipctl transfer`, an ADMIN TRANSFER entry):
     * to the named node, or to the best other live eligible node. */
    if (c->fsm.st->transfer_index > c->transfer_done_index &&
        !c->is_transferring) {
        uint64_t target = c->fsm.st->transfer_target;
        c->transfer_done_index = c->fsm.st->transfer_index;
        if (target == 0) {
            target = choice.best != c->id ? choice.best : 0;
            for (size_t i = 0; target == 0 && i < ctx.n_voters; i++) {
                if (voters[i] != c->id) {
                    target = voters[i];
                }
            }
        }
        if (target != 0 && target != c->id) {
            return cluster_handover(c, now, target, "requested switchover");
        }
    }

    if (choice.preferred == c->id) {
        if (c->lease.released && !c->is_transferring) {
            lease_resume(&c->lease, now);
        }
        return true;
    }
    if (choice.preferred == 0 || !choice.holder_eligible) {
        /* Not eligible (FAULT, maintenance), or nobody is: drop now. */
        if (!c->lease.released) {
            lease_release(&c->lease);
        }
        if (choice.preferred == 0 || c->is_transferring ||
            now < c->next_transfer_ms ||
            now < cluster_settled_at(c)) {
            return false;
        }
    } else if (c->is_transferring) {
        return false;
    } else if (now < choice.move_at_ms || now < c->next_transfer_ms ||
               now < cluster_settled_at(c)) {
        /* A better node exists but the move is not due yet (preempt_delay,
         * settling after the election, a failed handover): keep holding.
         * Peers show signs of life within a heartbeat or two of an
         * election; do not move the VIPs on an incomplete picture. */
        return !c->lease.released;
    } else if (!c->lease.released) {
        lease_release(&c->lease);
    }
    return cluster_handover(c, now, choice.preferred, "preferred node");
}
/* A follower has heard nothing from its leader for an election timeout
 * (raft's own clock and timer start: reset by every AppendEntries). */
static bool leader_silent(struct cluster *c)
{
    raft_time now = c->raft.io->time(c->raft.io);
    return now >= c->raft.election_timer_start &&
           now - c->raft.election_timer_start >= c->raft.election_timeout;
}

/* How often the role is polled, at most: CLUSTER_ROLE_POLL_MS, or the
 * heartbeat if that is shorter. */
#define CLUSTER_ROLE_POLL_MS 10u
static uint64_t cluster_role_poll_ms(const struct cluster *c)
{
    return c->raft.heartbeat_timeout < CLUSTER_ROLE_POLL_MS
               ? c->raft.heartbeat_timeout
               : CLUSTER_ROLE_POLL_MS;
}

void cluster_drive(struct cluster *c)
{
    uint64_t now, next, until;
    raft_id leader = 0;
    const char *leader_addr = NULL;
    int role;
    bool changed = false;
    bool wants = false;
    bool due;

    if (c->is_closing || !c->is_started) {
        return;
    }
    now = vip_now_ms();
    role = raft_state(&c->raft);
    raft_leader(&c->raft, &leader, &leader_addr);
    if (role == RAFT_UNAVAILABLE && !c->is_failed) {
        /* libraft 0.15 stops a node for good in some snapshot races
         * (tests/sim README); holding on would only fake a member. */
        c->is_failed = true;
        vip_err("cluster: raft stopped this node (state unavailable): "
                "releasing the VIPs; restart needed");
        lease_release(&c->lease);
        c->is_holding = false;
        c->hold_until_ms = 0;
        c->cbs.release(c->cbs.data);
        if (c->cbs.failed != NULL) {
            c->cbs.failed(c->cbs.data);
        }
        return;
    }
    if (role == RAFT_FOLLOWER && leader != 0 && leader_silent(c)) {
        /* raft 0.15 followers refuse every (pre-)vote while they know a
         * leader, however long it has been silent: after a holder crash
         * the election succeeded only once the LAST survivor's own timer
         * ([T, 2T]) had fired (~1.67 T). Forget a leader that has been
         * silent for T, as later canonical raft and etcd do: the first
         * survivor to time out wins (~1.33 T). Safety does not move: a
         * candidate still needs its own timer to run out, T after the
         * last entry it received (DESIGN.md 4.2 rests on that alone). */
        vip_info("cluster: leader %llu silent for %u ms, forgetting it",
                 (unsigned long long)leader,
                 (unsigned)c->raft.election_timeout);
        c->raft.follower_state.current_leader.id = 0;
        leader = 0;
    }
    if (role != c->role || c->raft.current_term != c->term ||
        leader != c->leader_id) {
        vip_info("cluster: %c term %llu leader %llu", role_letter(role),
                 (unsigned long long)c->raft.current_term,
                 (unsigned long long)leader);
        vip_log_set_tag((unsigned)c->id, role_letter(role));
        if (role == RAFT_LEADER &&
            (c->role != RAFT_LEADER || c->term != c->raft.current_term)) {
            c->leader_since_ms = now;
            memset(c->seen, 0, sizeof c->seen);
            /* Switchover requests from before this term were for another
             * leader: not ours to replay. */
            c->transfer_done_index = c->fsm.st->transfer_index;
        }
        c->role = role;
        c->term = c->raft.current_term;
        c->leader_id = leader;
        changed = true;
    }

    /* Pre-vote with libraft 0.15 can livelock (raft/prevote.h): after a
     * leaderless stretch, run real elections for a while. */
    {
        bool knows = role == RAFT_LEADER ||
                     (role == RAFT_FOLLOWER && leader != 0);
        bool on = prevote_guard_update(&c->prevote, now, knows);
        if (on != c->is_prevote_on) {
            vip_info("cluster: pre-vote %s", on ? "on again"
                                               : "off for a while (no leader)");
            c->is_prevote_on = on;
            raft_set_pre_vote(&c->raft, on);
            /* A candidacy decides pre-vote when it starts: turn the
             * current one into a real election too (as the simulation
             * does, tests/sim). */
            if (!on && role == RAFT_CANDIDATE) {
                c->raft.candidate_state.in_pre_vote = false;
            }
        }
    }

    /* The lease learns the role first: a new term resets it. */
    due = lease_tick(&c->lease, now, role == RAFT_LEADER,
                     c->raft.current_term);
    if (role == RAFT_LEADER) {
        wants = ownership_decide(c, now);
    }
    if (due && !c->lease.released) {
        tick_submit(c, now, wants);
    }
    until = lease_holds_until(&c->lease, now);
    if (until != 0 && wants) {
        if (!c->is_holding || until != c->hold_until_ms) {
            if (!c->is_holding) {
                vip_notice("cluster: holding (lease until +%llu ms)",
                           (unsigned long long)(until - now));
                changed = true;
            }
            c->is_holding = true;
            c->hold_until_ms = until;
            c->cbs.hold(c->cbs.data, until);
        }
    } else if (c->is_holding) {
        vip_notice("cluster: releasing (%s)",
                   role != RAFT_LEADER ? "not leader" : "lease not renewed");
        c->is_holding = false;
        c->hold_until_ms = 0;
        c->cbs.release(c->cbs.data);
        changed = true;
    }
    if (changed) {
        cluster_props_pump(c);
        if (c->cbs.changed != NULL) {
            c->cbs.changed(c->cbs.data);
        }
    }

    next = lease_next_wake(&c->lease, now);
    /* Poll the role often: raft 0.15 has no state callback, and a new
     * leader (after a transfer or a crash) holds only once it has noticed
     * its win and its first TICK has committed. Polling every heartbeat
     * made a SIGTERM handover take half a heartbeat longer on average. */
    if (next > now + cluster_role_poll_ms(c)) {
        next = now + cluster_role_poll_ms(c);
    }
    uv_timer_start(&c->timer, timer_cb, next > now ? next - now : 0, 0);
}
