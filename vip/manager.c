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

/****** Units ******/

static bool selects(const struct manager *m, size_t sel, size_t unit)
{
    return sel == MANAGER_ALL || sel == unit ||
           (sel == MANAGER_MARKED && m->units[unit].is_marked);
}

/* The name of the one unit @sel selects, for messages; "" for several. */
static const char *sel_name(const struct manager *m, size_t sel)
{
    size_t n = 0, last = 0;

    for (size_t u = 0; u < m->n_units && sel != MANAGER_ALL; u++) {
        if (selects(m, sel, u)) {
            n++;
            last = u;
        }
    }
    return n == 1 ? m->units[last].name : "";
}

/* Index of the unit named @name, or MANAGER_NONE. */
static size_t unit_find(const struct manager *m, const char *name)
{
    for (size_t u = 0; name != NULL && u < m->n_units; u++) {
        if (strcmp(m->units[u].name, name) == 0) {
            return u;
        }
    }
    return MANAGER_NONE;
}

bool manager_unit_holds(const struct manager *m, size_t unit)
{
    return m->units[unit].is_holding && vip_now_ms() < m->units[unit].until_ms;
}

/* Whether any unit @sel selects is holding (its lease may be over). */
static bool any_holding(const struct manager *m, size_t sel)
{
    for (size_t u = 0; u < m->n_units; u++) {
        if (selects(m, sel, u) && m->units[u].is_holding) {
            return true;
        }
    }
    return false;
}

/* Whether every unit @sel selects holds with a deadline after @now. */
static bool all_holding_until_after(const struct manager *m, size_t sel,
                                    uint64_t now)
{
    for (size_t u = 0; u < m->n_units; u++) {
        if (selects(m, sel, u) &&
            (!m->units[u].is_holding || m->units[u].until_ms <= now)) {
            return false;
        }
    }
    return true;
}

/****** Fence record ******/

/* Record for the fence (vip/fence.h) every VIP that may be configured,
 * each until its unit's deadline: called before adding and after
 * removing, so the record always covers what is on the interfaces.
 * Returns 0 or VIP_EINVAL / VIP_ERANGE (with @m->errmsg): nothing may be
 * added then. */
int manager_fence_record(struct manager *m, size_t sel, uint64_t until_ms)
{
    struct fence_set *set;

    if (m->fence != NULL) {
        set = fence_page_begin(m->fence->page);
        for (size_t i = 0; i < m->n_instances; i++) {
            struct manager_instance *in = &m->instances[i];
            uint64_t until = selects(m, sel, in->unit)
                                 ? until_ms
                                 : m->units[in->unit].fenced_until;
            for (size_t k = 0; until != 0 && k < in->n_vips; k++) {
                int rv = fence_set_add(set, &in->vips[k], until);
                if (rv != 0) {
                    errmsg_printf(m->errmsg, "fence: record VIP: %s",
                                  vip_strerror(rv));
                    return rv;
                }
            }
        }
        fence_commit(m->fence);
    }
    for (size_t u = 0; sel != MANAGER_NONE && u < m->n_units; u++) {
        if (selects(m, sel, u)) {
            m->units[u].fenced_until = until_ms;
        }
    }
    return 0;
}

/****** Addresses ******/

/* Remove every VIP of the units @sel selects; returns the first error. A
 * unit whose VIPs all went leaves the fence's record; one with a failure
 * keeps its deadline there, so the fence still removes them then. */
static int remove_units(struct manager *m, size_t sel)
{
    int first_err = 0;

    for (size_t u = 0; u < m->n_units; u++) {
        struct manager_unit *un = &m->units[u];
        bool all_gone = true;
        if (!selects(m, sel, u)) {
            continue;
        }
        for (size_t i = 0; i < m->n_instances; i++) {
            struct manager_instance *in = &m->instances[i];
            for (size_t k = 0; in->unit == u && k < in->n_vips; k++) {
                int rv = ifaddr_del(&m->ifaddr, &in->vips[k]);
                if (rv != 0) {
                    all_gone = false;
                    if (first_err == 0) {
                        first_err = rv;
                        errmsg_printf(m->errmsg, "%s", m->ifaddr.errmsg);
                    }
                }
            }
        }
        if (all_gone) {
            un->fenced_until = 0;
        }
    }
    /* Only addresses leave the record here: it cannot fail. */
    manager_fence_record(m, MANAGER_NONE, 0);
    return first_err;
}

/* Add or refresh the VIPs of the units @sel selects whose kernel lifetime
 * does not cover @until_ms (or all of them if @force), with lifetimes to
 * @until_ms; on any failure remove the selected units' VIPs (never
 * half-configured) and return the error. */
static int add_units(struct manager *m,
                     size_t sel,
                     uint64_t until_ms,
                     uint64_t now,
                     bool force)
{
    uint64_t life = manager_lifetime_s(until_ms, now);

    for (size_t u = 0; u < m->n_units; u++) {
        struct manager_unit *un = &m->units[u];
        bool lapsed = un->is_holding && now >= un->until_ms;
        /* Refresh the kernel lifetimes only when they would not cover the
         * new deadline: a lease renewed every few hundred ms costs one
         * netlink round per second per VIP, not one per renewal. A unit
         * not held yet, or whose lease ran out before this renewal (a
         * stalled loop: the fence may have removed its VIPs), is added
         * again. */
        if (!selects(m, sel, u) || (!force && un->is_holding && !lapsed &&
                                    until_ms <= un->kernel_until_ms)) {
            continue;
        }
        for (size_t i = 0; i < m->n_instances; i++) {
            struct manager_instance *in = &m->instances[i];
            for (size_t k = 0; in->unit == u && k < in->n_vips; k++) {
                int rv = ifaddr_add(&m->ifaddr, &in->vips[k], (uint32_t)life);
                if (rv != 0) {
                    char msg[VIP_ERRMSG_SIZE];
                    errmsg_printf(msg, "%s",
                                  rv == VIP_ENETLINK ? m->ifaddr.errmsg
                                                     : vip_strerror(rv));
                    int rrv = remove_units(m, sel);
                    errmsg_printf(m->errmsg, "instance %s: %s%s", in->cfg->name,
                                  msg,
                                  rrv == 0 ? "; all VIPs removed"
                                           : "; removing the others failed "
                                             "too");
                    return rv;
                }
            }
        }
        un->kernel_until_ms = now + life * 1000;
    }
    return 0;
}

/****** Lease ******/

#define FOREIGN_LOG_BURST 5

/* Stop the adverts, announcements and lease timers of the units @sel
 * selects, and mark them not holding. */
static void stop_units(struct manager *m, size_t sel)
{
    for (size_t u = 0; u < m->n_units; u++) {
        if (selects(m, sel, u)) {
            m->units[u].is_holding = false;
            uv_timer_stop(&m->units[u].timer);
        }
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        if (selects(m, sel, m->instances[i].unit)) {
            advert_stop(&m->instances[i].advert);
            announce_stop(&m->instances[i].announce);
        }
    }
}

/* Drop the units @sel selects because their lease is over (or cannot be
 * kept); all of them while they are held as one (manager_hold()). */
static void lease_end(struct manager *m, size_t sel, const char *why)
{
    int rv;

    if (m->is_all) {
        sel = MANAGER_ALL;
    }
    stop_units(m, sel);
    rv = remove_units(m, sel);
    if (rv != 0) {
        vip_err("vip: %s%s%s; removing the VIPs failed: %s", sel_name(m, sel),
                *sel_name(m, sel) ? ": " : "", why, m->errmsg);
    } else {
        vip_warn("vip: %s%s%s: VIPs removed", sel_name(m, sel),
                 *sel_name(m, sel) ? ": " : "", why);
    }
    if (m->cbs.lease_expired != NULL) {
        m->cbs.lease_expired(m->cbs.data);
    }
}

/* End the lease of every unit whose lease is over now: one message, one
 * lease_expired for units whose deadlines fell together. */
static void lease_end_over(struct manager *m)
{
    uint64_t now = vip_now_ms();

    for (size_t u = 0; u < m->n_units; u++) {
        struct manager_unit *un = &m->units[u];
        un->is_marked = un->is_holding && now >= un->until_ms;
    }
    lease_end(m, MANAGER_MARKED, "lease over");
}

/* Whether unit @u may still act as holder; ends its lease if it is over.
 * Read before every refresh, advert, announcement and re-add. */
static bool lease_ok(struct manager *m, size_t u)
{
    if (!m->units[u].is_holding) {
        return false;
    }
    if (vip_now_ms() >= m->units[u].until_ms) {
        lease_end_over(m);
        return false;
    }
    return true;
}

static void lease_timer_cb(uv_timer_t *timer)
{
    struct manager_unit *un = timer->data;
    uint64_t now = vip_now_ms();

    if (!un->is_holding) {
        return;
    }
    if (now < un->until_ms) {
        /* libuv's clock is coarser than CLOCK_MONOTONIC: early by a tick. */
        uv_timer_start(&un->timer, lease_timer_cb, un->until_ms - now, 0);
        return;
    }
    lease_end_over(un->m);
}

static bool may_send_cb(void *data)
{
    struct manager_instance *in = data;
    return lease_ok(in->m, in->unit);
}

/****** Hold / release ******/

/* Stop and remove the units @sel selects that were holding (a hold that
 * cannot go on). */
static void drop_held(struct manager *m, size_t sel, bool was_holding)
{
    if (was_holding) {
        stop_units(m, sel);
        remove_units(m, sel);
    }
}

/* Hold the units @sel selects until @until_ms (manager.h). */
static int hold_units(struct manager *m, size_t sel, uint64_t until_ms)
{
    uint64_t now = vip_now_ms();
    bool was_holding = any_holding(m, sel);
    int rv;

    if (!m->is_started || m->is_closing) {
        return VIP_EINVAL;
    }
    /* A renewal relies on fence_poll_cb() to learn of the fence's death
     * (it ends the hold within the loop turn); only a hold that adds
     * addresses (a unit not holding, or whose deadline passed) asks the
     * fence itself (one poll() syscall). */
    if (m->fence != NULL &&
        (m->is_fence_lost ||
         (!all_holding_until_after(m, sel, now) && !fence_alive(m->fence)))) {
        drop_held(m, sel, was_holding);
        errmsg_printf(m->errmsg, "the fence process is gone: not holding");
        return VIP_ENOENT;
    }
    if (until_ms <= now) {
        if (was_holding) {
            drop_held(m, sel, true);
            vip_warn("vip: hold until a past time: VIPs removed");
        }
        return VIP_ETIMEDOUT;
    }
    /* The fence learns the new deadline (and the addresses) before any of
     * them is added or refreshed. */
    rv = manager_fence_record(m, sel, until_ms);
    if (rv != 0) {
        drop_held(m, sel, was_holding);
        return rv;
    }
    rv = add_units(m, sel, until_ms, now, false);
    if (rv != 0) {
        stop_units(m, sel);
        return rv;
    }
    /* Re-read the clock: adding many VIPs takes tens of milliseconds, and
     * the timers must fire at until_ms, not that much later. */
    uv_update_time(m->loop);
    now = vip_now_ms();
    size_t n_new = 0;
    uint64_t kernel_until = 0;
    for (size_t u = 0; u < m->n_units; u++) {
        struct manager_unit *un = &m->units[u];
        un->was_holding = un->is_holding;
        if (!selects(m, sel, u)) {
            continue;
        }
        un->until_ms = until_ms;
        un->is_holding = true;
        uv_timer_start(&un->timer, lease_timer_cb,
                       until_ms > now ? until_ms - now : 0, 0);
        if (!un->was_holding && un->kernel_until_ms > kernel_until) {
            kernel_until = un->kernel_until_ms;
        }
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        if (selects(m, sel, in->unit) && !m->units[in->unit].was_holding) {
            n_new += in->n_vips;
        }
    }
    if (!was_holding) {
        vip_info(
            "vip: %s%sholding %zu VIPs until +%llu ms, kernel lifetime "
            "until +%llu ms",
            sel_name(m, sel), *sel_name(m, sel) ? ": " : "", n_new,
            (unsigned long long)(until_ms > now ? until_ms - now : 0),
            (unsigned long long)(kernel_until > now ? kernel_until - now : 0));
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        if (selects(m, sel, in->unit) && !m->units[in->unit].was_holding) {
            advert_start(&in->advert);
            announce_start(&in->announce);
        }
    }
    return 0;
}

int manager_hold(struct manager *m, uint64_t until_ms)
{
    m->is_all = true;
    return hold_units(m, MANAGER_ALL, until_ms);
}

int manager_hold_unit(struct manager *m, const char *unit, uint64_t until_ms)
{
    size_t u = unit_find(m, unit);

    if (u == MANAGER_NONE) {
        errmsg_printf(m->errmsg, "no unit '%s'", unit != NULL ? unit : "");
        return VIP_EINVAL;
    }
    m->is_all = false;
    return hold_units(m, u, until_ms);
}

/* Release the units @sel selects: remove their VIPs (also when not
 * holding: leftovers), stop their adverts. */
static int release_units(struct manager *m, size_t sel)
{
    bool was_holding = any_holding(m, sel);
    int rv;

    if (!m->is_started) {
        return 0;
    }
    stop_units(m, sel);
    rv = remove_units(m, sel);
    if (was_holding) {
        vip_info("vip: %s%sreleased", sel_name(m, sel),
                 *sel_name(m, sel) ? ": " : "");
    }
    return rv;
}

int manager_release(struct manager *m)
{
    return release_units(m, MANAGER_ALL);
}

int manager_release_unit(struct manager *m, const char *unit)
{
    size_t u = unit_find(m, unit);

    if (u == MANAGER_NONE) {
        errmsg_printf(m->errmsg, "no unit '%s'", unit != NULL ? unit : "");
        return VIP_EINVAL;
    }
    m->is_all = false;
    return release_units(m, u);
}

int manager_release_final(struct manager *m)
{
    int rv;

    for (size_t u = 0; u < m->n_units; u++) {
        m->units[u].was_holding = m->units[u].is_holding;
    }
    rv = manager_release(m);
    for (size_t i = 0; i < m->n_instances; i++) {
        struct advert *ad = &m->instances[i].advert;
        if (!m->units[m->instances[i].unit].was_holding) {
            continue;
        }
        /* RFC 3768 6.4.3: priority 0 lets a backup take over after its
         * skew time instead of three intervals. */
        if (advert_send(ad, 0) != 0) {
            vip_warn("vip: priority-0 advert: %s", ad->errmsg);
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
    for (size_t u = 0; u < m->n_units; u++) {
        if (!manager_unit_holds(m, u)) {
            return false;
        }
    }
    return m->n_units > 0;
}

bool manager_holds_unit(const struct manager *m, const char *unit)
{
    size_t u = unit_find(m, unit);
    return u != MANAGER_NONE && manager_unit_holds(m, u);
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

    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        struct manager_unit *un = &m->units[in->unit];
        if (!un->is_holding) {
            continue;
        }
        for (size_t k = 0; k < in->n_vips; k++) {
            struct ifaddr_spec *s = &in->vips[k];
            char ip[INET6_ADDRSTRLEN];
            uint64_t now;
            int rv;

            if (s->ifindex != ifindex || s->family != family ||
                memcmp(s->addr, addr, family_len(family)) != 0) {
                continue;
            }
            if (!lease_ok(m, in->unit)) {
                return;
            }
            /* The event may be an old one of our own (a release followed
             * by a new hold): only a VIP that is really gone is news. */
            if (ifaddr_present(&m->ifaddr, s) == 1) {
                return;
            }
            now = vip_now_ms();
            rv = ifaddr_add(&m->ifaddr, s,
                            (uint32_t)manager_lifetime_s(un->until_ms, now));
            ifaddr_str(family, addr, ip, sizeof ip);
            if (rv != 0) {
                vip_err(
                    "vip: %s/%u dev %s removed by someone else, re-adding "
                    "failed: %s",
                    ip, s->prefix, in->devs[k],
                    rv == VIP_ENETLINK ? m->ifaddr.errmsg : vip_strerror(rv));
                lease_end(m, in->unit, "a VIP could not be restored");
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
    for (size_t u = 0; u < m->n_units; u++) {
        if (lease_ok(m, u) &&
            add_units(m, u, m->units[u].until_ms, vip_now_ms(), true) != 0) {
            char why[VIP_ERRMSG_SIZE];
            errmsg_printf(why, "%s", m->errmsg);
            lease_end(m, u, why);
        }
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
    if (any_holding(m, MANAGER_ALL)) {
        lease_end(m, MANAGER_ALL, "no fence");
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
    rv = manager_units_prepare(m);
    if (rv != 0) {
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
    for (size_t u = 0; u < m->n_units; u++) {
        uv_timer_init(loop, &m->units[u].timer);
        m->units[u].timer.data = &m->units[u];
        m->n_open_handles++;
    }
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
    lease_end(m, MANAGER_ALL, why);
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
    struct manager_unit *un = handle->data;
    closed_one(un->m);
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
    for (size_t u = 0; u < m->n_units; u++) {
        uv_close((uv_handle_t *)&m->units[u].timer, lease_timer_closed_cb);
    }
    if (m->fence != NULL) {
        uv_close((uv_handle_t *)&m->fence_poll, fence_poll_closed_cb);
    }
    nlmon_close(&m->nlmon, nlmon_closed_cb);
}
