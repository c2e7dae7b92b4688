/* Effective priority and preferred holder (rules in priority.h). */
#include "raft/priority.h"

#include <string.h>
#include <sys/socket.h>

/* keepalived: a track_file value * weight at or below this is FAULT. */
#define PRIORITY_FILE_FAULT (-254)

static void set_fault(struct priority_result *out, const char *name)
{
    out->priority = 0;
    out->why = PRIORITY_FAULT;
    memcpy(out->fault, name, sizeof out->fault);
}

/* Contribution of one track; false (and @out set) if it makes FAULT. */
static bool track_apply(const struct fsm_member *m,
                        const struct entry_track *t,
                        int64_t *sum,
                        struct priority_result *out)
{
    int32_t value;
    bool reported = fsm_member_health(m, t->kind, t->name, &value);

    if (t->kind == ENTRY_TRACK_FILE) {
        int64_t v = reported ? value : 0;
        if (t->weight == 0) {
            if (v != 0) {
                set_fault(out, t->name);
                return false;
            }
            return true;
        }
        if (v * t->weight <= PRIORITY_FILE_FAULT) {
            set_fault(out, t->name);
            return false;
        }
        *sum += v * t->weight;
        return true;
    }

    /* Scripts and interfaces: never reported counts as ok / up. */
    bool ok = !reported || value != 0;
    if (t->weight == 0) {
        if (!ok) {
            set_fault(out, t->name);
            return false;
        }
        return true;
    }
    if ((t->flags & ENTRY_TRACK_F_REVERSE) != 0) {
        ok = !ok;
    }
    if ((t->weight > 0 && ok) || (t->weight < 0 && !ok)) {
        *sum += t->weight;
    }
    return true;
}

void priority_effective(const struct fsm_member *m,
                        unsigned instance,
                        bool is_voter,
                        struct priority_result *out)
{
    const struct entry_instance *in;
    int64_t sum;

    memset(out, 0, sizeof *out);
    if (m != NULL && m->has_node &&
        (m->node.flags & ENTRY_NODE_F_WITNESS) != 0) {
        out->why = PRIORITY_WITNESS;
        return;
    }
    if (m == NULL || !m->has_node || instance >= m->node.n_instances) {
        out->why = PRIORITY_NO_NODE;
        return;
    }
    in = &m->node.instances[instance];
    sum = in->base_priority;
    /* FAULT wins over everything, so evaluate all tracks first. */
    for (unsigned i = 0; i < in->n_tracks && i < ENTRY_MAX_TRACKS; i++) {
        if (!track_apply(m, &in->tracks[i], &sum, out)) {
            return;
        }
    }
    if (m->maintenance) {
        out->why = PRIORITY_MAINTENANCE;
        return;
    }
    if (!is_voter) {
        out->why = PRIORITY_NOT_VOTER;
        return;
    }
    if (sum < PRIORITY_MIN) {
        sum = PRIORITY_MIN;
    } else if (sum > PRIORITY_MAX) {
        sum = PRIORITY_MAX;
    }
    out->priority = (int)sum;
    out->why = PRIORITY_OK;
}

/* Which instances a group or unit rule counts: @unit NULL for all of
 * them, else those of that unit (entry_instance_unit()). */
static bool counts(const struct entry_instance *in, const char *unit)
{
    return unit == NULL || strcmp(entry_instance_unit(in), unit) == 0;
}

/* The sum over @m's instances that count for @unit, eligible only if
 * eligible for each of them and there is at least one. */
static void group_of(const struct fsm_member *m,
                     const char *unit,
                     bool is_voter,
                     struct priority_result *out)
{
    int total = 0;
    unsigned n = 0;

    memset(out, 0, sizeof *out);
    if (m != NULL && m->has_node &&
        (m->node.flags & ENTRY_NODE_F_WITNESS) != 0) {
        out->why = PRIORITY_WITNESS;
        return;
    }
    if (m == NULL || !m->has_node) {
        out->why = PRIORITY_NO_NODE;
        return;
    }
    for (unsigned i = 0; i < m->node.n_instances; i++) {
        if (!counts(&m->node.instances[i], unit)) {
            continue;
        }
        priority_effective(m, i, is_voter, out);
        if (out->why != PRIORITY_OK) {
            return;
        }
        total += out->priority;
        n++;
    }
    if (n == 0) {
        memset(out, 0, sizeof *out);
        out->why = PRIORITY_NO_NODE;
        return;
    }
    out->priority = total;
}

void priority_group(const struct fsm_member *m,
                    bool is_voter,
                    struct priority_result *out)
{
    group_of(m, NULL, is_voter, out);
}

void priority_unit(const struct fsm_member *m,
                   const char *unit,
                   bool is_voter,
                   struct priority_result *out)
{
    group_of(m, unit, is_voter, out);
}

int priority_tiebreak(const struct fsm_member *a, const struct fsm_member *b)
{
    /* IPv6 ranks above IPv4 above none: any fixed order works as long as
     * every node uses the same one. */
    if (a->node.ip_family != b->node.ip_family) {
        return a->node.ip_family > b->node.ip_family ? 1 : -1;
    }
    int c = memcmp(a->node.ip, b->node.ip, sizeof a->node.ip);
    if (c != 0) {
        return c > 0 ? 1 : -1;
    }
    if (a->node.origin.node_id != b->node.origin.node_id) {
        return a->node.origin.node_id > b->node.origin.node_id ? 1 : -1;
    }
    return 0;
}

static bool is_voter(const struct priority_ctx *ctx, uint64_t id)
{
    for (size_t i = 0; i < ctx->n_voters; i++) {
        if (ctx->voters[i] == id) {
            return true;
        }
    }
    return false;
}

/* > 0 if @a (priority @pa) ranks above @b (priority @pb). */
static int rank(const struct fsm_member *a,
                int pa,
                const struct fsm_member *b,
                int pb)
{
    if (pa != pb) {
        return pa > pb ? 1 : -1;
    }
    return priority_tiebreak(a, b);
}

/* Largest preempt_delay and any nopreempt over @m's instances that count
 * for @unit. */
static void preempt_rules(const struct fsm_member *m,
                          const char *unit,
                          uint32_t *delay,
                          bool *nopreempt)
{
    *delay = 0;
    *nopreempt = false;
    for (unsigned i = 0; i < m->node.n_instances; i++) {
        const struct entry_instance *in = &m->node.instances[i];
        if (!counts(in, unit)) {
            continue;
        }
        if (in->preempt_delay_ms > *delay) {
            *delay = in->preempt_delay_ms;
        }
        if ((in->flags & ENTRY_INSTANCE_F_NOPREEMPT) != 0) {
            *nopreempt = true;
        }
    }
}

/* priority_choose() over the instances that count for @unit. */
static void choose_of(const struct fsm_state *st,
                      const char *unit,
                      const struct priority_ctx *ctx,
                      struct priority_pending *pending,
                      struct priority_choice *out)
{
    const struct fsm_member *best = NULL;
    const struct fsm_member *holder = NULL;
    const struct fsm_member *pinned = NULL;
    int best_prio = 0;
    struct priority_result r;

    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < st->n_members; i++) {
        const struct fsm_member *m = &st->members[i];
        uint64_t id = m->node.origin.node_id;
        group_of(m, unit, is_voter(ctx, id), &r);
        if (r.why != PRIORITY_OK) {
            continue;
        }
        if (id == ctx->holder) {
            holder = m;
        }
        if (st->transfer_index != 0 && id == st->transfer_target) {
            pinned = m;
        }
        if (best == NULL || rank(m, r.priority, best, best_prio) > 0) {
            best = m;
            best_prio = r.priority;
        }
    }
    out->holder_eligible = holder != NULL;
    if (best == NULL) {
        pending->node = 0;
        return;
    }
    out->best = best->node.origin.node_id;
    if (pinned != NULL) {
        /* A switchover the operator asked for (`vipctl transfer NODE`)
         * sticks while NODE stays eligible; priorities alone would move
         * the VIPs straight back. `vipctl transfer` without a node (target
         * 0) returns to priority placement. */
        pending->node = 0;
        out->preferred = pinned->node.origin.node_id;
        out->move_at_ms = ctx->now_ms;
        return;
    }
    if (holder == NULL) {
        /* No (eligible) holder: move at once, no preemption involved. */
        pending->node = 0;
        out->preferred = out->best;
        out->move_at_ms = ctx->now_ms;
        return;
    }
    if (best == holder) {
        pending->node = 0;
        out->preferred = ctx->holder;
        return;
    }
    uint32_t delay;
    bool nopreempt;
    preempt_rules(best, unit, &delay, &nopreempt);
    if (nopreempt) {
        pending->node = 0;
        out->preferred = ctx->holder;
        return;
    }
    if (pending->node != out->best) {
        pending->node = out->best;
        pending->since_ms = ctx->now_ms;
    }
    out->preferred = out->best;
    out->move_at_ms = pending->since_ms + delay;
}

void priority_choose(const struct fsm_state *st,
                     const struct priority_ctx *ctx,
                     struct priority_pending *pending,
                     struct priority_choice *out)
{
    choose_of(st, NULL, ctx, pending, out);
}

void priority_choose_unit(const struct fsm_state *st,
                          const char *unit,
                          const struct priority_ctx *ctx,
                          struct priority_pending *pending,
                          struct priority_choice *out)
{
    choose_of(st, unit, ctx, pending, out);
}

const char *priority_why_name(unsigned why)
{
    switch (why) {
    case PRIORITY_OK:
        return "ok";
    case PRIORITY_NO_NODE:
        return "unknown";
    case PRIORITY_NOT_VOTER:
        return "not-voter";
    case PRIORITY_MAINTENANCE:
        return "maintenance";
    case PRIORITY_FAULT:
        return "fault";
    case PRIORITY_WITNESS:
        return "witness";
    default:
        return "?";
    }
}
