/* Accessor for raft/cluster_info.h. */
#include "raft/cluster_info.h"

/* libraft's getters take a non-const pointer but only read. */
void cluster_info(const struct cluster *c, struct cluster_info *out)
{
    out->role = c->is_started ? raft_state((struct raft *)&c->raft) : -1;
    out->term = c->raft.current_term;
    out->leader_id = c->leader_id;
    out->commit_index = c->raft.commit_index;
    out->applied_index = raft_last_applied((struct raft *)&c->raft);
    out->ticks_sent = c->n_ticks_sent;
    out->ticks_committed = c->n_ticks_committed;
}
