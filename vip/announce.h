/* Announcing VIPs to the link: gratuitous ARP over AF_PACKET for IPv4,
 * unsolicited Neighbor Advertisements over a raw ICMPv6 socket (hop limit
 * 255, RFC 4861 7.1.2) for IPv6, scheduled with keepalived's semantics:
 *
 *  - garp_master_repeat: packets per address in one burst;
 *  - on becoming master a burst goes out at once, and a second one after
 *    garp_master_delay (0: no second burst);
 *  - garp_master_refresh (0: off): every that many ms while master, a
 *    burst of garp_master_refresh_repeat packets;
 *  - vrrp_garp_interval / vrrp_gna_interval (0: back to back): the gap
 *    between the packets of a burst. One gap (the larger of the two) is
 *    used for both families: each tick sends one packet per address.
 *
 * Sends never block: a full socket buffer drops the packet (counted);
 * the next burst or refresh repairs it. */
#ifndef VIPD_VIP_ANNOUNCE_H
#define VIPD_VIP_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "vipd/error.h"

struct announce;

/* One address to announce on one interface. */
struct announce_target
{
    int ifindex;
    int family; /* AF_INET: GARP; AF_INET6: NA */
    uint8_t addr[16];
};

struct announce_params
{
    uint32_t delay_ms;       /* garp_master_delay */
    uint32_t repeat;         /* garp_master_repeat */
    uint32_t refresh_ms;     /* garp_master_refresh */
    uint32_t refresh_repeat; /* garp_master_refresh_repeat */
    uint32_t interval_ms;    /* gap between the packets of a burst */
};

struct announce_callbacks
{
    void *data;
    /* Asked before every timer-driven burst; false skips it (the owner
     * found its lease over and is stopping us). May be NULL. */
    bool (*may_send)(void *data);
};

typedef void (*announce_close_cb)(struct announce *a);

struct announce
{
    int packet_fd; /* AF_PACKET, -1 until opened / if no IPv4 target */
    int icmp6_fd;  /* raw ICMPv6, -1 until opened / if no IPv6 target */
    uv_timer_t delay_timer;
    uv_timer_t refresh_timer;
    uv_timer_t burst_timer; /* paces a burst when interval_ms > 0 */
    unsigned burst_left;    /* rounds still to send */
    const struct announce_target *targets; /* owned by the caller */
    size_t n_targets;
    struct announce_params params;
    struct announce_callbacks cbs;
    bool is_active;
    uint64_t n_garp; /* frames handed to the kernel */
    uint64_t n_na;
    uint64_t n_errors; /* sends that failed */
    int n_open_handles;
    announce_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Prepare @a's timers in @loop. @targets must stay valid until close.
 * Returns 0 or a libuv error. Then announce_close() is required. */
int announce_init(struct announce *a,
                  uv_loop_t *loop,
                  const struct announce_target *targets,
                  size_t n_targets,
                  const struct announce_params *params,
                  const struct announce_callbacks *cbs);

/* Reload: announce @targets with @params from now on (a burst in
 * progress goes on over the new list). Call announce_open() again if a
 * target of a new family may have been added. @targets must stay valid
 * until close or the next call. */
void announce_set_targets(struct announce *a,
                          const struct announce_target *targets,
                          size_t n_targets,
                          const struct announce_params *params);

/* Open the sockets the targets need (CAP_NET_RAW). Returns 0 or -errno
 * with @a->errmsg. */
int announce_open(struct announce *a);

/* Became master: burst now, schedule the second burst and the refresh. */
void announce_start(struct announce *a);

/* No longer master: cancel the pending bursts. */
void announce_stop(struct announce *a);

/* Send @count packets for every target: all now, or with interval_ms the
 * first round now and one more per interval. Returns the number of sends
 * that failed now (0 if all went out). */
unsigned announce_burst(struct announce *a, unsigned count);

/* Stop, close the sockets and the timers; @cb (may be NULL) fires when the
 * handles are closed, after which @a's memory may be released. */
void announce_close(struct announce *a, announce_close_cb cb);

#endif /* VIPD_VIP_ANNOUNCE_H */
