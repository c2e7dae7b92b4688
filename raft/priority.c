/* Effective priority and preferred holder (stub: filled in next). */
#include "raft/priority.h"

#include <string.h>

void priority_effective(const struct fsm_member *m, unsigned instance,
                        bool is_voter, struct priority_result *out)
{
    (void)m, (void)instance, (void)is_voter;
    memset(out, 0, sizeof *out);
    out->why = PRIORITY_NO_NODE;
}
