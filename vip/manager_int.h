/* Internal to vip/manager*.c: the per-instance state and the set-up that
 * turns a struct cfg_instance into address, announcement and advert
 * tables. */
#ifndef VIPD_VIP_MANAGER_INT_H
#define VIPD_VIP_MANAGER_INT_H

#include "vip/manager.h"

/* Unit selectors of the internal functions below: one unit's index, or
 * every unit, or (manager_fence_record()) none. */
#define MANAGER_ALL    SIZE_MAX
#define MANAGER_NONE   (SIZE_MAX - 1)
#define MANAGER_MARKED (SIZE_MAX - 2) /* the units with is_marked set */

/* One placement unit (include/vipd/config.h: a sync group, or an instance
 * in none): its instances' VIPs are held and released together, under a
 * lease of their own. */
struct manager_unit
{
    struct manager *m;
    size_t index;
    const char *name; /* vip_config_unit_of(), pointing into m->cfg */
    bool is_holding;
    uint64_t until_ms;        /* lease end while holding */
    uint64_t kernel_until_ms; /* when the kernel lifetimes run out */
    uint64_t fenced_until;    /* the deadline its VIPs are recorded with for
                                 the fence; 0: not recorded */
    uv_timer_t timer;         /* fires at until_ms */
    bool was_holding;         /* scratch: is_holding when a call began */
    bool is_marked;           /* scratch: selected by MANAGER_MARKED */
};

struct manager_instance
{
    struct manager *m;
    size_t index;
    size_t unit; /* index into m->units */
    const struct cfg_instance *cfg;
    struct ifaddr_spec *vips;  /* virtual_ipaddress, then _excluded */
    char (*devs)[IF_NAMESIZE]; /* interface of each VIP */
    size_t n_vips;
    uint8_t (*adv_addrs)[16]; /* the advertised ones */
    uint8_t (*peers)[16];
    struct announce_target *targets; /* one per VIP */
    struct advert advert;
    struct announce announce;
    struct cfg_ip *known; /* cluster members' addresses */
    size_t n_known;
    uint64_t n_peer;
    uint64_t n_foreign;
    int foreign_family;
    uint8_t foreign_src[16];
    uint8_t foreign_priority;
    uint64_t foreign_ms;
    uint64_t n_warned; /* auth / mismatch log lines, rate limited */
};

struct manager_link
{
    char name[IF_NAMESIZE];
    int state; /* -1 unknown, 0 down, 1 up */
};

/* Build @in's tables from @in->cfg and fill the advert parameters @p
 * (pointing into @in's tables); also registers the watched links in @m.
 * Returns 0, VIP_ENOMEM or VIP_ECONFIG (with @m->errmsg). Whatever was
 * allocated is released by manager_instances_free(), also on error. */
int manager_instance_prepare(struct manager *m,
                             struct manager_instance *in,
                             struct advert_params *p);

/* The GARP/NA schedule of instance @c (keepalived's garp_* settings). */
void manager_announce_params(const struct cfg_instance *c,
                             struct announce_params *ap);

/* Release the tables of one instance (not the instance itself). */
void manager_instance_free_tables(struct manager_instance *in);

/* manager.c, for manager_reload.c: end the lease now (remove every VIP,
 * stop, tell the owner through lease_expired), and report the state of
 * links that were added to the watch list. */
/* Seconds of kernel address lifetime for a lease until @until_ms, at
 * most 0xfffffffe (0xffffffff means forever). */
uint64_t manager_lifetime_s(uint64_t until_ms, uint64_t now);

/* Record for the fence (vip/fence.h) every VIP of every unit with its
 * unit's fenced_until (units at 0 left out), except that the units @sel
 * selects (an index, MANAGER_ALL or MANAGER_NONE) get @until_ms (0: left
 * out); before anything is added, after anything is removed. Returns 0 or
 * an error with @m->errmsg set (then add nothing; nothing changed). */
int manager_fence_record(struct manager *m, size_t sel, uint64_t until_ms);

/* End the lease of every unit that holds (remove, stop, lease_expired). */
void manager_drop(struct manager *m, const char *why);
void manager_links_refresh(struct manager *m);

/* Build @m->units from @m->cfg (vip_config_units(), config order) and
 * set each instance's unit. Returns 0 or VIP_ENOMEM. */
int manager_units_prepare(struct manager *m);

/* Whether unit number @unit holds its VIPs now. */
bool manager_unit_holds(const struct manager *m, size_t unit);

/* Release every instance table, the unit table and the link list of @m. */
void manager_instances_free(struct manager *m);

#endif /* VIPD_VIP_MANAGER_INT_H */
