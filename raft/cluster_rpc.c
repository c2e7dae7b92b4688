/* Proposals of the node: queued, applied on the leader or forwarded to it
 * over a peer RPC connection, retried until applied (exactly once thanks to
 * the FSM's per-node sequence numbers); and the serving side of those RPCs. */
#include <stdlib.h>
#include <string.h>

#include "raft/cluster_internal.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/****** Queue ******/

static void retry_cb(uv_timer_t *t)
{
    struct cluster *c = t->data;

    if (c->prop_sent_ms != 0 &&
        vip_now_ms() - c->prop_sent_ms >= 2u * c->own.p.election_ms) {
        /* No answer: assume the connection or the leader is gone. */
        vip_debug("cluster: forwarded proposal timed out, retrying");
        c->prop_sent_ms = 0;
        if (c->fwd != NULL) {
            vr_rpc_conn_close(c->fwd, VIP_ETIMEDOUT);
        }
    }
    cluster_props_pump(c);
}

void cluster_props_init(struct cluster *c)
{
    uv_timer_init(c->loop, &c->retry_timer);
    c->retry_timer.data = c;
    uv_timer_init(c->loop, &c->status_timer);
    c->status_timer.data = c;
}

static void retry_later(struct cluster *c, uint64_t ms)
{
    if (!c->is_closing) {
        uv_timer_start(&c->retry_timer, retry_cb, ms, 0);
    }
}

/* A queued HEALTH for the same check that is not in flight yet gets the
 * new value instead of a second entry: a flapping check while there is no
 * leader cannot grow the queue, and only the latest value matters. The
 * queued entry keeps its sequence number, which still orders it after
 * everything applied before. Returns true if it coalesced. */
static bool props_coalesce(struct cluster *c, const struct entry *e)
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

static int props_push_cbs(struct cluster *c, struct entry *e,
                          const struct vm_cbs *cbs);

int cluster_props_push(struct cluster *c, struct entry *e)
{
    return props_push_cbs(c, e, NULL);
}

static int props_push_cbs(struct cluster *c, struct entry *e,
                          const struct vm_cbs *cbs)
{
    struct cluster_prop *p;
    size_t size, len;
    int rv;

    if (c->is_closing) {
        return -ESHUTDOWN;
    }
    if (e->kind == ENTRY_HEALTH && props_coalesce(c, e)) {
        return 0;
    }
    /* A node waiting to be joined has no id yet: queue under a stand-in,
     * rewritten by cluster_props_adopt_id() once the leader gave one. */
    uint64_t self = c->is_waiting ? CLUSTER_ID_PENDING : c->id;
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
    rv = entry_encode(e, p->bytes, size, &len, c->errmsg);
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
static bool applied_here(const struct cluster *c, uint64_t seq)
{
    const struct fsm_member *m = fsm_member(c->fsm.st, c->id);
    return m != NULL && m->last_seq >= seq;
}

void cluster_props_applied(struct cluster *c)
{
    struct cluster_prop **pp = &c->props_waiting;

    while (*pp != NULL) {
        struct cluster_prop *p = *pp;
        if (applied_here(c, p->seq) || c->is_closing) {
            *pp = p->next;
            p->cbs.done(p->cbs.data, c->is_closing ? -ESHUTDOWN : 0, NULL);
            free(p);
        } else {
            pp = &p->next;
        }
    }
}

void cluster_props_adopt_id(struct cluster *c)
{
    for (struct cluster_prop *p = c->props_head; p != NULL; p = p->next) {
        struct entry e;
        size_t len;
        if (entry_decode(p->bytes, p->len, &e, NULL) != 0) {
            continue;
        }
        switch (e.kind) {
        case ENTRY_NODE:
            e.u.node.origin.node_id = c->id;
            break;
        case ENTRY_HEALTH:
            e.u.health.origin.node_id = c->id;
            break;
        case ENTRY_ADMIN:
            e.u.admin.origin.node_id = c->id;
            break;
        default:
            continue;
        }
        /* The id is a fixed-size field: same length. */
        (void)entry_encode(&e, p->bytes, p->len, &len, NULL);
    }
}

static void props_pop(struct cluster *c, int status)
{
    struct cluster_prop *p = c->props_head;
    struct vm_cbs cbs = p->cbs;
    c->props_head = p->next;
    if (c->props_head == NULL) {
        c->props_tail = NULL;
    }
    c->n_props--;
    if (status == 0 && cbs.done != NULL && !c->is_closing &&
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
    struct cluster *c;
    uint64_t seq;
    uint64_t session_id; /* 0: our own proposal */
    uint64_t req_id;
};

static void local_apply_cb(struct raft_apply *req, int status, void *result)
{
    struct prop_apply *a = req->data;
    struct cluster *c = a->c;
    uint64_t seq = a->seq;
    /* The FSM's verdict (raft/fsm.h): 0 or a final rejection. */
    int verdict = status == 0 && result != NULL ? *(int *)result : 0;

    free(a);
    if (c->is_closing) {
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
    retry_later(c, c->own.p.heartbeat_ms);
}

/* Submit @len bytes through raft_apply(); the buffer is copied. */
static int apply_bytes(struct cluster *c, const uint8_t *bytes, size_t len,
                       struct prop_apply *a, raft_apply_cb cb)
{
    struct raft_buffer buf;
    int rv;

    buf.len = cluster_padded_len(len);
    buf.base = raft_calloc(1, buf.len);
    if (buf.base == NULL) {
        return RAFT_NOMEM;
    }
    memcpy(buf.base, bytes, len);
    a->req.data = a;
    a->c = c;
    rv = raft_apply(&c->raft, &a->req, &buf, 1, cb);
    if (rv != 0) {
        raft_free(buf.base);
    }
    return rv;
}

/****** Follower: forward to the leader ******/

static void fwd_frame_cb(struct vr_rpc_conn *conn,
                         const struct vr_rpc_frame *f)
{
    struct cluster *c = conn->data;
    struct vr_rpc_reply r;

    if (f->type != VR_RPC_PROPOSE_REPLY && f->type != VR_RPC_ERROR) {
        return; /* not ours to handle: ignore */
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
    retry_later(c, c->own.p.heartbeat_ms);
}

/* A connection counted by cluster_props_close() finished closing. */
void cluster_close_done_one(struct cluster *c)
{
    if (c->close_stage != CLUSTER_CLOSE_CONNS) {
        return; /* closed before the count was taken: not counted */
    }
    c->n_closing--;
    cluster_close_step(c);
}

static void fwd_closed_cb(struct vr_rpc_conn *conn, int status)
{
    struct cluster *c = conn->data;
    (void)status;

    if (c->fwd == conn) {
        c->fwd = NULL;
        c->prop_sent_ms = 0;
    }
    if (c->is_closing) {
        if (conn->is_counted) {
            cluster_close_done_one(c);
        }
        return;
    }
    retry_later(c, c->own.p.heartbeat_ms);
}

static void fwd_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                           int status)
{
    struct cluster *c = req->data;

    c->fwd_connecting = false;
    if (c->is_closing) {
        /* Counted as "connecting" once the connections are closing. */
        bool counted = c->close_stage == CLUSTER_CLOSE_CONNS;
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
            cluster_close_done_one(c);
        }
        return;
    }
    if (status != 0) {
        vip_debug("cluster: connect to leader %llu: %s",
                  (unsigned long long)c->fwd_leader, vip_strerror(status));
        retry_later(c, c->own.p.heartbeat_ms * 2u);
        return;
    }
    c->fwd = vr_rpc_conn_alloc(stream, c, fwd_frame_cb, fwd_closed_cb);
    if (c->fwd == NULL) {
        retry_later(c, c->own.p.heartbeat_ms * 2u);
        return;
    }
    cluster_props_pump(c);
}

void cluster_props_pump(struct cluster *c)
{
    struct cluster_prop *p = c->props_head;
    raft_id leader = 0;
    const char *addr = NULL;
    int rv;

    if (c->is_closing || p == NULL || c->prop_sent_ms != 0 ||
        !c->is_started) {
        return;
    }
    raft_leader(&c->raft, &leader, &addr);
    if (leader == c->id && raft_state(&c->raft) == RAFT_LEADER) {
        struct prop_apply *a = calloc(1, sizeof *a);
        if (a == NULL) {
            retry_later(c, c->own.p.heartbeat_ms);
            return;
        }
        a->seq = p->seq;
        rv = apply_bytes(c, p->bytes, p->len, a, local_apply_cb);
        if (rv != 0) {
            free(a);
            retry_later(c, c->own.p.heartbeat_ms);
            return;
        }
        c->prop_sent_ms = vip_now_ms();
        return;
    }
    if (leader == 0 || addr == NULL) {
        retry_later(c, c->own.p.heartbeat_ms * 2u);
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
            rv = vr_transport_connect_rpc(&c->transport, &c->fwd_req, addr,
                                          fwd_connect_cb);
            if (rv != 0) {
                retry_later(c, c->own.p.heartbeat_ms * 2u);
                return;
            }
            c->fwd_connecting = true;
        }
        return;
    }
    rv = vr_rpc_conn_send(c->fwd, VR_RPC_PROPOSE, p->seq, p->bytes, p->len);
    if (rv != 0) {
        retry_later(c, c->own.p.heartbeat_ms);
        return;
    }
    c->prop_sent_ms = vip_now_ms();
    /* Wakes up to check the reply deadline. */
    retry_later(c, 2u * c->own.p.election_ms);
}

/****** Serving peers ******/

struct cluster_session *cluster_session_find(struct cluster *c, uint64_t id)
{
    for (struct cluster_session *s = c->sessions; s != NULL; s = s->next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

static void session_reply(struct cluster_session *s, uint8_t type,
                          uint64_t req_id, int status)
{
    struct cluster *c = s->c;
    struct vr_rpc_reply r;
    uint8_t body[14 + VR_RPC_ADDR_MAX];
    size_t len;
    raft_id leader = 0;
    const char *addr = NULL;

    memset(&r, 0, sizeof r);
    r.status = status;
    if (status == VIP_ENOTLEADER && !c->is_closing) {
        raft_leader(&c->raft, &leader, &addr);
        r.leader_id = leader;
        snprintf(r.leader_address, sizeof r.leader_address, "%s",
                 addr != NULL ? addr : "");
    }
    if (vr_rpc_reply_encode(&r, body, sizeof body, &len) == 0) {
        /* A failed send closes the connection; the peer retries. */
        (void)vr_rpc_conn_send(s->conn, type, req_id, body, len);
    }
}

static void remote_apply_cb(struct raft_apply *req, int status, void *result)
{
    struct prop_apply *a = req->data;
    struct cluster *c = a->c;
    struct cluster_session *s;
    (void)result;

    if (!c->is_closing) {
        s = cluster_session_find(c, a->session_id);
        if (s != NULL) {
            /* The FSM's verdict too: a rejection is final (raft/fsm.h). */
            int rv = cluster_rv(status);
            if (status == 0 && result != NULL && *(int *)result < 0) {
                rv = *(int *)result;
            }
            session_reply(s, VR_RPC_PROPOSE_REPLY, a->req_id, rv);
        }
    }
    free(a);
}

static void session_propose(struct cluster_session *s,
                            const struct vr_rpc_frame *f)
{
    struct cluster *c = s->c;
    struct entry e;
    struct prop_apply *a;
    char why[VIP_ERRMSG_SIZE];
    int rv;

    if (raft_state(&c->raft) != RAFT_LEADER) {
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, VIP_ENOTLEADER);
        return;
    }
    /* Only the leader writes TICKs; only well-formed records enter the
     * log (the FSM would skip a bad one, but why store it). */
    rv = entry_decode(f->body, f->body_len, &e, why);
    if (rv == 0 && e.kind == ENTRY_TICK) {
        rv = VIP_EPROTO;
        snprintf(why, sizeof why, "TICK from a follower");
    }
    /* A node speaks for itself only (the preamble's id; the security
     * step will make that id trustworthy). */
    if (rv == 0 && ((e.kind == ENTRY_NODE &&
                     e.u.node.origin.node_id != s->peer_id) ||
                    (e.kind == ENTRY_HEALTH &&
                     e.u.health.origin.node_id != s->peer_id) ||
                    (e.kind == ENTRY_ADMIN &&
                     e.u.admin.origin.node_id != s->peer_id))) {
        rv = VIP_EPROTO;
        snprintf(why, sizeof why, "entry on behalf of another node");
    }
    if (rv != 0) {
        vip_warn("cluster: node %llu proposed a bad entry: %s",
                 (unsigned long long)s->peer_id, why);
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, VIP_EPROTO);
        return;
    }
    a = calloc(1, sizeof *a);
    if (a == NULL) {
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, VIP_ENOMEM);
        return;
    }
    a->session_id = s->id;
    a->req_id = f->req_id;
    rv = apply_bytes(c, f->body, f->body_len, a, remote_apply_cb);
    if (rv != 0) {
        free(a);
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, cluster_rv(rv));
    }
}

static void own_status(struct cluster *c, struct vr_rpc_status *st)
{
    raft_id leader = 0;
    const char *addr = NULL;

    memset(st, 0, sizeof *st);
    st->id = c->id;
    st->role = (uint8_t)raft_state(&c->raft);
    if (st->role > RAFT_LEADER) {
        st->role = 0;
    }
    st->holds = c->own.is_holding;
    st->term = c->raft.current_term;
    st->commit_index = c->raft.commit_index;
    st->applied_index = raft_last_applied(&c->raft);
    if (st->applied_index > st->commit_index) {
        st->commit_index = st->applied_index;
    }
    raft_leader(&c->raft, &leader, &addr);
    st->leader_id = leader;
}

static void session_status(struct cluster_session *s,
                           const struct vr_rpc_frame *f)
{
    struct vr_rpc_status st;
    uint8_t body[VR_RPC_STATUS_SIZE];

    own_status(s->c, &st);
    vr_rpc_status_encode(&st, body);
    (void)vr_rpc_conn_send(s->conn, VR_RPC_STATUS_REPLY, f->req_id, body,
                           sizeof body);
}

static void session_frame_cb(struct vr_rpc_conn *conn,
                             const struct vr_rpc_frame *f)
{
    struct cluster_session *s = conn->data;

    switch (f->type) {
    case VR_RPC_PROPOSE:
        session_propose(s, f);
        break;
    case VR_RPC_STATUS:
        session_status(s, f);
        break;
    case VR_RPC_JOIN:
    case VR_RPC_REMOVE:
        vm_serve_frame(s, f);
        break;
    case VR_RPC_PROPOSE_REPLY:
    case VR_RPC_STATUS_REPLY:
    case VR_RPC_JOIN_REPLY:
    case VR_RPC_REMOVE_REPLY:
    case VR_RPC_ERROR:
        break; /* replies are not requests: ignore */
    default:
        session_reply(s, VR_RPC_ERROR, f->req_id, VIP_ENOTIMPL);
        break;
    }
}

static void session_closed_cb(struct vr_rpc_conn *conn, int status)
{
    struct cluster_session *s = conn->data;
    struct cluster *c = s->c;
    (void)status;

    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        c->sessions = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    free(s);
    if (c->is_closing && conn->is_counted) {
        cluster_close_done_one(c);
    }
}

static void stream_free_cb(uv_handle_t *h)
{
    raft_free(h);
}

void cluster_rpc_accept(void *data, uv_stream_t *stream,
                        const struct vr_preamble *p)
{
    struct cluster *c = data;
    struct cluster_session *s = calloc(1, sizeof *s);

    if (s == NULL || c->is_closing) {
        free(s);
        stream->data = NULL;
        uv_close((uv_handle_t *)stream, stream_free_cb);
        return;
    }
    s->c = c;
    s->id = ++c->next_session_id;
    s->peer_id = p->id;
    s->conn = vr_rpc_conn_alloc(stream, s, session_frame_cb,
                                session_closed_cb);
    if (s->conn == NULL) {
        free(s);
        return;
    }
    s->next = c->sessions;
    if (c->sessions != NULL) {
        c->sessions->prev = s;
    }
    c->sessions = s;
}

/****** Status gathering ******/

static void peer_frame_cb(struct vr_rpc_conn *conn,
                          const struct vr_rpc_frame *f)
{
    struct cluster_peer *p = conn->data;
    struct vr_rpc_status st;

    if (f->type != VR_RPC_STATUS_REPLY) {
        return;
    }
    if (vr_rpc_status_decode(f->body, f->body_len, &st) != 0 ||
        st.id != p->id) {
        vip_warn("cluster: bad status reply from node %llu",
                 (unsigned long long)p->id);
        vr_rpc_conn_close(conn, VIP_EPROTO);
        return;
    }
    p->last = st;
    p->last_ms = vip_now_ms();
}

static void peer_closed_cb(struct vr_rpc_conn *conn, int status)
{
    struct cluster_peer *p = conn->data;
    (void)status;

    if (p->conn == conn) {
        p->conn = NULL;
    }
    if (p->c->is_closing && conn->is_counted) {
        cluster_close_done_one(p->c);
    }
}

static void peer_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                            int status)
{
    struct cluster_peer *p = req->data;
    struct cluster *c = p->c;

    p->is_connecting = false;
    if (c->is_closing) {
        bool counted = c->close_stage == CLUSTER_CLOSE_CONNS;
        if (stream != NULL) {
            p->conn = vr_rpc_conn_alloc(stream, p, peer_frame_cb,
                                        peer_closed_cb);
            if (p->conn != NULL) {
                if (counted) {
                    p->conn->is_counted = true;
                    vr_rpc_conn_close(p->conn, -ECANCELED);
                }
                return;
            }
        }
        if (counted) {
            cluster_close_done_one(c);
        }
        return;
    }
    if (status != 0) {
        return; /* the next poll retries */
    }
    p->conn = vr_rpc_conn_alloc(stream, p, peer_frame_cb, peer_closed_cb);
}

static void status_poll_cb(uv_timer_t *t);

/* Poll every @ms from now on (the first poll after @ms). */
static void status_rate(struct cluster *c, uint32_t ms, uint64_t first_ms)
{
    c->status_poll_ms = ms;
    uv_timer_start(&c->status_timer, status_poll_cb, first_ms, ms);
}

static void status_poll_cb(uv_timer_t *t)
{
    struct cluster *c = t->data;
    const struct raft_configuration *conf = &c->raft.configuration;

    if (c->is_closing) {
        return;
    }
    if (c->status_poll_ms == CLUSTER_STATUS_POLL_MS &&
        vip_now_ms() - c->status_wanted_ms >= CLUSTER_STATUS_WARM_MS) {
        /* Nobody asked for a while: slow down. */
        status_rate(c, CLUSTER_STATUS_IDLE_POLL_MS,
                    CLUSTER_STATUS_IDLE_POLL_MS);
    }
    /* Until this poll's answers arrive the previous ones are held: an
     * answer is at most the longer of the two intervals old. */
    c->status_held_ms = c->status_last_ms > c->status_poll_ms
                            ? c->status_last_ms
                            : c->status_poll_ms;
    c->status_last_ms = c->status_poll_ms;
    /* Track the configuration: a slot per other server. */
    for (unsigned i = 0; i < conf->n; i++) {
        const struct raft_server *srv = &conf->servers[i];
        struct cluster_peer *free_slot = NULL;
        bool found = false;
        if (srv->id == c->id) {
            continue;
        }
        for (unsigned k = 0; k < CFG_MAX_PEERS + 1; k++) {
            if (c->peers[k].id == srv->id) {
                found = true;
                break;
            }
            if (c->peers[k].id == 0 && !c->peers[k].is_connecting &&
                c->peers[k].conn == NULL && free_slot == NULL) {
                free_slot = &c->peers[k];
            }
        }
        if (!found && free_slot != NULL) {
            memset(free_slot, 0, sizeof *free_slot);
            free_slot->c = c;
            free_slot->id = srv->id;
            snprintf(free_slot->address, sizeof free_slot->address, "%s",
                     srv->address);
        }
    }
    for (unsigned k = 0; k < CFG_MAX_PEERS + 1; k++) {
        struct cluster_peer *p = &c->peers[k];
        if (p->id == 0) {
            continue;
        }
        if (p->conn != NULL) {
            (void)vr_rpc_conn_send(p->conn, VR_RPC_STATUS, ++c->next_req_id,
                                   NULL, 0);
        } else if (!p->is_connecting) {
            p->req.data = p;
            if (vr_transport_connect_rpc(&c->transport, &p->req, p->address,
                                         peer_connect_cb) == 0) {
                p->is_connecting = true;
            }
        }
    }
}

void cluster_status_start(struct cluster *c)
{
    /* Warm after the start: an operator checks the new node at once. */
    c->status_wanted_ms = vip_now_ms();
    c->status_last_ms = CLUSTER_STATUS_POLL_MS;
    c->status_held_ms = CLUSTER_STATUS_POLL_MS;
    status_rate(c, CLUSTER_STATUS_POLL_MS, 0);
}

uint32_t cluster_status_wanted(struct cluster *c)
{
    c->status_wanted_ms = vip_now_ms();
    if (!c->is_closing && c->is_started &&
        c->status_poll_ms != CLUSTER_STATUS_POLL_MS) {
        status_rate(c, CLUSTER_STATUS_POLL_MS, 0);
    }
    /* The immediate poll started above keeps status_held_ms at the slow
     * interval until its answers are in (status_poll_cb()). */
    return c->status_held_ms > CLUSTER_STATUS_POLL_MS ? c->status_held_ms
                                                      : CLUSTER_STATUS_POLL_MS;
}

const struct vr_rpc_status *cluster_peer_status(const struct cluster *c,
                                                raft_id id, uint64_t *age_ms,
                                                bool *connected)
{
    for (unsigned k = 0; k < CFG_MAX_PEERS + 1; k++) {
        const struct cluster_peer *p = &c->peers[k];
        if (p->id == id && id != 0 && p->last_ms != 0) {
            *age_ms = vip_now_ms() - p->last_ms;
            *connected = p->conn != NULL;
            return &p->last;
        }
    }
    return NULL;
}

/****** Close ******/

void cluster_props_close(struct cluster *c)
{
    /* Count every connection (and connection attempt) that will report
     * back; each closed callback of a counted one calls cluster_close_done_one(). */
    while (c->props_head != NULL) {
        props_pop(c, -ESHUTDOWN);
    }
    cluster_props_applied(c); /* is_closing: all answer -ESHUTDOWN */
    vm_close(c);
    if (c->fwd_connecting) {
        c->n_closing++; /* fwd_connect_cb() fires with -ECANCELED */
    }
    if (c->fwd != NULL) {
        c->n_closing++;
        c->fwd->is_counted = true;
        vr_rpc_conn_close(c->fwd, -ECANCELED);
    }
    for (struct cluster_session *s = c->sessions; s != NULL; s = s->next) {
        c->n_closing++;
        s->conn->is_counted = true;
        vr_rpc_conn_close(s->conn, -ECANCELED);
    }
    for (unsigned k = 0; k < CFG_MAX_PEERS + 1; k++) {
        struct cluster_peer *p = &c->peers[k];
        if (p->is_connecting) {
            c->n_closing++; /* peer_connect_cb() fires with -ECANCELED */
        }
        if (p->conn != NULL) {
            c->n_closing++;
            p->conn->is_counted = true;
            vr_rpc_conn_close(p->conn, -ECANCELED);
        }
    }
}

/****** Public proposals ******/

int cluster_propose_health(struct cluster *c, const char *check_name,
                           int32_t value)
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

int cluster_propose_admin(struct cluster *c, uint8_t op, uint64_t target)
{
    struct entry e;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ADMIN;
    e.u.admin.op = op;
    e.u.admin.target = target;
    return cluster_props_push(c, &e);
}

int cluster_propose_admin_cb(struct cluster *c, uint8_t op, uint64_t target,
                             const struct vm_cbs *cbs)
{
    struct entry e;

    if (c->is_waiting) {
        return VIP_ENOENT; /* not a member: nobody to propose to */
    }
    memset(&e, 0, sizeof e);
    e.kind = ENTRY_ADMIN;
    e.u.admin.op = op;
    e.u.admin.target = target;
    return props_push_cbs(c, &e, cbs);
}
