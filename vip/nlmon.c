/* Netlink monitor: rtnetlink multicast events read in the libuv loop. */
#include "vip/nlmon.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>
#include <sys/socket.h>

/* Big enough for a burst of a few thousand address events. */
#define NLMON_RCVBUF (4 * 1024 * 1024)

static void handle_addr(struct nlmon *mon, const struct nlmsghdr *h)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    const struct rtattr *rta;
    int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *ifa);
    const uint8_t *local = NULL, *address = NULL;
    size_t alen = ifa->ifa_family == AF_INET6 ? 16 : 4;

    if (len < 0 ||
        (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) {
        return;
    }
    for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (RTA_PAYLOAD(rta) != alen) {
            continue;
        }
        if (rta->rta_type == IFA_LOCAL) {
            local = RTA_DATA(rta);
        } else if (rta->rta_type == IFA_ADDRESS) {
            address = RTA_DATA(rta);
        }
    }
    /* IFA_LOCAL is the interface's own address; IFA_ADDRESS equals it
     * except on point-to-point links, and IPv6 often sends only it. */
    if (local == NULL) {
        local = address;
    }
    if (local != NULL && mon->cbs.addr_deleted != NULL) {
        mon->cbs.addr_deleted(mon->cbs.data, ifa->ifa_family,
                              (int)ifa->ifa_index, local, ifa->ifa_prefixlen);
    }
}

static void handle_link(struct nlmon *mon, const struct nlmsghdr *h)
{
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    const struct rtattr *rta;
    int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *ifi);
    char name[IF_NAMESIZE] = "";
    bool is_up;

    if (len < 0) {
        return;
    }
    for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        size_t n = RTA_PAYLOAD(rta);
        if (rta->rta_type != IFLA_IFNAME || n == 0) {
            continue;
        }
        if (n > sizeof name) {
            n = sizeof name;
        }
        memcpy(name, RTA_DATA(rta), n);
        name[sizeof name - 1] = '\0';
    }
    if (name[0] == '\0' || mon->cbs.link_changed == NULL) {
        return;
    }
    is_up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) != 0 &&
            (ifi->ifi_flags & IFF_RUNNING) != 0;
    mon->cbs.link_changed(mon->cbs.data, ifi->ifi_index, name, is_up);
}

void nlmon_handle(struct nlmon *mon, const uint8_t *buf, size_t n)
{
    /* The NLMSG_OK/NLMSG_NEXT macros compare the u32 nlmsg_len with an int
     * (a sign-compare warning under clang): walk the buffer by hand with
     * the same checks. */
    size_t off = 0;

    while (n - off >= sizeof(struct nlmsghdr)) {
        const struct nlmsghdr *h =
            (const struct nlmsghdr *)(const void *)(buf + off);
        if (h->nlmsg_len < sizeof(struct nlmsghdr) || h->nlmsg_len > n - off) {
            break; /* truncated or corrupt: nothing after it can be trusted */
        }
        off += NLMSG_ALIGN(h->nlmsg_len) < n - off ? NLMSG_ALIGN(h->nlmsg_len)
                                                   : n - off;
        switch (h->nlmsg_type) {
        case RTM_DELADDR:
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg))) {
                mon->n_messages++;
                handle_addr(mon, h);
            }
            break;
        case RTM_NEWLINK:
        case RTM_DELLINK:
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
                mon->n_messages++;
                handle_link(mon, h);
            }
            break;
        default: /* RTM_NEWADDR and the rest: not needed */
            break;
        }
    }
}

static void nlmon_poll_cb(uv_poll_t *poll, int status, int events)
{
    struct nlmon *mon = poll->data;
    int fd = nl_socket_get_fd(mon->sock);
    uint32_t buf32[8192]; /* 32 KiB, aligned for struct nlmsghdr */
    uint8_t *buf = (uint8_t *)buf32;
    (void)events;

    if (status < 0) {
        return;
    }
    /* Bounded: let other handles run during an event storm. */
    for (int i = 0; i < 64; i++) {
        struct sockaddr_nl from;
        socklen_t flen = sizeof from;
        ssize_t n =
            recvfrom(fd, buf, sizeof buf32, 0, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == ENOBUFS) {
                /* The kernel dropped events: whatever we track may be
                 * stale now. */
                mon->n_lost++;
                if (mon->cbs.lost != NULL) {
                    mon->cbs.lost(mon->cbs.data);
                }
                continue;
            }
            return; /* EAGAIN, EINTR: wait for the next readiness */
        }
        /* Only the kernel (port 0) may tell us about addresses. */
        if (flen != sizeof from || from.nl_family != AF_NETLINK ||
            from.nl_pid != 0) {
            continue;
        }
        nlmon_handle(mon, buf, (size_t)n);
    }
}

int nlmon_init(struct nlmon *mon,
               uv_loop_t *loop,
               const struct nlmon_callbacks *cbs)
{
    int rv;

    memset(mon, 0, sizeof *mon);
    mon->cbs = *cbs;
    mon->sock = nl_socket_alloc();
    if (mon->sock == NULL) {
        return VIP_ENOMEM;
    }
    nl_socket_disable_seq_check(mon->sock);
    rv = nl_connect(mon->sock, NETLINK_ROUTE);
    if (rv < 0) {
        goto err_nl;
    }
    rv = nl_socket_add_memberships(mon->sock, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                   RTNLGRP_IPV6_IFADDR, 0);
    if (rv < 0) {
        goto err_nl;
    }
    rv = nl_socket_set_nonblocking(mon->sock);
    if (rv < 0) {
        goto err_nl;
    }
    rv = nl_socket_set_buffer_size(mon->sock, NLMON_RCVBUF, 0);
    if (rv < 0) {
        goto err_nl;
    }
    rv = uv_poll_init(loop, &mon->poll, nl_socket_get_fd(mon->sock));
    if (rv != 0) {
        errmsg_printf(mon->errmsg, "netlink monitor: %s", uv_strerror(rv));
        goto err_after_alloc;
    }
    mon->poll.data = mon;
    return 0;
err_nl:
    if (rv == -NLE_NOMEM) {
        rv = VIP_ENOMEM;
    } else {
        errmsg_printf(mon->errmsg, "netlink monitor: %s", nl_geterror(rv));
        rv = VIP_ENETLINK;
    }
err_after_alloc:
    nl_socket_free(mon->sock);
    mon->sock = NULL;
    return rv;
}

int nlmon_start(struct nlmon *mon)
{
    return uv_poll_start(&mon->poll, UV_READABLE, nlmon_poll_cb);
}

static void nlmon_closed_cb(uv_handle_t *handle)
{
    struct nlmon *mon = handle->data;

    nl_socket_free(mon->sock);
    mon->sock = NULL;
    if (mon->close_cb != NULL) {
        mon->close_cb(mon);
    }
}

void nlmon_close(struct nlmon *mon, nlmon_close_cb cb)
{
    mon->close_cb = cb;
    uv_close((uv_handle_t *)&mon->poll, nlmon_closed_cb);
}
