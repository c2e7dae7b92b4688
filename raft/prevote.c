/* Pre-vote guard (see prevote.h). */
#include "raft/prevote.h"

#include <string.h>

void prevote_guard_init(struct prevote_guard *g,
                        uint32_t stuck_ms,
                        uint32_t window_ms)
{
    memset(g, 0, sizeof *g);
    g->stuck_ms = stuck_ms;
    g->window_ms = window_ms;
}

bool prevote_guard_update(struct prevote_guard *g,
                          uint64_t now,
                          bool knows_leader,
                          bool hears_majority)
{
    uint64_t elapsed;
    uint64_t cycle;

    if (knows_leader || !hears_majority) {
        /* Cut off from a majority: no real election could win, and the
         * term it would climb to deposes the leader on the way back. */
        g->is_leaderless = false;
        return true;
    }
    if (!g->is_leaderless) {
        g->is_leaderless = true;
        g->since_ms = now;
    }
    elapsed = now >= g->since_ms ? now - g->since_ms : 0;
    if (elapsed < g->stuck_ms || g->window_ms == 0) {
        return true;
    }
    /* Off for window_ms, then on for stuck_ms, repeating. */
    cycle = (elapsed - g->stuck_ms) % ((uint64_t)g->window_ms + g->stuck_ms);
    return cycle >= g->window_ms;
}
