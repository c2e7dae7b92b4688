/* The host network side of vipd: holds the VIPs of every vrrp_instance of a
 * configuration for as long as it is told to, and no longer.
 *
 *   manager_hold(m, until_ms)   add/refresh every VIP with a kernel lifetime
 *                               covering until_ms, advert every advert_int,
 *                               GARP/NA on taking them;
 *   manager_release(m)          remove now, stop adverts;
 *   manager_release_final(m)    the same, then one priority-0 advert per
 *                               instance (clean cluster stop: a keepalived
 *                               backup takes over after its skew time).
 *
 * Units: the VIPs are held per placement unit (include/vipd/config.h: a
 * vrrp_sync_group, or a vrrp_instance in no sync group), each under a lease
 * of its own: manager_hold_unit(m, unit, until_ms), manager_release_unit()
 * and manager_holds_unit() act on one unit, its instances' VIPs, adverts
 * and GARP/NA only; manager_hold(), manager_release() and manager_holds()
 * act on every unit at once (one holder for everything: then the units
 * are one lease, and a unit that cannot be kept drops them all, as before
 * units existed). Each unit's deadline is enforced by its own timer and,
 * through the fence, for its own addresses.
 *
 * Safety (docs/DESIGN.md 4): the manager enforces until_ms by itself with a
 * timer, and reads vip_now_ms() before every refresh, advert, GARP and
 * re-add, so a process resumed after SIGSTOP drops the VIPs before it
 * sends anything. With a fence (manager_set_fence(), vip/fence.h) every
 * deadline and address is recorded for a separate process before it takes
 * effect, which removes the VIPs at the deadline or when this process dies,
 * even while this loop is stopped or blocked. The kernel lifetime (whole
 * seconds, rounded up) is the last line. No VIP is left half-configured:
 * if adding one fails, all are removed and the error returned.
 *
 * Everything runs in one libuv loop and never blocks on the network;
 * rtnetlink requests are answered by the kernel within the syscall.
 * Received VRRP adverts are validated and observed only (a foreign master
 * is logged and counted, a cluster member's adverts counted apart); they
 * never move a VIP. */
#ifndef VIPD_VIP_MANAGER_H
#define VIPD_VIP_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "vip/advert.h"
#include "vip/announce.h"
#include "vip/ifaddr.h"
#include "vip/nlmon.h"
#include "vipd/config.h"
#include "vipd/error.h"

struct manager;

struct manager_callbacks
{
    void *data;
    /* A watched interface (an instance's `interface`, a VIP's `dev`, a
     * `track_interface`) went up or down; up = IFF_UP and carrier. Called
     * once per watched interface from manager_start() with its state then,
     * and on every change after. May be NULL. */
    void (*link_changed)(void *data, const char *ifname, bool is_up);
    /* The manager dropped VIPs on its own: a unit's until_ms passed
     * without a new hold, or a VIP removed by someone else could not be
     * restored (its unit is dropped), or the fence died. Which units still
     * hold: manager_holds_unit(). Not called for a release. May be NULL. */
    void (*lease_expired)(void *data);
    /* The fence process is gone (manager_set_fence()): the VIPs were
     * removed and every later manager_hold() fails. May be NULL. */
    void (*fence_lost)(void *data);
};

/* Counters of one instance, for status and tests. */
struct manager_stats
{
    struct advert_stats advert;
    uint64_t n_garp;
    uint64_t n_na;
    uint64_t n_announce_errors;
    uint64_t n_peer;    /* valid adverts of our VRID from a cluster member
                           (a unicast_peer or a cluster `peer` address):
                           another vipd holding, expected in a failover */
    uint64_t n_foreign; /* valid adverts of our VRID from anyone else
                           (e.g. a keepalived master) */
    int foreign_family; /* of the last one; 0 if none yet */
    uint8_t foreign_src[16];
    uint8_t foreign_priority;
    uint64_t foreign_ms; /* vip_now_ms() when last seen */
};

typedef void (*manager_close_cb)(struct manager *m);

struct manager_instance;
struct manager_unit;
struct manager_link;
struct fence;

struct manager
{
    uv_loop_t *loop;
    const struct vip_config *cfg;
    struct manager_callbacks cbs;
    struct ifaddr_ctl ifaddr;
    struct nlmon nlmon;
    struct manager_instance *instances; /* cfg->n_instances */
    size_t n_instances;
    struct manager_unit *units; /* vip_config_units(cfg), config order */
    size_t n_units;
    struct manager_link *links; /* watched interfaces */
    size_t n_links;
    bool is_started;
    bool is_closing;
    bool is_all; /* held as one (manager_hold()): a unit that cannot be
                    kept drops them all, as the one lease it is */
    uint64_t n_readded;       /* VIPs restored after foreign removal */
    struct fence *fence;      /* NULL: none (tools, tests) */
    uv_poll_t fence_poll;     /* our end of the fence's socket pair */
    bool is_fence_lost;
    int n_open_handles;
    manager_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Prepare @m for every instance of @cfg (which must outlive @m) in @loop.
 * Opens no socket yet. Returns 0, VIP_ENOMEM, VIP_ECONFIG (an instance
 * that cannot be advertised, e.g. VRRPv2 with IPv6 VIPs or no VIP, with
 * @m->errmsg) or a netlink error. On success manager_close() is required. */
int manager_init(struct manager *m,
                 uv_loop_t *loop,
                 const struct vip_config *cfg,
                 const struct manager_callbacks *cbs);

/* Resolve the interfaces, remove leftover VIPs found on them (a crash
 * leftover), start the netlink monitor and VRRP receive, and report the
 * watched links. Call once. Returns 0 or an error with @m->errmsg
 * (VIP_ENOENT: an interface does not exist; VIP_EINVAL: called twice).
 * After an error, manager_close() is still required. */
int manager_start(struct manager *m);

/* Enforce every hold also through the fence process @f (started with
 * fence_start(), outliving @m): from now on each deadline and address is
 * recorded in @f before it takes effect, and a dead fence removes the VIPs,
 * refuses every later hold and calls fence_lost. Call after
 * manager_init(), before the first hold. Returns 0, VIP_EINVAL (called
 * twice, closing) or VIP_ECONFIG (more VIPs than FENCE_MAX_ADDRS, with
 * @m->errmsg). */
int manager_set_fence(struct manager *m, struct fence *f);

/* Hold every VIP until @until_ms (vip_now_ms() time base): add them, or
 * refresh their lifetimes, to ceil((until_ms - now) / 1000) s; start
 * adverts and announcements if not holding yet. Returns 0;
 * VIP_ETIMEDOUT if @until_ms is not in the future (the VIPs are then
 * dropped); VIP_ENOENT if the fence is gone; or an add error, after which
 * no VIP is configured. */
int manager_hold(struct manager *m, uint64_t until_ms);

/* Remove every VIP now and stop adverts. Idempotent. Returns 0 or the
 * first removal error (every VIP is still attempted). */
int manager_release(struct manager *m);

/* manager_hold() for the unit named @unit alone (its instances' VIPs,
 * adverts and GARP/NA; notify is the caller's, per instance and per sync
 * group): the other units are not touched. The same results, plus
 * VIP_EINVAL (with @m->errmsg) for an unknown unit; an add error removes
 * this unit's VIPs only. */
int manager_hold_unit(struct manager *m, const char *unit, uint64_t until_ms);

/* manager_release() for the unit named @unit alone. Returns 0, VIP_EINVAL
 * for an unknown unit, or the first removal error. */
int manager_release_unit(struct manager *m, const char *unit);

/* manager_release(), then one advert with priority 0 per instance if the
 * VIPs were held. */
int manager_release_final(struct manager *m);

/* Set the advertised priority of instance @instance_index (config order).
 * Returns 0 or VIP_EINVAL. */
int manager_set_priority(struct manager *m,
                         size_t instance_index,
                         uint8_t priority);

/* Reload (vip/manager_reload.c): use @cfg from now on. It must have the
 * same instances in the same order, each on the same interface with the
 * same VRID and family (else VIP_EINVAL, nothing changed). While holding,
 * VIPs that left the lists are removed and new ones added and announced;
 * the others stay configured, untouched (no outage, no GARP storm). When
 * not holding, new VIPs found on the host are removed (leftovers).
 * Adverts and GARP/NA follow the new settings at once. Returns 0, or an
 * error with @m->errmsg and nothing changed (a new VIP's interface is
 * missing, out of memory); if adding a new VIP fails while holding, every
 * VIP is dropped as manager_hold() does and lease_expired is called (the
 * new configuration is in place then, and 0 returned).
 * @cfg must outlive @m or the next call. */
int manager_reconfigure(struct manager *m, const struct vip_config *cfg);

/* Whether every unit's VIPs are held right now (false once a unit's
 * until_ms has passed, even before its timer fired; false with no unit). */
bool manager_holds(const struct manager *m);

/* Whether the unit named @unit is held right now (false if unknown). */
bool manager_holds_unit(const struct manager *m, const char *unit);

/* Counters of instance @instance_index. Returns 0 or VIP_EINVAL. */
int manager_stats(const struct manager *m,
                  size_t instance_index,
                  struct manager_stats *out);

/* Release, stop everything and close the handles; @cb (may be NULL) fires
 * when all are closed, after which @m's memory may be released. */
void manager_close(struct manager *m, manager_close_cb cb);

#endif /* VIPD_VIP_MANAGER_H */
