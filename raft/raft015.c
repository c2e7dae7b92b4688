/* libraft 0.15 internals, in one place (see raft/raft015.h). */
#include "raft/raft015.h"

#include <string.h>

void raft015_observe(struct raft *r, const struct fsm_state *st, uint64_t now,
                     struct own_in *in)
{
    const struct raft_configuration *conf = &r->configuration;
    raft_id leader = 0;
    const char *addr = NULL;

    memset(in, 0, sizeof *in);
    in->now = now;
    in->st = st;
    in->role = raft_state(r);
    in->term = r->current_term;
    raft_leader(r, &leader, &addr);
    in->leader = leader;
    in->last_index = raft_last_index(r);
    in->applied = raft_last_applied(r);
    if (in->role == RAFT_FOLLOWER) {
        /* No API tells how long the leader has been silent: raft resets
         * election_timer_start on every AppendEntries (and vote granted),
         * on its own clock io->time. */
        raft_time t = r->io->time(r->io);
        in->since_contact_ms =
            t >= r->election_timer_start ? t - r->election_timer_start : 0;
        /* The timeout raft drew at the last conversion (see
         * raft015_act()). */
        in->timeout_ms = r->follower_state.randomized_election_timeout;
    } else if (in->role == RAFT_CANDIDATE) {
        /* Whether the candidacy runs a pre-vote round: decided once per
         * candidacy, not by raft_set_pre_vote(). */
        in->in_prevote = r->candidate_state.in_pre_vote;
        in->timeout_ms = r->candidate_state.randomized_election_timeout;
    }
    for (unsigned i = 0; i < conf->n && i < OWN_MAX_SERVERS; i++) {
        struct own_server *s = &in->servers[in->n_servers++];
        s->id = conf->servers[i].id;
        s->is_voter = conf->servers[i].role == RAFT_VOTER;
        if (in->role == RAFT_LEADER && r->leader_state.progress != NULL) {
            /* Replication progress: the only sign of life of a follower
             * raft keeps, indexed like the configuration. */
            s->match_index = r->leader_state.progress[i].match_index;
            s->recent_recv = r->leader_state.progress[i].recent_recv;
        }
    }
}

bool raft015_changed(struct raft *r, struct raft015_sig *sig)
{
    struct raft015_sig now;
    raft_id leader = 0;
    const char *addr = NULL;

    memset(&now, 0, sizeof now);
    now.role = raft_state(r);
    now.term = r->current_term;
    raft_leader(r, &leader, &addr);
    now.leader = leader;
    if (now.role == RAFT_CANDIDATE) {
        /* A candidacy turns from its pre-vote round to the election. */
        now.in_prevote = r->candidate_state.in_pre_vote;
    }
    now.applied = raft_last_applied(r);
    /* Membership changes count before they commit (raft uses a new
     * configuration as soon as it is appended). */
    now.conf_index = r->configuration_index;
    now.conf_uncommitted = r->configuration_uncommitted_index;
    now.conf_n = r->configuration.n;
    if (memcmp(&now, sig, sizeof now) == 0) {
        return false;
    }
    *sig = now;
    return true;
}

void raft015_observe_ack(struct io_lease *lease, uint64_t self,
                         struct own_in *in)
{
    raft_id voters[OWN_MAX_SERVERS];
    unsigned n = 0;
    uint64_t since = 0;

    in->has_ack = false;
    for (unsigned i = 0; i < in->n_servers; i++) {
        if (in->servers[i].is_voter) {
            voters[n++] = in->servers[i].id;
        }
    }
    in->hears_majority = io_lease_hears_majority(
        lease, voters, n, self, 2u * (uint64_t)lease->election_timeout_ms);
    if (in->role != RAFT_LEADER) {
        return;
    }
    if (io_lease_majority_since(lease, in->term, voters, n, self, &since)) {
        in->has_ack = true;
        in->ack_since = since;
    }
}

void raft015_act(struct raft *r, const struct own_out *out)
{
    if (out->forget_leader && raft_state(r) == RAFT_FOLLOWER) {
        /* 0.15 followers reject every (pre-)vote while current_leader is
         * set, however long the leader has been silent; later canonical
         * raft and etcd forget it after an election timeout. */
        r->follower_state.current_leader.id = 0;
    }
    if (out->set_prevote) {
        raft_set_pre_vote(r, out->prevote_on);
    }
    if (out->cancel_prevote && raft_state(r) == RAFT_CANDIDATE) {
        /* A candidate keeps the pre-vote setting of when it started: turn
         * the running round into a real election (raft/prevote.h). */
        r->candidate_state.in_pre_vote = false;
    }
    if (out->set_timeout_ms != 0 && raft_state(r) == RAFT_FOLLOWER) {
        /* 0.15 draws the follower's timeout in [T, 2T] at conversion and
         * keeps it until the next one (AppendEntries only restart the
         * timer): ranked timeouts (docs/DESIGN.md 4.8) replace the draw.
         * The step never asks a follower for less than T. */
        r->follower_state.randomized_election_timeout = out->set_timeout_ms;
    } else if (out->set_timeout_ms != 0 && raft_state(r) == RAFT_CANDIDATE &&
               r->candidate_state.in_pre_vote) {
        /* The same draw starts each pre-vote round (electionStart());
         * the step's retry replaces it, for pre-vote rounds only: a real
         * election keeps raft's random timeout. */
        r->candidate_state.randomized_election_timeout = out->set_timeout_ms;
    }
}

bool raft015_abort_promotion(struct raft *r, raft_id id)
{
    struct raft_change *change;

    if (raft_state(r) != RAFT_LEADER || id == 0 ||
        r->leader_state.promotee_id != id) {
        return false;
    }
    /* 0.15 has no call to cancel a promotion; its leader tick ends one
     * that makes no progress exactly like this (tick.c: tickLeader). */
    r->leader_state.promotee_id = 0;
    r->leader_state.round_index = 0;
    r->leader_state.round_number = 0;
    r->leader_state.round_start = 0;
    change = r->leader_state.change;
    r->leader_state.change = NULL;
    if (change != NULL && change->cb != NULL) {
        change->cb(change, RAFT_NOCONNECTION);
    }
    return true;
}
