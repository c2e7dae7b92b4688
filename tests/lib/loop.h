/* Real-loop tests: run a libuv loop until a condition holds, with a
 * deadline. Include after <cmocka.h>. */
#ifndef VIPD_TESTS_LIB_LOOP_H
#define VIPD_TESTS_LIB_LOOP_H

#include <stdint.h>
#include <unistd.h>
#include <uv.h>

#include "vipd/clock.h"

/* Run @loop until @cond holds; fail the test after @ms milliseconds. The
 * loop never blocks (UV_RUN_NOWAIT and a short pause), so a condition that
 * waits on no handle still reaches its deadline. */
#define LOOP_RUN_UNTIL(loop, cond, ms)                                    \
    do {                                                                  \
        uint64_t loop_deadline_ = vip_now_ms() + (uint64_t)(ms);          \
        while (!(cond)) {                                                 \
            if (vip_now_ms() > loop_deadline_) {                          \
                fail_msg("timed out after %d ms waiting for %s", (int)(ms), \
                         #cond);                                          \
            }                                                             \
            uv_run((loop), UV_RUN_NOWAIT);                                \
            usleep(200);                                                  \
        }                                                                 \
    } while (0)

#endif /* VIPD_TESTS_LIB_LOOP_H */
