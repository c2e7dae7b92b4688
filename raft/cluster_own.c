/* The Raft node's ownership side: a timer that runs the ownership step
 * (raft/own_step.h) on what raft shows (raft/raft015.h), and carries out
 * its actions: hold/release through the callbacks, TICK renewals,
 * raft_transfer(). The decisions are all in the step; see raft/cluster.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_internal.h"
#include "raft/raft015.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static void timer_cb(uv_timer_t *t)
{
    cluster_drive(t->data);
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
    }
    own_renewal_done(&c->own, t->t_send, t->term, status == 0);
    free(t);
    if (!c->is_closing) {
        cluster_drive(c);
    }
}

/* Append a TICK: the lease renewal carrier (and the wall clock and holder
 * for the events history). */
static void tick_submit(struct cluster *c, uint64_t now,
                        const struct own_out *out)
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
    e.u.tick.holder = out->renew_holder;
    e.u.tick.reason = out->renew_reason;
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
    own_renewal_sent(&c->own, now, t->term);
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

    if (c->is_closing || !c->is_started) {
        return;
    }
    now = vip_now_ms();
    raft015_observe(&c->raft, c->fsm.st, now, &in);
    own_step(&c->own, &in, &out);
    own_execute(c, &in, &out);
    if (out.wake_at != UINT64_MAX && !c->is_closing) {
        uv_timer_start(&c->timer, timer_cb,
                       out.wake_at > now ? out.wake_at - now : 0, 0);
    }
}
