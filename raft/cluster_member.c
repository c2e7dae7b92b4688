/* Dynamic membership (docs/DESIGN.md 6, docs/membership.md): join, leave and remove.
 *
 * Calling side (vm_client): one RPC connection per request, to the peer
 * given by the operator (join) or to the leader (leave, remove). A member
 * that does not lead answers VIP_ENOTLEADER with the leader's address and
 * the client asks the leader instead (at most VM_MAX_HOPS times).
 *
 * Serving side (vm_serve, leader only): JOIN allocates the next free id
 * (highest id in the configuration or the state machine + 1), raft_add()s
 * the node as a spare, answers stage ADDED (the new node stores its id and
 * starts raft), then raft_assign()s it to voter, which in raft 0.15 first
 * runs catch-up rounds, and answers stage VOTER. REMOVE checks quorum,
 * raft_remove()s the node, then forgets it in the state machine (ADMIN
 * REMOVE, so `vipctl events` shows it) and answers once that applied. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/cluster_member.h"
#include "raft/raft015.h"
#include "raft/vm_member.h"
#include "vipd/clock.h"
#include "vipd/log.h"

#define VM_MAX_HOPS 4
#define VM_POLL_MS 100
#define VM_JOIN_TIMEOUT_MS 60000
#define VM_LEAVE_DRAIN_MS 20000
#define VM_REQUEST_TIMEOUT_MS 30000
#define VM_TELL_TIMEOUT_MS 5000

/* VM_TELL: the leader telling a node it removed (serve_tell_removed()). */
enum vm_kind { VM_JOIN = 1, VM_REMOVE, VM_LEAVE, VM_TELL };

struct vm_client
{
    struct cluster_member *c;
    struct vm_client *next;
    enum vm_kind kind;
    struct vm_cbs cbs;
    struct vm_member_req req;
    char peer[VR_ADDR_MAX + 1]; /* whom the operator named (join) */
    char addr[VR_ADDR_MAX + 1]; /* whom we ask now */
    unsigned hops;
    struct vr_rpc_connect creq;
    bool is_connecting;
    bool connect_counted; /* its callback owes cluster_closing_done_one() */
    struct vr_rpc_conn *conn;
    unsigned n_conns;   /* open connections (current + redirected) */
    bool is_draining;   /* leave: waiting for the leadership to move */
    bool is_done;
    uint64_t joined_id; /* join: id given at stage ADDED */
    uint64_t deadline_ms;
};

struct vm_serve
{
    struct cluster_member *c;
    struct vm_serve *next;
    uint64_t session_id, req_id;
    uint8_t reply_type;
    uint64_t id;
    struct raft_change change;
    bool is_waiting_ready;      /* added, waiting for VM_F_READY */
    bool is_undoing;            /* removing the spare of a failed join */
    bool is_hung_up;            /* the joining node closed its connection */
    bool tell;                  /* remove: tell the target once committed */
    uint64_t ready_deadline_ms; /* promote anyway after this */
    char why[96];               /* why the join is undone */
    char address[VR_RPC_ADDR_MAX + 1];
};

#define VM_READY_WAIT_MS 5000

/****** Helpers ******/

/* The membership part serving @s (cluster_sessions_set_member()). */
static struct cluster_member *member_of(const struct cluster_session *s)
{
    return s->c->member_data;
}

static void progress(struct vm_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress(struct vm_client *cl, const char *fmt, ...)
{
    char text[VIP_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    vip_info("membership: %s", text);
    if (cl->cbs.progress != NULL && !cl->is_done) {
        cl->cbs.progress(cl->cbs.data, text);
    }
}

static void client_maybe_free(struct vm_client *cl)
{
    struct cluster_member *c = cl->c;

    if (!cl->is_done || cl->is_connecting || cl->n_conns > 0) {
        return;
    }
    for (struct vm_client **pp = &c->vm_clients; *pp != NULL;
         pp = &(*pp)->next) {
        if (*pp == cl) {
            *pp = cl->next;
            break;
        }
    }
    free(cl);
}

static void finish(struct vm_client *cl, int rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct vm_client *cl, int rv, const char *fmt, ...)
{
    char text[VIP_ERRMSG_SIZE];
    va_list ap;

    if (cl->is_done) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rv == 0) {
        vip_notice("membership: %s", text);
    } else {
        vip_warn("membership: %s", text);
    }
    cl->is_done = true;
    cl->cbs.done(cl->cbs.data, rv, text);
    if (cl->conn != NULL) {
        struct vr_rpc_conn *conn = cl->conn;
        cl->conn = NULL;
        vr_rpc_conn_close(conn, 0);
    }
    client_maybe_free(cl);
}

/* A connection that failed before the peer said anything: the security
 * step (raft/transport.c) closes it when the keys differ, while TCP-level
 * failures mean the peer is not there. */
static bool is_unreachable(int status)
{
    switch (status) {
    case UV_ECONNREFUSED:
    case UV_EHOSTUNREACH:
    case UV_ENETUNREACH:
    case UV_ETIMEDOUT:
    case UV_EADDRNOTAVAIL:
    case VIP_ENOENT:
    case UV_EAI_NONAME:
    case UV_EAI_AGAIN:
    case UV_EAI_FAIL:
        return true;
    default:
        return false;
    }
}

static void client_connect(struct vm_client *cl);
static void client_send(struct vm_client *cl);
static void serve_assign(struct vm_serve *v);
static void serve_undo(struct vm_serve *v, const char *why);
static struct cluster_session *serve_session(const struct vm_serve *v);

/****** Calling side ******/

static void client_frame_cb(struct vr_rpc_conn *conn,
                            const struct vr_rpc_frame *f)
{
    struct vm_client *cl = conn->data;
    struct vm_member_reply r;
    int rv;

    if (cl == NULL || cl->is_done || conn != cl->conn) {
        return;
    }
    if (f->type != VR_RPC_JOIN_REPLY && f->type != VR_RPC_REMOVE_REPLY &&
        f->type != VR_RPC_REMOVED_REPLY && f->type != VR_RPC_ERROR) {
        return;
    }
    if (f->type == VR_RPC_ERROR) {
        finish(cl, VIP_ENOTIMPL, "%s does not support membership changes",
               cl->addr);
        return;
    }
    if (vm_member_reply_decode(f->body, f->body_len, &r) != 0) {
        finish(cl, VIP_EPROTO, "malformed answer from %s", cl->addr);
        return;
    }
    if (r.status == VIP_ENOTLEADER) {
        if (r.text[0] == '\0' || ++cl->hops > VM_MAX_HOPS) {
            finish(cl, VIP_ENOTLEADER,
                   "%s knows no leader right now: try again in a moment",
                   cl->addr);
            return;
        }
        progress(cl, "%s is not the leader; asking the leader n%llu at %s",
                 cl->addr, (unsigned long long)r.leader_id, r.text);
        snprintf(cl->addr, sizeof cl->addr, "%.270s", r.text);
        cl->conn = NULL;
        vr_rpc_conn_close(conn, 0);
        client_connect(cl);
        return;
    }
    if (r.status != 0) {
        finish(cl, r.status, "%s", r.text[0] ? r.text : vip_strerror(r.status));
        return;
    }
    if (cl->kind != VM_JOIN) {
        if (cl->kind == VM_LEAVE) {
            /* Stopped from the loop, not inside this connection's
             * callback (raft/cluster_own.c: report_left). */
            cluster_own_left(cl->c->own, 0);
        }
        finish(cl, 0, "%s", r.text);
        return;
    }
    if (r.stage == VM_STAGE_ADDED && cl->joined_id == 0) {
        if (r.id == 0) {
            finish(cl, VIP_EPROTO, "%s gave no node id", cl->addr);
            return;
        }
        cl->joined_id = r.id;
        progress(cl, "added as spare n%llu by leader n%llu; catching up",
                 (unsigned long long)r.id, (unsigned long long)r.leader_id);
        rv = cl->c->join_start(cl->c->join_data, r.id);
        if (rv != 0) {
            finish(cl, rv, "cannot start as n%llu: %s",
                   (unsigned long long)r.id, cl->c->node->errmsg);
            return;
        }
        /* Raft listens now: the leader may promote us. */
        cl->req.flags |= VM_F_READY;
        client_send(cl);
        return;
    }
    if (r.stage == VM_STAGE_VOTER) {
        finish(cl, 0, "joined the cluster through %s as node %llu", cl->peer,
               (unsigned long long)cl->joined_id);
    }
}

static void client_closed_cb(struct vr_rpc_conn *conn, int status)
{
    struct vm_client *cl = conn->data;
    struct cluster_member *c = cl->c;

    cl->n_conns--;
    if (cl->conn == conn) {
        cl->conn = NULL;
        if (!cl->is_done && !(cl->kind == VM_JOIN && cl->joined_id != 0)) {
            /* After stage ADDED the configuration poll finishes a join. */
            finish(cl, VIP_EPROTO, "%s closed the connection (%s)", cl->addr,
                   vip_strerror(status));
        }
    }
    if (c->k.is_closing && conn->is_counted) {
        cluster_closing_done_one(&c->k);
    }
    client_maybe_free(cl);
}

static void client_send(struct vm_client *cl)
{
    uint8_t body[VM_REQ_FIXED + VR_RPC_ADDR_MAX];
    size_t len;
    int rv;

    rv = vm_member_req_encode(&cl->req, body, sizeof body, &len);
    if (rv == 0) {
        rv = vr_rpc_conn_send(cl->conn,
                              cl->kind == VM_JOIN   ? VR_RPC_JOIN
                              : cl->kind == VM_TELL ? VR_RPC_REMOVED
                                                    : VR_RPC_REMOVE,
                              ++cl->c->next_req_id, body, len);
    }
    if (rv != 0) {
        finish(cl, rv, "cannot ask %s: %s", cl->addr, vip_strerror(rv));
    }
}

static void client_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                              int status)
{
    struct vm_client *cl = req->data;
    struct cluster_member *c = cl->c;

    cl->is_connecting = false;
    if (stream != NULL) {
        struct vr_rpc_conn *conn =
            vr_rpc_conn_alloc(stream, cl, client_frame_cb, client_closed_cb);
        if (conn != NULL) {
            cl->n_conns++;
            if (c->k.is_closing || cl->is_done) {
                conn->is_counted = cl->connect_counted;
                cl->connect_counted = false;
                vr_rpc_conn_close(conn, -ECANCELED);
                return;
            }
            cl->conn = conn;
            client_send(cl);
            return;
        }
        status = VIP_ENOMEM;
    }
    if (cl->connect_counted) {
        cl->connect_counted = false;
        cluster_closing_done_one(&c->k);
    }
    if (cl->is_done || c->k.is_closing) {
        client_maybe_free(cl);
        return;
    }
    if (is_unreachable(status) || status == VIP_ENOMEM) {
        finish(cl, status, "cannot reach %s: %s", cl->addr,
               vip_strerror(status));
    } else {
        finish(cl, VIP_EAUTH,
               "authentication failed: wrong cluster key? (%s: %s)", cl->addr,
               vip_strerror(status));
    }
}

static void client_connect(struct vm_client *cl)
{
    int rv;

    cl->creq.data = cl;
    rv = vr_transport_connect_rpc(&cl->c->node->transport, &cl->creq, cl->addr,
                                  client_connect_cb);
    if (rv != 0) {
        finish(cl, rv, "cannot connect to %s: %s", cl->addr,
               vip_strerror(rv));
        return;
    }
    cl->is_connecting = true;
}

static void vm_timer_cb(uv_timer_t *t);

static void timer_arm(struct cluster_member *c)
{
    if (!c->k.is_closing && !uv_is_active((uv_handle_t *)&c->vm_timer)) {
        uv_timer_start(&c->vm_timer, vm_timer_cb, VM_POLL_MS, 0);
    }
}

static struct vm_client *client_new(struct cluster_member *c, enum vm_kind kind,
                                    const struct vm_cbs *cbs,
                                    uint64_t timeout_ms)
{
    struct vm_client *cl = calloc(1, sizeof *cl);

    if (cl == NULL) {
        return NULL;
    }
    cl->c = c;
    cl->kind = kind;
    cl->cbs = *cbs;
    cl->deadline_ms = vip_now_ms() + timeout_ms;
    cl->next = c->vm_clients;
    c->vm_clients = cl;
    timer_arm(c);
    return cl;
}

/* Whether this node is a voter in its current configuration. */
static bool self_is_voter(const struct cluster_member *c)
{
    const struct raft_configuration *conf = &c->node->raft.configuration;
    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == c->node->id) {
            return conf->servers[i].role == RAFT_VOTER;
        }
    }
    return false;
}

/* Ask the current leader (for leave/remove). */
static void client_ask_leader(struct vm_client *cl)
{
    raft_id leader = 0;
    const char *addr = NULL;

    raft_leader(&cl->c->node->raft, &leader, &addr);
    if (leader == 0 || addr == NULL) {
        finish(cl, VIP_ENOTLEADER, "no leader known right now: try again");
        return;
    }
    snprintf(cl->addr, sizeof cl->addr, "%s", addr);
    client_connect(cl);
}

static void vm_timer_cb(uv_timer_t *t)
{
    struct cluster_member *c = t->data;
    uint64_t now = vip_now_ms();
    struct vm_client *cl, *next;

    if (c->k.is_closing) {
        return;
    }
    for (cl = c->vm_clients; cl != NULL; cl = next) {
        next = cl->next;
        if (cl->is_done) {
            continue;
        }
        if (cl->kind == VM_JOIN && cl->joined_id != 0 && !c->node->is_waiting &&
            self_is_voter(c)) {
            finish(cl, 0, "joined the cluster through %s as node %llu",
                   cl->peer, (unsigned long long)cl->joined_id);
        } else if (cl->is_draining && c->own->own.leader != 0 &&
                   c->own->own.leader != c->node->id &&
                   !c->own->own.is_holding) {
            cl->is_draining = false;
            progress(cl, "n%llu leads now; asking it to remove n%llu",
                     (unsigned long long)c->own->own.leader,
                     (unsigned long long)c->node->id);
            client_ask_leader(cl);
        } else if (now >= cl->deadline_ms) {
            finish(cl, VIP_ETIMEDOUT, "%s",
                   cl->is_draining ? "timed out handing leadership over"
                   : cl->kind == VM_JOIN
                       ? "timed out waiting to be promoted to voter"
                       : "timed out waiting for the leader");
        }
    }
    for (struct vm_serve *v = c->vm_serving, *vn; v != NULL; v = vn) {
        vn = v->next;
        if (v->reply_type == VR_RPC_JOIN_REPLY && !v->is_undoing &&
            serve_session(v) == NULL) {
            /* The joining node hung up (it died, or failed to start as
             * the new member): take its spare out now, so that a retry
             * is not refused as a concurrent change. A running promotion
             * ends through assign_cb(), which undoes the join. */
            if (v->is_waiting_ready) {
                serve_undo(v, "it hung up before it ran");
                continue;
            }
            v->is_hung_up = true;
            if (raft015_abort_promotion(&c->node->raft, v->id)) {
                continue; /* v is gone or being undone */
            }
            v->is_hung_up = false; /* promoted already: wait for commit */
        }
        if (v->is_waiting_ready && now >= v->ready_deadline_ms) {
            vip_warn("membership: n%llu did not say it runs; promoting it "
                     "anyway",
                     (unsigned long long)v->id);
            v->is_waiting_ready = false;
            serve_assign(v);
        }
    }
    if (c->vm_clients != NULL || c->vm_serving != NULL) {
        uv_timer_start(&c->vm_timer, vm_timer_cb, VM_POLL_MS, 0);
    }
}

static void member_frame(void *data, struct cluster_session *s,
                         const struct vr_rpc_frame *f);

void cluster_member_init(struct cluster_member *c, struct cluster_node *node,
                         struct cluster_own *own, struct cluster_props *props,
                         struct cluster_sessions *sessions,
                         int (*join_start)(void *data, raft_id id),
                         void *join_data)
{
    memset(c, 0, sizeof *c);
    c->node = node;
    c->own = own;
    c->props = props;
    c->sessions = sessions;
    c->join_start = join_start;
    c->join_data = join_data;
    uv_timer_init(node->loop, &c->vm_timer);
    c->vm_timer.data = c;
    cluster_sessions_set_member(sessions, member_frame, c);
}

int cluster_member_join(struct cluster_member *c, const char *peer,
                        const struct vm_cbs *cbs)
{
    struct vm_client *cl;
    char host[VR_HOST_MAX];
    char addr[VR_ADDR_MAX + 1];
    uint16_t port;

    if (!c->node->is_waiting) {
        errmsg_printf(c->node->errmsg,
                      "this node is already a member (n%llu); joining needs "
                      "`bootstrap no` and an empty data dir",
                      (unsigned long long)c->node->id);
        return VIP_EEXIST;
    }
    for (cl = c->vm_clients; cl != NULL; cl = cl->next) {
        if (cl->kind == VM_JOIN && !cl->is_done) {
            errmsg_printf(c->node->errmsg, "a join is already running");
            return -EALREADY;
        }
    }
    if (peer == NULL || strlen(peer) > VR_ADDR_MAX - 6) {
        errmsg_printf(c->node->errmsg, "bad peer address");
        return VIP_EINVAL;
    }
    snprintf(addr, sizeof addr, "%s", peer);
    if (vr_addr_split(addr, host, sizeof host, &port) != 0) {
        /* No port: the cluster port is the same everywhere by default. */
        bool v6 = strchr(peer, ':') != NULL && peer[0] != '[';
        snprintf(addr, sizeof addr, v6 ? "[%s]:%u" : "%s:%u", peer,
                 (unsigned)c->node->cfg->cluster.listen_port);
        if (vr_addr_split(addr, host, sizeof host, &port) != 0) {
            errmsg_printf(c->node->errmsg, "bad peer address \"%.200s\"", peer);
            return VIP_EINVAL;
        }
    }
    if (strcmp(addr, c->node->address) == 0) {
        errmsg_printf(c->node->errmsg, "%s is this node's own address", addr);
        return VIP_EINVAL;
    }
    cl = client_new(c, VM_JOIN, cbs, VM_JOIN_TIMEOUT_MS);
    if (cl == NULL) {
        return VIP_ENOMEM;
    }
    snprintf(cl->peer, sizeof cl->peer, "%s", addr);
    snprintf(cl->addr, sizeof cl->addr, "%s", addr);
    snprintf(cl->req.address, sizeof cl->req.address, "%s", c->node->address);
    progress(cl, "asking %s to admit %s", addr, c->node->address);
    client_connect(cl);
    return 0;
}

int cluster_member_remove(struct cluster_member *c, uint64_t target, bool force,
              const struct vm_cbs *cbs)
{
    struct vm_client *cl;

    if (c->node->is_waiting || !c->node->is_started) {
        errmsg_printf(c->node->errmsg, "this node is not a member of a cluster");
        return VIP_ENOENT;
    }
    cl = client_new(c, VM_REMOVE, cbs, VM_REQUEST_TIMEOUT_MS);
    if (cl == NULL) {
        return VIP_ENOMEM;
    }
    cl->req.target = target;
    cl->req.flags = force ? VM_F_FORCE : 0;
    client_ask_leader(cl);
    return 0;
}

/* Voters and live voters of the configuration, as the leader sees them. */
static void count_voters(const struct cluster_member *c, unsigned *n_voters,
                         unsigned *n_live)
{
    const struct raft_configuration *conf = &c->node->raft.configuration;

    *n_voters = 0;
    *n_live = 0;
    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].role == RAFT_VOTER) {
            (*n_voters)++;
            if (cluster_own_is_live(c->own, conf->servers[i].id)) {
                (*n_live)++;
            }
        }
    }
}

int cluster_member_leave(struct cluster_member *c, bool force,
                         const struct vm_cbs *cbs)
{
    struct vm_client *cl;
    bool leads = raft_state(&c->node->raft) == RAFT_LEADER;
    int rv;

    if (c->node->is_waiting || !c->node->is_started) {
        errmsg_printf(c->node->errmsg, "this node is not a member of a cluster");
        return VIP_ENOENT;
    }
    if (leads || c->own->own.is_holding) {
        unsigned v, live;
        count_voters(c, &v, &live);
        if (self_is_voter(c) && v <= 1) {
            errmsg_printf(c->node->errmsg,
                          "n%llu is the only voter: the cluster cannot go on "
                          "without it",
                          (unsigned long long)c->node->id);
            return -EBUSY;
        }
        if (!force && self_is_voter(c) && (live - 1) * 2 <= v - 1) {
            errmsg_printf(c->node->errmsg,
                          "leaving would leave %u of %u voters alive: no "
                          "majority (--force to leave anyway)",
                          live - 1, v - 1);
            return -EBUSY;
        }
    }
    cl = client_new(c, VM_LEAVE, cbs, VM_REQUEST_TIMEOUT_MS);
    if (cl == NULL) {
        return VIP_ENOMEM;
    }
    cl->req.target = c->node->id;
    cl->req.flags = VM_F_LEAVE | (force ? VM_F_FORCE : 0);
    if (leads || c->own->own.is_holding) {
        rv = cluster_props_propose_admin(c->props, ENTRY_ADMIN_MAINT_ON,
                                         c->node->id);
        if (rv != 0) {
            finish(cl, rv, "cannot start draining: %s", vip_strerror(rv));
            return 0;
        }
        cl->is_draining = true;
        cl->deadline_ms = vip_now_ms() + VM_LEAVE_DRAIN_MS;
        progress(cl, "maintenance on: handing the VIP and the leadership over");
        return 0;
    }
    client_ask_leader(cl);
    return 0;
}

/****** Serving side (leader) ******/

static void serve_reply(struct cluster_member *c, uint64_t session_id,
                        uint8_t type, uint64_t req_id, int status,
                        uint8_t stage, uint64_t id, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void serve_reply(struct cluster_member *c, uint64_t session_id,
                        uint8_t type, uint64_t req_id, int status,
                        uint8_t stage, uint64_t id, const char *fmt, ...)
{
    struct cluster_session *s = cluster_session_find(c->sessions, session_id);
    struct vm_member_reply r;
    uint8_t body[VM_REPLY_FIXED + VM_TEXT_MAX];
    size_t len;
    raft_id leader = 0;
    const char *addr = NULL;
    va_list ap;

    if (s == NULL) {
        return; /* the asker went away */
    }
    memset(&r, 0, sizeof r);
    r.status = status;
    r.stage = stage;
    r.id = id;
    if (!c->k.is_closing && c->node->has_raft) {
        raft_leader(&c->node->raft, &leader, &addr);
    }
    r.leader_id = leader;
    va_start(ap, fmt);
    vsnprintf(r.text, sizeof r.text, fmt, ap);
    va_end(ap);
    for (char *p = r.text; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            *p = '?';
        }
    }
    if (vm_member_reply_encode(&r, body, sizeof body, &len) == 0) {
        (void)vr_rpc_conn_send(s->conn, type, req_id, body, len);
    }
}

static struct vm_serve *serve_new(struct cluster_member *c,
                                  const struct cluster_session *s,
                                  const struct vr_rpc_frame *f, uint8_t type)
{
    struct vm_serve *v = calloc(1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->c = c;
    v->session_id = s->id;
    v->req_id = f->req_id;
    v->reply_type = type;
    v->change.data = v;
    v->next = c->vm_serving;
    c->vm_serving = v;
    return v;
}

static void serve_free(struct vm_serve *v)
{
    for (struct vm_serve **pp = &v->c->vm_serving; *pp != NULL;
         pp = &(*pp)->next) {
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    }
    free(v);
}

static const struct raft_server *conf_find(const struct cluster_member *c,
                                           uint64_t id, const char *address)
{
    const struct raft_configuration *conf = &c->node->raft.configuration;
    for (unsigned i = 0; i < conf->n; i++) {
        if ((id != 0 && conf->servers[i].id == id) ||
            (address != NULL && strcmp(conf->servers[i].address, address) == 0)) {
            return &conf->servers[i];
        }
    }
    return NULL;
}

static struct cluster_session *serve_session(const struct vm_serve *v)
{
    return cluster_session_find(v->c->sessions, v->session_id);
}

static void undo_cb(struct raft_change *req, int status)
{
    struct vm_serve *v = req->data;
    struct cluster_member *c = v->c;

    if (!c->k.is_closing) {
        if (status != 0) {
            vip_warn("membership: removing the spare n%llu of a failed join: "
                     "%s (remove it with `vipctl remove n%llu`)",
                     (unsigned long long)v->id, raft_strerror(status),
                     (unsigned long long)v->id);
        } else {
            vip_notice("membership: n%llu could not finish joining (%s): "
                       "its spare is removed again",
                       (unsigned long long)v->id, v->why);
        }
        serve_reply(c, v->session_id, v->reply_type, v->req_id,
                    -EAGAIN, VM_STAGE_NONE, v->id,
                    "n%llu could not finish joining (%s); %s",
                    (unsigned long long)v->id, v->why,
                    status == 0 ? "removed it again: try again"
                                : "its spare is left behind");
    }
    serve_free(v);
}

/* A join that failed after its spare was added: remove the spare again,
 * so that the next join starts clean and at once (docs/membership.md). */
static void serve_undo(struct vm_serve *v, const char *why)
{
    struct cluster_member *c = v->c;
    int rv;

    v->is_waiting_ready = false;
    v->is_undoing = true;
    snprintf(v->why, sizeof v->why, "%s", why);
    vip_warn("membership: n%llu did not finish joining (%s): removing its "
             "spare",
             (unsigned long long)v->id, why);
    v->change.data = v;
    rv = raft_remove(&c->node->raft, &v->change, v->id, undo_cb);
    if (rv != 0) {
        undo_cb(&v->change, rv);
    }
}

static void assign_cb(struct raft_change *req, int status)
{
    struct vm_serve *v = req->data;
    struct cluster_member *c = v->c;

    if (!c->k.is_closing) {
        if (status != 0) {
            char why[96];
            snprintf(why, sizeof why, "%s%s",
                     v->is_hung_up ? "it hung up while catching up: "
                                   : "promotion to voter: ",
                     raft_strerror(status));
            serve_undo(v, why);
            return;
        } else {
            vip_notice("membership: n%llu is a voter",
                       (unsigned long long)v->id);
            serve_reply(c, v->session_id, v->reply_type, v->req_id, 0,
                        VM_STAGE_VOTER, v->id, "n%llu is a voter",
                        (unsigned long long)v->id);
        }
    }
    serve_free(v);
}

static void serve_assign(struct vm_serve *v)
{
    struct cluster_member *c = v->c;
    int rv = raft_assign(&c->node->raft, &v->change, v->id, RAFT_VOTER,
                         assign_cb);

    if (rv != 0) {
        char why[96];
        snprintf(why, sizeof why, "promotion to voter: %.70s",
                 raft_errmsg(&c->node->raft));
        serve_undo(v, why);
    }
}

/* Promote once the new node says its raft listens (or after a while). */
static void serve_wait_ready(struct vm_serve *v)
{
    v->is_waiting_ready = true;
    v->ready_deadline_ms = vip_now_ms() + VM_READY_WAIT_MS;
    timer_arm(v->c);
}

static void serve_ready(struct cluster_member *c,
                        const struct vm_member_req *rq)
{
    for (struct vm_serve *v = c->vm_serving; v != NULL; v = v->next) {
        if (v->is_waiting_ready && strcmp(v->address, rq->address) == 0) {
            v->is_waiting_ready = false;
            serve_assign(v);
            return;
        }
    }
}

static void add_cb(struct raft_change *req, int status)
{
    struct vm_serve *v = req->data;
    struct cluster_member *c = v->c;

    if (c->k.is_closing) {
        serve_free(v);
        return;
    }
    if (status != 0) {
        serve_reply(c, v->session_id, v->reply_type, v->req_id,
                    cluster_rv(status), VM_STAGE_NONE, 0,
                    "adding n%llu failed: %s", (unsigned long long)v->id,
                    raft_strerror(status));
        serve_free(v);
        return;
    }
    vip_notice("membership: n%llu added as spare", (unsigned long long)v->id);
    serve_reply(c, v->session_id, v->reply_type, v->req_id, 0, VM_STAGE_ADDED,
                v->id, "added as spare");
    serve_wait_ready(v);
}

static uint64_t next_free_id(const struct cluster_member *c)
{
    const struct raft_configuration *conf = &c->node->raft.configuration;
    const struct fsm_state *st = c->node->fsm.st;
    uint64_t max = 0;

    for (unsigned i = 0; i < conf->n; i++) {
        max = conf->servers[i].id > max ? conf->servers[i].id : max;
    }
    for (unsigned i = 0; i < st->n_members; i++) {
        uint64_t id = st->members[i].node.origin.node_id;
        max = id > max ? id : max;
    }
    return max + 1;
}

static void serve_join(struct cluster_session *s, const struct vr_rpc_frame *f,
                       const struct vm_member_req *rq)
{
    struct cluster_member *c = member_of(s);
    const struct raft_server *srv;
    struct vm_serve *v;
    char host[VR_HOST_MAX];
    uint16_t port;
    int rv;

    if (rq->address[0] == '\0' ||
        vr_addr_split(rq->address, host, sizeof host, &port) != 0 ||
        strlen(rq->address) >= ENTRY_ADDR_MAX) {
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, VIP_EINVAL, 0, 0,
                    "bad address \"%.100s\"", rq->address);
        return;
    }
    srv = conf_find(c, 0, rq->address);
    if (srv != NULL && srv->role == RAFT_VOTER) {
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, VIP_EEXIST, 0, 0,
                    "address %s is already taken by voter n%llu (remove it "
                    "first)",
                    rq->address, (unsigned long long)srv->id);
        return;
    }
    if (c->vm_serving != NULL) {
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, -EBUSY, 0, 0,
                    "another membership change is running: try again");
        return;
    }
    v = serve_new(c, s, f, VR_RPC_JOIN_REPLY);
    if (v == NULL) {
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, VIP_ENOMEM, 0, 0,
                    "out of memory");
        return;
    }
    if (srv != NULL) {
        /* A join that stopped half-way (a spare): go on with its id. */
        v->id = srv->id;
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, 0, VM_STAGE_ADDED,
                    v->id, "already a spare, promoting");
        snprintf(v->address, sizeof v->address, "%s", rq->address);
        serve_wait_ready(v);
        return;
    }
    v->id = next_free_id(c);
    snprintf(v->address, sizeof v->address, "%s", rq->address);
    vip_notice("membership: %s asks to join, adding it as n%llu",
               rq->address, (unsigned long long)v->id);
    rv = raft_add(&c->node->raft, &v->change, v->id, rq->address, add_cb);
    if (rv != 0) {
        serve_reply(c, s->id, VR_RPC_JOIN_REPLY, f->req_id, cluster_rv(rv), 0,
                    0, "cannot add %s: %s", rq->address, raft_errmsg(&c->node->raft));
        serve_free(v);
    }
}

static void removed_applied(void *data, int rv, const char *message)
{
    struct vm_serve *v = data;
    struct cluster_member *c = v->c;
    (void)message;

    if (!c->k.is_closing) {
        /* A rejection here means the state machine never knew the node
         * (it was removed before describing itself): it is gone anyway. */
        (void)rv;
        serve_reply(c, v->session_id, v->reply_type, v->req_id, 0,
                    VM_STAGE_NONE, v->id, "n%llu removed",
                    (unsigned long long)v->id);
    }
    serve_free(v);
}

static void told_removed(void *data, int rv, const char *message)
{
    /* finish() logged the outcome; a target that is down learns nothing
     * (docs/membership.md: it must not be started on its data dir). */
    (void)data;
    (void)rv;
    (void)message;
}

/* raft 0.15 stops replicating to a removed server the moment the change
 * is appended, so the target never sees the configuration without it and
 * would campaign forever: tell it over the RPC port, so that it stops like
 * after `vipctl leave` (raft/cluster_own.c: report_left). */
static void serve_tell_removed(struct cluster_member *c, uint64_t id,
                               const char *address)
{
    struct vm_cbs cbs;
    struct vm_client *cl;

    memset(&cbs, 0, sizeof cbs);
    cbs.done = told_removed;
    cl = client_new(c, VM_TELL, &cbs, VM_TELL_TIMEOUT_MS);
    if (cl == NULL) {
        vip_warn("membership: cannot tell n%llu it was removed: out of "
                 "memory", (unsigned long long)id);
        return;
    }
    cl->req.target = id;
    snprintf(cl->peer, sizeof cl->peer, "%s", address);
    snprintf(cl->addr, sizeof cl->addr, "%s", address);
    progress(cl, "telling n%llu at %s that it was removed",
             (unsigned long long)id, address);
    client_connect(cl);
}

static void remove_cb(struct raft_change *req, int status)
{
    struct vm_serve *v = req->data;
    struct cluster_member *c = v->c;
    struct vm_cbs cbs;

    if (c->k.is_closing) {
        serve_free(v);
        return;
    }
    if (status != 0) {
        serve_reply(c, v->session_id, v->reply_type, v->req_id,
                    cluster_rv(status), VM_STAGE_NONE, v->id,
                    "removing n%llu failed: %s", (unsigned long long)v->id,
                    raft_strerror(status));
        serve_free(v);
        return;
    }
    vip_notice("membership: n%llu removed from the configuration",
               (unsigned long long)v->id);
    if (v->tell) {
        serve_tell_removed(c, v->id, v->address);
    }
    memset(&cbs, 0, sizeof cbs);
    cbs.data = v;
    cbs.done = removed_applied;
    if (fsm_member(c->node->fsm.st, v->id) == NULL ||
        cluster_props_propose_admin_cb(c->props, ENTRY_ADMIN_REMOVE, v->id,
                                       &cbs) != 0) {
        removed_applied(v, 0, NULL);
    }
}

static void serve_remove(struct cluster_session *s,
                         const struct vr_rpc_frame *f,
                         const struct vm_member_req *rq)
{
    struct cluster_member *c = member_of(s);
    const struct raft_server *srv = conf_find(c, rq->target, NULL);
    bool force = (rq->flags & VM_F_FORCE) != 0;
    bool leave = (rq->flags & VM_F_LEAVE) != 0;
    struct vm_serve *v;
    unsigned voters, live;
    int rv;

    if (srv == NULL || rq->target == 0) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, VIP_ENOENT, 0,
                    rq->target, "n%llu is not a member",
                    (unsigned long long)rq->target);
        return;
    }
    if (leave && rq->target != s->peer_id) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, VIP_EPROTO, 0,
                    rq->target, "a node can only leave for itself");
        return;
    }
    if (rq->target == c->node->id) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, -EBUSY, 0,
                    rq->target,
                    "n%llu leads the cluster: run `vipctl leave` on it, or "
                    "transfer the leadership first",
                    (unsigned long long)rq->target);
        return;
    }
    count_voters(c, &voters, &live);
    if (!force && !leave && cluster_own_is_live(c->own, rq->target)) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, -EBUSY, 0,
                    rq->target,
                    "n%llu is alive: run `vipctl leave` on it (or --force)",
                    (unsigned long long)rq->target);
        return;
    }
    if (srv->role == RAFT_VOTER) {
        unsigned after = voters - 1;
        unsigned live_after =
            live - (cluster_own_is_live(c->own, rq->target) ? 1u : 0u);
        if (!force && live_after * 2 <= after) {
            serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, -EBUSY, 0,
                        rq->target,
                        "removing n%llu leaves %u of %u voters alive: no "
                        "majority (--force to do it anyway)",
                        (unsigned long long)rq->target, live_after, after);
            return;
        }
    }
    if (c->vm_serving != NULL) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, -EBUSY, 0, 0,
                    "another membership change is running: try again");
        return;
    }
    v = serve_new(c, s, f, VR_RPC_REMOVE_REPLY);
    if (v == NULL) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, VIP_ENOMEM, 0, 0,
                    "out of memory");
        return;
    }
    v->id = rq->target;
    /* A node that leaves learns it from our answer; any other target only
     * if we tell it (serve_tell_removed()). */
    v->tell = rq->target != s->peer_id;
    snprintf(v->address, sizeof v->address, "%s", srv->address);
    vip_notice("membership: removing n%llu (asked by n%llu%s)",
               (unsigned long long)v->id, (unsigned long long)s->peer_id,
               force ? ", forced" : "");
    rv = raft_remove(&c->node->raft, &v->change, v->id, remove_cb);
    if (rv != 0) {
        serve_reply(c, s->id, VR_RPC_REMOVE_REPLY, f->req_id, cluster_rv(rv),
                    0, v->id, "cannot remove n%llu: %s",
                    (unsigned long long)v->id, raft_errmsg(&c->node->raft));
        serve_free(v);
    }
}

/* The leader says it removed this node (serve_tell_removed()): believe
 * the leader we follow only, then stop like after `vipctl leave`. */
static void serve_removed(struct cluster_session *s,
                          const struct vr_rpc_frame *f,
                          const struct vm_member_req *rq)
{
    struct cluster_member *c = member_of(s);
    raft_id leader = 0;
    const char *addr = NULL;

    if (c->k.is_closing || !c->node->is_started || rq->target != c->node->id) {
        serve_reply(c, s->id, VR_RPC_REMOVED_REPLY, f->req_id, VIP_EINVAL,
                    0, c->node->id, "this is n%llu, not n%llu",
                    (unsigned long long)c->node->id,
                    (unsigned long long)rq->target);
        return;
    }
    raft_leader(&c->node->raft, &leader, &addr);
    if (s->peer_id == 0 || s->peer_id == c->node->id ||
        (s->peer_id != leader && s->peer_id != c->own->own.leader)) {
        vip_warn("membership: n%llu says it removed this node, but it is "
                 "not the leader here (n%llu): ignored",
                 (unsigned long long)s->peer_id, (unsigned long long)leader);
        serve_reply(c, s->id, VR_RPC_REMOVED_REPLY, f->req_id,
                    VIP_ENOTLEADER, 0, c->node->id, "%s", "");
        return;
    }
    serve_reply(c, s->id, VR_RPC_REMOVED_REPLY, f->req_id, 0, VM_STAGE_NONE,
                c->node->id, "n%llu stops", (unsigned long long)c->node->id);
    /* Stopped from the loop, not inside this session's callback. */
    cluster_own_left(c->own, s->peer_id);
}

static void member_frame(void *data, struct cluster_session *s,
                         const struct vr_rpc_frame *f)
{
    struct cluster_member *c = data;
    uint8_t type = f->type == VR_RPC_JOIN      ? VR_RPC_JOIN_REPLY
                   : f->type == VR_RPC_REMOVED ? VR_RPC_REMOVED_REPLY
                                               : VR_RPC_REMOVE_REPLY;
    struct vm_member_req rq;
    raft_id leader = 0;
    const char *addr = NULL;

    if (vm_member_req_decode(f->body, f->body_len, &rq) != 0) {
        vip_warn("membership: malformed request from %llu",
                 (unsigned long long)s->peer_id);
        serve_reply(c, s->id, type, f->req_id, VIP_EPROTO, 0, 0,
                    "malformed request");
        return;
    }
    if (f->type == VR_RPC_JOIN && (rq.flags & VM_F_READY) != 0) {
        if (!c->k.is_closing && c->node->is_started) {
            serve_ready(c, &rq); /* never answered */
        }
        return;
    }
    if (f->type == VR_RPC_REMOVED) {
        serve_removed(s, f, &rq);
        return;
    }
    if (c->k.is_closing || !c->node->is_started ||
        raft_state(&c->node->raft) != RAFT_LEADER) {
        if (c->node->is_started && !c->k.is_closing) {
            raft_leader(&c->node->raft, &leader, &addr);
        }
        serve_reply(c, s->id, type, f->req_id, VIP_ENOTLEADER, 0, 0, "%s",
                    addr != NULL && leader != c->node->id ? addr : "");
        return;
    }
    if (f->type == VR_RPC_JOIN) {
        serve_join(s, f, &rq);
    } else {
        serve_remove(s, f, &rq);
    }
}

/****** Close ******/

void cluster_member_stop(struct cluster_member *c)
{
    c->k.is_closing = true;
    uv_timer_stop(&c->vm_timer);
}

void cluster_member_close(struct cluster_member *c, void (*done)(void *data),
                          void *data)
{
    cluster_closing_begin(&c->k, done, data);
    /* Joins waiting for READY have no raft request in flight: drop them
     * (the others end in their raft callbacks when raft closes). */
    for (struct vm_serve *v = c->vm_serving, *vn; v != NULL; v = vn) {
        vn = v->next;
        if (v->is_waiting_ready) {
            serve_free(v);
        }
    }
    for (struct vm_client *cl = c->vm_clients, *next; cl != NULL; cl = next) {
        next = cl->next;
        if (cl->is_connecting) {
            c->k.n++;
            cl->connect_counted = true;
        }
        if (cl->conn != NULL) {
            struct vr_rpc_conn *conn = cl->conn;
            cl->conn = NULL;
            c->k.n++;
            conn->is_counted = true;
            vr_rpc_conn_close(conn, -ECANCELED);
        }
        if (!cl->is_done) {
            cl->is_done = true;
            cl->cbs.done(cl->cbs.data, -ESHUTDOWN, "vipd is shutting down");
        }
        client_maybe_free(cl);
    }
    c->k.n++;
    c->vm_timer.data = &c->k;
    uv_close((uv_handle_t *)&c->vm_timer, cluster_closing_timer_cb);
    cluster_closing_counted(&c->k);
}
