/* VRRP advert sender/receiver over a raw protocol-112 socket. */
#include "vip/advert.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vip/ifaddr.h"
#include "vipd/log.h"

/* Precedence "internetwork control", as keepalived and routers use. */
#define ADVERT_TOS 0xc0

static size_t family_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

/* The multicast group adverts go to and are received on. */
static const uint8_t *group_of(const struct advert *ad)
{
    if (ad->params.has_group) {
        return ad->params.group;
    }
    return ad->params.family == AF_INET ? vrrp_mcast4 : vrrp_mcast6;
}

/* Fill @m from @params; false if some count is out of range. */
static bool fill_msg(struct vrrp_advert *m, const struct advert_params *params)
{
    memset(m, 0, sizeof *m);
    if (params->n_addrs < 1 || params->n_addrs > VRRP_MAX_ADDRS ||
        params->interval_ms == 0 ||
        (params->family != AF_INET && params->family != AF_INET6)) {
        return false;
    }
    m->version = params->version;
    m->vrid = params->vrid;
    m->priority = params->priority;
    m->family = params->family;
    m->advert_int_ms = params->interval_ms;
    m->auth_type = params->version == 2 ? params->auth_type : 0;
    if (params->version == 2) {
        memcpy(m->auth_data, params->auth_data, VRRP_AUTH_LEN);
    }
    m->n_addrs = params->n_addrs;
    for (size_t i = 0; i < params->n_addrs; i++) {
        memcpy(m->addrs[i], params->addrs[i], family_len(params->family));
    }
    return true;
}

int advert_params_check(const struct advert_params *params)
{
    struct vrrp_advert m;
    struct vrrp_ipinfo ip = {.family = params->family};
    uint8_t buf[VRRP_MAX_LEN];
    size_t len;

    if (params->n_addrs == 0) {
        return 0; /* silent */
    }
    if (!fill_msg(&m, params)) {
        return VIP_EINVAL;
    }
    /* A trial encode checks the interval is representable too. */
    return vrrp_encode(&m, &ip, buf, sizeof buf, &len) == 0 ? 0 : VIP_EINVAL;
}

int advert_init(struct advert *ad,
                uv_loop_t *loop,
                const struct advert_params *params,
                const struct advert_callbacks *cbs)
{
    struct vrrp_advert *m = &ad->msg;
    int rv;

    memset(ad, 0, sizeof *ad);
    ad->fd = -1;
    ad->params = *params;
    ad->cbs = *cbs;
    if (advert_params_check(params) != 0) {
        return VIP_EINVAL;
    }
    ad->is_silent = params->n_addrs == 0;
    if (!ad->is_silent && !fill_msg(m, params)) {
        return VIP_EINVAL;
    }
    ad->expect.version = m->version;
    ad->expect.vrid = m->vrid;
    ad->expect.family = m->family;
    ad->expect.advert_int_ms = m->advert_int_ms;
    ad->expect.auth_type = m->auth_type;
    memcpy(ad->expect.auth_data, m->auth_data, VRRP_AUTH_LEN);
    ad->expect.n_addrs = m->n_addrs;
    ad->expect.addrs = (const uint8_t(*)[16])m->addrs;

    rv = uv_timer_init(loop, &ad->timer);
    if (rv != 0) {
        return rv;
    }
    ad->timer.data = ad;
    ad->n_open_handles = 1;
    return 0;
}

/****** Receive ******/

static void deliver(struct advert *ad,
                    const struct vrrp_ipinfo *ip,
                    const struct vrrp_advert *a,
                    int rv,
                    const char *why)
{
    if (ad->cbs.received != NULL) {
        ad->cbs.received(ad->cbs.data, ip, a, rv, why);
    }
}

static void handle_packet(struct advert *ad,
                          const uint8_t *buf,
                          size_t n,
                          struct vrrp_ipinfo *ip)
{
    /* Static would be global state; this is ~4 KiB of stack. */
    struct vrrp_advert a;
    char why[VIP_ERRMSG_SIZE] = "";
    int rv;

    if (ad->params.family == AF_INET) {
        rv = vrrp_decode_ipv4(buf, n, ip, &a, why);
    } else {
        rv = vrrp_decode(buf, n, ip, &a, why);
    }
    if (rv != 0) {
        ad->stats.n_rx_malformed++;
        deliver(ad, ip, NULL, VIP_EPROTO, why);
        return;
    }
    /* Our own advert, back through a unicast peer list that names us (one
     * configuration file for every node): not another master. */
    if (ad->has_last_src &&
        memcmp(ip->src, ad->last_src, family_len(ip->family)) == 0) {
        ad->stats.n_rx_own++;
        return;
    }
    rv = vrrp_match(&a, &ad->expect, why);
    switch (rv) {
    case 0:
        ad->stats.n_rx_valid++;
        break;
    case VIP_ENOENT:
        ad->stats.n_rx_other++;
        break;
    case VIP_EAUTH:
        ad->stats.n_rx_auth++;
        break;
    default:
        ad->stats.n_rx_mismatch++;
        break;
    }
    deliver(ad, ip, &a, rv, why);
}

/* Read one datagram; returns its length, 0 to skip, or -errno. */
static ssize_t receive_one(struct advert *ad,
                           uint8_t *buf,
                           size_t size,
                           struct vrrp_ipinfo *ip)
{
    struct sockaddr_storage from;
    union
    {
        struct cmsghdr align;
        uint8_t buf[256];
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = size};
    struct msghdr msg = {
        .msg_name = &from,
        .msg_namelen = sizeof from,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    ssize_t n = recvmsg(ad->fd, &msg, 0);
    bool has_hops = false, has_dst = false;

    if (n < 0) {
        return -errno;
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
        return 0; /* larger than any advert: ignore */
    }
    memset(ip, 0, sizeof *ip);
    if (ad->params.family == AF_INET) {
        return n; /* the IPv4 header carries the rest */
    }
    /* IPv6 raw sockets strip the header: source from the address, hop
     * limit and destination from ancillary data. */
    if (msg.msg_namelen < sizeof(struct sockaddr_in6) ||
        from.ss_family != AF_INET6) {
        return 0;
    }
    ip->family = AF_INET6;
    memcpy(ip->src, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL;
         c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) {
            continue;
        }
        if (c->cmsg_type == IPV6_HOPLIMIT &&
            c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int hops;
            memcpy(&hops, CMSG_DATA(c), sizeof hops);
            ip->ttl = (unsigned)hops;
            has_hops = true;
        } else if (c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            memcpy(ip->dst, &pi.ipi6_addr, 16);
            has_dst = true;
        }
    }
    if (!has_hops || !has_dst) {
        return 0;
    }
    return n;
}

static void advert_poll_cb(uv_poll_t *poll, int status, int events)
{
    struct advert *ad = poll->data;
    uint8_t buf[VRRP_MAX_LEN + 64];
    (void)events;

    if (status < 0) {
        return;
    }
    for (int i = 0; i < 64; i++) {
        struct vrrp_ipinfo ip;
        ssize_t n = receive_one(ad, buf, sizeof buf, &ip);

        if (n < 0) {
            return; /* EAGAIN: drained */
        }
        if (n > 0) {
            handle_packet(ad, buf, (size_t)n, &ip);
        }
    }
}

static int set_opt(struct advert *ad,
                   int level,
                   int name,
                   const void *v,
                   socklen_t len,
                   const char *what)
{
    if (setsockopt(ad->fd, level, name, v, len) < 0) {
        int rv = -errno;
        errmsg_printf(ad->errmsg, "setsockopt(%s): %s", what, strerror(errno));
        return rv;
    }
    return 0;
}

static int open_ipv4(struct advert *ad)
{
    int ttl = VRRP_TTL, off = 0, tos = ADVERT_TOS;
    struct ip_mreqn mreq;
    int rv;

    memset(&mreq, 0, sizeof mreq);
    memcpy(&mreq.imr_multiaddr, group_of(ad), 4);
    mreq.imr_ifindex = ad->params.ifindex;
    /* RFC 3768 5.2.3 / RFC 5798 5.1.1.3: TTL 255 so receivers can tell the
     * packet never crossed a router. */
    if ((rv = set_opt(ad, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, "IP_TTL")) ||
        (rv = set_opt(ad, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl,
                      "IP_MULTICAST_TTL")) ||
        (rv = set_opt(ad, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off,
                      "IP_MULTICAST_LOOP")) ||
        (rv = set_opt(ad, IPPROTO_IP, IP_TOS, &tos, sizeof tos, "IP_TOS")) ||
        (rv = set_opt(ad, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq,
                      "IP_MULTICAST_IF")) ||
        (rv = set_opt(ad, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq,
                      "IP_ADD_MEMBERSHIP"))) {
        return rv;
    }
    return 0;
}

static int open_ipv6(struct advert *ad)
{
    int hops = VRRP_TTL, off = 0, on = 1, tclass = ADVERT_TOS;
    int ifindex = ad->params.ifindex;
    struct ipv6_mreq mreq;
    int rv;

    memset(&mreq, 0, sizeof mreq);
    memcpy(&mreq.ipv6mr_multiaddr, group_of(ad), 16);
    mreq.ipv6mr_interface = (unsigned)ifindex;
    if ((rv = set_opt(ad, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops,
                      "IPV6_UNICAST_HOPS")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops,
                      "IPV6_MULTICAST_HOPS")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off,
                      "IPV6_MULTICAST_LOOP")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof tclass,
                      "IPV6_TCLASS")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
                      sizeof ifindex, "IPV6_MULTICAST_IF")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on,
                      "IPV6_RECVHOPLIMIT")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on,
                      "IPV6_RECVPKTINFO")) ||
        (rv = set_opt(ad, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq,
                      "IPV6_JOIN_GROUP"))) {
        return rv;
    }
    return 0;
}

int advert_open(struct advert *ad, uv_loop_t *loop, int ifindex)
{
    char ifname[IF_NAMESIZE];
    int rv;

    ad->params.ifindex = ifindex;
    if (ad->is_silent) {
        return 0;
    }
    if (if_indextoname((unsigned)ad->params.ifindex, ifname) == NULL) {
        rv = -errno;
        errmsg_printf(ad->errmsg, "interface #%d: %s", ad->params.ifindex,
                      strerror(errno));
        return rv;
    }
    ad->fd = socket(ad->params.family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    VRRP_IPPROTO);
    if (ad->fd < 0) {
        rv = -errno;
        errmsg_printf(ad->errmsg, "socket(raw, 112): %s", strerror(errno));
        return rv;
    }
    /* Only this interface's packets, and our packets only out of it. */
    rv = set_opt(ad, SOL_SOCKET, SO_BINDTODEVICE, ifname,
                 (socklen_t)strlen(ifname), "SO_BINDTODEVICE");
    if (rv == 0) {
        rv = ad->params.family == AF_INET ? open_ipv4(ad) : open_ipv6(ad);
    }
    if (rv != 0) {
        goto err_after_socket;
    }
    rv = uv_poll_init_socket(loop, &ad->poll, ad->fd);
    if (rv != 0) {
        errmsg_printf(ad->errmsg, "uv_poll_init: %s", uv_strerror(rv));
        goto err_after_socket;
    }
    ad->poll.data = ad;
    ad->has_poll = true;
    ad->n_open_handles++;
    rv = uv_poll_start(&ad->poll, UV_READABLE, advert_poll_cb);
    if (rv != 0) {
        errmsg_printf(ad->errmsg, "uv_poll_start: %s", uv_strerror(rv));
        return rv; /* the handle is closed by advert_close() */
    }
    return 0;
err_after_socket:
    close(ad->fd);
    ad->fd = -1;
    return rv;
}

/****** Send ******/

/* Send @len bytes to @dst from @src, with the source and interface pinned
 * by IP_PKTINFO / IPV6_PKTINFO (a bind() would also filter what the raw
 * socket receives by destination, losing the multicast adverts). */
static int send_to(struct advert *ad,
                   const uint8_t *src,
                   const uint8_t *dst,
                   const uint8_t *buf,
                   size_t len)
{
    union
    {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } control;
    struct sockaddr_storage to;
    socklen_t to_len;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {
        .msg_name = &to,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
    };
    struct cmsghdr *c;

    memset(&to, 0, sizeof to);
    memset(&control, 0, sizeof control);
    c = (struct cmsghdr *)(void *)control.buf;
    if (ad->params.family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&to;
        struct in_pktinfo pi;

        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, dst, 4);
        to_len = sizeof *sin;
        memset(&pi, 0, sizeof pi);
        pi.ipi_ifindex = ad->params.ifindex;
        memcpy(&pi.ipi_spec_dst, src, 4);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        msg.msg_controllen = CMSG_SPACE(sizeof pi);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
        struct in6_pktinfo pi;

        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, dst, 16);
        if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)) {
            sin6->sin6_scope_id = (uint32_t)ad->params.ifindex;
        }
        to_len = sizeof *sin6;
        memset(&pi, 0, sizeof pi);
        pi.ipi6_ifindex = (unsigned)ad->params.ifindex;
        memcpy(&pi.ipi6_addr, src, 16);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        msg.msg_controllen = CMSG_SPACE(sizeof pi);
    }
    msg.msg_namelen = to_len;
    if (sendmsg(ad->fd, &msg, 0) < 0) {
        return -errno;
    }
    return 0;
}

int advert_send(struct advert *ad, uint8_t priority)
{
    uint8_t buf[VRRP_MAX_LEN];
    struct vrrp_ipinfo ip;
    size_t alen = family_len(ad->params.family);
    size_t n_dst = ad->params.n_peers > 0 ? ad->params.n_peers : 1;
    int first_err = 0;
    int rv;

    if (ad->is_silent) {
        return 0;
    }
    if (ad->fd < 0) {
        return -EBADF;
    }
    memset(&ip, 0, sizeof ip);
    ip.family = ad->params.family;
    ip.ttl = VRRP_TTL;
    if (ad->params.has_src) {
        memcpy(ip.src, ad->params.src, alen);
    } else {
        rv = ad->cbs.source != NULL
                 ? ad->cbs.source(ad->cbs.data, ad->params.family, ip.src)
                 : VIP_ENOENT;
        if (rv != 0) {
            errmsg_printf(ad->errmsg, "no source address: %s",
                          vip_strerror(rv));
            ad->stats.n_send_errors += n_dst;
            return rv;
        }
    }
    memcpy(ad->last_src, ip.src, 16);
    ad->has_last_src = true;
    ad->msg.priority = priority;
    for (size_t i = 0; i < n_dst; i++) {
        size_t len;
        const uint8_t *dst =
            ad->params.n_peers > 0 ? ad->params.peers[i] : group_of(ad);

        if (ad->params.n_peers > 0 && memcmp(dst, ip.src, alen) == 0) {
            continue; /* a peer list that names this node too */
        }
        memcpy(ip.dst, dst, alen);
        /* The v3 checksum covers source and destination: encode per peer. */
        rv = vrrp_encode(&ad->msg, &ip, buf, sizeof buf, &len);
        if (rv == 0) {
            rv = send_to(ad, ip.src, dst, buf, len);
        }
        if (rv != 0) {
            ad->stats.n_send_errors++;
            if (first_err == 0) {
                char a[INET6_ADDRSTRLEN];
                first_err = rv;
                errmsg_printf(ad->errmsg, "send to %s: %s",
                              ifaddr_str(ad->params.family, dst, a, sizeof a),
                              vip_strerror(rv));
            }
        } else {
            ad->stats.n_sent++;
        }
    }
    ad->msg.priority = ad->params.priority;
    return first_err;
}

static void advert_timer_cb(uv_timer_t *timer)
{
    struct advert *ad = timer->data;

    if (!ad->is_sending ||
        (ad->cbs.may_send != NULL && !ad->cbs.may_send(ad->cbs.data))) {
        return;
    }
    if (advert_send(ad, ad->params.priority) != 0) {
        /* A lost advert is not fatal: a backup waits three intervals plus
         * skew before taking over, and the next one follows in one. */
        vip_warn("vip: VRID %u advert: %s", ad->params.vrid, ad->errmsg);
    }
}

void advert_start(struct advert *ad)
{
    if (ad->is_silent) {
        return;
    }
    ad->is_sending = true;
    uv_timer_start(&ad->timer, advert_timer_cb, 0, ad->params.interval_ms);
}

void advert_stop(struct advert *ad)
{
    ad->is_sending = false;
    uv_timer_stop(&ad->timer);
}

void advert_set_priority(struct advert *ad, uint8_t priority)
{
    ad->params.priority = priority;
    ad->msg.priority = priority;
}

int advert_set_params(struct advert *ad, const struct advert_params *params)
{
    struct vrrp_advert m;
    int ifindex = ad->params.ifindex;
    uint8_t priority = ad->params.priority;
    bool interval_changed = params->interval_ms != ad->params.interval_ms;

    /* The socket is bound to the family and receives for this VRID. */
    if (advert_params_check(params) != 0 ||
        params->family != ad->params.family ||
        params->vrid != ad->params.vrid) {
        return VIP_EINVAL;
    }
    memset(&m, 0, sizeof m);
    if (params->n_addrs > 0 && !fill_msg(&m, params)) {
        return VIP_EINVAL;
    }
    ad->params = *params;
    ad->params.ifindex = ifindex;
    ad->params.priority = priority; /* the owner sets the effective one */
    ad->msg = m;
    ad->msg.priority = priority;
    ad->is_silent = params->n_addrs == 0;
    ad->expect.version = m.version;
    ad->expect.vrid = m.vrid;
    ad->expect.family = m.family;
    ad->expect.advert_int_ms = m.advert_int_ms;
    ad->expect.auth_type = m.auth_type;
    memcpy(ad->expect.auth_data, m.auth_data, VRRP_AUTH_LEN);
    ad->expect.n_addrs = m.n_addrs;
    ad->expect.addrs = (const uint8_t(*)[16])ad->msg.addrs;
    if (ad->is_sending && ad->is_silent) {
        advert_stop(ad);
    } else if (ad->is_sending && interval_changed) {
        uv_timer_start(&ad->timer, advert_timer_cb, ad->params.interval_ms,
                       ad->params.interval_ms);
    }
    return 0;
}

static void advert_closed_cb(uv_handle_t *handle)
{
    struct advert *ad = handle->data;

    if (--ad->n_open_handles == 0) {
        if (ad->fd >= 0) {
            close(ad->fd);
            ad->fd = -1;
        }
        if (ad->close_cb != NULL) {
            ad->close_cb(ad);
        }
    }
}

void advert_close(struct advert *ad, advert_close_cb cb)
{
    advert_stop(ad);
    ad->close_cb = cb;
    if (ad->has_poll) {
        uv_close((uv_handle_t *)&ad->poll, advert_closed_cb);
    }
    uv_close((uv_handle_t *)&ad->timer, advert_closed_cb);
}
