/* Accessor for raft/cluster_info.h, on top of raft/cluster.h's accessors
 * (one place reads raft: raft/raft015.c and raft/cluster_node.c). */
#include "raft/cluster_info.h"

void cluster_info(const struct cluster *c, struct cluster_info *out)
{
    out->role = cluster_is_started(c) ? cluster_role(c) : -1;
    out->term = cluster_term(c);
    out->leader_id = cluster_leader(c);
    out->commit_index = cluster_commit_index(c);
    out->applied_index = cluster_applied_index(c);
    out->ticks_sent = cluster_ticks_sent(c);
    out->ticks_committed = cluster_renewals_committed(c);
}
