/* The placement part (raft/cluster_place.h): the placement step
 * (raft/place.h) run from the loop on what raft and the ownership step
 * show, and its actions carried out. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_place.h"
#include "raft/place_wire.h"
#include "raft/raft015.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static void drive(struct cluster_place *pl);

static void timer_cb(uv_timer_t *t)
{
    drive(t->data);
}

void cluster_place_drive_soon(struct cluster_place *pl)
{
    /* From the loop, never inside a libraft callback (the ownership
     * part's rule, raft/cluster_own.c). */
    if (pl->has_timer && !pl->k.is_closing) {
        uv_timer_start(&pl->timer, timer_cb, 0, 0);
    }
}

void cluster_place_configure(struct cluster_place *pl,
                             struct cluster_node *node,
                             struct cluster_own *own,
                             struct cluster_props *props,
                             const struct cluster_cbs *cbs)
{
    struct place_params p;

    memset(pl, 0, sizeof *pl);
    pl->node = node;
    pl->own = own;
    pl->props = props;
    pl->cbs = *cbs;
    (void)cluster_place_set_units(pl, node->cfg);
    place_params_derive(&p, node->id, node->election_ms, node->heartbeat_ms);
    {
        /* Requests numbered above every one of an earlier run of this
         * node, which may still be on its way (raft/place.h first_seq):
         * wall-clock ms * 1024, as the proposals. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        p.first_seq = ((uint64_t)ts.tv_sec * 1000u +
                       (uint64_t)ts.tv_nsec / 1000000u) * 1024u;
    }
    place_init(&pl->pl, &p);
}

bool cluster_place_set_units(struct cluster_place *pl,
                             const struct vip_config *cfg)
{
    const char *names[PLACE_MAX_UNITS];
    uint64_t told[PLACE_MAX_UNITS] = {0};
    size_t n = vip_config_units(cfg, names, PLACE_MAX_UNITS);
    if (n > PLACE_MAX_UNITS) {
        n = PLACE_MAX_UNITS;
    }
    /* A unit that stays keeps what the daemon holds of it; one that left
     * the config has no VIPs any more (the manager removed them). */
    for (size_t i = 0; i < n; i++) {
        for (unsigned k = 0; k < pl->n_units; k++) {
            if (strcmp(pl->units[k], names[i]) == 0) {
                told[i] = pl->told[k];
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(pl->units[i], ENTRY_NAME_MAX, "%s", names[i]);
        pl->told[i] = told[i];
    }
    pl->n_units = (unsigned)n;
    pl->has_config_units = n > 0;
    return n >= 2;
}

void cluster_place_init(struct cluster_place *pl)
{
    /* A `bootstrap no` node learns its id only when opened. */
    pl->pl.p.self = pl->node->id;
    uv_timer_init(pl->node->loop, &pl->timer);
    pl->timer.data = pl;
    pl->has_timer = true;
}

/* A witness has no instances: it places the units the members describe
 * (their NODE records), in the order first seen. */
static void units_from_state(struct cluster_place *pl)
{
    const struct fsm_state *st = pl->node->fsm.st;

    pl->n_units = 0;
    for (unsigned m = 0; m < st->n_members; m++) {
        const struct fsm_member *mb = &st->members[m];
        if (!mb->has_node) {
            continue;
        }
        for (unsigned i = 0; i < mb->node.n_instances; i++) {
            const char *u = entry_instance_unit(&mb->node.instances[i]);
            bool seen = false;
            for (unsigned k = 0; k < pl->n_units && !seen; k++) {
                seen = strcmp(pl->units[k], u) == 0;
            }
            if (!seen && pl->n_units < PLACE_MAX_UNITS) {
                snprintf(pl->units[pl->n_units++], ENTRY_NAME_MAX, "%s", u);
            }
        }
    }
}

/* What the step observes now; @live must hold OWN_MAX_SERVERS ids. */
static void observe(struct cluster_place *pl, uint64_t now,
                    struct place_in *in, uint64_t *live)
{
    struct own_in oin;
    size_t n_live = 0;

    raft015_observe(&pl->node->raft, pl->node->fsm.st, now, &oin);
    if (!pl->has_config_units) {
        units_from_state(pl);
    }
    memset(in, 0, sizeof *in);
    in->now = now;
    in->role = oin.role;
    in->term = oin.term;
    in->leader = oin.leader;
    /* The ownership step's hold is the leader's lease to place under. */
    in->lease_until = oin.role == OWN_LEADER && pl->own->own.is_holding &&
                              pl->own->own.hold_until > now
                          ? pl->own->own.hold_until
                          : 0;
    for (unsigned i = 0; i < oin.n_servers && i < OWN_MAX_SERVERS; i++) {
        if (oin.servers[i].is_voter &&
            own_is_live(&pl->own->own, oin.servers[i].id, now)) {
            live[n_live++] = oin.servers[i].id;
        }
    }
    in->live = live;
    in->n_live = n_live;
    in->st = pl->node->fsm.st;
    in->unit_names = (const char(*)[ENTRY_NAME_MAX])pl->units;
    in->n_unit_names = pl->n_units;
}

/****** Carrying out the step ******/

static void propose_assign(struct cluster_place *pl,
                           const struct place_assign *a, uint64_t term)
{
    struct entry e;
    int rv;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ASSIGN;
    snprintf(e.u.assign.unit, sizeof e.u.assign.unit, "%s", a->unit);
    e.u.assign.holder = a->holder;
    e.u.assign.flags = a->leader_bound ? ENTRY_ASSIGN_F_LEADER_BOUND : 0;
    e.u.assign.term = term;
    rv = cluster_props_push(pl->props, &e);
    if (rv != 0) {
        /* The step proposes it again after a grant length. */
        vip_warn("cluster: placing %s on n%llu: %s", a->unit,
                 (unsigned long long)a->holder, vip_strerror(rv));
        return;
    }
    vip_info("cluster: placing %s on n%llu%s", a->unit,
             (unsigned long long)a->holder,
             a->leader_bound ? " (this leader)" : "");
    cluster_props_pump(pl->props);
}

/* Send a request to the leader now; false if it could not go yet. */
static bool send_request(struct cluster_place *pl, uint64_t now)
{
    struct place_request req;
    uint8_t buf[PLACE_WIRE_MAX];
    size_t len;
    int rv;

    if (!pl->node->is_started) {
        return false;
    }
    place_request_make(&pl->pl, now, pl->node->raft.current_term, &req);
    len = place_request_encode(&req, buf, sizeof buf);
    if (len == 0) {
        return false;
    }
    rv = cluster_props_send_leader(pl->props, VR_RPC_PLACE, req.seq, buf,
                                   len);
    if (rv != 0) {
        if (rv != -EAGAIN && rv != VIP_ENOTLEADER && rv != -ESHUTDOWN) {
            vip_debug("cluster: placement request: %s", vip_strerror(rv));
        }
        return false;
    }
    return true;
}

static void hold_unit(struct cluster_place *pl, unsigned i, uint64_t until,
                      uint64_t now)
{
    if (pl->told[i] <= now) {
        vip_notice("cluster: holding %s (until +%llu ms)", pl->units[i],
                   (unsigned long long)(until - now));
    }
    pl->told[i] = until;
    if (pl->cbs.hold_unit != NULL) {
        pl->cbs.hold_unit(pl->cbs.data, pl->units[i], until);
    } else {
        pl->cbs.hold(pl->cbs.data, until);
    }
}

static void release_unit(struct cluster_place *pl, unsigned i, bool log)
{
    if (log) {
        vip_notice("cluster: releasing %s", pl->units[i]);
    }
    pl->told[i] = 0;
    if (pl->cbs.release_unit != NULL) {
        pl->cbs.release_unit(pl->cbs.data, pl->units[i]);
    } else {
        pl->cbs.release(pl->cbs.data);
    }
}

static void act(struct cluster_place *pl, const struct place_in *in,
                const struct place_out *out)
{
    for (unsigned k = 0; k < out->n_assign; k++) {
        propose_assign(pl, &out->assign[k], in->term);
    }
    for (unsigned i = 0; i < in->n_unit_names; i++) {
        uint64_t until = out->hold_until[i];
        if (until > in->now) {
            if (until != pl->told[i]) {
                hold_unit(pl, i, until, in->now);
            }
        } else if (pl->told[i] != 0) {
            release_unit(pl, i, pl->told[i] > in->now);
        }
    }
    if (out->ask || pl->ask_pending) {
        pl->ask_pending = !send_request(pl, in->now) && in->leader != 0 &&
                          in->role != OWN_LEADER;
    }
}

static void drive(struct cluster_place *pl)
{
    uint64_t live[OWN_MAX_SERVERS];
    struct place_in in;
    struct place_out out;
    uint64_t now, wake;

    if (pl->k.is_closing || !pl->node->is_started || pl->node->is_waiting) {
        return;
    }
    now = vip_now_ms();
    observe(pl, now, &in, live);
    place_step(&pl->pl, &in, &out);
    act(pl, &in, &out);
    wake = out.wake_at;
    if (pl->ask_pending) {
        /* The connection to the leader is being opened. */
        uint64_t retry = now + pl->pl.p.slack_ms;
        wake = retry < wake ? retry : wake;
    }
    if (wake != UINT64_MAX && !pl->k.is_closing) {
        uv_timer_start(&pl->timer, timer_cb, wake > now ? wake - now : 0, 0);
    }
}

/****** The ownership part's lease ******/

void cluster_place_own_hold(void *data, uint64_t until_ms)
{
    (void)until_ms; /* read from own.hold_until by observe() */
    drive(data); /* a self-hold starts or goes on at once */
}

void cluster_place_own_release(void *data)
{
    drive(data); /* self-holds end in this loop turn */
}

/****** Requests and replies ******/

void cluster_place_serve(void *data, struct cluster_session *s,
                         const struct vr_rpc_frame *f)
{
    struct cluster_place *pl = data;
    uint64_t live[OWN_MAX_SERVERS];
    struct place_request req;
    struct place_reply rep;
    struct place_in in;
    uint8_t buf[PLACE_WIRE_MAX];
    size_t len;

    if (place_request_decode(f->body, f->body_len, &req) != 0) {
        vip_warn("cluster: malformed placement request from n%llu",
                 (unsigned long long)s->peer_id);
        vr_rpc_conn_close(s->conn, VIP_EPROTO);
        return;
    }
    if (pl->k.is_closing || !pl->node->is_started) {
        memset(&rep, 0, sizeof rep);
        rep.seq = req.seq;
        rep.status = VIP_ENOTLEADER;
    } else {
        /* Fresh observations: a grant only before our lease ends. */
        observe(pl, vip_now_ms(), &in, live);
        place_on_request(&pl->pl, s->peer_id, &req, &in, &rep);
    }
    len = place_reply_encode(&rep, buf, sizeof buf);
    if (len != 0) {
        (void)vr_rpc_conn_send(s->conn, VR_RPC_PLACE_REPLY, f->req_id, buf,
                               len);
    }
    cluster_place_drive_soon(pl); /* a confirmed release frees the unit */
}

void cluster_place_reply_frame(void *data, const struct vr_rpc_frame *f)
{
    struct cluster_place *pl = data;
    struct place_reply rep;

    if (f->type != VR_RPC_PLACE_REPLY || pl->k.is_closing) {
        return;
    }
    if (place_reply_decode(f->body, f->body_len, &rep) != 0) {
        vip_warn("cluster: malformed placement reply from the leader");
        return;
    }
    (void)place_on_reply(&pl->pl, &rep, vip_now_ms(),
                         pl->node->raft.current_term);
    drive(pl); /* a grant starts, a revoke stops, at once */
}

/****** Shutdown ******/

void cluster_place_stop(struct cluster_place *pl)
{
    bool held = false;

    if (pl->k.is_closing) {
        return;
    }
    for (unsigned i = 0; i < pl->n_units; i++) {
        if (pl->told[i] != 0) {
            held = held || pl->told[i] > vip_now_ms();
            pl->told[i] = 0;
        }
    }
    if (held) {
        /* Every unit at once: on a clean stop the daemon also sends
         * priority 0 adverts (manager_release_final()). */
        vip_notice("cluster: releasing every unit (stopping)");
        pl->cbs.release(pl->cbs.data);
    }
    place_drop_all(&pl->pl);
    if (held && pl->node->is_started &&
        raft_state(&pl->node->raft) != RAFT_LEADER) {
        /* Tell the leader at once that we hold nothing any more (a
         * request claiming nothing confirms the release): our units move
         * now instead of after the grants' end. */
        (void)send_request(pl, vip_now_ms());
    }
    pl->k.is_closing = true;
    if (pl->has_timer) {
        uv_timer_stop(&pl->timer);
    }
}

void cluster_place_close(struct cluster_place *pl, void (*done)(void *data),
                         void *data)
{
    pl->k.is_closing = true;
    cluster_closing_begin(&pl->k, done, data);
    if (pl->has_timer) {
        pl->k.n++;
        pl->timer.data = &pl->k;
        uv_close((uv_handle_t *)&pl->timer, cluster_closing_timer_cb);
    }
    cluster_closing_counted(&pl->k);
}
