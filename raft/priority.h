/* Effective priority and preferred holder: keepalived's rules over the
 * replicated state (docs/DESIGN.md 3). Pure: the same inputs give the
 * same answer on every node.
 *
 * Effective priority of a member for one instance, from its NODE record and
 * its latest HEALTH values (a check never reported counts as ok / up / 0):
 * - script (ENTRY_TRACK_SCRIPT, 1 ok / 0 fail): weight > 0 adds the weight
 *   while ok; weight < 0 adds it (subtracts) while failing; weight 0 and
 *   failing makes the instance FAULT. REVERSE swaps ok and failing for a
 *   non-zero weight (keepalived `weight W reverse`).
 * - interface (ENTRY_TRACK_IFACE, 1 up / 0 down): weight 0 and down is
 *   FAULT; a non-zero weight acts as for a script.
 * - file (ENTRY_TRACK_FILE): adds value * weight; with weight 0 a non-zero
 *   value is FAULT; value * weight <= -254 is FAULT (keepalived).
 * - the sum is clamped to [1, 254]; maintenance or FAULT makes the member
 *   ineligible; so does not being a voter, not having a NODE record, or
 *   being a witness (ENTRY_NODE_F_WITNESS), whatever its instances.
 *
 * The preferred holder of an instance is the eligible member with the
 * highest effective priority, ties broken by the higher primary IP (VRRP,
 * RFC 5798 6.4.3), then by the higher node id. For a group of instances, a
 * member is eligible if it has at least one of them and is eligible for
 * every one of them it has, and ranks by the sum of its effective
 * priorities. Two groups are used: all of a member's instances (one holder
 * for every VIP: priority_group(), priority_choose()), and one placement
 * unit, a sync group or a lone instance (entry_instance_unit(), include/
 * vipd/config.h: priority_unit(), priority_choose_unit()). Both are the
 * same rule over a different set of instances (one implementation). */
#ifndef VIPD_RAFT_PRIORITY_H
#define VIPD_RAFT_PRIORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/fsm.h"

#define PRIORITY_MIN 1
#define PRIORITY_MAX 254

/* Why a member is not eligible (0: it is). */
enum priority_why {
    PRIORITY_OK = 0,
    PRIORITY_NO_NODE = 1, /* no NODE record / no such instance */
    PRIORITY_NOT_VOTER = 2,
    PRIORITY_MAINTENANCE = 3,
    PRIORITY_FAULT = 4, /* a weight-0 check failing, interface down... */
    PRIORITY_WITNESS = 5, /* a witness (ENTRY_NODE_F_WITNESS) never holds */
};

struct priority_result
{
    int priority; /* effective priority, [1, 254]; 0 when not eligible */
    uint8_t why;  /* enum priority_why */
    char fault[ENTRY_NAME_MAX]; /* PRIORITY_FAULT: the track that caused it */
};

/* Effective priority of @m for its instance number @instance (index into
 * m->node.instances). @is_voter comes from the Raft configuration. */
void priority_effective(const struct fsm_member *m,
                        unsigned instance,
                        bool is_voter,
                        struct priority_result *out);

/* The same for the group of all of @m's instances (sum, all eligible). */
void priority_group(const struct fsm_member *m,
                    bool is_voter,
                    struct priority_result *out);

/* The same for placement unit @unit: @m's instances whose
 * entry_instance_unit() is @unit (sum, all eligible); PRIORITY_NO_NODE if
 * @m has none. */
void priority_unit(const struct fsm_member *m,
                   const char *unit,
                   bool is_voter,
                   struct priority_result *out);

/* Inputs of the holder choice that are not in the replicated state. */
struct priority_ctx
{
    const uint64_t *voters; /* ids of the voters in the Raft configuration */
    size_t n_voters;
    uint64_t holder; /* current holder (0: none) */
    uint64_t now_ms; /* caller's clock for preempt_delay */
};

/* Per-group memory for preempt_delay: when the current challenger first
 * became preferred over the holder. Zero-initialise; keep one per group. */
struct priority_pending
{
    uint64_t node;     /* challenger, 0 if none */
    uint64_t since_ms; /* when it started to be preferred */
};

struct priority_choice
{
    uint64_t best;        /* eligible member ranking first, 0 if none */
    uint64_t preferred;   /* who should hold now (after nopreempt): best, or
                             the holder kept; 0 if nobody is eligible */
    uint64_t move_at_ms;  /* earliest time a move from holder to preferred
                             is allowed (preempt_delay); 0 if no move is due */
    bool holder_eligible; /* the current holder is eligible */
};

/* Choose the holder of the group of all instances (every VIP).
 * - nobody eligible: preferred = 0.
 * - holder not eligible (or none): preferred = best, move_at = now.
 * - best ranks above an eligible holder: if best has `nopreempt` on any of
 *   its instances, the holder is kept (preferred = holder, move_at = 0);
 *   otherwise preferred = best and move_at = since + best's largest
 *   preempt_delay, where since is when best started to outrank the holder
 *   (tracked in @pending, updated here).
 * - otherwise preferred = holder, move_at = 0.
 * The caller moves the VIPs only when preferred != holder and now >= move_at.
 */
void priority_choose(const struct fsm_state *st,
                     const struct priority_ctx *ctx,
                     struct priority_pending *pending,
                     struct priority_choice *out);

/* priority_choose() for placement unit @unit: members ranked by
 * priority_unit(); nopreempt if any of best's instances of the unit has
 * it; preempt_delay the largest among them. Keep one @pending per unit.
 * A pending `vipctl transfer NODE` (st->transfer_target) pins every unit
 * NODE is eligible for. */
void priority_choose_unit(const struct fsm_state *st,
                          const char *unit,
                          const struct priority_ctx *ctx,
                          struct priority_pending *pending,
                          struct priority_choice *out);

/* Compare two members for the tie-break: > 0 if @a ranks above @b with equal
 * priorities (higher primary IP, then higher id). */
int priority_tiebreak(const struct fsm_member *a, const struct fsm_member *b);

/* Static name of a priority_why; "?" if unknown. */
const char *priority_why_name(unsigned why);

#endif /* VIPD_RAFT_PRIORITY_H */
