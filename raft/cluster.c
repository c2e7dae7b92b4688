/* The cluster: its parts set up, started and closed in their order (see
 * raft/cluster.h), the public calls, and this node's NODE record. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "raft/cluster.h"
#include "src/track_weight.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/* Stages of the shutdown chain (c->close_stage). */
enum {
    CLUSTER_CLOSE_HANDOVER = 1, /* waiting for the leadership transfer */
    CLUSTER_CLOSE_PARTS,        /* the parts close their connections and
                                   timers */
    CLUSTER_CLOSE_NODE,         /* raft, raft_uv, FSM, transport */
    CLUSTER_CLOSE_DONE,
};

/****** Glue between the parts (their callbacks up) ******/

/* The FSM applied something (raft/cluster_node.h: applied). */
static void node_applied(void *data)
{
    struct cluster *c = data;
    if (c->props.props_waiting != NULL && !c->is_closing) {
        cluster_props_applied(&c->props);
    }
    if (!c->is_closing) {
        /* An ASSIGN naming us, a new unit record: the placement reads the
         * state. */
        cluster_place_drive_soon(&c->place);
    }
    if (c->cbs.changed != NULL && !c->is_closing) {
        c->cbs.changed(c->cbs.data);
    }
}

/* The ownership step saw the role or leader change: a proposal may go to
 * the new leader now (raft/cluster_own.h: role_changed). */
static void role_changed(void *data)
{
    struct cluster *c = data;
    cluster_props_pump(&c->props);
    cluster_place_drive_soon(&c->place);
    if (c->cbs.changed != NULL) {
        c->cbs.changed(c->cbs.data);
    }
}

static int join_start(void *data, raft_id id);

/* The ownership part's callbacks (struct cluster_cbs) go through the
 * placement part: its hold is the leader's lease to place under
 * (raft/cluster_place.h); the rest reaches the daemon. */
static void own_hold(void *data, uint64_t until_ms)
{
    struct cluster *c = data;
    cluster_place_own_hold(&c->place, until_ms);
}

static void own_release(void *data)
{
    struct cluster *c = data;
    cluster_place_own_release(&c->place);
}

static void own_changed(void *data)
{
    struct cluster *c = data;
    cluster_place_drive_soon(&c->place);
    if (c->cbs.changed != NULL) {
        c->cbs.changed(c->cbs.data);
    }
}

static void own_failed(void *data)
{
    struct cluster *c = data;
    cluster_place_stop(&c->place);
    if (c->cbs.failed != NULL) {
        c->cbs.failed(c->cbs.data);
    }
}

static void own_left(void *data)
{
    struct cluster *c = data;
    cluster_place_stop(&c->place);
    if (c->cbs.left != NULL) {
        c->cbs.left(c->cbs.data);
    }
}

/****** Set-up ******/

int cluster_init(struct cluster *c, uv_loop_t *loop,
                 const struct vip_config *cfg, const struct cluster_cbs *cbs)
{
    int rv;

    memset(c, 0, sizeof *c);
    c->cbs = *cbs;
    rv = cluster_node_init(&c->node, loop, cfg);
    if (rv != 0) {
        return rv;
    }
    {
        struct cluster_cbs own_cbs;
        memset(&own_cbs, 0, sizeof own_cbs);
        own_cbs.data = c;
        own_cbs.hold = own_hold;
        own_cbs.release = own_release;
        own_cbs.changed = own_changed;
        own_cbs.failed = cbs->failed != NULL ? own_failed : NULL;
        own_cbs.left = cbs->left != NULL ? own_left : NULL;
        rv = cluster_own_configure(&c->own, &c->node, &own_cbs,
                                   c->node.errmsg);
        if (rv != 0) {
            return rv;
        }
    }
    c->own.role_changed = role_changed;
    c->own.role_changed_data = c;
    c->node.applied = node_applied;
    c->node.applied_data = c;
    c->node.raft_event = cluster_own_raft_event;
    c->node.raft_event_data = &c->own;
    rv = cluster_node_open(&c->node, cluster_sessions_accept, &c->sessions);
    if (rv != 0) {
        return rv;
    }
    /* A `bootstrap no` node read its id from the data dir just now. */
    cluster_own_set_self(&c->own, c->node.id);
    cluster_own_init(&c->own);
    cluster_props_init(&c->props, &c->node, &c->own.own);
    cluster_sessions_init(&c->sessions, &c->node, &c->own.own);
    cluster_peers_init(&c->peers, &c->node);
    cluster_place_configure(&c->place, &c->node, &c->own, &c->props, cbs);
    c->own.placing = c->place.n_units >= 2;
    cluster_place_init(&c->place);
    c->props.frame_hook = cluster_place_reply_frame;
    c->props.frame_hook_data = &c->place;
    cluster_sessions_set_place(&c->sessions, cluster_place_serve, &c->place);
    cluster_member_init(&c->member, &c->node, &c->own, &c->props,
                        &c->sessions, join_start, c);
    if (c->node.is_waiting) {
        vip_notice("cluster: %s waits to be joined (bootstrap no, no node id "
                   "in %s): run `vipctl join MEMBER`",
                   c->node.address, c->node.data_dir);
    }
    vip_info("cluster: node %llu at %s, %u members, T=%u ms, heartbeat=%u ms, "
             "lease=%u ms, renew every %u ms",
             (unsigned long long)c->node.id, c->node.address,
             c->node.n_members, (unsigned)c->node.election_ms,
             (unsigned)c->node.heartbeat_ms, (unsigned)c->own.lp.lease_ms,
             (unsigned)c->own.lp.renew_ms);
    return 0;
}

/****** NODE record ******/

static void node_record(const struct cluster *c, struct entry *e)
{
    const struct vip_config *cfg = c->node.cfg;
    struct entry_node *n = &e->u.node;
    char host[ENTRY_NAME_MAX];
    char lhost[VR_HOST_MAX];
    uint16_t port;

    memset(e, 0, sizeof *e);
    e->kind = ENTRY_NODE;
    n->origin.node_id = c->node.id;
    if (cfg->global.router_id[0] != '\0') {
        snprintf(host, sizeof host, "%s", cfg->global.router_id);
    } else if (gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "node%llu", (unsigned long long)c->node.id);
    }
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            *p = '?';
        }
    }
    snprintf(n->name, sizeof n->name, "%s", host);
    if (cfg->cluster.witness) {
        n->flags |= ENTRY_NODE_F_WITNESS; /* never preferred (priority.c) */
    }
    snprintf(n->address, sizeof n->address, "%.*s",
             (int)sizeof n->address - 1, c->node.address);
    /* Primary IP for the VRRP tie-break: unicast_src_ip of the first
     * instance, else the listen address if it is a literal. */
    if (cfg->n_instances > 0 &&
        cfg->instances[0].unicast_src_ip.family != 0) {
        n->ip_family = (uint8_t)cfg->instances[0].unicast_src_ip.family;
        memcpy(n->ip, cfg->instances[0].unicast_src_ip.bytes, 16);
    } else if (vr_addr_split(c->node.address, lhost, sizeof lhost, &port) == 0) {
        if (inet_pton(AF_INET, lhost, n->ip) == 1) {
            n->ip_family = AF_INET;
        } else if (inet_pton(AF_INET6, lhost, n->ip) == 1) {
            n->ip_family = AF_INET6;
        }
    }
    for (size_t i = 0; i < cfg->n_instances && i < ENTRY_MAX_INSTANCES; i++) {
        const struct cfg_instance *ci = &cfg->instances[i];
        struct entry_instance *ei = &n->instances[n->n_instances++];
        snprintf(ei->name, sizeof ei->name, "%s", ci->name);
        const struct cfg_sync_group *sg = vip_config_sync_group_of(cfg, i);
        snprintf(ei->unit, sizeof ei->unit, "%s", sg ? sg->name : "");
        ei->base_priority = ci->priority != 0 ? ci->priority : 100;
        ei->flags = ci->nopreempt ? ENTRY_INSTANCE_F_NOPREEMPT : 0;
        ei->preempt_delay_ms = ci->preempt_delay_ms;
        for (size_t k = 0; k < ci->n_track_scripts &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_scripts[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_SCRIPT;
            et->weight = track_weight_of(cfg, TRACK_OF_SCRIPT, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        /* vrrp_track_process: reported like a script (src/health.h),
         * keepalived's default weight 1. */
        for (size_t k = 0; k < ci->n_track_processes &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_processes[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_SCRIPT;
            et->weight = track_weight_of(cfg, TRACK_OF_PROCESS, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        for (size_t k = 0; k < ci->n_track_interfaces &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_interfaces[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            bool rev;
            et->kind = ENTRY_TRACK_IFACE;
            et->weight = track_weight_of(cfg, TRACK_OF_INTERFACE, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        for (size_t k = 0; k < ci->n_track_files &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_files[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_FILE;
            et->weight = track_weight_of(cfg, TRACK_OF_FILE, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
    }
}

/****** Start ******/

int cluster_start(struct cluster *c)
{
    struct entry e;
    int rv;

    if (c->node.is_waiting) {
        return 0; /* vm_join() starts raft once the leader admitted us */
    }
    rv = cluster_node_start(&c->node);
    if (rv != 0) {
        return rv;
    }
    cluster_peers_start(&c->peers);
    node_record(c, &e);
    rv = cluster_props_push(&c->props, &e);
    if (rv != 0) {
        errmsg_printf(c->node.errmsg, "cluster: describe this node: %s",
                      vip_strerror(rv));
        return rv;
    }
    cluster_own_drive(&c->own);
    return 0;
}

/* Admitted by the leader as @id (raft/cluster_member.h: join_start). */
static int join_start(void *data, raft_id id)
{
    struct cluster *c = data;
    int rv;

    rv = cluster_node_join(&c->node, id);
    if (rv != 0) {
        return rv;
    }
    cluster_own_set_self(&c->own, id);
    c->place.pl.p.self = id;
    cluster_props_adopt_id(&c->props);
    vip_notice("cluster: admitted as node %llu, starting Raft",
               (unsigned long long)id);
    return cluster_start(c);
}

int cluster_reconfigure(struct cluster *c, const struct vip_config *cfg)
{
    struct entry e;

    c->node.cfg = cfg;
    c->own.placing = cluster_place_set_units(&c->place, cfg);
    cluster_place_drive_soon(&c->place);
    if (!c->node.is_started) {
        return 0; /* cluster_start() describes the node from its cfg */
    }
    node_record(c, &e);
    return cluster_props_push(&c->props, &e);
}

/****** Calls handed to the parts ******/

int cluster_propose_health(struct cluster *c, const char *check_name,
                           int32_t value)
{
    return cluster_props_propose_health(&c->props, check_name, value);
}

int cluster_propose_admin(struct cluster *c, uint8_t op, uint64_t target)
{
    return cluster_props_propose_admin(&c->props, op, target);
}

int cluster_propose_admin_cb(struct cluster *c, uint8_t op, uint64_t target,
                             const struct vm_cbs *cbs)
{
    return cluster_props_propose_admin_cb(&c->props, op, target, cbs);
}

int cluster_propose_admin_unit(struct cluster *c, uint8_t op, uint64_t target,
                               const char *unit, const struct vm_cbs *cbs)
{
    return cluster_props_propose_admin_unit(&c->props, op, target, unit, cbs);
}

int vm_join(struct cluster *c, const char *peer, const struct vm_cbs *cbs)
{
    return cluster_member_join(&c->member, peer, cbs);
}

int vm_remove(struct cluster *c, uint64_t target, bool force,
              const struct vm_cbs *cbs)
{
    return cluster_member_remove(&c->member, target, force, cbs);
}

int vm_leave(struct cluster *c, bool force, const struct vm_cbs *cbs)
{
    return cluster_member_leave(&c->member, force, cbs);
}

const struct vr_rpc_status *cluster_peer_status(const struct cluster *c,
                                                raft_id id, uint64_t *age_ms,
                                                bool *connected)
{
    return cluster_peers_status(&c->peers, id, age_ms, connected);
}

uint32_t cluster_status_wanted(struct cluster *c)
{
    return cluster_peers_wanted(&c->peers);
}

/****** Accessors ******/

raft_id cluster_id(const struct cluster *c)
{
    return c->node.id;
}

const char *cluster_errmsg(const struct cluster *c)
{
    return c->node.errmsg;
}

const char *cluster_data_dir(const struct cluster *c)
{
    return c->node.data_dir;
}

uint64_t cluster_ticks_sent(const struct cluster *c)
{
    return c->own.n_ticks_sent;
}

bool cluster_is_started(const struct cluster *c)
{
    return c->node.is_started;
}

const struct vr_key_refusal *cluster_key_refused(const struct cluster *c,
                                                 const char *address)
{
    return vr_transport_key_refused(&c->node.transport, address);
}

bool cluster_is_waiting(const struct cluster *c)
{
    return c->node.is_waiting;
}

void cluster_lease_expired(struct cluster *c)
{
    cluster_own_lease_expired(&c->own);
}

bool cluster_is_reachable(const struct cluster *c, raft_id id)
{
    return cluster_own_is_live(&c->own, id);
}

bool cluster_is_leader(const struct cluster *c)
{
    return c->own.own.role == RAFT_LEADER;
}

bool cluster_is_holding(const struct cluster *c)
{
    return c->own.own.is_holding;
}

int cluster_role(const struct cluster *c)
{
    return c->node.is_started ? c->own.own.role : RAFT_UNAVAILABLE;
}

const char *cluster_role_name(int role)
{
    return own_role_name(role);
}

raft_id cluster_leader(const struct cluster *c)
{
    return c->own.own.leader;
}

uint64_t cluster_term(const struct cluster *c)
{
    return c->node.has_raft ? c->node.raft.current_term : 0;
}

uint64_t cluster_commit_index(const struct cluster *c)
{
    return c->node.has_raft ? c->node.raft.commit_index : 0;
}

uint64_t cluster_applied_index(const struct cluster *c)
{
    /* raft 0.15's getter takes a non-const pointer; it only reads. */
    return c->node.has_raft ? raft_last_applied((struct raft *)&c->node.raft) : 0;
}

uint32_t cluster_election_timeout(const struct cluster *c)
{
    return c->own.own.p.election_ms;
}

uint64_t cluster_renewals_committed(const struct cluster *c)
{
    return c->own.n_lease_renewals;
}

const struct raft_configuration *cluster_configuration(const struct cluster *c)
{
    return &c->node.raft.configuration;
}

const struct fsm_state *cluster_state(const struct cluster *c)
{
    return c->node.fsm.st;
}

/****** Shutdown: release, hand over, close the parts, then the node ******/

static void close_step(void *data);

/* One part finished closing. */
static void part_closed(void *data)
{
    struct cluster *c = data;
    if (--c->n_closing == 0) {
        close_step(c);
    }
}

/* The next stage of the shutdown chain, once the previous one is over. */
static void close_step(void *data)
{
    struct cluster *c = data;

    switch (c->close_stage) {
    case CLUSTER_CLOSE_HANDOVER:
        c->close_stage = CLUSTER_CLOSE_PARTS;
        /* Top down: what a part closes may still answer a waiter of the
         * parts below (the membership's ADMIN REMOVE is a proposal). One
         * count is held until all are asked. */
        c->n_closing = 7;
        cluster_place_close(&c->place, part_closed, c);
        cluster_props_close(&c->props, part_closed, c);
        cluster_member_close(&c->member, part_closed, c);
        cluster_sessions_close(&c->sessions, part_closed, c);
        cluster_peers_close(&c->peers, part_closed, c);
        cluster_own_close(&c->own, part_closed, c);
        part_closed(c);
        break;
    case CLUSTER_CLOSE_PARTS:
        c->close_stage = CLUSTER_CLOSE_NODE;
        cluster_node_close(&c->node, close_step, c);
        break;
    case CLUSTER_CLOSE_NODE:
        c->close_stage = CLUSTER_CLOSE_DONE;
        vip_info("cluster: closed");
        if (c->close_cb != NULL) {
            c->close_cb(c);
        }
        break;
    default:
        break;
    }
}

void cluster_close(struct cluster *c, cluster_close_cb cb)
{
    assert(!c->is_closing);
    c->is_closing = true;
    c->close_cb = cb;
    cluster_place_stop(&c->place); /* releases every unit, tells the leader */
    cluster_own_stop(&c->own);
    cluster_props_stop(&c->props);
    cluster_sessions_stop(&c->sessions);
    cluster_peers_stop(&c->peers);
    cluster_member_stop(&c->member);
    c->close_stage = CLUSTER_CLOSE_HANDOVER;
    cluster_own_handover(&c->own, close_step, c);
}
