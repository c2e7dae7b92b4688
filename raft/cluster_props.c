/* The proposal part of the cluster (raft/cluster_props.h): queued,
 * applied on the leader or forwarded to it over a peer RPC connection,
 * retried until applied (exactly once thanks to the FSM's per-node
 * sequence numbers). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/cluster_props.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/****** Queue ******/

static void retry_cb(uv_timer_t *t)
{
    struct cluster_props *c = t->data;

    if (c->prop_sent_ms != 0 &&
        vip_now_ms() - c->prop_sent_ms >= 2u * c->own->p.election_ms) {
        /* No answer: assume the connection or the leader is gone. */
        vip_debug("cluster: forwarded proposal timed out, retrying");
        c->prop_sent_ms = 0;
        if (c->fwd != NULL) {
            vr_rpc_conn_close(c->fwd, VIP_ETIMEDOUT);
        }
    }
    cluster_props_pump(c);
}

void cluster_props_init(struct cluster_props *c, struct cluster_node *node,
                        const struct own *own)
{
    struct timespec ts;

    memset(c, 0, sizeof *c);
    c->node = node;
    c->own = own;
    uv_timer_init(node->loop, &c->retry_timer);
    c->retry_timer.data = c;
    /* Increasing across restarts (entry.h): wall-clock ms * 1024. */
    clock_gettime(CLOCK_REALTIME, &ts);
    c->next_seq = ((uint64_t)ts.tv_sec * 1000u +
                   (uint64_t)ts.tv_nsec / 1000000u) * 1024u;
}

static void retry_later(struct cluster_props *c, uint64_t ms)
{
    if (!c->k.is_closing) {
        uv_timer_start(&c->retry_timer, retry_cb, ms, 0);
    }
}

/* A queued HEALTH for the same check that is not in flight yet gets the
 * new value instead of a second entry: a flapping check while there is no
 * leader cannot grow the queue, and only the latest value matters. The
 * queued entry keeps its sequence number, which still orders it after
 * everything applied before. Returns true if it coalesced. */
static bool props_coalesce(struct cluster_props *c, const struct entry *e)
{
    for (struct cluster_prop *p = c->props_head; p != NULL; p = p->next) {
        struct entry q;
        size_t len;
        if (p == c->props_head && c->prop_sent_ms != 0) {
            continue; /* in flight: its bytes are on the way */
        }
        if (entry_decode(p->bytes, p->len, &q, NULL) != 0 ||
            q.kind != ENTRY_HEALTH || q.u.health.kind != e->u.health.kind ||
            strcmp(q.u.health.name, e->u.health.name) != 0) {
            continue;
        }
        q.u.health.value = e->u.health.value;
        /* Same kind and name: same encoded size. */
        if (entry_encode(&q, p->bytes, p->len, &len, NULL) == 0 &&
            len == p->len) {
            return true;
        }
    }
    return false;
}

static int props_push_cbs(struct cluster_props *c, struct entry *e,
                          const struct vm_cbs *cbs);

int cluster_props_push(struct cluster_props *c, struct entry *e)
{
    return props_push_cbs(c, e, NULL);
}

static int props_push_cbs(struct cluster_props *c, struct entry *e,
                          const struct vm_cbs *cbs)
{
    struct cluster_prop *p;
    size_t size, len;
    int rv;

    if (c->k.is_closing) {
        return -ESHUTDOWN;
    }
    if (e->kind == ENTRY_HEALTH && props_coalesce(c, e)) {
        return 0;
    }
    /* A node waiting to be joined has no id yet: queue under a stand-in,
     * rewritten by cluster_props_adopt_id() once the leader gave one. */
    uint64_t self = c->node->is_waiting ? CLUSTER_ID_PENDING : c->node->id;
    switch (e->kind) {
    case ENTRY_NODE:
        e->u.node.origin.node_id = self;
        e->u.node.origin.seq = c->next_seq;
        break;
    case ENTRY_HEALTH:
        e->u.health.origin.node_id = self;
        e->u.health.origin.seq = c->next_seq;
        break;
    case ENTRY_ADMIN:
        e->u.admin.origin.node_id = self;
        e->u.admin.origin.seq = c->next_seq;
        break;
    case ENTRY_ASSIGN:
        e->u.assign.origin.node_id = self;
        e->u.assign.origin.seq = c->next_seq;
        break;
    default:
        return VIP_EINVAL;
    }
    size = entry_encoded_size(e);
    if (size == 0) {
        return VIP_EINVAL;
    }
    p = malloc(sizeof *p + size);
    if (p == NULL) {
        return VIP_ENOMEM;
    }
    rv = entry_encode(e, p->bytes, size, &len, c->node->errmsg);
    if (rv != 0) {
        free(p);
        return rv;
    }
    p->len = len;
    p->seq = c->next_seq++;
    p->next = NULL;
    memset(&p->cbs, 0, sizeof p->cbs);
    if (cbs != NULL) {
        p->cbs = *cbs;
    }
    if (c->props_tail != NULL) {
        c->props_tail->next = p;
    } else {
        c->props_head = p;
    }
    c->props_tail = p;
    c->n_props++;
    cluster_props_pump(c);
    return 0;
}

/* Whether this node's FSM applied our proposal @seq (the FSM keeps the
 * highest applied seq per proposer). */
static bool applied_here(const struct cluster_props *c, uint64_t seq)
{
    const struct fsm_member *m = fsm_member(c->node->fsm.st, c->node->id);
    return m != NULL && m->last_seq >= seq;
}

void cluster_props_applied(struct cluster_props *c)
{
    struct cluster_prop **pp = &c->props_waiting;

    while (*pp != NULL) {
        struct cluster_prop *p = *pp;
        if (applied_here(c, p->seq) || c->k.is_closing) {
            *pp = p->next;
            p->cbs.done(p->cbs.data, c->k.is_closing ? -ESHUTDOWN : 0, NULL);
            free(p);
        } else {
            pp = &p->next;
        }
    }
}

void cluster_props_adopt_id(struct cluster_props *c)
{
    for (struct cluster_prop *p = c->props_head; p != NULL; p = p->next) {
        struct entry e;
        size_t len;
        if (entry_decode(p->bytes, p->len, &e, NULL) != 0) {
            continue;
        }
        switch (e.kind) {
        case ENTRY_NODE:
            e.u.node.origin.node_id = c->node->id;
            break;
        case ENTRY_HEALTH:
            e.u.health.origin.node_id = c->node->id;
            break;
        case ENTRY_ADMIN:
            e.u.admin.origin.node_id = c->node->id;
            break;
        default:
            continue;
        }
        /* The id is a fixed-size field: same length. */
        (void)entry_encode(&e, p->bytes, p->len, &len, NULL);
    }
}

static void props_pop(struct cluster_props *c, int status)
{
    struct cluster_prop *p = c->props_head;
    struct vm_cbs cbs = p->cbs;
    c->props_head = p->next;
    if (c->props_head == NULL) {
        c->props_tail = NULL;
    }
    c->n_props--;
    if (status == 0 && cbs.done != NULL && !c->k.is_closing &&
        !applied_here(c, p->seq)) {
        /* Applied on the leader, not here yet: answer once it is, so
         * that this node's status already shows the change. */
        p->next = c->props_waiting;
        c->props_waiting = p;
        c->prop_sent_ms = 0;
        return;
    }
    free(p);
    c->prop_sent_ms = 0;
    if (cbs.done != NULL) {
        cbs.done(cbs.data, status, NULL);
    }
}

/****** Leader: apply locally ******/

struct prop_apply
{
    struct raft_apply req;
    struct cluster_props *c;
    uint64_t seq;
};

static void local_apply_cb(struct raft_apply *req, int status, void *result)
{
    struct prop_apply *a = req->data;
    struct cluster_props *c = a->c;
    uint64_t seq = a->seq;
    /* The FSM's verdict (raft/fsm.h): 0 or a final rejection. */
    int verdict = status == 0 && result != NULL ? *(int *)result : 0;

    free(a);
    if (c->k.is_closing) {
        return;
    }
    c->prop_sent_ms = 0;
    if (c->props_head != NULL && c->props_head->seq == seq) {
        if (status == 0) {
            props_pop(c, verdict);
            cluster_props_pump(c);
            return;
        }
        vip_debug("cluster: proposal %llu not applied (%s), retrying",
                  (unsigned long long)seq, raft_strerror(status));
    }
    retry_later(c, c->own->p.heartbeat_ms);
}

/****** Follower: forward to the leader ******/

static void fwd_frame_cb(struct vr_rpc_conn *conn,
                         const struct vr_rpc_frame *f)
{
    struct cluster_props *c = conn->data;
    struct vr_rpc_reply r;

    if (f->type != VR_RPC_PROPOSE_REPLY && f->type != VR_RPC_ERROR) {
        if (c->frame_hook != NULL) {
            c->frame_hook(c->frame_hook_data, f);
        }
        return; /* not a proposal's */
    }
    if (vr_rpc_reply_decode(f->body, f->body_len, &r) != 0) {
        vip_warn("cluster: malformed reply from the leader");
        vr_rpc_conn_close(conn, VIP_EPROTO);
        return;
    }
    if (c->props_head == NULL || c->props_head->seq != f->req_id ||
        c->prop_sent_ms == 0) {
        return; /* a stale reply to an earlier attempt */
    }
    c->prop_sent_ms = 0;
    if (r.status == 0 || r.status == VIP_EPROTO || r.status == VIP_EINVAL ||
        r.status == VIP_ERANGE) {
        if (r.status != 0) {
            /* Refused for good: retrying the same bytes cannot help. */
            vip_err("cluster: the leader refused proposal %llu: %s",
                    (unsigned long long)f->req_id, vip_strerror(r.status));
        }
        props_pop(c, r.status);
        cluster_props_pump(c);
        return;
    }
    vip_debug("cluster: leader answered %s, retrying",
              vip_strerror(r.status));
    retry_later(c, c->own->p.heartbeat_ms);
}

static void fwd_closed_cb(struct vr_rpc_conn *conn, int status)
{
    struct cluster_props *c = conn->data;
    (void)status;

    if (c->fwd == conn) {
        c->fwd = NULL;
        c->prop_sent_ms = 0;
    }
    if (c->k.is_closing) {
        if (conn->is_counted) {
            cluster_closing_done_one(&c->k);
        }
        return;
    }
    retry_later(c, c->own->p.heartbeat_ms);
}

static void fwd_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                           int status)
{
    struct cluster_props *c = req->data;

    c->fwd_connecting = false;
    if (c->k.is_closing) {
        /* Counted as "connecting" once the connections are closing. */
        bool counted = c->k.is_counting;
        if (stream != NULL) {
            c->fwd = vr_rpc_conn_alloc(stream, c, fwd_frame_cb, fwd_closed_cb);
            if (c->fwd != NULL) {
                if (counted) {
                    /* fwd_closed_cb() accounts for it. */
                    c->fwd->is_counted = true;
                    vr_rpc_conn_close(c->fwd, -ECANCELED);
                }
                return; /* else cluster_props_close() closes it */
            }
        }
        if (counted) {
            cluster_closing_done_one(&c->k);
        }
        return;
    }
    if (status != 0) {
        vip_debug("cluster: connect to leader %llu: %s",
                  (unsigned long long)c->fwd_leader, vip_strerror(status));
        retry_later(c, c->own->p.heartbeat_ms * 2u);
        return;
    }
    c->fwd = vr_rpc_conn_alloc(stream, c, fwd_frame_cb, fwd_closed_cb);
    if (c->fwd == NULL) {
        retry_later(c, c->own->p.heartbeat_ms * 2u);
        return;
    }
    cluster_props_pump(c);
}

void cluster_props_pump(struct cluster_props *c)
{
    struct cluster_prop *p = c->props_head;
    raft_id leader = 0;
    const char *addr = NULL;
    int rv;

    if (c->k.is_closing || p == NULL || c->prop_sent_ms != 0 ||
        !c->node->is_started) {
        return;
    }
    raft_leader(&c->node->raft, &leader, &addr);
    if (leader == c->node->id && raft_state(&c->node->raft) == RAFT_LEADER) {
        struct prop_apply *a = calloc(1, sizeof *a);
        if (a == NULL) {
            retry_later(c, c->own->p.heartbeat_ms);
            return;
        }
        a->seq = p->seq;
        a->req.data = a;
        a->c = c;
        rv = cluster_node_apply(c->node, p->bytes, p->len, &a->req,
                                local_apply_cb);
        if (rv != 0) {
            free(a);
            retry_later(c, c->own->p.heartbeat_ms);
            return;
        }
        c->prop_sent_ms = vip_now_ms();
        return;
    }
    if (p->len > 1 && p->bytes[1] == ENTRY_ASSIGN) {
        /* A placement is the writing leader's decision in its term
         * (raft/place.h): never forwarded to another leader. */
        props_pop(c, VIP_ENOTLEADER);
        cluster_props_pump(c);
        return;
    }
    if (leader == 0 || addr == NULL) {
        retry_later(c, c->own->p.heartbeat_ms * 2u);
        return;
    }
    if (c->fwd != NULL && c->fwd_leader != leader) {
        vr_rpc_conn_close(c->fwd, 0); /* leader changed */
        c->fwd = NULL;
    }
    if (c->fwd == NULL) {
        if (!c->fwd_connecting) {
            c->fwd_leader = leader;
            c->fwd_req.data = c;
            rv = vr_transport_connect_rpc(&c->node->transport, &c->fwd_req, addr,
                                          fwd_connect_cb);
            if (rv != 0) {
                retry_later(c, c->own->p.heartbeat_ms * 2u);
                return;
            }
            c->fwd_connecting = true;
        }
        return;
    }
    rv = vr_rpc_conn_send(c->fwd, VR_RPC_PROPOSE, p->seq, p->bytes, p->len);
    if (rv != 0) {
        retry_later(c, c->own->p.heartbeat_ms);
        return;
    }
    c->prop_sent_ms = vip_now_ms();
    /* Wakes up to check the reply deadline. */
    retry_later(c, 2u * c->own->p.election_ms);
}

/* Open the forwarding connection to @leader at @addr if it is not (being)
 * opened; closes one to an earlier leader. Returns whether it is up. */
static bool fwd_ensure(struct cluster_props *c, raft_id leader,
                       const char *addr)
{
    if (c->fwd != NULL && c->fwd_leader != leader) {
        vr_rpc_conn_close(c->fwd, 0); /* leader changed */
        c->fwd = NULL;
    }
    if (c->fwd != NULL) {
        return true;
    }
    if (!c->fwd_connecting) {
        c->fwd_leader = leader;
        c->fwd_req.data = c;
        if (vr_transport_connect_rpc(&c->node->transport, &c->fwd_req, addr,
                                     fwd_connect_cb) == 0) {
            c->fwd_connecting = true;
        }
    }
    return false;
}

int cluster_props_send_leader(struct cluster_props *c, uint8_t type,
                              uint64_t req_id, const void *body, size_t len)
{
    raft_id leader = 0;
    const char *addr = NULL;

    if (c->k.is_closing || !c->node->is_started) {
        return -ESHUTDOWN;
    }
    raft_leader(&c->node->raft, &leader, &addr);
    if (leader == 0 || addr == NULL || leader == c->node->id) {
        return VIP_ENOTLEADER;
    }
    if (!fwd_ensure(c, leader, addr)) {
        return -EAGAIN;
    }
    return vr_rpc_conn_send(c->fwd, type, req_id, body, len);
}

/****** Close ******/

void cluster_props_stop(struct cluster_props *c)
{
    c->k.is_closing = true;
    uv_timer_stop(&c->retry_timer);
}

void cluster_props_close(struct cluster_props *c, void (*done)(void *data),
                         void *data)
{
    /* Count every connection (and connection attempt) that will report
     * back; each closed callback of a counted one calls
     * cluster_closing_done_one(). */
    cluster_closing_begin(&c->k, done, data);
    while (c->props_head != NULL) {
        props_pop(c, -ESHUTDOWN);
    }
    cluster_props_applied(c); /* is_closing: all answer -ESHUTDOWN */
    if (c->fwd_connecting) {
        c->k.n++; /* fwd_connect_cb() fires with -ECANCELED */
    }
    if (c->fwd != NULL) {
        c->k.n++;
        c->fwd->is_counted = true;
        vr_rpc_conn_close(c->fwd, -ECANCELED);
    }
    c->k.n++;
    c->retry_timer.data = &c->k;
    uv_close((uv_handle_t *)&c->retry_timer, cluster_closing_timer_cb);
    cluster_closing_counted(&c->k);
}

/****** Proposals from above ******/

int cluster_props_propose_health(struct cluster_props *c,
                                 const char *check_name, int32_t value)
{
    struct entry e;
    uint8_t kind = ENTRY_TRACK_SCRIPT;

    /* src/health.h's names: "NAME" script, "file:NAME", "if:IFNAME". */
    if (check_name != NULL && strncmp(check_name, "file:", 5) == 0) {
        kind = ENTRY_TRACK_FILE;
        check_name += 5;
    } else if (check_name != NULL && strncmp(check_name, "if:", 3) == 0) {
        kind = ENTRY_TRACK_IFACE;
        check_name += 3;
    }
    if (check_name == NULL ||
        !entry_str_ok(check_name, ENTRY_NAME_MAX, false)) {
        return VIP_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = ENTRY_HEALTH;
    e.u.health.kind = kind;
    snprintf(e.u.health.name, sizeof e.u.health.name, "%s", check_name);
    e.u.health.value = value;
    return cluster_props_push(c, &e);
}

int cluster_props_propose_admin(struct cluster_props *c, uint8_t op,
                                uint64_t target)
{
    struct entry e;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ADMIN;
    e.u.admin.op = op;
    e.u.admin.target = target;
    return cluster_props_push(c, &e);
}

int cluster_props_propose_admin_cb(struct cluster_props *c, uint8_t op,
                                   uint64_t target, const struct vm_cbs *cbs)
{
    struct entry e;

    if (c->node->is_waiting) {
        return VIP_ENOENT; /* not a member: nobody to propose to */
    }
    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ADMIN;
    e.u.admin.op = op;
    e.u.admin.target = target;
    return props_push_cbs(c, &e, cbs);
}

int cluster_props_propose_admin_unit(struct cluster_props *c, uint8_t op,
                                     uint64_t target, const char *unit,
                                     const struct vm_cbs *cbs)
{
    struct entry e;

    if (c->node->is_waiting) {
        return VIP_ENOENT; /* not a member: nobody to propose to */
    }
    if (unit == NULL || !entry_str_ok(unit, ENTRY_NAME_MAX, true)) {
        return VIP_EINVAL;
    }
    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ADMIN;
    e.u.admin.op = op;
    e.u.admin.target = target;
    snprintf(e.u.admin.unit, sizeof e.u.admin.unit, "%s", unit);
    return props_push_cbs(c, &e, cbs);
}
