/* VRRP advertisements on the wire for one instance: a raw IP protocol 112
 * socket bound to the interface that sends our adverts every advert_int
 * while we hold the VIPs (to the multicast group, 224.0.0.18 / ff02::12
 * unless configured, or to each unicast peer), TTL/hop limit 255, and receives and validates everyone else's.
 *
 * Received adverts are only observed: they are counted and passed to the
 * owner, which logs them. Nothing here can move a VIP. */
#ifndef VIPD_VIP_ADVERT_H
#define VIPD_VIP_ADVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "vip/vrrp.h"
#include "vipd/error.h"

struct advert;

/* What to send and expect; the arrays are owned by the caller and must
 * outlive the advert. */
struct advert_params
{
    int ifindex;
    int family;      /* AF_INET or AF_INET6 */
    uint8_t version; /* 2 or 3 */
    uint8_t vrid;
    uint8_t priority;     /* initial; see advert_set_priority() */
    uint32_t interval_ms; /* advert_int */
    uint8_t auth_type;    /* v2: VRRP_AUTH_NONE or VRRP_AUTH_PASS */
    uint8_t auth_data[VRRP_AUTH_LEN];
    size_t n_addrs; /* the advertised VIPs, 1..255 */
    const uint8_t (*addrs)[16];
    size_t n_peers; /* 0: multicast */
    const uint8_t (*peers)[16];
    bool has_src; /* unicast_src_ip / mcast_src_ip configured */
    uint8_t src[16];
    bool has_group;    /* mcast_dst_ip / vrrp_mcast_group4/6 configured */
    uint8_t group[16]; /* else 224.0.0.18 / ff02::12 */
};

struct advert_callbacks
{
    void *data;
    /* Asked before every periodic advert; false skips it (the owner
     * found its lease over). May be NULL. */
    bool (*may_send)(void *data);
    /* Fill @src with the address to send from when none is configured.
     * Returns 0 or an error (the advert is then skipped and counted). */
    int (*source)(void *data, int family, uint8_t src[16]);
    /* A packet arrived. @rv is 0 for a valid advert of this instance,
     * VIP_EPROTO for a malformed one (@a not filled), or vrrp_match()'s
     * code; @why explains a non-zero @rv. May be NULL. */
    void (*received)(void *data,
                     const struct vrrp_ipinfo *ip,
                     const struct vrrp_advert *a,
                     int rv,
                     const char *why);
};

struct advert_stats
{
    uint64_t n_sent; /* adverts handed to the kernel */
    uint64_t n_send_errors;
    uint64_t n_rx_valid; /* valid and for this instance */
    uint64_t n_rx_malformed;
    uint64_t n_rx_other;    /* another VRID, version or family */
    uint64_t n_rx_auth;     /* authentication mismatch */
    uint64_t n_rx_mismatch; /* interval or address list mismatch */
    uint64_t n_rx_own;      /* our own adverts (a unicast peer is us) */
};

typedef void (*advert_close_cb)(struct advert *ad);

struct advert
{
    struct advert_params params;
    struct advert_callbacks cbs;
    int fd;
    uv_poll_t poll;
    bool has_poll;
    uv_timer_t timer;
    bool is_sending;
    bool is_silent;         /* n_addrs == 0 */
    struct vrrp_advert msg; /* our advert, priority updated in place */
    struct vrrp_expect expect;
    bool has_last_src;
    uint8_t last_src[16]; /* where our adverts went out from */
    struct advert_stats stats;
    int n_open_handles;
    advert_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Whether @params can be advertised (count, version/family, interval
 * representable). Returns 0 or VIP_EINVAL. Pure. */
int advert_params_check(const struct advert_params *params);

/* Prepare @ad in @loop (timer only, no socket yet). Returns 0, VIP_EINVAL
 * if advert_params_check() fails (nothing to close then), or a libuv
 * error. On success advert_close() is required. */
int advert_init(struct advert *ad,
                uv_loop_t *loop,
                const struct advert_params *params,
                const struct advert_callbacks *cbs);

/* Open the raw socket on interface @ifindex (CAP_NET_RAW; this replaces
 * params.ifindex, resolved late), join the VRRP multicast group and start
 * receiving. Returns 0 or -errno / a libuv error, with @ad->errmsg. */
int advert_open(struct advert *ad, uv_loop_t *loop, int ifindex);

/* Send an advert now and then every interval until advert_stop(). */
void advert_start(struct advert *ad);

/* Stop the periodic adverts. */
void advert_stop(struct advert *ad);

/* Send one advert now with @priority (e.g. 0 on a clean stop, RFC 3768
 * 6.4.3), whatever the state. Returns 0 or the first send error. */
int advert_send(struct advert *ad, uint8_t priority);

/* Change the priority of the following adverts. */
void advert_set_priority(struct advert *ad, uint8_t priority);

/* Reload: send and expect @params from now on (the periodic adverts go
 * on, at the new interval). The interface, family and VRID cannot change
 * (VIP_EINVAL), nor the priority set by advert_set_priority(). The arrays
 * of @params must outlive @ad. Returns 0 or VIP_EINVAL (nothing changed). */
int advert_set_params(struct advert *ad, const struct advert_params *params);

/* Stop and close; @cb (may be NULL) fires when the handles are closed. */
void advert_close(struct advert *ad, advert_close_cb cb);

#endif /* VIPD_VIP_ADVERT_H */
