/* GARP / unsolicited NA sender with keepalived's master timing. */
#include "vip/announce.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vip/arp.h"
#include "vipd/log.h"

int announce_init(struct announce *a,
                  uv_loop_t *loop,
                  const struct announce_target *targets,
                  size_t n_targets,
                  const struct announce_params *params,
                  const struct announce_callbacks *cbs)
{
    int rv;

    memset(a, 0, sizeof *a);
    a->packet_fd = -1;
    a->icmp6_fd = -1;
    a->targets = targets;
    a->n_targets = n_targets;
    a->params = *params;
    a->cbs = *cbs;
    rv = uv_timer_init(loop, &a->delay_timer);
    if (rv != 0) {
        return rv;
    }
    rv = uv_timer_init(loop, &a->refresh_timer);
    if (rv != 0) {
        /* Timer init cannot fail in libuv 1.x; keep the close symmetric. */
        return rv;
    }
    rv = uv_timer_init(loop, &a->burst_timer);
    if (rv != 0) {
        return rv;
    }
    a->delay_timer.data = a;
    a->refresh_timer.data = a;
    a->burst_timer.data = a;
    a->n_open_handles = 3;
    return 0;
}

void announce_set_targets(struct announce *a,
                          const struct announce_target *targets,
                          size_t n_targets,
                          const struct announce_params *params)
{
    a->targets = targets;
    a->n_targets = n_targets;
    a->params = *params;
}

static bool has_family(const struct announce *a, int family)
{
    for (size_t i = 0; i < a->n_targets; i++) {
        if (a->targets[i].family == family) {
            return true;
        }
    }
    return false;
}

int announce_open(struct announce *a)
{
    int rv;

    if (has_family(a, AF_INET) && a->packet_fd < 0) {
        /* Protocol 0: send only, this socket receives nothing. */
        a->packet_fd =
            socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (a->packet_fd < 0) {
            rv = -errno;
            errmsg_printf(a->errmsg, "socket(AF_PACKET): %s", strerror(-rv));
            return rv;
        }
    }
    if (has_family(a, AF_INET6) && a->icmp6_fd < 0) {
        int hops = 255;
        struct icmp6_filter filter;

        a->icmp6_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             IPPROTO_ICMPV6);
        if (a->icmp6_fd < 0) {
            rv = -errno;
            errmsg_printf(a->errmsg, "socket(ICMPv6): %s", strerror(-rv));
            return rv;
        }
        /* RFC 4861 7.1.2: receivers drop NAs whose hop limit is not 255. */
        ICMP6_FILTER_SETBLOCKALL(&filter); /* send only */
        if (setsockopt(a->icmp6_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
                       sizeof hops) < 0 ||
            setsockopt(a->icmp6_fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
                       sizeof hops) < 0 ||
            setsockopt(a->icmp6_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
                       sizeof filter) < 0) {
            rv = -errno;
            errmsg_printf(a->errmsg, "ICMPv6 socket options: %s",
                          strerror(-rv));
            return rv;
        }
    }
    return 0;
}

/* The MAC address of @ifindex, read now (it may change at run time). */
static int link_mac(int fd, int ifindex, uint8_t mac[6])
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    if (if_indextoname((unsigned)ifindex, ifr.ifr_name) == NULL) {
        return -errno;
    }
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        return -errno;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

static int send_garp(struct announce *a,
                     const struct announce_target *t,
                     const uint8_t mac[6])
{
    uint8_t frame[ARP_GARP_LEN];
    size_t len;
    struct sockaddr_ll to;

    arp_garp_encode(mac, t->addr, frame, sizeof frame, &len);
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = t->ifindex;
    to.sll_halen = 6;
    memset(to.sll_addr, 0xff, 6);
    if (sendto(a->packet_fd, frame, len, 0, (struct sockaddr *)&to, sizeof to) <
        0) {
        return -errno;
    }
    a->n_garp++;
    return 0;
}

static int send_na(struct announce *a,
                   const struct announce_target *t,
                   const uint8_t mac[6])
{
    uint8_t msg[ARP_NA_LEN];
    size_t len;
    struct sockaddr_in6 to;

    /* The kernel computes the ICMPv6 checksum on raw ICMPv6 sockets. */
    arp_na_encode(mac, t->addr, NULL, NULL, msg, sizeof msg, &len);
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    to.sin6_addr.s6_addr[0] = 0xff; /* ff02::1, all nodes */
    to.sin6_addr.s6_addr[1] = 0x02;
    to.sin6_addr.s6_addr[15] = 0x01;
    to.sin6_scope_id = (uint32_t)t->ifindex;
    if (sendto(a->icmp6_fd, msg, len, 0, (struct sockaddr *)&to, sizeof to) <
        0) {
        return -errno;
    }
    a->n_na++;
    return 0;
}

/* Send @count packets per target, back to back. */
static unsigned send_rounds(struct announce *a, unsigned count)
{
    unsigned n_failed = 0;

    for (size_t i = 0; i < a->n_targets; i++) {
        const struct announce_target *t = &a->targets[i];
        int fd = t->family == AF_INET ? a->packet_fd : a->icmp6_fd;
        uint8_t mac[6];
        int rv = fd < 0 ? -EBADF : link_mac(fd, t->ifindex, mac);

        for (unsigned k = 0; k < count; k++) {
            if (rv == 0) {
                rv = t->family == AF_INET ? send_garp(a, t, mac)
                                          : send_na(a, t, mac);
            }
            if (rv != 0) {
                n_failed++;
                a->n_errors++;
            }
            /* A failed packet does not stop the burst, but the reason is
             * kept for the single log line below. */
            if (rv == -EAGAIN || rv == -ENOBUFS) {
                rv = 0;
            }
        }
    }
    if (n_failed > 0) {
        /* A missed GARP is not fatal: the next burst or refresh (and the
         * clients' own ARP timeouts) repair it. */
        vip_warn("vip: %u of %zu announcements failed", n_failed,
                 a->n_targets * count);
    }
    return n_failed;
}

static bool may_send(struct announce *a)
{
    return a->is_active &&
           (a->cbs.may_send == NULL || a->cbs.may_send(a->cbs.data));
}

static void announce_burst_cb(uv_timer_t *timer)
{
    struct announce *a = timer->data;

    if (a->burst_left == 0 || !may_send(a)) {
        a->burst_left = 0;
        return;
    }
    send_rounds(a, 1);
    if (--a->burst_left > 0) {
        /* One-shot, re-armed from the time of this send (not the cached
         * loop time), so the gap is never shorter than the interval. */
        uv_update_time(timer->loop);
        uv_timer_start(timer, announce_burst_cb, a->params.interval_ms, 0);
    }
}

unsigned announce_burst(struct announce *a, unsigned count)
{
    unsigned n_failed;

    if (count == 0) {
        return 0;
    }
    if (a->params.interval_ms == 0) {
        return send_rounds(a, count);
    }
    n_failed = send_rounds(a, 1);
    /* Bursts that overlap (a refresh during the first one) add up. */
    a->burst_left += count - 1;
    if (a->burst_left > 0 && !uv_is_active((uv_handle_t *)&a->burst_timer)) {
        uv_update_time(a->burst_timer.loop);
        uv_timer_start(&a->burst_timer, announce_burst_cb,
                       a->params.interval_ms, 0);
    }
    return n_failed;
}

static void announce_delay_cb(uv_timer_t *timer)
{
    struct announce *a = timer->data;

    if (may_send(a)) {
        announce_burst(a, a->params.repeat);
    }
}

static void announce_refresh_cb(uv_timer_t *timer)
{
    struct announce *a = timer->data;

    if (may_send(a)) {
        announce_burst(a, a->params.refresh_repeat);
    }
}

void announce_start(struct announce *a)
{
    a->is_active = true;
    announce_burst(a, a->params.repeat);
    if (a->params.delay_ms > 0) {
        uv_timer_start(&a->delay_timer, announce_delay_cb, a->params.delay_ms,
                       0);
    }
    if (a->params.refresh_ms > 0) {
        uv_timer_start(&a->refresh_timer, announce_refresh_cb,
                       a->params.refresh_ms, a->params.refresh_ms);
    }
}

void announce_stop(struct announce *a)
{
    a->is_active = false;
    uv_timer_stop(&a->delay_timer);
    uv_timer_stop(&a->refresh_timer);
    uv_timer_stop(&a->burst_timer);
    a->burst_left = 0;
}

static void announce_closed_cb(uv_handle_t *handle)
{
    struct announce *a = handle->data;

    if (--a->n_open_handles == 0 && a->close_cb != NULL) {
        a->close_cb(a);
    }
}

void announce_close(struct announce *a, announce_close_cb cb)
{
    announce_stop(a);
    if (a->packet_fd >= 0) {
        close(a->packet_fd);
        a->packet_fd = -1;
    }
    if (a->icmp6_fd >= 0) {
        close(a->icmp6_fd);
        a->icmp6_fd = -1;
    }
    a->close_cb = cb;
    uv_close((uv_handle_t *)&a->delay_timer, announce_closed_cb);
    uv_close((uv_handle_t *)&a->refresh_timer, announce_closed_cb);
    uv_close((uv_handle_t *)&a->burst_timer, announce_closed_cb);
}
