/* VIP manager reload (manager_reconfigure() in vip/manager.h): swap in the
 * tables of a new configuration without touching the VIPs that stay. */
#include "vip/manager_int.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vipd/clock.h"
#include "vipd/log.h"

static bool same_vip(const struct ifaddr_spec *a, const struct ifaddr_spec *b)
{
    return a->ifindex == b->ifindex && a->family == b->family &&
           a->prefix == b->prefix && memcmp(a->addr, b->addr, 16) == 0;
}

static bool in_list(const struct ifaddr_spec *s,
                    const struct ifaddr_spec *list,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (same_vip(s, &list[i])) {
            return true;
        }
    }
    return false;
}

/* Build the tables of every instance of @cfg into @fresh; nothing of @m
 * but its link list (grown, truncated again on error) changes. */
static int prepare_all(struct manager *m,
                       const struct vip_config *cfg,
                       struct manager_instance *fresh,
                       struct advert_params *params)
{
    const struct vip_config *old_cfg = m->cfg;
    int rv = 0;

    /* manager_instance_prepare() reads the global and cluster settings. */
    m->cfg = cfg;
    for (size_t i = 0; rv == 0 && i < m->n_instances; i++) {
        struct manager_instance *in = &fresh[i];
        const struct advert *ad = &m->instances[i].advert;
        in->m = m;
        in->index = i;
        in->cfg = &cfg->instances[i];
        rv = manager_instance_prepare(m, in, &params[i]);
        if (rv != 0) {
            break;
        }
        if (strcmp(in->cfg->interface, m->instances[i].cfg->interface) != 0 ||
            params[i].vrid != ad->params.vrid ||
            params[i].family != ad->params.family) {
            errmsg_printf(m->errmsg,
                          "instance %s: interface, virtual_router_id or "
                          "address family changed",
                          in->cfg->name);
            rv = VIP_EINVAL;
            break;
        }
        params[i].ifindex = ad->params.ifindex;
        for (size_t k = 0; k < in->n_vips; k++) {
            int ifindex = (int)if_nametoindex(in->devs[k]);
            if (ifindex == 0) {
                errmsg_printf(m->errmsg, "instance %s: interface %s: %s",
                              in->cfg->name, in->devs[k], strerror(errno));
                rv = VIP_ENOENT;
                break;
            }
            in->vips[k].ifindex = ifindex;
            in->targets[k].ifindex = ifindex;
        }
    }
    m->cfg = old_cfg;
    return rv;
}

/* Install @fresh's tables in instance @in; returns how many VIPs were
 * added to a held set (0 when not holding). */
static size_t commit_one(struct manager *m,
                         struct manager_instance *in,
                         struct manager_instance *fresh,
                         const struct advert_params *params,
                         int *add_err)
{
    struct manager_unit *un = &m->units[in->unit];
    struct announce_params ap;
    char ip[64];
    size_t n_added = 0;

    for (size_t k = 0; k < in->n_vips; k++) {
        if (in_list(&in->vips[k], fresh->vips, fresh->n_vips)) {
            continue;
        }
        ifaddr_str(in->vips[k].family, in->vips[k].addr, ip, sizeof ip);
        vip_notice("vip: reload: %s/%u dev %s leaves instance %s", ip,
                   in->vips[k].prefix, in->devs[k], in->cfg->name);
        if (un->is_holding && ifaddr_del(&m->ifaddr, &in->vips[k]) != 0) {
            vip_err("vip: reload: remove %s: %s", ip, m->ifaddr.errmsg);
        }
    }
    /* The VIPs that join: logged now, added only once the new tables are
     * installed and the fence's record covers them (vip/fence.h: the
     * record is written before anything is added). */
    bool *joins = calloc(fresh->n_vips + 1, sizeof *joins);
    for (size_t k = 0; k < fresh->n_vips; k++) {
        const struct ifaddr_spec *s = &fresh->vips[k];
        if (in_list(s, in->vips, in->n_vips)) {
            continue;
        }
        ifaddr_str(s->family, s->addr, ip, sizeof ip);
        vip_notice("vip: reload: %s/%u dev %s joins instance %s", ip,
                   s->prefix, fresh->devs[k], fresh->cfg->name);
        if (!un->is_holding) {
            size_t n = 0;
            /* Not ours to have: a leftover, like at start (DESIGN.md 4.5). */
            if (ifaddr_flush(&m->ifaddr, s, 1, &n) == 0 && n > 0) {
                vip_warn("vip: reload: removed leftover %s", ip);
            }
            continue;
        }
        if (joins == NULL) {
            *add_err = VIP_ENOMEM;
            errmsg_printf(m->errmsg, "out of memory");
        } else {
            joins[k] = true;
        }
        n_added++;
    }

    manager_instance_free_tables(in);
    in->cfg = fresh->cfg;
    in->vips = fresh->vips;
    in->devs = fresh->devs;
    in->n_vips = fresh->n_vips;
    in->adv_addrs = fresh->adv_addrs;
    in->peers = fresh->peers;
    in->targets = fresh->targets;
    in->known = fresh->known;
    in->n_known = fresh->n_known;
    memset(fresh, 0, sizeof *fresh);

    if (n_added > 0 && *add_err == 0) {
        *add_err = manager_fence_record(m, MANAGER_NONE, 0);
    }
    for (size_t k = 0; joins != NULL && k < in->n_vips; k++) {
        if (!joins[k] || *add_err != 0) {
            continue;
        }
        uint64_t now = vip_now_ms();
        uint64_t until = un->kernel_until_ms > now ? un->kernel_until_ms
                                                   : un->until_ms;
        uint64_t life = manager_lifetime_s(until, now);
        *add_err = ifaddr_add(&m->ifaddr, &in->vips[k],
                              life != 0 ? (uint32_t)life : 1);
        if (*add_err != 0) {
            ifaddr_str(in->vips[k].family, in->vips[k].addr, ip, sizeof ip);
            errmsg_printf(m->errmsg, "instance %s: add %s: %s", in->cfg->name,
                          ip,
                          *add_err == VIP_ENETLINK ? m->ifaddr.errmsg
                                                   : vip_strerror(*add_err));
        }
    }
    free(joins);

    if (advert_set_params(&in->advert, params) != 0) {
        /* prepare_all() checked family and VRID; keep the old adverts. */
        vip_err("vip: reload: instance %s: advert settings not applied",
                in->cfg->name);
    }
    manager_announce_params(in->cfg, &ap);
    announce_set_targets(&in->announce, in->targets, in->n_vips, &ap);
    if (announce_open(&in->announce) != 0) {
        vip_err("vip: reload: instance %s: %s", in->cfg->name,
                in->announce.errmsg);
    }
    return n_added;
}

int manager_reconfigure(struct manager *m, const struct vip_config *cfg)
{
    struct manager_instance *fresh;
    struct advert_params *params;
    size_t n_links = m->n_links;
    int add_err = 0;
    int rv;

    if (!m->is_started || m->is_closing) {
        return VIP_EINVAL;
    }
    if (cfg->n_instances != m->n_instances) {
        errmsg_printf(m->errmsg, "%zu instances instead of %zu",
                      cfg->n_instances, m->n_instances);
        return VIP_EINVAL;
    }
    /* Units are held apart: an instance may not change unit on the fly. */
    for (size_t i = 0; i < m->n_instances; i++) {
        const char *unit = vip_config_unit_of(cfg, i);
        const char *was = m->units[m->instances[i].unit].name;
        if (strcmp(unit, was) != 0) {
            errmsg_printf(m->errmsg,
                          "instance %s: unit %s where it was %s (sync "
                          "groups changed)",
                          cfg->instances[i].name, unit, was);
            return VIP_EINVAL;
        }
    }
    fresh = calloc(m->n_instances + 1, sizeof *fresh);
    params = calloc(m->n_instances + 1, sizeof *params);
    if (fresh == NULL || params == NULL) {
        free(fresh);
        free(params);
        errmsg_printf(m->errmsg, "out of memory");
        return VIP_ENOMEM;
    }
    rv = prepare_all(m, cfg, fresh, params);
    if (rv != 0) {
        for (size_t i = 0; i < m->n_instances; i++) {
            manager_instance_free_tables(&fresh[i]);
        }
        m->n_links = n_links; /* the links the new tables added */
        free(fresh);
        free(params);
        return rv;
    }
    m->cfg = cfg;
    for (size_t i = 0; i < m->n_instances; i++) {
        /* The same names (checked above), now pointing into @cfg. */
        m->units[m->instances[i].unit].name = vip_config_unit_of(cfg, i);
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        struct manager_instance *in = &m->instances[i];
        if (commit_one(m, in, &fresh[i], &params[i], &add_err) > 0 &&
            add_err == 0) {
            /* A fresh burst, so that the new VIPs are announced now; the
             * others' neighbours already point at us, repeating is
             * harmless. */
            announce_stop(&in->announce);
            announce_start(&in->announce);
        }
    }
    free(fresh);
    free(params);
    manager_links_refresh(m);
    if (add_err != 0) {
        char why[VIP_ERRMSG_SIZE];
        errmsg_printf(why, "reload: %s", m->errmsg);
        manager_drop(m, why); /* never half-configured: all go, re-added on
                                 the next renewal */
    }
    return 0;
}
