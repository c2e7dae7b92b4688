/* VIP manager set-up: configuration to per-instance tables. */
#include "vip/manager_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t family_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

static int add_link(struct manager *m, const char *name)
{
    for (size_t i = 0; i < m->n_links; i++) {
        if (strcmp(m->links[i].name, name) == 0) {
            return 0;
        }
    }
    struct manager_link *l =
        realloc(m->links, (m->n_links + 1) * sizeof *m->links);
    if (l == NULL) {
        return VIP_ENOMEM;
    }
    m->links = l;
    memset(&l[m->n_links], 0, sizeof *l);
    snprintf(l[m->n_links].name, IF_NAMESIZE, "%s", name);
    l[m->n_links].state = -1;
    m->n_links++;
    return 0;
}

int manager_units_prepare(struct manager *m)
{
    size_t n = vip_config_units(m->cfg, NULL, 0);
    const char **names = calloc(n + 1, sizeof *names);

    m->units = calloc(n + 1, sizeof *m->units);
    if (names == NULL || m->units == NULL) {
        free(names);
        return VIP_ENOMEM;
    }
    vip_config_units(m->cfg, names, n);
    m->n_units = n;
    for (size_t u = 0; u < n; u++) {
        m->units[u].m = m;
        m->units[u].index = u;
        m->units[u].name = names[u];
    }
    for (size_t i = 0; i < m->n_instances; i++) {
        const char *name = vip_config_unit_of(m->cfg, i);
        for (size_t u = 0; u < n; u++) {
            if (strcmp(m->units[u].name, name) == 0) {
                m->instances[i].unit = u;
            }
        }
    }
    free(names);
    return 0;
}

void manager_instance_free_tables(struct manager_instance *in)
{
    free(in->vips);
    free(in->devs);
    free(in->adv_addrs);
    free(in->peers);
    free(in->targets);
    free(in->known);
    in->vips = NULL;
    in->devs = NULL;
    in->adv_addrs = NULL;
    in->peers = NULL;
    in->targets = NULL;
    in->known = NULL;
    in->n_vips = 0;
    in->n_known = 0;
}

void manager_instances_free(struct manager *m)
{
    for (size_t i = 0; i < m->n_instances && m->instances != NULL; i++) {
        manager_instance_free_tables(&m->instances[i]);
    }
    free(m->instances);
    m->instances = NULL;
    free(m->units);
    m->units = NULL;
    free(m->links);
    m->links = NULL;
}

static void spec_from_cfg(struct ifaddr_spec *s, const struct cfg_vip *v)
{
    memset(s, 0, sizeof *s);
    s->family = v->addr.family;
    memcpy(s->addr, v->addr.bytes, family_len(v->addr.family));
    s->prefix = v->prefix;
    if (v->brd.family == AF_INET && v->addr.family == AF_INET) {
        s->has_brd = true;
        memcpy(s->brd, v->brd.bytes, 4);
    }
    snprintf(s->label, sizeof s->label, "%s", v->label);
    s->scope = v->scope;
}

/* The addresses of the other cluster members, as far as the configuration
 * names them as literals: the instance's unicast_peer list and the cluster
 * block's `peer` hosts. */
static int known_prepare(struct manager *m, struct manager_instance *in)
{
    const struct cfg_instance *c = in->cfg;
    const struct cfg_cluster *cl = &m->cfg->cluster;
    size_t n = c->n_unicast_peers + cl->n_peers;

    in->known = calloc(n + 1, sizeof *in->known);
    if (in->known == NULL) {
        return VIP_ENOMEM;
    }
    for (size_t k = 0; k < c->n_unicast_peers; k++) {
        in->known[in->n_known++] = c->unicast_peers[k];
    }
    for (size_t k = 0; k < cl->n_peers && k < CFG_MAX_PEERS; k++) {
        struct cfg_ip ip;
        memset(&ip, 0, sizeof ip);
        if (inet_pton(AF_INET, cl->peers[k].host, ip.bytes) == 1) {
            ip.family = AF_INET;
        } else if (inet_pton(AF_INET6, cl->peers[k].host, ip.bytes) == 1) {
            ip.family = AF_INET6;
        } else {
            continue; /* a host name: not resolved here */
        }
        in->known[in->n_known++] = ip;
    }
    return 0;
}

/* Build the per-instance tables and the advert parameters of @in. */
int manager_instance_prepare(struct manager *m,
                             struct manager_instance *in,
                             struct advert_params *p)
{
    const struct cfg_instance *c = in->cfg;
    size_t n = c->n_vips + c->n_vips_excluded;
    size_t n_adv = 0, n_peers = 0;
    int family;

    /* +1: calloc(0) may return NULL; an instance may have no VIP (it is
     * then silent: with no address to advertise, it sends no advert). */
    in->vips = calloc(n + 1, sizeof *in->vips);
    in->devs = calloc(n + 1, sizeof *in->devs);
    in->adv_addrs = calloc(c->n_vips + 1, sizeof *in->adv_addrs);
    in->targets = calloc(n + 1, sizeof *in->targets);
    in->peers = calloc(c->n_unicast_peers + 1, sizeof *in->peers);
    if (in->vips == NULL || in->devs == NULL || in->adv_addrs == NULL ||
        in->targets == NULL || in->peers == NULL) {
        return VIP_ENOMEM;
    }
    in->n_vips = n;
    /* The config's family (that of the first VIP, keepalived's rule). */
    family = c->family != 0  ? c->family
             : c->n_vips > 0 ? c->vips[0].addr.family
                             : AF_INET;
    for (size_t k = 0; k < n; k++) {
        const struct cfg_vip *v =
            k < c->n_vips ? &c->vips[k] : &c->vips_excluded[k - c->n_vips];
        if (v->addr.family != AF_INET && v->addr.family != AF_INET6) {
            errmsg_printf(m->errmsg, "instance %s: VIP without address",
                          c->name);
            return VIP_ECONFIG;
        }
        spec_from_cfg(&in->vips[k], v);
        snprintf(in->devs[k], IF_NAMESIZE, "%s",
                 v->dev[0] != '\0' ? v->dev : c->interface);
        in->targets[k].family = v->addr.family;
        memcpy(in->targets[k].addr, v->addr.bytes, 16);
        /* The advert carries the VIPs of the instance's family; the
         * excluded ones and the other family are configured only. */
        if (k < c->n_vips && v->addr.family == family) {
            memcpy(in->adv_addrs[n_adv++], v->addr.bytes, 16);
        }
        if (add_link(m, in->devs[k]) != 0) {
            return VIP_ENOMEM;
        }
    }
    memset(p, 0, sizeof *p);
    p->family = family;
    p->version = c->version != 0 ? c->version
                 : m->cfg->global.vrrp_version != 0
                     ? m->cfg->global.vrrp_version
                     : 2;
    if (p->version == 2 && p->family == AF_INET6) {
        errmsg_printf(m->errmsg, "instance %s: IPv6 VIPs need vrrp_version 3",
                      c->name);
        return VIP_ECONFIG;
    }
    p->vrid = c->vrid;
    p->priority = c->priority != 0 ? c->priority : 100;
    p->interval_ms = c->advert_int_ms != 0 ? c->advert_int_ms : 1000;
    if (p->version == 2 && c->auth_type == CFG_AUTH_PASS) {
        p->auth_type = VRRP_AUTH_PASS;
        /* RFC 2338 5.3.10: the password, zero-padded to 8 bytes. */
        memcpy(p->auth_data, c->auth_pass, strnlen(c->auth_pass, 8));
    } else if (p->version == 2 && c->auth_type == CFG_AUTH_AH) {
        errmsg_printf(m->errmsg, "instance %s: auth_type AH not supported",
                      c->name);
        return VIP_ECONFIG;
    }
    p->n_addrs = n_adv;
    p->addrs = (const uint8_t(*)[16])in->adv_addrs;
    for (size_t k = 0; k < c->n_unicast_peers; k++) {
        if (c->unicast_peers[k].family == p->family) {
            memcpy(in->peers[n_peers++], c->unicast_peers[k].bytes, 16);
        }
    }
    p->n_peers = n_peers;
    p->peers = (const uint8_t(*)[16])in->peers;
    if (n_peers > 0 && c->unicast_src_ip.family == p->family) {
        p->has_src = true;
        memcpy(p->src, c->unicast_src_ip.bytes, 16);
    } else if (c->mcast_src_ip.family == p->family) {
        p->has_src = true;
        memcpy(p->src, c->mcast_src_ip.bytes, 16);
    }
    if (c->mcast_dst_ip.family == p->family) {
        p->has_group = true;
        memcpy(p->group, c->mcast_dst_ip.bytes, 16);
    }
    if (advert_params_check(p) != 0) {
        errmsg_printf(m->errmsg,
                      "instance %s: cannot advertise (VRRPv%u, advert_int "
                      "%u ms, %zu addresses)",
                      c->name, p->version, p->interval_ms, p->n_addrs);
        return VIP_ECONFIG;
    }
    if (add_link(m, c->interface) != 0) {
        return VIP_ENOMEM;
    }
    for (size_t k = 0; k < c->n_track_interfaces; k++) {
        if (add_link(m, c->track_interfaces[k].name) != 0) {
            return VIP_ENOMEM;
        }
    }
    return known_prepare(m, in);
}

void manager_announce_params(const struct cfg_instance *c,
                             struct announce_params *ap)
{
    memset(ap, 0, sizeof *ap);
    ap->delay_ms = c->garp_master_delay_ms;
    ap->repeat = c->garp_master_repeat;
    ap->refresh_ms = c->garp_master_refresh_ms;
    ap->refresh_repeat =
        c->garp_master_refresh_repeat != 0 ? c->garp_master_refresh_repeat : 1;
    ap->interval_ms = c->garp_interval_ms > c->gna_interval_ms
                          ? c->garp_interval_ms
                          : c->gna_interval_ms;
}
