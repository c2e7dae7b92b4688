/* The Raft node's ownership side: a timer that runs the ownership step
 * (raft/own_step.h) on what raft shows (raft/raft015.h), and carries out
 * its actions: hold/release through the callbacks, the term's TICK entry,
 * raft_transfer(). The decisions are all in the step; see raft/cluster.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_internal.h"
#include "raft/own_renew.h"
#include "raft/raft015.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static void timer_cb(uv_timer_t *t)
{
    cluster_drive(t->data);
}

/* Run the step from the loop, as soon as possible, not from inside a
 * libraft callback: raft reports a failed apply (and a transfer) from the
 * middle of its own step-down, with the leader state already freed but the
 * role still LEADER, so a step observed there would read freed memory
 * (SEGV in raft_apply and in the observation of the followers' progress,
 * tests/netns/pair_witness.sh and vip_fence.sh after a SIGCONT). */
static void drive_soon(struct cluster *c)
{
    if (!c->is_closing) {
        uv_timer_start(&c->timer, timer_cb, 0, 0);
    }
}

void cluster_drive_soon(struct cluster *c)
{
    drive_soon(c);
}

void cluster_raft_event(void *data)
{
    struct cluster *c = data;
    bool changed;
    if (!c->is_started || c->is_closing) {
        return;
    }
    changed = raft015_changed(&c->raft, &c->sig);
    if (changed || own_wants_events(&c->own)) {
        drive_soon(c);
    }
}

/* After `vipctl leave`: the leader no longer replicates to this node, so
 * raft would time out and campaign forever with a growing term. Say what
 * to do next and let the daemon stop (docs/membership.md). */
static bool report_left(struct cluster *c)
{
    if (!c->has_left) {
        return false;
    }
    if (!c->is_left_reported) {
        c->is_left_reported = true;
        if (own_shutdown(&c->own)) {
            cluster_stop_holding(c, OWN_WHY_SHUTDOWN);
        }
        vip_notice("cluster: n%llu left the cluster and stops here. To "
                   "rejoin: wipe its data dir (%s), set `bootstrap no` in "
                   "its cluster block, start vipd and run `vipctl join "
                   "MEMBER`",
                   (unsigned long long)c->id, c->data_dir);
        if (c->cbs.left != NULL) {
            c->cbs.left(c->cbs.data);
        }
    }
    return true;
}

static void renew_done(void *data, bool ok)
{
    struct cluster *c = data;
    if (ok) {
        c->n_ticks_committed++;
    }
    drive_soon(c);
}

/* The step's `renew`: the term's one TICK entry (raft/own_renew.h); the
 * lease then rides on acknowledged heartbeats (raft/io_lease.h). */
static void tick_submit(struct cluster *c, uint64_t now,
                        const struct own_out *out)
{
    struct timespec ts;
    int rv;

    c->renew.own = &c->own;
    c->renew.clock = cluster_clock;
    c->renew.pad8 = true; /* raft/cluster_internal.h: cluster_padded_len() */
    c->renew.done = renew_done;
    c->renew.done_data = c;
    clock_gettime(CLOCK_REALTIME, &ts);
    rv = own_renew_submit(
        &c->raft, &c->renew, c->id, c->raft.current_term, now,
        (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, out);
    if (rv != 0) {
        /* The lease runs out on its own; the next step retries. */
        vip_debug("cluster: lease renewal not submitted: %s",
                  raft_strerror(rv));
        return;
    }
    c->n_ticks_sent++;
}

void cluster_transfer_cb(struct raft_transfer *req)
{
    struct cluster *c = req->data;
    raft_id leader = 0;
    const char *addr = NULL;

    raft_leader(&c->raft, &leader, &addr);
    if (c->is_closing) {
        c->shutdown_transfer = false;
        own_transfer_refused(&c->own);
        vip_info("cluster: shutdown handover %s", leader != c->id
                                                      ? "done"
                                                      : "did not happen");
        cluster_close_step(c);
        return;
    }
    own_transfer_done(&c->own, vip_now_ms(), leader == c->id);
    if (leader == c->id) {
        vip_notice("cluster: handover failed, holding again");
    } else {
        vip_notice("cluster: handed leadership over");
    }
    drive_soon(c);
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

void cluster_stop_holding(struct cluster *c, unsigned why)
{
    vip_notice("cluster: releasing (%s)", own_why_text(why));
    c->cbs.release(c->cbs.data);
}

/* Carry out the step's decision, in the order the step defines. */
static void own_execute(struct cluster *c, const struct own_in *in,
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
    raft015_act(&c->raft, out);
    if (out->changed) {
        vip_info("cluster: %c term %llu leader %llu",
                 own_role_letter(c->own.role),
                 (unsigned long long)c->own.term,
                 (unsigned long long)c->own.leader);
        vip_log_set_tag((unsigned)c->id, own_role_letter(c->own.role));
    }
    if (out->release) {
        cluster_stop_holding(c, out->release_why);
    }
    if (out->transfer_to != 0) {
        int rv;
        c->transfer.data = c;
        rv = raft_transfer(&c->raft, &c->transfer, out->transfer_to,
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
    if (out->changed) {
        cluster_props_pump(c);
        if (c->cbs.changed != NULL) {
            c->cbs.changed(c->cbs.data);
        }
    }
}

void cluster_drive(struct cluster *c)
{
    struct own_in in;
    struct own_out out;
    uint64_t now;

    if (c->is_closing || !c->is_started || report_left(c)) {
        return;
    }
    now = vip_now_ms();
    raft015_observe(&c->raft, c->fsm.st, now, &in);
    raft015_observe_ack(&c->io_lease, c->id, &in);
    own_step(&c->own, &in, &out);
    own_execute(c, &in, &out);
    /* What the step saw and did (a forgotten leader) is no news. */
    (void)raft015_changed(&c->raft, &c->sig);
    if (out.wake_at != UINT64_MAX && !c->is_closing) {
        uv_timer_start(&c->timer, timer_cb,
                       out.wake_at > now ? out.wake_at - now : 0, 0);
    }
}
