/* Placement units as the operator sees them (`vipctl status`, `transfer`,
 * `events`): who holds each instance's unit according to the replicated
 * state, which unit an instance named on the command line belongs to, and
 * the text of per-unit events. Pure: reads a configuration and an FSM
 * state, so src/daemon_ctl.c and the tests share it.
 *
 * A unit is a vrrp_sync_group, or a vrrp_instance in no sync group
 * (include/vipd/config.h); each has its own holder (docs/DESIGN.md 4.9).
 * The instances come from the node's own configuration, or, on a node that
 * has none (a witness), from the NODE record of a member that has some, so
 * that every node answers alike. */
#ifndef VIPD_SRC_CTL_UNITS_H
#define VIPD_SRC_CTL_UNITS_H

#include <stddef.h>

#include "raft/fsm.h"
#include "vipd/config.h"
#include "vipd/status.h"

/* Status reasons of a unit with a placement record (raft/fsm.h struct
 * fsm_unit), next to entry_hold_reason_name()'s for the whole group. */
#define CTL_UNIT_REASON_LEADER  "leader"  /* held by the leader itself */
#define CTL_UNIT_REASON_GRANTED "granted" /* held under the leader's grant */
#define CTL_UNIT_REASON_NONE    "release" /* nobody: released or revoked */

/* Fill @in's unit, holder, term, since and reason for unit @unit: from
 * its placement record when @fs has one, else from the group-wide holder
 * (fs->holder, the rule of a single unit). */
void ctl_unit_fill(const struct fsm_state *fs,
                   const char *unit,
                   struct vip_status_instance *in);

/* The number of units of the instances (see above). */
size_t ctl_unit_count(const struct vip_config *cfg, const struct fsm_state *fs);

/* Write the names of the instances of unit @unit into @buf ("VI_1, VI_2";
 * cut with "..." when it does not fit). Returns how many there are. */
size_t ctl_unit_instances(const struct vip_config *cfg,
                          const struct fsm_state *fs,
                          const char *unit,
                          char *buf,
                          size_t size);

/* What `transfer INSTANCE NODE` proposes: an ADMIN TRANSFER for @unit
 * (ENTRY_NAME_MAX bytes), which is left empty when there is a single unit
 * (then leadership moves, docs/DESIGN.md 4.3), and the message to answer
 * once it applied (@message, @size bytes, says when a whole sync group
 * moves). @name is an instance, or a sync group by its own name. Returns
 * 0, or VIP_ENOENT for an unknown name or a unit that was never placed,
 * with a message in @errmsg (VIP_ERRMSG_SIZE). */
int ctl_unit_transfer_plan(const struct vip_config *cfg,
                           const struct fsm_state *fs,
                           const char *name,
                           char *unit,
                           char *message,
                           size_t size,
                           char *errmsg);

/* The text of a holder or transfer event @e that names a unit
 * (fsm_event.name): "n2 holds VI_2 (unit VG; was n1)". Returns false (and
 * writes nothing) for any other event. */
bool ctl_unit_event_text(const struct vip_config *cfg,
                         const struct fsm_state *fs,
                         const struct fsm_event *e,
                         char *text,
                         size_t size);

#endif /* VIPD_SRC_CTL_UNITS_H */
