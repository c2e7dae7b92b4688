/* VIP manager: ties addresses, adverts, announcements and the netlink
 * monitor together under one lease. */
#include "vip/manager_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vip/fence.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static size_t family_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

uint64_t manager_lifetime_s(uint64_t until_ms, uint64_t now)
{
    uint64_t s = (until_ms - now + 999) / 1000;
    /* 0xffffffff would mean "forever" to the kernel. */
    return s > 0xfffffffeu ? 0xfffffffeu : s;
}

/****** Fence record ******/

/* Record for the fence (vip/fence.h) that every VIP may be configured until
 * @until_ms, or (0) that none is. Called before adding and after removing,
 * so the record always covers what is on the interfaces. Returns 0 or
 * VIP_EINVAL / VIP_ERANGE (with @m->errmsg): nothing may be added then. */
int manager_fence_record(struct manager *m, uint64_t until_ms)
{
    struct fence_set *set;

    if (m->fence == NULL) {
        return 0;
    }
    set = fence_page_begin(m->fence->page);
    for (size_t i = 0; until_ms != 0 && i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        for (size_t k = 0; k < in->n_vips; k++) {
            int rv = fence_set_add(set, &in->vips[k]);
            if (rv != 0) {
                errmsg_printf(m->errmsg, "fence: record VIP: %s",
                              vip_strerror(rv));
                return rv;
            }
        }
    }
    fence_commit(m->fence, until_ms);
    return 0;
}

/****** Addresses ******/

/* Remove every VIP of every instance; returns the first error. On success
 * the fence's record is emptied; on failure it keeps its deadline, so the
 * fence still removes them then. */
static int remove_all(struct manager *m)
{
    int first_err = 0;

    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        for (size_t k = 0; k < in->n_vips; k++) {
            int rv = ifaddr_del(&m->ifaddr, &in->vips[k]);
            if (rv != 0 && first_err == 0) {
                first_err = rv;
                errmsg_printf(m->errmsg, "%s", m->ifaddr.errmsg);
            }
        }
    }
    if (first_err == 0) {
        manager_fence_record(m, 0);
    }
    return first_err;
}

/* Add or refresh every VIP with @lifetime; on any failure remove them all
 * (never half-configured) and return the error. */
static int add_all(struct manager *m, uint32_t lifetime)
{
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        for (size_t k = 0; k < in->n_vips; k++) {
            int rv = ifaddr_add(&m->ifaddr, &in->vips[k], lifetime);
            if (rv != 0) {
                char msg[VIP_ERRMSG_SIZE];
                errmsg_printf(
                    msg, "%s",
                    rv == VIP_ENETLINK ? m->ifaddr.errmsg : vip_strerror(rv));
                int rrv = remove_all(m);
                errmsg_printf(m->errmsg, "instance %s: %s%s", in->cfg->name,
                              msg,
                              rrv == 0 ? "; all VIPs removed"
                                       : "; removing the others failed too");
                return rv;
            }
        }
    }
    return 0;
}

/****** Lease ******/

#define FOREIGN_LOG_BURST 5

static void stop_activity(struct manager *m)
{
    uv_timer_stop(&m->lease_timer);
    for (size_t i = 0; i < m->n_instances; i++) {
        advert_stop(&m->instances[i].advert);
        announce_stop(&m->instances[i].announce);
    }
}

/* Drop everything because the lease is over (or cannot be kept). */
static void lease_end(struct manager *m, const char *why)
{
    int rv;

    m->is_holding = false;
    stop_activity(m);
    rv = remove_all(m);
    if (rv != 0) {
        vip_err("vip: %s; removing the VIPs failed: %s", why, m->errmsg);
    } else {
        vip_warn("vip: %s: VIPs removed", why);
    }
    if (m->cbs.lease_expired != NULL) {
        m->cbs.lease_expired(m->cbs.data);
    }
}

/* Whether we may still act as holder; ends the lease if it is over. Read
 * before every refresh, advert, announcement and re-add. */
static bool lease_ok(struct manager *m)
{
    if (!m->is_holding) {
        return false;
    }
    if (vip_now_ms() >= m->until_ms) {
        lease_end(m, "lease over");
        return false;
    }
    return true;
}

static void lease_timer_cb(uv_timer_t *timer)
{
    struct manager *m = timer->data;
    uint64_t now = vip_now_ms();

    if (!m->is_holding) {
        return;
    }
    if (now < m->until_ms) {
        /* libuv's clock is coarser than CLOCK_MONOTONIC: early by a tick. */
        uv_timer_start(&m->lease_timer, lease_timer_cb, m->until_ms - now, 0);
        return;
    }
    lease_end(m, "lease over");
}

static bool may_send_cb(void *data)
{
    struct manager_instance *in = data;
    return lease_ok(in->m);
}

/****** Hold / release ******/

int manager_hold(struct manager *m, uint64_t until_ms)
{
    uint64_t now = vip_now_ms();
    bool was_holding = m->is_holding;
    /* The previous lease ran out before this renewal (a stalled loop): the
     * fence may have removed the VIPs meanwhile, so add them again. */
    bool has_lapsed = was_holding && now >= m->until_ms;
    int rv;

    if (!m->is_started || m->is_closing) {
        return VIP_EINVAL;
    }
    /* A renewal relies on fence_poll_cb() to learn of the fence's death
     * (it ends the hold within the loop turn); only a new hold, which
     * adds addresses, asks the fence itself (one poll() syscall). */
    if (m->fence != NULL &&
        (m->is_fence_lost ||
         ((!was_holding || has_lapsed) && !fence_alive(m->fence)))) {
        if (was_holding) {
            m->is_holding = false;
            stop_activity(m);
            remove_all(m);
        }
        errmsg_printf(m->errmsg, "the fence process is gone: not holding");
        return VIP_ENOENT;
    }
    if (until_ms <= now) {
        if (was_holding) {
            m->is_holding = false;
            stop_activity(m);
            remove_all(m);
            vip_warn("vip: hold until a past time: VIPs removed");
        }
        return VIP_ETIMEDOUT;
    }
    /* The fence learns the new deadline (and the addresses) before any of
     * them is added or refreshed. */
    rv = manager_fence_record(m, until_ms);
    if (rv != 0) {
        if (was_holding) {
            m->is_holding = false;
            stop_activity(m);
            remove_all(m);
        }
        return rv;
    }
    /* Refresh the kernel lifetimes only when they would not cover the new
     * deadline: a lease renewed every few hundred ms costs one netlink
     * round per second per VIP, not one per renewal. */
    if (!was_holding || has_lapsed || until_ms > m->kernel_until_ms) {
        uint64_t life = manager_lifetime_s(until_ms, now);
        rv = add_all(m, (uint32_t)life);
        if (rv != 0) {
            m->is_holding = false;
            stop_activity(m);
            return rv;
        }
        m->kernel_until_ms = now + life * 1000;
    }
    m->until_ms = until_ms;
    m->is_holding = true;
    /* Re-read the clock: adding many VIPs takes tens of milliseconds, and
     * the timer must fire at until_ms, not that much later. */
    uv_update_time(m->loop);
    now = vip_now_ms();
    uv_timer_start(&m->lease_timer, lease_timer_cb,
                   until_ms > now ? until_ms - now : 0, 0);
    if (!was_holding) {
        size_t n = 0;
        for (size_t i = 0; i < m->n_instances; i++) {
            n += m->instances[i].n_vips;
        }
        vip_info(
            "vip: holding %zu VIPs until +%llu ms, kernel lifetime "
            "until +%llu ms",
            n, (unsigned long long)(until_ms > now ? until_ms - now : 0),
            (unsigned long long)(m->kernel_until_ms > now
                                     ? m->kernel_until_ms - now
                                     : 0));
        for (size_t i = 0; i < m->n_instances; i++) {
            advert_start(&m->instances[i].advert);
            announce_start(&m->instances[i].announce);
        }
    }
    return 0;
}

int manager_release(struct manager *m)
{
    bool was_holding = m->is_holding;
    int rv;

    if (!m->is_started) {
        return 0;
    }
    m->is_holding = false;
    stop_activity(m);
    rv = remove_all(m);
    if (was_holding) {
        vip_info("vip: released");
    }
    return rv;
}

int manager_release_final(struct manager *m)
{
    bool was_holding = m->is_holding;
    int rv = manager_release(m);

    if (was_holding) {
        for (size_t i = 0; i < m->n_instances; i++) {
            struct advert *ad = &m->instances[i].advert;
            /* RFC 3768 6.4.3: priority 0 lets a backup take over after its
             * skew time instead of three intervals. */
            if (advert_send(ad, 0) != 0) {
                vip_warn("vip: priority-0 advert: %s", ad->errmsg);
            }
        }
    }
    return rv;
}

int manager_set_priority(struct manager *m,
                         size_t instance_index,
                         uint8_t priority)
{
    if (instance_index >= m->n_instances) {
        return VIP_EINVAL;
    }
    advert_set_priority(&m->instances[instance_index].advert, priority);
    return 0;
}

bool manager_holds(const struct manager *m)
{
    return m->is_holding && vip_now_ms() < m->until_ms;
}

int manager_stats(const struct manager *m,
                  size_t instance_index,
                  struct manager_stats *out)
{
    const struct manager_instance *in;

    if (instance_index >= m->n_instances) {
        return VIP_EINVAL;
    }
    in = &m->instances[instance_index];
    memset(out, 0, sizeof *out);
    out->advert = in->advert.stats;
    out->n_garp = in->announce.n_garp;
    out->n_na = in->announce.n_na;
    out->n_announce_errors = in->announce.n_errors;
    out->n_peer = in->n_peer;
    out->n_foreign = in->n_foreign;
    out->foreign_family = in->foreign_family;
    memcpy(out->foreign_src, in->foreign_src, 16);
    out->foreign_priority = in->foreign_priority;
    out->foreign_ms = in->foreign_ms;
    return 0;
}

/****** Observed adverts ******/

static void received_cb(void *data,
                        const struct vrrp_ipinfo *ip,
                        const struct vrrp_advert *a,
                        int rv,
                        const char *why)
{
    struct manager_instance *in = data;
    char src[INET6_ADDRSTRLEN];
    uint64_t now = vip_now_ms();
    bool is_news;

    ifaddr_str(ip->family, ip->src, src, sizeof src);
    if (rv == VIP_EPROTO || rv == VIP_ENOENT) {
        /* Malformed or not ours: counted; logged at debug only, as anyone
         * on the link can send them. */
        vip_debug("vip: %s: VRRP from %s ignored: %s", in->cfg->name, src, why);
        return;
    }
    if (rv != 0) {
        if (in->n_warned++ % 1000 == 0) {
            vip_warn("vip: %s: VRRP from %s dropped: %s", in->cfg->name, src,
                     why);
        }
        return;
    }
    /* A cluster member's advert: another vipd holds (a failover in
     * progress, or the holder as seen from a follower). Counted apart. */
    for (size_t i = 0; i < in->n_known; i++) {
        if (in->known[i].family == ip->family &&
            memcmp(in->known[i].bytes, ip->src, family_len(ip->family)) == 0) {
            if (in->n_peer++ == 0) {
                vip_info("vip: %s: VRID %u adverts from cluster member %s",
                         in->cfg->name, a->vrid, src);
            }
            return;
        }
    }
    /* A valid advert for our VRID from someone else: another master. We
     * only observe it; ownership is Raft's alone (docs/DESIGN.md 5). */
    is_news = in->foreign_family != ip->family ||
              memcmp(in->foreign_src, ip->src, family_len(ip->family)) != 0 ||
              in->foreign_priority != a->priority ||
              now - in->foreign_ms > 10000;
    in->n_foreign++;
    in->foreign_family = ip->family;
    memset(in->foreign_src, 0, sizeof in->foreign_src);
    memcpy(in->foreign_src, ip->src, family_len(ip->family));
    in->foreign_priority = a->priority;
    in->foreign_ms = now;
    if (is_news) {
        /* Anyone on the LAN can vary source and priority: at most
         * FOREIGN_LOG_BURST lines per 10 s for the whole daemon. */
        static uint64_t win_ms;
        static unsigned n_logged, n_dropped;
        if (win_ms == 0 || now - win_ms >= 10000) {
            if (n_dropped > 0) {
                vip_warn("vip: %u more foreign VRRP masters not logged",
                         n_dropped);
            }
            win_ms = now;
            n_logged = 0;
            n_dropped = 0;
        }
        if (n_logged >= FOREIGN_LOG_BURST) {
            n_dropped++;
            return;
        }
        n_logged++;
        if (a->priority == 0) {
            vip_info("vip: %s: VRID %u master %s resigned (priority 0)",
                     in->cfg->name, a->vrid, src);
        } else {
            vip_warn(
                "vip: %s: foreign VRRP master %s for VRID %u, "
                "priority %u (observed only)",
                in->cfg->name, src, a->vrid, a->priority);
        }
    }
}

static int source_cb(void *data, int family, uint8_t src[16])
{
    struct manager_instance *in = data;
    int ifindex = in->advert.params.ifindex;

    return ifaddr_source(&in->m->ifaddr, ifindex, family, in->vips, in->n_vips,
                         src);
}

/****** Netlink events ******/

static void report_link(struct manager *m, struct manager_link *l, int state)
{
    if (l->state == state) {
        return;
    }
    l->state = state;
    vip_info("vip: link %s %s", l->name, state ? "up" : "down");
    if (m->cbs.link_changed != NULL) {
        m->cbs.link_changed(m->cbs.data, l->name, state == 1);
    }
}

static void link_changed_cb(void *data,
                            int ifindex,
                            const char *ifname,
                            bool is_up)
{
    struct manager *m = data;
    (void)ifindex;

    for (size_t i = 0; i < m->n_links; i++) {
        if (strcmp(m->links[i].name, ifname) == 0) {
            report_link(m, &m->links[i], is_up ? 1 : 0);
        }
    }
}

/* Read the state of every watched link now. */
static void read_links(struct manager *m)
{
    for (size_t i = 0; i < m->n_links; i++) {
        struct rtnl_link *link = NULL;
        int state = 0;
        int rv =
            rtnl_link_get_kernel(m->ifaddr.sock, 0, m->links[i].name, &link);
        if (rv == 0) {
            unsigned flags = rtnl_link_get_flags(link);
            state = (flags & IFF_UP) && (flags & IFF_RUNNING) ? 1 : 0;
            rtnl_link_put(link);
        } else if (rv != -NLE_OBJ_NOTFOUND && rv != -NLE_NODEV) {
            /* Unknown is not "down": keep the previous state. */
            vip_warn("vip: link %s: %s", m->links[i].name, nl_geterror(rv));
            continue;
        }
        report_link(m, &m->links[i], state);
    }
}

static void addr_deleted_cb(void *data,
                            int family,
                            int ifindex,
                            const uint8_t *addr,
                            unsigned prefix)
{
    struct manager *m = data;
    (void)prefix;

    if (!m->is_holding) {
        return;
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        for (size_t k = 0; k < in->n_vips; k++) {
            struct ifaddr_spec *s = &in->vips[k];
            char ip[INET6_ADDRSTRLEN];
            uint64_t now;
            int rv;

            if (s->ifindex != ifindex || s->family != family ||
                memcmp(s->addr, addr, family_len(family)) != 0) {
                continue;
            }
            if (!lease_ok(m)) {
                return;
            }
            /* The event may be an old one of our own (a release followed
             * by a new hold): only a VIP that is really gone is news. */
            if (ifaddr_present(&m->ifaddr, s) == 1) {
                return;
            }
            now = vip_now_ms();
            rv = ifaddr_add(&m->ifaddr, s,
                            (uint32_t)manager_lifetime_s(m->until_ms, now));
            ifaddr_str(family, addr, ip, sizeof ip);
            if (rv != 0) {
                vip_err(
                    "vip: %s/%u dev %s removed by someone else, re-adding "
                    "failed: %s",
                    ip, s->prefix, in->devs[k],
                    rv == VIP_ENETLINK ? m->ifaddr.errmsg : vip_strerror(rv));
                lease_end(m, "a VIP could not be restored");
                return;
            }
            m->n_readded++;
            vip_warn("vip: %s/%u dev %s removed by someone else: re-added", ip,
                     s->prefix, in->devs[k]);
            return;
        }
    }
}

static void lost_cb(void *data)
{
    struct manager *m = data;

    vip_warn("vip: netlink events lost: re-reading links and VIPs");
    read_links(m);
    if (lease_ok(m)) {
        uint64_t now = vip_now_ms();
        uint64_t life = manager_lifetime_s(m->until_ms, now);
        if (add_all(m, (uint32_t)life) != 0) {
            lease_end(m, m->errmsg);
            return;
        }
        m->kernel_until_ms = now + life * 1000;
    }
}

/****** Fence ******/

static void fence_poll_cb(uv_poll_t *poll, int status, int events)
{
    struct manager *m = poll->data;
    (void)status;
    (void)events;

    if (fence_alive(m->fence)) {
        return; /* spurious */
    }
    uv_poll_stop(poll);
    m->is_fence_lost = true;
    vip_err("vip: the fence process %d is gone: no more holding",
            (int)m->fence->pid);
    if (m->is_holding) {
        lease_end(m, "no fence");
    }
    if (m->cbs.fence_lost != NULL) {
        m->cbs.fence_lost(m->cbs.data);
    }
}

int manager_set_fence(struct manager *m, struct fence *f)
{
    size_t n = 0;
    int rv;

    if (m->fence != NULL || m->is_closing || f->page == NULL) {
        return VIP_EINVAL;
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        n += m->instances[i].n_vips;
    }
    if (n > FENCE_MAX_ADDRS) {
        errmsg_printf(m->errmsg, "%zu VIPs: the fence takes at most %d", n,
                      FENCE_MAX_ADDRS);
        return VIP_ECONFIG;
    }
    rv = uv_poll_init(m->loop, &m->fence_poll, f->fd);
    if (rv != 0) {
        errmsg_printf(m->errmsg, "fence: %s", uv_strerror(rv));
        return VIP_EINVAL;
    }
    m->fence_poll.data = m;
    m->n_open_handles++;
    m->fence = f;
    rv = uv_poll_start(&m->fence_poll, UV_READABLE | UV_DISCONNECT,
                       fence_poll_cb);
    if (rv != 0) {
        errmsg_printf(m->errmsg, "fence: %s", uv_strerror(rv));
        return VIP_EINVAL;
    }
    return 0;
}

int manager_init(struct manager *m,
                 uv_loop_t *loop,
                 const struct vip_config *cfg,
                 const struct manager_callbacks *cbs)
{
    struct advert_params *params;
    struct nlmon_callbacks ncbs = {
        .data = m,
        .addr_deleted = addr_deleted_cb,
        .link_changed = link_changed_cb,
        .lost = lost_cb,
    };
    int rv;

    memset(m, 0, sizeof *m);
    m->loop = loop;
    m->cfg = cfg;
    m->cbs = *cbs;
    m->n_instances = cfg->n_instances;
    m->instances = calloc(cfg->n_instances + 1, sizeof *m->instances);
    params = calloc(cfg->n_instances + 1, sizeof *params);
    if (m->instances == NULL || params == NULL) {
        rv = VIP_ENOMEM;
        goto err;
    }
    /* Everything that can fail synchronously comes first, so that no
     * handle has to be closed on these error paths. */
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        in->m = m;
        in->index = i;
        in->cfg = &cfg->instances[i];
        rv = manager_instance_prepare(m, in, &params[i]);
        if (rv != 0) {
            goto err;
        }
    }
    rv = ifaddr_init(&m->ifaddr);
    if (rv != 0) {
        errmsg_printf(m->errmsg, "%s", m->ifaddr.errmsg);
        goto err;
    }
    rv = nlmon_init(&m->nlmon, loop, &ncbs);
    if (rv != 0) {
        errmsg_printf(m->errmsg, "%s", m->nlmon.errmsg);
        goto err_after_ifaddr;
    }
    m->n_open_handles = 1;
    /* Timer inits cannot fail (libuv 1.x returns 0). */
    uv_timer_init(loop, &m->lease_timer);
    m->lease_timer.data = m;
    m->n_open_handles++;
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        const struct cfg_instance *c = in->cfg;
        struct advert_callbacks acbs = {
            .data = in,
            .may_send = may_send_cb,
            .source = source_cb,
            .received = received_cb,
        };
        struct announce_callbacks ncb = {.data = in, .may_send = may_send_cb};
        struct announce_params ap;
        manager_announce_params(c, &ap);
        advert_init(&in->advert, loop, &params[i], &acbs);
        announce_init(&in->announce, loop, in->targets, in->n_vips, &ap, &ncb);
        m->n_open_handles += 2;
    }
    free(params);
    return 0;
err_after_ifaddr:
    ifaddr_close(&m->ifaddr);
err:
    free(params);
    manager_instances_free(m);
    return rv;
}

int manager_start(struct manager *m)
{
    size_t n_removed = 0;
    int rv;

    if (m->is_started || m->is_closing) {
        return VIP_EINVAL;
    }
    /* Resolve interface names now: they may appear after init. */
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        for (size_t k = 0; k < in->n_vips; k++) {
            int ifindex = (int)if_nametoindex(in->devs[k]);
            if (ifindex == 0) {
                errmsg_printf(m->errmsg, "instance %s: interface %s: %s",
                              in->cfg->name, in->devs[k], strerror(errno));
                return VIP_ENOENT;
            }
            in->vips[k].ifindex = ifindex;
            in->targets[k].ifindex = ifindex;
        }
    }
    /* Leftovers of a crashed vipd go first (docs/DESIGN.md 4.5). */
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        size_t n = 0;
        rv = ifaddr_flush(&m->ifaddr, in->vips, in->n_vips, &n);
        if (rv != 0) {
            errmsg_printf(m->errmsg, "remove leftover VIPs: %s",
                          m->ifaddr.errmsg);
            return rv;
        }
        n_removed += n;
    }
    if (n_removed > 0) {
        vip_warn("vip: removed %zu leftover VIPs", n_removed);
    }
    rv = nlmon_start(&m->nlmon);
    if (rv != 0) {
        errmsg_printf(m->errmsg, "netlink monitor: %s", uv_strerror(rv));
        return rv;
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        int ifindex = (int)if_nametoindex(in->cfg->interface);
        if (ifindex == 0) {
            errmsg_printf(m->errmsg, "instance %s: interface %s: %s",
                          in->cfg->name, in->cfg->interface, strerror(errno));
            return VIP_ENOENT;
        }
        rv = advert_open(&in->advert, m->loop, ifindex);
        if (rv == 0) {
            rv = announce_open(&in->announce);
            if (rv != 0) {
                errmsg_printf(m->errmsg, "instance %s: %s", in->cfg->name,
                              in->announce.errmsg);
                return rv;
            }
        } else {
            errmsg_printf(m->errmsg, "instance %s: %s", in->cfg->name,
                          in->advert.errmsg);
            return rv;
        }
    }
    m->is_started = true;
    read_links(m);
    return 0;
}

/****** For manager_reload.c ******/

void manager_drop(struct manager *m, const char *why)
{
    lease_end(m, why);
}

void manager_links_refresh(struct manager *m)
{
    read_links(m);
}

/****** Close ******/

static void closed_one(struct manager *m)
{
    if (--m->n_open_handles > 0) {
        return;
    }
    manager_instances_free(m);
    ifaddr_close(&m->ifaddr);
    if (m->close_cb != NULL) {
        m->close_cb(m);
    }
}

static void lease_timer_closed_cb(uv_handle_t *handle)
{
    closed_one(handle->data);
}

static void fence_poll_closed_cb(uv_handle_t *handle)
{
    closed_one(handle->data);
}

static void nlmon_closed_cb(struct nlmon *mon)
{
    closed_one(mon->cbs.data);
}

static void advert_closed_cb(struct advert *ad)
{
    struct manager_instance *in = ad->cbs.data;
    closed_one(in->m);
}

static void announce_closed_cb(struct announce *a)
{
    struct manager_instance *in = a->cbs.data;
    closed_one(in->m);
}

void manager_close(struct manager *m, manager_close_cb cb)
{
    int rv;

    if (m->is_closing) {
        return;
    }
    rv = manager_release(m);
    if (rv != 0) {
        vip_err("vip: close: %s", m->errmsg);
    }
    m->is_closing = true;
    m->close_cb = cb;
    for (size_t i = 0; i < m->n_instances; i++) {
        advert_close(&m->instances[i].advert, advert_closed_cb);
        announce_close(&m->instances[i].announce, announce_closed_cb);
    }
    uv_close((uv_handle_t *)&m->lease_timer, lease_timer_closed_cb);
    if (m->fence != NULL) {
        uv_close((uv_handle_t *)&m->fence_poll, fence_poll_closed_cb);
    }
    nlmon_close(&m->nlmon, nlmon_closed_cb);
}
