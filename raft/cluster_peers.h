/* The status part of struct cluster (raft/cluster.h): one RPC connection
 * per other member of the configuration, asked for its own view
 * (raft/peer_rpc.h: STATUS), every second while wanted (below). Above the
 * node only. */
#ifndef VIPD_RAFT_CLUSTER_PEERS_H
#define VIPD_RAFT_CLUSTER_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/peer_rpc.h"

/* Asked every second while someone reads the status (vipctl status, a
 * metrics scrape; and after the start) and for CLUSTER_STATUS_WARM_MS
 * after, every CLUSTER_STATUS_IDLE_POLL_MS otherwise: an idle node's loop
 * and network stay quiet, and a status read still finds answers at most
 * that old. */
#define CLUSTER_STATUS_POLL_MS 1000
#define CLUSTER_STATUS_IDLE_POLL_MS 10000
#define CLUSTER_STATUS_WARM_MS 60000

struct cluster_peers;

struct cluster_peer
{
    struct cluster_peers *c;
    raft_id id;                  /* 0: free slot */
    char address[VR_ADDR_MAX + 1];
    struct vr_rpc_conn *conn;
    bool is_connecting;
    struct vr_rpc_connect req;
    struct vr_rpc_status last;   /* the peer's latest answer */
    uint64_t last_ms;            /* vip_now_ms() of it, 0: none */
};

struct cluster_peers
{
    struct cluster_node *node;
    struct cluster_peer peers[CFG_MAX_PEERS + 1];
    uv_timer_t status_timer;
    uint64_t status_wanted_ms;  /* last cluster_peers_wanted() */
    uint32_t status_poll_ms;    /* current polling interval */
    uint32_t status_last_ms;    /* interval after the previous poll */
    uint32_t status_held_ms;    /* the held answers are at most about this
                                   old (max of the last two intervals) */
    uint64_t next_req_id;
    struct cluster_closing k;
};

/* Set up (the poll timer); cluster_peers_start() starts polling. */
void cluster_peers_init(struct cluster_peers *ps, struct cluster_node *node);
void cluster_peers_start(struct cluster_peers *ps);

/* raft/cluster.h: cluster_peer_status(). */
const struct vr_rpc_status *cluster_peers_status(const struct cluster_peers *ps,
                                                 raft_id id, uint64_t *age_ms,
                                                 bool *connected);

/* Someone reads the status: poll every second from now on, for
 * CLUSTER_STATUS_WARM_MS. Returns the interval of the answers now held
 * (CLUSTER_STATUS_POLL_MS or CLUSTER_STATUS_IDLE_POLL_MS): an answer may
 * be two of them old and still count as current. */
uint32_t cluster_peers_wanted(struct cluster_peers *ps);

/* Shutdown: stop polling, then close the connections and the timer,
 * @done(@data) once all closed. */
void cluster_peers_stop(struct cluster_peers *ps);
void cluster_peers_close(struct cluster_peers *ps, void (*done)(void *data),
                         void *data);

#endif /* VIPD_RAFT_CLUSTER_PEERS_H */
