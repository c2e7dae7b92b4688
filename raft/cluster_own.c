/* The ownership part of the cluster (raft/cluster_own.h): a timer that
 * runs the ownership step (raft/own_step.h) on what raft shows
 * (raft/raft015.h), and carries out its actions: hold/release through the
 * callbacks, the term's TICK entry, raft_transfer(). The decisions are all
 * in the step; see raft/cluster.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_own.h"
#include "raft/own_renew.h"
#include "raft/raft015.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static void timer_cb(uv_timer_t *t)
{
    cluster_own_drive(t->data);
}

/* Run the step from the loop, as soon as possible, not from inside a
 * libraft callback: raft reports a failed apply (and a transfer) from the
 * middle of its own step-down, with the leader state already freed but the
 * role still LEADER, so a step observed there would read freed memory
 * (SEGV in raft_apply and in the observation of the followers' progress,
 * tests/netns/pair_witness.sh and vip_fence.sh after a SIGCONT). */
static void drive_soon(struct cluster_own *c)
{
    if (!c->k.is_closing) {
        uv_timer_start(&c->timer, timer_cb, 0, 0);
    }
}

void cluster_own_raft_event(void *data)
{
    struct cluster_own *c = data;
    bool changed;
    if (!c->node->is_started || c->k.is_closing) {
        return;
    }
    changed = raft015_changed(&c->node->raft, &c->sig);
    if (changed || own_wants_events(&c->own)) {
        drive_soon(c);
    }
}

static void cluster_stop_holding(struct cluster_own *c, unsigned why);

/* After `vipctl leave` or a `vipctl remove` the leader told us about: the
 * leader no longer replicates to this node, so raft would time out and
 * campaign forever with a growing term. Say what to do next and let the
 * daemon stop (docs/membership.md). */
static bool report_left(struct cluster_own *c)
{
    if (!c->has_left) {
        return false;
    }
    if (!c->is_left_reported) {
        c->is_left_reported = true;
        if (own_shutdown(&c->own)) {
            cluster_stop_holding(c, OWN_WHY_SHUTDOWN);
        }
        if (c->removed_by != 0) {
            vip_notice("cluster: n%llu was removed from the cluster by the "
                       "leader n%llu", (unsigned long long)c->node->id,
                       (unsigned long long)c->removed_by);
        }
        vip_notice("cluster: n%llu left the cluster and stops here. To "
                   "rejoin: wipe its data dir (%s), set `bootstrap no` in "
                   "its cluster block, start vipd and run `vipctl join "
                   "MEMBER`",
                   (unsigned long long)c->node->id, c->node->data_dir);
        if (c->cbs.left != NULL) {
            c->cbs.left(c->cbs.data);
        }
    }
    return true;
}

static void renew_done(void *data, bool ok)
{
    struct cluster_own *c = data;
    if (ok) {
        c->n_ticks_committed++;
    }
    drive_soon(c);
}

/* The step's `renew`: the term's one TICK entry (raft/own_renew.h); the
 * lease then rides on acknowledged heartbeats (raft/io_lease.h). */
static void tick_submit(struct cluster_own *c, uint64_t now,
                        const struct own_out *out)
{
    struct timespec ts;
    int rv;

    c->renew.own = &c->own;
    c->renew.clock = cluster_clock;
    c->renew.pad8 = true; /* raft/cluster_node.h: cluster_padded_len() */
    c->renew.done = renew_done;
    c->renew.done_data = c;
    clock_gettime(CLOCK_REALTIME, &ts);
    rv = own_renew_submit(
        &c->node->raft, &c->renew, c->node->id, c->node->raft.current_term, now,
        (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, out);
    if (rv != 0) {
        /* The lease runs out on its own; the next step retries. */
        vip_debug("cluster: lease renewal not submitted: %s",
                  raft_strerror(rv));
        return;
    }
    c->n_ticks_sent++;
}

/* The shutdown handover is over (or there was none): tell the owner. */
static void handover_finished(struct cluster_own *c)
{
    void (*done)(void *data) = c->handover_done;

    if (done != NULL && !c->shutdown_transfer && !c->own.is_transferring) {
        c->handover_done = NULL;
        done(c->handover_data);
    }
}

static void cluster_transfer_cb(struct raft_transfer *req)
{
    struct cluster_own *c = req->data;
    raft_id leader = 0;
    const char *addr = NULL;

    raft_leader(&c->node->raft, &leader, &addr);
    if (c->k.is_closing) {
        c->shutdown_transfer = false;
        own_transfer_refused(&c->own);
        vip_info("cluster: shutdown handover %s", leader != c->node->id
                                                      ? "done"
                                                      : "did not happen");
        handover_finished(c);
        return;
    }
    own_transfer_done(&c->own, vip_now_ms(), leader == c->node->id);
    if (leader == c->node->id) {
        vip_notice("cluster: handover failed, holding again");
    } else {
        vip_notice("cluster: handed leadership over");
    }
    drive_soon(c);
}

static size_t cluster_collect_voters(const struct cluster_own *c,
                                     uint64_t *voters, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->node->raft.configuration.n && n < max; i++) {
        if (c->node->raft.configuration.servers[i].role == RAFT_VOTER) {
            voters[n++] = c->node->raft.configuration.servers[i].id;
        }
    }
    return n;
}

static void cluster_stop_holding(struct cluster_own *c, unsigned why)
{
    vip_notice("cluster: releasing (%s)", own_why_text(why));
    c->cbs.release(c->cbs.data);
}

/* Carry out the step's decision, in the order the step defines. */
static void own_execute(struct cluster_own *c, const struct own_in *in,
                        const struct own_out *out)
{
    if (out->failed) {
        vip_err("cluster: raft stopped this node (state unavailable): "
                "releasing the VIPs; restart needed");
        cluster_stop_holding(c, OWN_WHY_FAILED);
        if (c->cbs.failed != NULL) {
            c->cbs.failed(c->cbs.data);
        }
        return;
    }
    if (out->forget_leader) {
        vip_info("cluster: leader %llu silent for %u ms, forgetting it",
                 (unsigned long long)in->leader, (unsigned)c->own.p.election_ms);
    }
    if (out->set_prevote) {
        vip_info("cluster: pre-vote %s", out->prevote_on
                                             ? "on again"
                                             : "off for a while (no leader)");
    }
    raft015_act(&c->node->raft, out);
    if (out->changed) {
        vip_info("cluster: %c term %llu leader %llu",
                 own_role_letter(c->own.role),
                 (unsigned long long)c->own.term,
                 (unsigned long long)c->own.leader);
        vip_log_set_tag((unsigned)c->node->id, own_role_letter(c->own.role));
    }
    if (out->release) {
        cluster_stop_holding(c, out->release_why);
    }
    if (out->transfer_to != 0) {
        int rv;
        c->transfer.data = c;
        rv = raft_transfer(&c->node->raft, &c->transfer, out->transfer_to,
                           cluster_transfer_cb);
        if (rv != 0) {
            vip_warn("cluster: handover to node %llu: %s",
                     (unsigned long long)out->transfer_to, raft_strerror(rv));
            own_transfer_refused(&c->own);
        } else {
            vip_notice("cluster: released, handing over to node %llu (%s)",
                       (unsigned long long)out->transfer_to,
                       out->transfer_requested ? "requested switchover"
                                               : "preferred node");
        }
    }
    if (out->renew) {
        tick_submit(c, in->now, out);
    }
    if (out->hold) {
        if (out->changed) {
            vip_notice("cluster: holding (lease until +%llu ms)",
                       (unsigned long long)(out->hold_until - in->now));
        }
        /* Each later deadline is one lease renewal: the term's entry
         * committing, then majorities acknowledging fresh heartbeats. */
        c->n_lease_renewals++;
        c->cbs.hold(c->cbs.data, out->hold_until);
    }
    if (out->changed && c->role_changed != NULL) {
        c->role_changed(c->role_changed_data); /* proposals, then cbs */
    }
}

void cluster_own_drive(struct cluster_own *c)
{
    struct own_in in;
    struct own_out out;
    uint64_t now;

    if (c->k.is_closing || !c->node->is_started || report_left(c)) {
        return;
    }
    now = vip_now_ms();
    raft015_observe(&c->node->raft, c->node->fsm.st, now, &in);
    raft015_observe_ack(&c->node->io_lease, c->node->id, &in);
    in.placing = c->placing;
    own_step(&c->own, &in, &out);
    own_execute(c, &in, &out);
    /* What the step saw and did (a forgotten leader) is no news. */
    (void)raft015_changed(&c->node->raft, &c->sig);
    if (out.wake_at != UINT64_MAX && !c->k.is_closing) {
        uv_timer_start(&c->timer, timer_cb,
                       out.wake_at > now ? out.wake_at - now : 0, 0);
    }
}

/****** Set-up, requests from above, shutdown ******/

int cluster_own_configure(struct cluster_own *c, struct cluster_node *node,
                          const struct cluster_cbs *cbs, char *errmsg)
{
    const struct cfg_cluster *cc = &node->cfg->cluster;
    struct lease_params lp;
    uint32_t T = node->election_ms, hb = node->heartbeat_ms;
    int rv;

    memset(c, 0, sizeof *c);
    c->node = node;
    c->cbs = *cbs;
    rv = lease_params_derive(
        &lp, T, hb, cc->takeover_wait_ms,
        /* Strict mode: the kernel expires an address up to one lifetime
         * (whole seconds, rounded up) plus ~1 s of granularity late. */
        cc->lease_mode == CFG_LEASE_STRICT ? 2000 + T : 0);
    if (rv != 0) {
        errmsg_printf(errmsg,
                      "cluster: election_timeout %u ms with heartbeat %u ms "
                      "leaves no usable lease",
                      (unsigned)T, (unsigned)hb);
        return VIP_ECONFIG;
    }
    c->lp = lp;
    {
        struct own_params op;
        memset(&op, 0, sizeof op);
        op.self = node->id;
        op.election_ms = T;
        op.heartbeat_ms = hb;
        op.rank_step_ms = own_rank_step(T, hb);
        op.witness = cc->witness;
        /* Poll the role often: raft 0.15 has no state callback, and a new
         * leader holds only once it has noticed its win and its first
         * TICK has committed (polling every heartbeat made a SIGTERM
         * handover half a heartbeat slower on average). */
        op.poll_ms = hb < 10u ? hb : 10u;
        op.prevote_stuck_ms = 3u * T;
        op.prevote_window_ms = 2u * T;
        own_init(&c->own, &op, &lp);
    }
    return 0;
}

void cluster_own_set_self(struct cluster_own *c, raft_id id)
{
    c->own.p.self = id; /* the step may be set up before the id is known */
}

void cluster_own_init(struct cluster_own *c)
{
    uv_timer_init(c->node->loop, &c->timer);
    c->timer.data = c;
}

void cluster_own_left(struct cluster_own *c, uint64_t removed_by)
{
    if (!c->has_left) {
        c->has_left = true;
        c->removed_by = removed_by;
        drive_soon(c);
    }
}

void cluster_own_lease_expired(struct cluster_own *c)
{
    if (c->own.is_holding) {
        vip_warn("cluster: the network layer dropped the VIPs on its own");
    }
    own_dropped(&c->own);
    cluster_own_drive(c);
}

bool cluster_own_is_live(const struct cluster_own *c, raft_id id)
{
    return own_is_live(&c->own, id, vip_now_ms());
}

void cluster_own_stop(struct cluster_own *c)
{
    c->k.is_closing = true;
    uv_timer_stop(&c->timer);
    if (own_shutdown(&c->own)) {
        cluster_stop_holding(c, OWN_WHY_SHUTDOWN);
    }
}

void cluster_own_handover(struct cluster_own *c, void (*done)(void *data),
                          void *data)
{
    bool leads = c->node->is_started &&
                 raft_state(&c->node->raft) == RAFT_LEADER;
    uint64_t voters[CFG_MAX_PEERS + 1];

    c->handover_done = done;
    c->handover_data = data;
    if (leads && !c->own.is_transferring &&
        cluster_collect_voters(c, voters, CFG_MAX_PEERS + 1) > 1) {
        c->transfer.data = c;
        if (raft_transfer(&c->node->raft, &c->transfer, 0,
                          cluster_transfer_cb) == 0) {
            vip_notice("cluster: shutting down, handing leadership over");
            c->shutdown_transfer = true;
        }
    }
    handover_finished(c);
}

void cluster_own_close(struct cluster_own *c, void (*done)(void *data),
                       void *data)
{
    cluster_closing_begin(&c->k, done, data);
    c->k.n++;
    c->timer.data = &c->k;
    uv_close((uv_handle_t *)&c->timer, cluster_closing_timer_cb);
    cluster_closing_counted(&c->k);
}
