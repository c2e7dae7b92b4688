/* The serving part of the cluster (raft/cluster_session.h): peers' RPC
 * connections, their proposals (leader) and status requests; membership
 * frames go to the hook the membership part registered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/cluster_session.h"
#include "vipd/log.h"

void cluster_sessions_init(struct cluster_sessions *c,
                           struct cluster_node *node, const struct own *own)
{
    memset(c, 0, sizeof *c);
    c->node = node;
    c->own = own;
}

void cluster_sessions_set_member(struct cluster_sessions *c,
                                 cluster_member_frame_cb cb, void *data)
{
    c->member_frame = cb;
    c->member_data = data;
}

void cluster_sessions_set_place(struct cluster_sessions *c,
                                cluster_member_frame_cb cb, void *data)
{
    c->place_frame = cb;
    c->place_data = data;
}

struct cluster_session *cluster_session_find(struct cluster_sessions *c,
                                             uint64_t id)
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
    struct cluster_sessions *c = s->c;
    struct vr_rpc_reply r;
    uint8_t body[14 + VR_RPC_ADDR_MAX];
    size_t len;
    raft_id leader = 0;
    const char *addr = NULL;

    memset(&r, 0, sizeof r);
    r.status = status;
    if (status == VIP_ENOTLEADER && !c->k.is_closing) {
        raft_leader(&c->node->raft, &leader, &addr);
        r.leader_id = leader;
        snprintf(r.leader_address, sizeof r.leader_address, "%s",
                 addr != NULL ? addr : "");
    }
    if (vr_rpc_reply_encode(&r, body, sizeof body, &len) == 0) {
        /* A failed send closes the connection; the peer retries. */
        (void)vr_rpc_conn_send(s->conn, type, req_id, body, len);
    }
}

/* A proposal of a peer, applied for it. */
struct session_apply
{
    struct raft_apply req;
    struct cluster_sessions *c;
    uint64_t session_id;
    uint64_t req_id;
};

static void remote_apply_cb(struct raft_apply *req, int status, void *result)
{
    struct session_apply *a = req->data;
    struct cluster_sessions *c = a->c;
    struct cluster_session *s;
    (void)result;

    if (!c->k.is_closing) {
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
    struct cluster_sessions *c = s->c;
    struct entry e;
    struct session_apply *a;
    char why[VIP_ERRMSG_SIZE];
    int rv;

    if (raft_state(&c->node->raft) != RAFT_LEADER) {
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, VIP_ENOTLEADER);
        return;
    }
    /* Only the leader writes TICKs and ASSIGNs (its placements, in its
     * term: raft/place.h); only well-formed records enter the log (the
     * FSM would skip a bad one, but why store it). */
    rv = entry_decode(f->body, f->body_len, &e, why);
    if (rv == 0 && (e.kind == ENTRY_TICK || e.kind == ENTRY_ASSIGN)) {
        rv = VIP_EPROTO;
        snprintf(why, sizeof why, "%s from a follower",
                 e.kind == ENTRY_TICK ? "TICK" : "ASSIGN");
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
    a->req.data = a;
    a->c = c;
    rv = cluster_node_apply(c->node, f->body, f->body_len, &a->req,
                            remote_apply_cb);
    if (rv != 0) {
        free(a);
        session_reply(s, VR_RPC_PROPOSE_REPLY, f->req_id, cluster_rv(rv));
    }
}

static void own_status(struct cluster_sessions *c, struct vr_rpc_status *st)
{
    raft_id leader = 0;
    const char *addr = NULL;

    memset(st, 0, sizeof *st);
    st->id = c->node->id;
    st->role = (uint8_t)raft_state(&c->node->raft);
    if (st->role > RAFT_LEADER) {
        st->role = 0;
    }
    st->holds = c->own->is_holding;
    st->term = c->node->raft.current_term;
    st->commit_index = c->node->raft.commit_index;
    st->applied_index = raft_last_applied(&c->node->raft);
    if (st->applied_index > st->commit_index) {
        st->commit_index = st->applied_index;
    }
    raft_leader(&c->node->raft, &leader, &addr);
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
    case VR_RPC_REMOVED:
        if (s->c->member_frame != NULL) {
            s->c->member_frame(s->c->member_data, s, f);
        } else {
            session_reply(s, VR_RPC_ERROR, f->req_id, VIP_ENOTIMPL);
        }
        break;
    case VR_RPC_PLACE:
        if (s->c->place_frame != NULL) {
            s->c->place_frame(s->c->place_data, s, f);
        } else {
            session_reply(s, VR_RPC_ERROR, f->req_id, VIP_ENOTIMPL);
        }
        break;
    case VR_RPC_PROPOSE_REPLY:
    case VR_RPC_STATUS_REPLY:
    case VR_RPC_PLACE_REPLY:
    case VR_RPC_JOIN_REPLY:
    case VR_RPC_REMOVE_REPLY:
    case VR_RPC_REMOVED_REPLY:
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
    struct cluster_sessions *c = s->c;
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
    if (c->k.is_closing && conn->is_counted) {
        cluster_closing_done_one(&c->k);
    }
}

static void stream_free_cb(uv_handle_t *h)
{
    raft_free(h);
}

void cluster_sessions_accept(void *data, uv_stream_t *stream,
                        const struct vr_preamble *p)
{
    struct cluster_sessions *c = data;
    struct cluster_session *s = calloc(1, sizeof *s);

    if (s == NULL || c->k.is_closing) {
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

/****** Close ******/

void cluster_sessions_stop(struct cluster_sessions *c)
{
    c->k.is_closing = true;
}

void cluster_sessions_close(struct cluster_sessions *c,
                            void (*done)(void *data), void *data)
{
    cluster_closing_begin(&c->k, done, data);
    for (struct cluster_session *s = c->sessions; s != NULL; s = s->next) {
        c->k.n++;
        s->conn->is_counted = true;
        vr_rpc_conn_close(s->conn, -ECANCELED);
    }
    cluster_closing_counted(&c->k);
}
