/* Fall/rise smoothing and keepalived's weight arithmetic. Pure. */
#include <stdlib.h>

#include "src/health_rule.h"

void health_rule_init(struct health_rule *r, uint32_t fall, uint32_t rise)
{
    r->fall = fall == 0 ? 1 : fall;
    r->rise = rise == 0 ? 1 : rise;
    r->state = HEALTH_UNKNOWN;
    r->streak = 0;
}

void health_rule_start_failed(struct health_rule *r)
{
    r->state = HEALTH_FAIL;
    r->streak = 0;
}

bool health_rule_feed(struct health_rule *r, bool is_ok)
{
    enum health_state seen = is_ok ? HEALTH_OK : HEALTH_FAIL;

    if (r->state == HEALTH_UNKNOWN) {
        /* keepalived: the first result decides, without waiting for
         * rise/fall, so an instance leaves its init state quickly. */
        r->state = seen;
        r->streak = 0;
        return true;
    }
    if (seen == r->state) {
        r->streak = 0; /* an agreeing result restarts the count */
        return false;
    }
    r->streak++;
    if (r->streak < (r->state == HEALTH_OK ? r->fall : r->rise)) {
        return false;
    }
    r->state = seen;
    r->streak = 0;
    return true;
}

int health_weight_delta(bool is_ok, int weight, bool reverse, bool *is_fault)
{
    *is_fault = false;
    if (weight == 0) {
        /* keepalived: `script_ok != (multiplier == 1)` puts it down. */
        *is_fault = is_ok == reverse;
        return 0;
    }
    int delta = 0;
    if (is_ok && weight > 0) {
        delta = weight;
    } else if (!is_ok && weight < 0) {
        delta = weight;
    }
    return reverse ? -delta : delta;
}

int health_file_delta(int32_t value, int weight, bool reverse, bool *is_fault)
{
    *is_fault = false;
    if (weight == 0) {
        *is_fault = (value != 0) != reverse;
        return 0;
    }
    /* |value| <= 2^31 and |weight| <= 253 (config), so 64 bits suffice. */
    int64_t product = (int64_t)value * weight * (reverse ? -1 : 1);
    if (product <= -254) {
        *is_fault = true;
        return 0;
    }
    return product > 253 ? 253 : (int)product;
}

int health_priority_clamp(int base, int total_delta)
{
    if (base >= 255) {
        return 255; /* the address owner's priority never changes */
    }
    long total = (long)base + total_delta;
    if (total < 1) {
        return 1;
    }
    if (total > 254) {
        return 254;
    }
    return (int)total;
}
