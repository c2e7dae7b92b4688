/* Read-only numbers about the local Raft node for logs, status and
 * metrics, so that src/ never reads struct cluster's raft fields directly
 * (their layout may change with raft/cluster*.c). */
#ifndef VIPD_RAFT_CLUSTER_INFO_H
#define VIPD_RAFT_CLUSTER_INFO_H

#include <stdint.h>

#include "raft/cluster.h"

struct cluster_info
{
    int role;                 /* RAFT_FOLLOWER/CANDIDATE/LEADER/UNAVAILABLE,
                                 -1 before cluster_start() */
    uint64_t term;            /* current term */
    uint64_t leader_id;       /* 0: unknown */
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t ticks_sent;      /* lease renewals proposed (leader) */
    uint64_t ticks_committed; /* lease renewals committed (leader) */
};

/* Fill @out from @c; safe to call at any time after cluster_init(). */
void cluster_info(const struct cluster *c, struct cluster_info *out);

#endif /* VIPD_RAFT_CLUSTER_INFO_H */
