/* The status part of the cluster (raft/cluster_peers.h): one RPC
 * connection per other member, asked for its own view every second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/cluster_peers.h"
#include "vipd/clock.h"
#include "vipd/log.h"

void cluster_peers_init(struct cluster_peers *c, struct cluster_node *node)
{
    memset(c, 0, sizeof *c);
    c->node = node;
    uv_timer_init(node->loop, &c->status_timer);
    c->status_timer.data = c;
}

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
    if (p->c->k.is_closing && conn->is_counted) {
        cluster_closing_done_one(&p->c->k);
    }
}

static void peer_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                            int status)
{
    struct cluster_peer *p = req->data;
    struct cluster_peers *c = p->c;

    p->is_connecting = false;
    if (c->k.is_closing) {
        bool counted = c->k.is_counting;
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
            cluster_closing_done_one(&c->k);
        }
        return;
    }
    if (status != 0) {
        return; /* the next poll retries */
    }
    p->conn = vr_rpc_conn_alloc(stream, p, peer_frame_cb, peer_closed_cb);
}

static void status_poll_cb(uv_timer_t *t);

/* Poll every @ms from now on (the first poll after @first_ms). */
static void status_rate(struct cluster_peers *c, uint32_t ms,
                        uint64_t first_ms)
{
    c->status_poll_ms = ms;
    uv_timer_start(&c->status_timer, status_poll_cb, first_ms, ms);
}

static void status_poll_cb(uv_timer_t *t)
{
    struct cluster_peers *c = t->data;
    const struct raft_configuration *conf = &c->node->raft.configuration;

    if (c->k.is_closing) {
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
        if (srv->id == c->node->id) {
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
            if (vr_transport_connect_rpc(&c->node->transport, &p->req, p->address,
                                         peer_connect_cb) == 0) {
                p->is_connecting = true;
            }
        }
    }
}

void cluster_peers_start(struct cluster_peers *c)
{
    /* Warm after the start: an operator checks the new node at once. */
    c->status_wanted_ms = vip_now_ms();
    c->status_last_ms = CLUSTER_STATUS_POLL_MS;
    c->status_held_ms = CLUSTER_STATUS_POLL_MS;
    status_rate(c, CLUSTER_STATUS_POLL_MS, 0);
}

uint32_t cluster_peers_wanted(struct cluster_peers *c)
{
    c->status_wanted_ms = vip_now_ms();
    if (!c->k.is_closing && c->status_poll_ms != 0 &&
        c->status_poll_ms != CLUSTER_STATUS_POLL_MS) {
        status_rate(c, CLUSTER_STATUS_POLL_MS, 0);
    }
    /* The immediate poll started above keeps status_held_ms at the slow
     * interval until its answers are in (status_poll_cb()). */
    return c->status_held_ms > CLUSTER_STATUS_POLL_MS ? c->status_held_ms
                                                      : CLUSTER_STATUS_POLL_MS;
}

const struct vr_rpc_status *cluster_peers_status(const struct cluster_peers *c,
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

void cluster_peers_stop(struct cluster_peers *c)
{
    c->k.is_closing = true;
    uv_timer_stop(&c->status_timer);
}

void cluster_peers_close(struct cluster_peers *c, void (*done)(void *data),
                         void *data)
{
    cluster_closing_begin(&c->k, done, data);
    for (unsigned k = 0; k < CFG_MAX_PEERS + 1; k++) {
        struct cluster_peer *p = &c->peers[k];
        if (p->is_connecting) {
            c->k.n++; /* peer_connect_cb() fires with -ECANCELED */
        }
        if (p->conn != NULL) {
            c->k.n++;
            p->conn->is_counted = true;
            vr_rpc_conn_close(p->conn, -ECANCELED);
        }
    }
    c->k.n++;
    c->status_timer.data = &c->k;
    uv_close((uv_handle_t *)&c->status_timer, cluster_closing_timer_cb);
    cluster_closing_counted(&c->k);
}
