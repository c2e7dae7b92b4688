/* The one time base shared by the lease (raft/) and the address lifetimes
 * (vip/): CLOCK_MONOTONIC in milliseconds. Not libuv's cached uv_now(), which
 * is stale right after the loop wakes from a SIGSTOP. */
#ifndef VIPD_CLOCK_H
#define VIPD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC, read now. */
static inline uint64_t vip_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif /* VIPD_CLOCK_H */
