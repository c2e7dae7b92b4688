/* Cross-object validation, run once the whole file is parsed: inherited
 * defaults, the instance rules keepalived enforces (VRID unique per
 * interface and family, tracked objects exist, address families agree,
 * advert_int per VRRP version), sync groups, and the cluster block
 * (timing, peers derived from unicast_peer). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "src/config_int.h"
#include "vipd/error.h"

/* @w if that keyword was given, else the instance's own line. */
static const struct cfg_where *at(const struct cfg_instance *in,
                                  const struct cfg_where *w)
{
    return w->line != 0 ? w : &in->where;
}

static void inherit(uint32_t *value, uint32_t global)
{
    if (*value == CFG_UNSET) {
        *value = global;
    }
}

/* advert_int: RFC 3768 5.3.7 (v2) carries whole seconds in 8 bits; RFC 5798
 * 5.2.7 (v3) carries centiseconds in 12 bits. */
static void check_advert(struct cfgp *p, struct cfg_instance *in)
{
    if (in->version == 2 && in->advert_int_ms % 1000 != 0) {
        cfgp_error(p, at(in, &in->advert_int_where),
                   "vrrp_instance '%s': VRRPv2 advert_int must be whole "
                   "seconds, not %u.%03u (use version 3 for fractions)",
                   in->name, in->advert_int_ms / 1000,
                   in->advert_int_ms % 1000);
    }
    if (in->version == 3) {
        if (in->advert_int_ms > 40950) {
            cfgp_error(p, at(in, &in->advert_int_where),
                       "vrrp_instance '%s': VRRPv3 advert_int is at most "
                       "40.95 s",
                       in->name);
        } else if (in->advert_int_ms % 10 != 0) {
            in->advert_int_ms = (in->advert_int_ms + 9) / 10 * 10;
            if (in->advert_int_ms == 0) {
                in->advert_int_ms = 10;
            }
            cfgp_warn(p, at(in, &in->advert_int_where),
                      "vrrp_instance '%s': advert_int rounded up to %u ms "
                      "(VRRPv3 uses centiseconds)",
                      in->name, in->advert_int_ms);
        }
    }
}

static void check_tracks(struct cfgp *p, struct cfg_instance *in)
{
    const struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < in->n_track_scripts; i++) {
        if (vip_config_script(cfg, in->track_scripts[i].name) == NULL) {
            cfgp_error(p, &in->track_scripts[i].where,
                       "track_script: no vrrp_script named '%s'",
                       in->track_scripts[i].name);
        }
    }
    for (size_t i = 0; i < in->n_track_processes; i++) {
        if (vip_config_track_process(cfg, in->track_processes[i].name) ==
            NULL) {
            cfgp_error(p, &in->track_processes[i].where,
                       "track_process: no vrrp_track_process named '%s'",
                       in->track_processes[i].name);
        }
    }
    for (size_t i = 0; i < in->n_track_files; i++) {
        if (vip_config_track_file(cfg, in->track_files[i].name) == NULL) {
            cfgp_error(p, &in->track_files[i].where,
                       "track_file: no track_file named '%s'",
                       in->track_files[i].name);
        }
    }
}

static void check_addresses(struct cfgp *p, struct cfg_instance *in)
{
    char buf[INET6_ADDRSTRLEN];

    if (in->family == 0) {
        in->family = in->unicast_src_ip.family ? in->unicast_src_ip.family
                     : in->n_unicast_peers     ? in->unicast_peers[0].family
                                               : AF_INET;
    }
    if (in->unicast_src_ip.family && in->unicast_src_ip.family != in->family) {
        cfgp_error(p, at(in, &in->unicast_src_where),
                   "vrrp_instance '%s': unicast_src_ip %s is not of the "
                   "instance's address family",
                   in->name, cfg_ip_str(&in->unicast_src_ip, buf, sizeof buf));
    }
    if (in->mcast_dst_ip.family == 0) {
        const struct cfg_global *g = &p->cfg->global;
        static const uint8_t v4[4] = {224, 0, 0, 18}; /* RFC 5798 5.1.1.2 */
        static const uint8_t v6[16] = {0xff, 0x02, [15] = 0x12};
        const struct cfg_ip *grp =
            in->family == AF_INET6 ? &g->mcast_group6 : &g->mcast_group4;
        if (grp->family != 0) {
            in->mcast_dst_ip = *grp;
        } else {
            in->mcast_dst_ip.family = in->family;
            memcpy(in->mcast_dst_ip.bytes, in->family == AF_INET6 ? v6 : v4,
                   in->family == AF_INET6 ? 16 : 4);
        }
    } else if (in->mcast_dst_ip.family != in->family) {
        cfgp_error(p, at(in, &in->mcast_dst_where),
                   "vrrp_instance '%s': mcast_dst_ip %s is not of the "
                   "instance's address family",
                   in->name, cfg_ip_str(&in->mcast_dst_ip, buf, sizeof buf));
    }
    if (in->mcast_src_ip.family && in->mcast_src_ip.family != in->family) {
        cfgp_error(p, &in->where,
                   "vrrp_instance '%s': mcast_src_ip %s is not of the "
                   "instance's address family",
                   in->name, cfg_ip_str(&in->mcast_src_ip, buf, sizeof buf));
    }
    for (size_t i = 0; i < in->n_unicast_peers; i++) {
        if (in->unicast_peers[i].family != in->family) {
            cfgp_error(p, &in->where,
                       "vrrp_instance '%s': unicast_peer %s is not of the "
                       "instance's address family",
                       in->name,
                       cfg_ip_str(&in->unicast_peers[i], buf, sizeof buf));
        }
    }
}

static void check_instance(struct cfgp *p, struct cfg_instance *in)
{
    const struct cfg_global *g = &p->cfg->global;

    inherit(&in->garp_master_delay_ms, g->garp_master_delay_ms);
    inherit(&in->garp_master_repeat, g->garp_master_repeat);
    inherit(&in->garp_master_refresh_ms, g->garp_master_refresh_ms);
    inherit(&in->garp_master_refresh_repeat, g->garp_master_refresh_repeat);
    inherit(&in->garp_interval_ms, g->garp_interval_ms);
    inherit(&in->gna_interval_ms, g->gna_interval_ms);
    check_addresses(p, in);
    if (in->version == 0) {
        in->version = g->vrrp_version;
        if (in->family == AF_INET6 && in->version == 2) {
            in->version = 3; /* keepalived does the same for IPv6 */
        }
    } else if (in->family == AF_INET6 && in->version == 2) {
        cfgp_warn(p, &in->where,
                  "vrrp_instance '%s': VRRPv2 cannot carry IPv6, using "
                  "version 3",
                  in->name);
        in->version = 3;
    }
    if (in->priority == 0) {
        /* keepalived: an initial MASTER without a priority is the address
         * owner (255); otherwise the default is 100. */
        in->priority = in->state == CFG_STATE_MASTER ? 255 : 100;
    }
    if (in->interface[0] == '\0') {
        cfgp_error(p, &in->where, "vrrp_instance '%s': no 'interface'",
                   in->name);
    }
    if (in->vrid == 0) {
        cfgp_error(p, &in->where,
                   "vrrp_instance '%s': no 'virtual_router_id' (1-255)",
                   in->name);
    }
    check_advert(p, in);
    if (in->auth_type != CFG_AUTH_NONE && in->auth_pass[0] == '\0') {
        cfgp_warn(p, at(in, &in->auth_where),
                  "vrrp_instance '%s': authentication without auth_pass, "
                  "ignored",
                  in->name);
        in->auth_type = CFG_AUTH_NONE;
    }
    if (in->auth_type != CFG_AUTH_NONE && in->version == 3) {
        cfgp_warn(p, at(in, &in->auth_where),
                  "vrrp_instance '%s': VRRPv3 has no authentication, "
                  "ignored",
                  in->name);
        in->auth_type = CFG_AUTH_NONE;
    } else if (in->auth_type == CFG_AUTH_AH) {
        /* The adverts of vip/advert.c carry no IPsec AH header. */
        cfgp_error(p, at(in, &in->auth_where),
                   "vrrp_instance '%s': auth_type AH is not implemented by "
                   "vipd; use auth_type PASS, or no authentication (the "
                   "cluster traffic is authenticated by the key)",
                   in->name);
    }
    if (in->nopreempt && in->priority == 255) {
        cfgp_warn(p, at(in, &in->nopreempt_where),
                  "vrrp_instance '%s': nopreempt is incompatible with "
                  "priority 255, ignored",
                  in->name);
        in->nopreempt = false;
    } else if (in->nopreempt && in->state == CFG_STATE_MASTER) {
        cfgp_warn(p, at(in, &in->nopreempt_where),
                  "vrrp_instance '%s': nopreempt needs state BACKUP; "
                  "the initial state is only a hint to vipd",
                  in->name);
    }
    if (in->nopreempt && in->preempt_delay_ms > 0) {
        cfgp_warn(p, at(in, &in->nopreempt_where),
                  "vrrp_instance '%s': preempt_delay has no effect with "
                  "nopreempt, ignored",
                  in->name);
        in->preempt_delay_ms = 0;
    }
    for (size_t i = 0; i < in->n_track_interfaces; i++) {
        struct cfg_track *t = &in->track_interfaces[i];
        if (strcmp(t->name, in->interface) == 0) {
            /* The own interface is always tracked (keepalived drops it). */
            cfgp_warn(p, &t->where,
                      "track_interface %s is the instance's own interface, "
                      "which is always tracked; ignored",
                      t->name);
            memmove(t, t + 1, (in->n_track_interfaces - i - 1) * sizeof *t);
            in->n_track_interfaces--;
            i--;
        }
    }
    if (in->n_vips == 0) {
        cfgp_warn(p, &in->where, "vrrp_instance '%s': no virtual_ipaddress",
                  in->name);
    }
    check_tracks(p, in);
}

static void check_vrids(struct cfgp *p)
{
    const struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < cfg->n_instances; i++) {
        const struct cfg_instance *a = &cfg->instances[i];
        for (size_t j = 0; j < i; j++) {
            const struct cfg_instance *b = &cfg->instances[j];
            if (a->vrid != 0 && a->vrid == b->vrid && a->family == b->family &&
                strcmp(a->interface, b->interface) == 0) {
                const struct cfg_where *bw = at(b, &b->vrid_where);
                cfgp_error(p, at(a, &a->vrid_where),
                           "vrrp_instance '%s': virtual_router_id %u on %s "
                           "is already used by '%s' at %s:%u",
                           a->name, a->vrid, a->interface, b->name, bw->file,
                           bw->line);
                break;
            }
        }
    }
}

/* A unit is named by its sync group, or by its instance when in none
 * (include/vipd/config.h): a group named like an instance outside it would
 * make one name stand for two units. */
static void check_group_name(struct cfgp *p, const struct cfg_sync_group *g)
{
    const struct cfg_instance *in = vip_config_instance(p->cfg, g->name);

    if (in == NULL) {
        return;
    }
    for (size_t k = 0; k < g->n_instances; k++) {
        if (strcmp(g->instances[k], g->name) == 0) {
            return;
        }
    }
    cfgp_error(p, &g->where,
               "vrrp_sync_group '%s' has the name of vrrp_instance '%s' "
               "(%s:%u), which is not in it: a sync group and an instance "
               "outside it need different names",
               g->name, in->name, in->where.file, in->where.line);
}

static void check_groups(struct cfgp *p)
{
    const struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < cfg->n_groups; i++) {
        const struct cfg_sync_group *g = &cfg->groups[i];
        if (g->n_instances < 2) {
            cfgp_warn(p, &g->where,
                      "vrrp_sync_group '%s' has %zu instance%s; a sync group "
                      "is meant for two or more",
                      g->name, g->n_instances, g->n_instances == 1 ? "" : "s");
        }
        for (size_t k = 0; k < g->n_instances; k++) {
            const char *name = g->instances[k];
            if (vip_config_instance(cfg, name) == NULL) {
                cfgp_error(p, &g->where,
                           "vrrp_sync_group '%s': no vrrp_instance named '%s'",
                           g->name, name);
                continue;
            }
            for (size_t j = 0; j <= i; j++) {
                const struct cfg_sync_group *o = &cfg->groups[j];
                size_t end = j == i ? k : o->n_instances;
                for (size_t m = 0; m < end; m++) {
                    if (strcmp(o->instances[m], name) == 0) {
                        cfgp_error(p, &g->where,
                                   "vrrp_sync_group '%s': '%s' is already in "
                                   "sync group '%s'",
                                   g->name, name, o->name);
                        goto next;
                    }
                }
            }
next:;
        }
        check_group_name(p, g);
    }
}

/* Raft needs a majority of the voters: with two, losing either one stops
 * the cluster, which is not what a keepalived pair's owner expects. */
static void check_voters(struct cfgp *p)
{
    const struct cfg_cluster *c = &p->cfg->cluster;
    size_t n = 1;

    if (c->no_bootstrap) {
        return; /* members come from `vipctl join`, not from this file */
    }
    for (size_t i = 0; i < c->n_peers; i++) {
        bool dup = strcmp(c->peers[i].host, c->listen_host) == 0 &&
                   c->peers[i].port == c->listen_port;
        for (size_t k = 0; k < i && !dup; k++) {
            dup = strcmp(c->peers[i].host, c->peers[k].host) == 0 &&
                  c->peers[i].port == c->peers[k].port;
        }
        n += dup ? 0 : 1;
    }
    if (n == 2) {
        cfgp_warn(p, &c->where,
                  "cluster: two voters and no witness: a failure of either "
                  "node leaves no majority: add a witness (a third vipd with "
                  "'witness yes' in its cluster block and no vrrp_instance, "
                  "listed as a 'peer' on both nodes)");
    }
}

/* DESIGN.md 1: a keepalived.conf with unicast_src_ip and unicast_peer
 * needs only a key: without a cluster block, this node listens on the
 * first instance's unicast_src_ip and the peers are its unicast_peer
 * addresses, on the default port. */
static void derive_cluster(struct cfgp *p, struct cfg_cluster *c)
{
    const struct cfg_instance *in = p->cfg->instances;
    char buf[INET6_ADDRSTRLEN];

    if (p->cfg->n_instances == 0 || in->unicast_src_ip.family == 0 ||
        in->n_unicast_peers == 0) {
        return;
    }
    c->present = true;
    c->where = in->where;
    cfg_ip_str(&in->unicast_src_ip, buf, sizeof buf);
    snprintf(c->listen_host, sizeof c->listen_host, "%s", buf);
    cfgp_warn(p, &in->where,
              "no cluster block: vipd listens on %s port %u and takes the "
              "peers from unicast_peer of vrrp_instance '%s', with the key "
              "%s and data in %s",
              buf, c->listen_port, in->name, c->secret_file, c->data_dir);
}

/* Without an election_timeout line, vipd's timing follows the fastest
 * instance: advert_int 1 s (or more) keeps the default 500 ms, a shorter
 * one scales it down (keepalived's master-down time scales with
 * advert_int too), not below the measured floor. */
static void derive_election_timeout(struct cfgp *p, struct cfg_cluster *c)
{
    const struct vip_config *cfg = p->cfg;
    const struct cfg_instance *fastest = NULL;

    if (c->election_timeout_set) {
        return;
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        if (fastest == NULL ||
            cfg->instances[i].advert_int_ms < fastest->advert_int_ms) {
            fastest = &cfg->instances[i];
        }
    }
    if (fastest == NULL || fastest->advert_int_ms >= 1000) {
        return;
    }
    uint32_t t = CFG_ELECTION_TIMEOUT_DEFAULT_MS * fastest->advert_int_ms /
                 1000;
    bool floored = t < CFG_ELECTION_TIMEOUT_FLOOR_MS;
    if (floored) {
        t = CFG_ELECTION_TIMEOUT_FLOOR_MS;
    }
    c->election_timeout_ms = t;
    cfgp_warn(p, at(fastest, &fastest->advert_int_where),
              "election_timeout %u ms%s, from advert_int %u ms of "
              "vrrp_instance '%s' (set election_timeout in the cluster "
              "block to choose another)",
              t, floored ? " (the floor)" : "", fastest->advert_int_ms,
              fastest->name);
}

static void check_cluster(struct cfgp *p)
{
    struct cfg_cluster *c = &p->cfg->cluster;

    derive_election_timeout(p, c);
    if (c->heartbeat_ms == 0) {
        c->heartbeat_ms = c->election_timeout_ms / 10;
    }
    if (!c->present) {
        derive_cluster(p, c);
    }
    if (!c->present) {
        return;
    }
    if (c->heartbeat_ms >= c->election_timeout_ms) {
        cfgp_error(p, &c->where,
                   "cluster: heartbeat (%u ms) must be shorter than "
                   "election_timeout (%u ms)",
                   c->heartbeat_ms, c->election_timeout_ms);
    }
    if (c->takeover_wait_ms > c->election_timeout_ms) {
        /* docs/DESIGN.md 4.2: W up to the lease L < T already covers the old
         * holder; more only delays failover. */
        cfgp_warn(p, &c->where,
                  "cluster: takeover_wait (%u ms) is longer than "
                  "election_timeout (%u ms); it only slows failover",
                  c->takeover_wait_ms, c->election_timeout_ms);
    }
    if (c->witness && p->cfg->n_instances > 0) {
        cfgp_error(p, &c->witness_where,
                   "cluster: a witness holds no VIP, but vrrp_instance '%s' "
                   "is at line %u: remove the instances or 'witness yes'",
                   p->cfg->instances[0].name,
                   p->cfg->instances[0].where.line);
    }
    if (c->witness && c->n_peers == 0 && !c->no_bootstrap) {
        cfgp_error(p, &c->witness_where,
                   "cluster: a witness needs 'peer HOST:PORT' lines for the "
                   "nodes it votes with");
    }
    if (c->n_peers > 0 || p->cfg->n_instances == 0) {
        for (size_t i = 0; i < c->n_peers; i++) {
            if (c->peers[i].port == 0) {
                c->peers[i].port = c->listen_port; /* `peer HOST` */
            }
            if (strcmp(c->peers[i].host, c->listen_host) == 0 &&
                c->peers[i].port == c->listen_port) {
                cfgp_error(p, &c->peers[i].where,
                           "cluster: peer %s is this node's listen address",
                           c->peers[i].host);
            }
        }
        check_voters(p);
        return;
    }
    /* docs/DESIGN.md 6: without `peer` lines the first instance's unicast_peer
     * addresses are the other members, on the listen port. */
    const struct cfg_instance *in = &p->cfg->instances[0];
    for (size_t i = 0; i < in->n_unicast_peers; i++) {
        if (c->n_peers == CFG_MAX_PEERS) {
            cfgp_error(p, &c->where,
                       "cluster: more than %d peers from unicast_peer",
                       CFG_MAX_PEERS);
            break;
        }
        struct cfg_peer *peer = &c->peers[c->n_peers++];
        cfg_ip_str(&in->unicast_peers[i], peer->host, sizeof peer->host);
        peer->port = c->listen_port;
        peer->where = in->where;
        c->peers_from_unicast = true;
    }
    check_voters(p);
}

void cfg_check(struct cfgp *p)
{
    struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < 2; i++) {
        const struct cfg_fifo *f = &cfg->global.fifos[i];
        if (f->script != NULL && f->path == NULL) {
            cfgp_error(p, &f->where, "%snotify_fifo_script without %snotify_fifo",
                       i ? "vrrp_" : "", i ? "vrrp_" : "");
        }
    }
    if (cfg->global.fifos[0].path != NULL && cfg->global.fifos[1].path != NULL &&
        strcmp(cfg->global.fifos[0].path, cfg->global.fifos[1].path) == 0) {
        cfgp_error(p, &cfg->global.fifos[1].where,
                   "notify_fifo and vrrp_notify_fifo must differ (keepalived)");
    }

    /* Health reports name scripts and processes alike (src/health.h). */
    for (size_t i = 0; i < cfg->n_track_processes; i++) {
        const struct cfg_track_process *tp = &cfg->track_processes[i];
        const struct cfg_script *sc = vip_config_script(cfg, tp->name);
        if (sc != NULL) {
            cfgp_error(p, &tp->where,
                       "vrrp_track_process '%s' has the name of the "
                       "vrrp_script at line %u; rename one",
                       tp->name, sc->where.line);
        }
    }

    if (strcmp(cfg->global.router_id, "LVS_DEVEL") == 0) {
        /* vipd names a node by router_id (vipctl status, transfer). */
        cfgp_warn(p, &cfg->global.router_id_where,
                  "router_id LVS_DEVEL is keepalived's sample value; vipd "
                  "names this node by it, so give each node its own "
                  "router_id, or remove it to use the host name");
    }

    for (size_t i = 0; i < cfg->n_scripts; i++) {
        struct cfg_script *sc = &cfg->scripts[i];
        if (sc->timeout_ms == 0) {
            sc->timeout_ms = sc->interval_ms; /* keepalived's default */
        }
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        check_instance(p, &cfg->instances[i]);
    }
    check_vrids(p);
    check_groups(p);
    check_cluster(p);
}

int vip_config_check_runnable(const struct vip_config *cfg,
                              struct cfg_report *report)
{
    struct cfg_report local = {0};
    struct cfgp p;
    const struct cfg_cluster *c = &cfg->cluster;

    memset(&p, 0, sizeof p);
    p.cfg = (struct vip_config *)cfg;
    p.report = report ? report : &local;
    p.main_file = cfg->n_files > 0 ? cfg->files[0] : "(config)";
    unsigned before = p.report->n_errors;
    if (!c->present) {
        cfgp_error(&p, NULL,
                   "no cluster block: vipd needs 'cluster { listen HOST:PORT "
                   "secret_file PATH ... }' to run, or unicast_src_ip and "
                   "unicast_peer in the first vrrp_instance to derive it");
    } else if (c->listen_host[0] == '\0') {
        cfgp_error(&p, &c->where, "cluster: no listen address");
    }
    if (cfg->n_instances == 0 && !c->witness) {
        cfgp_error(&p, NULL,
                   "no vrrp_instance: nothing to hold (a node that only "
                   "votes needs 'witness yes' in its cluster block)");
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        if (cfg->instances[i].n_vips == 0) {
            cfgp_error(&p, &cfg->instances[i].where,
                       "vrrp_instance '%s' has no virtual_ipaddress",
                       cfg->instances[i].name);
        }
    }
    return p.report->n_errors > before ? VIP_ECONFIG : 0;
}
