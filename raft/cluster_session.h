/* The serving part of struct cluster (raft/cluster.h): the RPC
 * connections peers open to us (raft/peer_rpc.h). Serves PROPOSE (leader:
 * applies a follower's entry) and STATUS itself; JOIN, REMOVE and REMOVED
 * go to the hook set by the membership part above it
 * (cluster_sessions_set_member()), PLACE to the placement part's
 * (cluster_sessions_set_place()), so this file never calls up. */
#ifndef VIPD_RAFT_CLUSTER_SESSION_H
#define VIPD_RAFT_CLUSTER_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/own_step.h"
#include "raft/peer_rpc.h"

struct cluster_sessions;

/* A peer's RPC connection we serve. */
struct cluster_session
{
    struct cluster_sessions *c;
    struct cluster_session *prev, *next;
    uint64_t id;
    uint64_t peer_id;
    struct vr_rpc_conn *conn;
};

typedef void (*cluster_member_frame_cb)(void *data, struct cluster_session *s,
                                        const struct vr_rpc_frame *f);

struct cluster_sessions
{
    struct cluster_node *node;
    const struct own *own;     /* whether we hold, for STATUS */
    struct cluster_session *sessions;
    uint64_t next_session_id;
    cluster_member_frame_cb member_frame;
    void *member_data;
    cluster_member_frame_cb place_frame; /* PLACE requests (the placement
                                            part, raft/cluster_place.h) */
    void *place_data;
    struct cluster_closing k;
};

void cluster_sessions_init(struct cluster_sessions *ss,
                           struct cluster_node *node, const struct own *own);

/* Where membership frames go (NULL: answered VIP_ENOTIMPL). */
void cluster_sessions_set_member(struct cluster_sessions *ss,
                                 cluster_member_frame_cb cb, void *data);

/* Where PLACE requests go (NULL: answered VIP_ENOTIMPL); the hook
 * answers through s->conn with a VR_RPC_PLACE_REPLY. */
void cluster_sessions_set_place(struct cluster_sessions *ss,
                                cluster_member_frame_cb cb, void *data);

/* Accept callback for the transport (vr_rpc_accept_cb; @data: @ss). */
void cluster_sessions_accept(void *data, uv_stream_t *stream,
                             const struct vr_preamble *p);

/* A serving session by id; NULL once it closed. */
struct cluster_session *cluster_session_find(struct cluster_sessions *ss,
                                             uint64_t id);

/* Shutdown: stop (accept nothing more), then close every session,
 * @done(@data) once all closed. */
void cluster_sessions_stop(struct cluster_sessions *ss);
void cluster_sessions_close(struct cluster_sessions *ss,
                            void (*done)(void *data), void *data);

#endif /* VIPD_RAFT_CLUSTER_SESSION_H */
