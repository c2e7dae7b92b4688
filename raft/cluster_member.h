/* The membership part of struct cluster (raft/cluster.h): join, leave and
 * remove (docs/membership.md), as a client (vm_client) and, on the leader,
 * as a server (vm_serve) of the frames the sessions hand over. The highest
 * part: it calls the node, ownership, proposal and session parts; what it
 * needs from above (starting raft once admitted) is the @join_start
 * callback. */
#ifndef VIPD_RAFT_CLUSTER_MEMBER_H
#define VIPD_RAFT_CLUSTER_MEMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/cluster_closing.h"
#include "raft/cluster_node.h"
#include "raft/cluster_own.h"
#include "raft/cluster_props.h"
#include "raft/cluster_session.h"

struct vm_client;
struct vm_serve;

struct cluster_member
{
    struct cluster_node *node;
    struct cluster_own *own;
    struct cluster_props *props;
    struct cluster_sessions *sessions;
    /* Admitted as @id: store it, start raft (set by the owner). */
    int (*join_start)(void *data, raft_id id);
    void *join_data;
    struct vm_client *vm_clients; /* our membership requests */
    struct vm_serve *vm_serving;  /* leader: changes being carried out */
    uv_timer_t vm_timer;       /* polls their progress and deadlines */
    uint64_t next_req_id;
    struct cluster_closing k;
};

/* Set up (timer) and take the membership frames of @sessions. */
void cluster_member_init(struct cluster_member *m, struct cluster_node *node,
                         struct cluster_own *own, struct cluster_props *props,
                         struct cluster_sessions *sessions,
                         int (*join_start)(void *data, raft_id id),
                         void *join_data);

/* raft/cluster.h: vm_join(), vm_remove(), vm_leave(). */
int cluster_member_join(struct cluster_member *m, const char *peer,
                        const struct vm_cbs *cbs);
int cluster_member_remove(struct cluster_member *m, uint64_t target,
                          bool force, const struct vm_cbs *cbs);
int cluster_member_leave(struct cluster_member *m, bool force,
                         const struct vm_cbs *cbs);

/* Shutdown: stop (the timer), then close: pending requests answer
 * -ESHUTDOWN, connections and the timer close, @done(@data) once all
 * closed. */
void cluster_member_stop(struct cluster_member *m);
void cluster_member_close(struct cluster_member *m, void (*done)(void *data),
                          void *data);

#endif /* VIPD_RAFT_CLUSTER_MEMBER_H */
