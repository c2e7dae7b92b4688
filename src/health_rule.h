/* Fall/rise smoothing of health probe results, and keepalived's weight
 * arithmetic. Pure: no I/O, no clock.
 *
 * Initial state (keepalived vrrp_scheduler.c vrrp_init_script(): the counter
 * starts at rise - 1, "one success is enough", and the first failure while
 * the script is still in its init state is reported at once): the FIRST
 * probe result decides the initial state, whatever fall and rise are. From
 * then on a check that is ok goes to failed after `fall` consecutive failed
 * probes, and a failed check goes to ok after `rise` consecutive good ones;
 * any opposite result in between restarts the count. */
#ifndef VIPD_SRC_HEALTH_RULE_H
#define VIPD_SRC_HEALTH_RULE_H

#include <stdbool.h>
#include <stdint.h>

/* The smoothed state of a check. */
enum health_state {
    HEALTH_UNKNOWN = -1, /* no probe has completed yet */
    HEALTH_FAIL = 0,
    HEALTH_OK = 1,
};

struct health_rule
{
    uint32_t fall;           /* failures needed to leave HEALTH_OK, >= 1 */
    uint32_t rise;           /* successes needed to leave HEALTH_FAIL, >= 1 */
    enum health_state state; /* current smoothed state */
    uint32_t streak;         /* consecutive results against the state */
};

/* Start in HEALTH_UNKNOWN. A @fall or @rise of 0 is treated as 1. */
void health_rule_init(struct health_rule *r, uint32_t fall, uint32_t rise);

/* keepalived's `init_fail`: start known-failed instead of unknown, so the
 * first result does not decide at once and `rise` successes are needed. */
void health_rule_start_failed(struct health_rule *r);

/* Feed one probe result. Returns true if the smoothed state changed
 * (including the first result, which leaves HEALTH_UNKNOWN); the new state
 * is then in @r->state. */
bool health_rule_feed(struct health_rule *r, bool is_ok);

/* How a tracked object changes an instance's priority (keepalived
 * vrrp_track.c): the priority delta, or fault.
 *
 * Scripts and interfaces (@is_ok, @weight, @reverse):
 *   weight > 0: +weight while ok, 0 while failing;
 *   weight < 0: weight while failing, 0 while ok;
 *   weight 0:   fault while failing (reverse: fault while ok);
 *   reverse (`weight W reverse`) negates the delta.
 * Sets *@is_fault and returns the delta (0 on fault). */
int health_weight_delta(bool is_ok, int weight, bool reverse, bool *is_fault);

/* track_file (keepalived track_file.c): the file's number times weight
 * (negated with reverse). With weight 0 any non-zero value is a fault
 * (reverse: a zero value is). A product <= -254 is a fault; a product
 * above 253 counts as 253. Sets *@is_fault; returns the delta. */
int health_file_delta(int32_t value, int weight, bool reverse, bool *is_fault);

/* Keepalived's final clamp of base + sum of deltas into [1, 254] (255 is
 * reserved for the address owner and never changes). */
int health_priority_clamp(int base, int total_delta);

#endif /* VIPD_SRC_HEALTH_RULE_H */
