/* Netlink monitor in the libuv loop: address deletions (IPv4 and IPv6) and
 * link state changes, read from the rtnetlink multicast groups without
 * blocking. Messages are validated (sender is the kernel, lengths checked)
 * before any callback sees them. */
#ifndef VIPD_VIP_NLMON_H
#define VIPD_VIP_NLMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "vipd/error.h"

struct nl_sock;
struct nlmon;

struct nlmon_callbacks
{
    void *data;
    /* An address was removed from interface @ifindex (RTM_DELADDR).
     * @addr is 4 or 16 bytes, network order. */
    void (*addr_deleted)(void *data,
                         int family,
                         int ifindex,
                         const uint8_t *addr,
                         unsigned prefix);
    /* Interface @ifname changed (RTM_NEWLINK) or vanished (RTM_DELLINK,
     * reported as down). is_up = IFF_UP and IFF_RUNNING (carrier). Called
     * for every link message; the receiver filters transitions. */
    void (*link_changed)(void *data,
                         int ifindex,
                         const char *ifname,
                         bool is_up);
    /* Events were lost (receive buffer overrun): re-read the state. */
    void (*lost)(void *data);
};

typedef void (*nlmon_close_cb)(struct nlmon *mon);

struct nlmon
{
    struct nl_sock *sock;
    uv_poll_t poll;
    struct nlmon_callbacks cbs;
    nlmon_close_cb close_cb;
    uint64_t n_messages; /* valid messages handled */
    uint64_t n_lost;     /* overruns */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Open a non-blocking rtnetlink socket subscribed to link and address
 * events and register it with @loop. Returns 0 or VIP_ENOMEM /
 * VIP_ENETLINK / a libuv code, with @mon->errmsg. On success the caller
 * must eventually call nlmon_close(). */
int nlmon_init(struct nlmon *mon,
               uv_loop_t *loop,
               const struct nlmon_callbacks *cbs);

/* Start delivering events. Returns 0 or a libuv error. */
int nlmon_start(struct nlmon *mon);

/* Handle @n bytes of rtnetlink messages from the kernel (what one recv()
 * returned): validates every length and calls the callbacks. Needs only
 * @mon->cbs; pure otherwise (used by the poll callback and by tests). */
void nlmon_handle(struct nlmon *mon, const uint8_t *buf, size_t n);

/* Stop, close the socket; @cb (may be NULL) fires once the poll handle is
 * closed, after which @mon's memory may be released. */
void nlmon_close(struct nlmon *mon, nlmon_close_cb cb);

#endif /* VIPD_VIP_NLMON_H */
