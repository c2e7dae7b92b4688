/* The `vrrp_instance NAME { ... }` block, with keepalived's keywords and
 * meanings. Values inherited from global_defs (version, GARP timing) are
 * left unset here (CFG_UNSET) and resolved in config_check.c, because
 * global_defs may come later in the file. */
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "src/config_int.h"
#include "vipd/error.h"

#define KW(name, min, max)                                 \
    {                                                      \
        name, CFG_KW_VALUE, min, max, instance_value, NULL \
    }
#define LIST(name)                                     \
    {                                                  \
        name, CFG_KW_BLOCK, 0, 0, instance_value, NULL \
    }

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static const char *family_name(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

/****** virtual_ipaddress items ******/

static bool parse_scope(const char *s, int *scope)
{
    static const struct
    {
        const char *name;
        int value;
    } scopes[] = {
        {"global", RT_SCOPE_UNIVERSE}, {"universe", RT_SCOPE_UNIVERSE},
        {"site", RT_SCOPE_SITE},       {"link", RT_SCOPE_LINK},
        {"host", RT_SCOPE_HOST},       {"nowhere", RT_SCOPE_NOWHERE},
    };
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        if (is(s, scopes[i].name)) {
            *scope = scopes[i].value;
            return true;
        }
    }
    return false;
}

/* `ADDR[/PREFIX] [brd ADDR] [dev IF] [scope S] [label L] [no_track]`; the
 * item ends at the first word that is not one of these options. */
static size_t vip_item(struct cfgp *p,
                       struct cfg_instance *in,
                       const struct cfg_tok *t,
                       size_t n,
                       bool excluded)
{
    const char *what =
        excluded ? "virtual_ipaddress_excluded" : "virtual_ipaddress";
    struct cfg_vip v;
    size_t i = 1;

    memset(&v, 0, sizeof v);
    v.where = t[0].where;
    v.scope = RT_SCOPE_UNIVERSE;
    bool ok = cfgp_prefix(p, &t[0], what, &v.addr, &v.prefix);
    while (i < n) {
        const char *o = t[i].text;
        if (is(o, "no_track")) {
            v.no_track = true;
            i++;
            continue;
        }
        if (!is(o, "brd") && !is(o, "dev") && !is(o, "scope") &&
            !is(o, "label") && !is(o, "preferred_lft")) {
            break;
        }
        if (i + 1 >= n) {
            cfgp_error(p, &t[i].where, "%s: '%s' needs a value", what, o);
            return n;
        }
        const struct cfg_tok *val = &t[i + 1];
        if (is(o, "brd")) {
            ok = cfgp_ip(p, val, "brd", &v.brd) && ok;
        } else if (is(o, "dev")) {
            ok = cfgp_ifname(p, val, "dev", v.dev) && ok;
        } else if (is(o, "scope")) {
            if (!parse_scope(val->text, &v.scope)) {
                cfgp_error(p, &val->where, "scope: unknown scope '%.80s'",
                           val->text);
                ok = false;
            }
        } else if (is(o, "label")) {
            ok = cfgp_name(p, val, "label", v.label, sizeof v.label) && ok;
        } else {
            cfgp_warn(p, &t[i].where,
                      "'preferred_lft' is not acted on by vipd (VIP "
                      "lifetimes follow the lease)");
        }
        i += 2;
    }
    if (!ok) {
        return i;
    }
    if (v.brd.family != 0 && v.brd.family != v.addr.family) {
        cfgp_error(p, &v.where, "%s: brd family differs from the address",
                   what);
        return i;
    }
    struct cfg_vip **arr = excluded ? &in->vips_excluded : &in->vips;
    size_t *cnt = excluded ? &in->n_vips_excluded : &in->n_vips;
    if (!excluded) {
        if (in->family == 0) {
            in->family = v.addr.family;
        } else if (in->family != v.addr.family) {
            cfgp_error(p, &v.where,
                       "%s: %s address in an %s instance (use "
                       "virtual_ipaddress_excluded for the other family)",
                       what, family_name(v.addr.family),
                       family_name(in->family));
            return i;
        }
    }
    for (size_t k = 0; k < *cnt; k++) {
        if (memcmp(&(*arr)[k].addr, &v.addr, sizeof v.addr) == 0) {
            cfgp_warn(p, &v.where, "%s: '%.80s' is listed twice", what,
                      t[0].text);
            return i;
        }
    }
    struct cfg_vip *slot = cfgp_append(p, (void **)arr, cnt, sizeof *slot);
    if (slot != NULL) {
        *slot = v;
    }
    return i;
}

static size_t vip_item_main(struct cfgp *p,
                            void *obj,
                            const struct cfg_tok *t,
                            size_t n)
{
    return vip_item(p, obj, t, n, false);
}

static size_t vip_item_excluded(struct cfgp *p,
                                void *obj,
                                const struct cfg_tok *t,
                                size_t n)
{
    return vip_item(p, obj, t, n, true);
}

/****** track_* items ******/

/* `NAME [weight W [reverse]]` into one of the instance's track arrays. */
static size_t track_item(struct cfgp *p,
                         const struct cfg_tok *t,
                         size_t n,
                         struct cfg_track **arr,
                         size_t *cnt,
                         long wmax,
                         bool is_iface)
{
    struct cfg_track tr;
    size_t i = 1;
    long w;

    memset(&tr, 0, sizeof tr);
    tr.where = t[0].where;
    bool ok = is_iface ? cfgp_ifname(p, &t[0], "track_interface", tr.name)
                       : cfgp_name(p, &t[0], "track", tr.name, sizeof tr.name);
    if (i < n && is(t[i].text, "weight")) {
        if (i + 1 >= n) {
            cfgp_error(p, &t[i].where, "'weight' needs a value");
            return n;
        }
        if (cfgp_int(p, &t[i + 1], "weight", -wmax, wmax, &w)) {
            tr.has_weight = true;
            tr.weight = (int)w;
        } else {
            ok = false;
        }
        i += 2;
        if (i < n && is(t[i].text, "reverse")) {
            tr.weight_reverse = true;
            i++;
        }
    }
    if (!ok) {
        return i;
    }
    for (size_t k = 0; k < *cnt; k++) {
        if (is((*arr)[k].name, tr.name)) {
            cfgp_warn(p, &tr.where, "'%s' is tracked twice", tr.name);
            return i;
        }
    }
    struct cfg_track *slot = cfgp_append(p, (void **)arr, cnt, sizeof *slot);
    if (slot != NULL) {
        *slot = tr;
    }
    return i;
}

static size_t track_script_item(struct cfgp *p,
                                void *obj,
                                const struct cfg_tok *t,
                                size_t n)
{
    struct cfg_instance *in = obj;
    return track_item(p, t, n, &in->track_scripts, &in->n_track_scripts, 253,
                      false);
}

static size_t track_interface_item(struct cfgp *p,
                                   void *obj,
                                   const struct cfg_tok *t,
                                   size_t n)
{
    struct cfg_instance *in = obj;
    return track_item(p, t, n, &in->track_interfaces, &in->n_track_interfaces,
                      253, true);
}

static size_t track_file_item(struct cfgp *p,
                              void *obj,
                              const struct cfg_tok *t,
                              size_t n)
{
    struct cfg_instance *in = obj;
    return track_item(p, t, n, &in->track_files, &in->n_track_files, 254,
                      false);
}

static size_t track_process_item(struct cfgp *p,
                                 void *obj,
                                 const struct cfg_tok *t,
                                 size_t n)
{
    struct cfg_instance *in = obj;
    return track_item(p, t, n, &in->track_processes, &in->n_track_processes,
                      254, false);
}

/* `ADDR [min_ttl N] [max_ttl N]`. */
static size_t peer_item(struct cfgp *p,
                        void *obj,
                        const struct cfg_tok *t,
                        size_t n)
{
    struct cfg_instance *in = obj;
    struct cfg_ip ip;
    size_t i = 1;

    while (i + 1 < n &&
           (is(t[i].text, "min_ttl") || is(t[i].text, "max_ttl"))) {
        cfgp_warn(p, &t[i].where, "'%s' is not acted on by vipd", t[i].text);
        i += 2;
    }
    if (!cfgp_ip(p, &t[0], "unicast_peer", &ip)) {
        return i;
    }
    for (size_t k = 0; k < in->n_unicast_peers; k++) {
        if (memcmp(&in->unicast_peers[k], &ip, sizeof ip) == 0) {
            cfgp_warn(p, &t[0].where, "unicast_peer '%.80s' is listed twice",
                      t[0].text);
            return i;
        }
    }
    struct cfg_ip *slot = cfgp_append(p, (void **)&in->unicast_peers,
                                      &in->n_unicast_peers, sizeof *slot);
    if (slot != NULL) {
        *slot = ip;
    }
    return i;
}

/****** authentication ******/

static void auth_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_instance *in = obj;
    const struct cfg_tok *a = &s->args[0];

    if (is(s->kw->text, "auth_type")) {
        if (is(a->text, "PASS")) {
            in->auth_type = CFG_AUTH_PASS;
        } else if (is(a->text, "AH")) {
            in->auth_type = CFG_AUTH_AH;
        } else {
            cfgp_error(p, &a->where, "auth_type: '%.80s' is not PASS or AH",
                       a->text);
        }
        return;
    }
    /* RFC 3768 5.3.10: 8 bytes on the wire; keepalived truncates. */
    if (a->len > CFG_PASS_MAX) {
        cfgp_warn(p, &a->where,
                  "auth_pass: longer than %d characters, truncated to "
                  "'%.8s'",
                  CFG_PASS_MAX, a->text);
    }
    memset(in->auth_pass, 0, sizeof in->auth_pass);
    memcpy(in->auth_pass, a->text,
           a->len > CFG_PASS_MAX ? CFG_PASS_MAX : a->len);
}

static const struct cfg_kw auth_kws[] = {
    {"auth_type", CFG_KW_VALUE, 1, 1, auth_value, NULL},
    {"auth_pass", CFG_KW_VALUE, 1, 1, auth_value, NULL},
    {NULL, 0, 0, 0, NULL, NULL},
};

/****** instance keywords ******/

static void instance_time(struct cfgp *p,
                          struct cfg_instance *in,
                          const struct cfg_stmt *s)
{
    const char *k = s->kw->text;
    uint32_t ms;
    bool frac;

    if (is(k, "advert_int")) {
        in->advert_int_where = s->kw->where;
        if (cfgp_seconds(p, &s->args[0], k, 255000, &ms, &frac)) {
            if (ms == 0) {
                cfgp_error(p, &s->args[0].where, "advert_int: must be > 0");
            } else {
                in->advert_int_ms = ms;
            }
        }
        return;
    }
    if (!cfgp_seconds(p, &s->args[0], k,
                      is(k, "preempt_delay") ? 1000000 : 100000000, &ms,
                      &frac)) {
        return;
    }
    if (is(k, "preempt_delay")) {
        in->preempt_delay_ms = ms;
    } else if (is(k, "garp_master_delay")) {
        in->garp_master_delay_ms = ms;
    } else if (is(k, "garp_master_refresh")) {
        in->garp_master_refresh_ms = ms;
    } else if (is(k, "garp_interval")) {
        in->garp_interval_ms = ms;
    } else {
        in->gna_interval_ms = ms;
    }
}

static void instance_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_instance *in = obj;
    const char *k = s->kw->text;
    const struct cfg_tok *a = &s->args[0];
    unsigned long v;

    if (is(k, "state")) {
        if (is(a->text, "MASTER")) {
            in->state = CFG_STATE_MASTER;
        } else if (is(a->text, "BACKUP")) {
            in->state = CFG_STATE_BACKUP;
        } else {
            cfgp_error(p, &a->where, "state: '%.80s' is not MASTER or BACKUP",
                       a->text);
        }
    } else if (is(k, "interface")) {
        cfgp_ifname(p, a, "interface", in->interface);
    } else if (is(k, "virtual_router_id")) {
        in->vrid_where = s->kw->where;
        if (cfgp_uint(p, a, k, 1, 255, &v)) {
            in->vrid = (uint8_t)v;
        }
    } else if (is(k, "priority")) {
        if (cfgp_uint(p, a, k, 1, 255, &v)) {
            in->priority = (uint8_t)v;
        }
    } else if (is(k, "version")) {
        if (cfgp_uint(p, a, k, 2, 3, &v)) {
            in->version = (uint8_t)v;
        }
    } else if (is(k, "authentication")) {
        in->auth_where = s->kw->where;
        cfgp_block(p, auth_kws, in, k);
    } else if (is(k, "virtual_ipaddress")) {
        cfgp_list(p, vip_item_main, in, k);
    } else if (is(k, "virtual_ipaddress_excluded")) {
        cfgp_list(p, vip_item_excluded, in, k);
    } else if (is(k, "track_script")) {
        cfgp_list(p, track_script_item, in, k);
    } else if (is(k, "track_interface")) {
        cfgp_list(p, track_interface_item, in, k);
    } else if (is(k, "track_file")) {
        cfgp_list(p, track_file_item, in, k);
    } else if (is(k, "track_process")) {
        cfgp_list(p, track_process_item, in, k);
    } else if (is(k, "unicast_peer")) {
        cfgp_list(p, peer_item, in, k);
    } else if (is(k, "nopreempt")) {
        in->nopreempt_where = s->kw->where;
        in->nopreempt = true;
    } else if (is(k, "preempt")) {
        in->nopreempt = false;
    } else if (is(k, "unicast_src_ip")) {
        in->unicast_src_where = s->kw->where;
        cfgp_ip(p, a, k, &in->unicast_src_ip);
    } else if (is(k, "mcast_src_ip")) {
        cfgp_ip(p, a, k, &in->mcast_src_ip);
    } else if (is(k, "mcast_dst_ip")) {
        in->mcast_dst_where = s->kw->where;
        cfgp_mcast_group(p, a, k, 0, &in->mcast_dst_ip);
    } else if (is(k, "accept")) {
        /* keepalived's accept mode: the VIP answers traffic, which is what
         * vipd always does. */
    } else if (strncmp(k, "notify", 6) == 0) {
        cfgp_notify_kw(p, &in->notify, s);
    } else if (is(k, "smtp_alert")) {
        in->smtp_alert = s->n_args == 0 || !is(a->text, "false");
        cfgp_warn(p, &s->kw->where,
                  "'smtp_alert' is accepted but not acted on by vipd: "
                  "vipd sends no mail; use a notify script");
    } else if (is(k, "garp_master_repeat") ||
               is(k, "garp_master_refresh_repeat")) {
        if (cfgp_uint(p, a, k, is(k, "garp_master_repeat") ? 0 : 1, 10000,
                      &v)) {
            *(is(k, "garp_master_repeat") ? &in->garp_master_repeat
                                          : &in->garp_master_refresh_repeat) =
                (uint32_t)v;
        }
    } else {
        instance_time(p, in, s);
    }
}

static const struct cfg_kw instance_kws[] = {
    KW("state", 1, 1),
    KW("interface", 1, 1),
    KW("virtual_router_id", 1, 1),
    KW("priority", 1, 1),
    KW("advert_int", 1, 1),
    KW("version", 1, 1),
    LIST("authentication"),
    LIST("virtual_ipaddress"),
    LIST("virtual_ipaddress_excluded"),
    LIST("track_script"),
    LIST("track_interface"),
    LIST("track_file"),
    LIST("unicast_peer"),
    KW("nopreempt", 0, 0),
    KW("preempt", 0, 0),
    KW("preempt_delay", 1, 1),
    KW("unicast_src_ip", 1, 1),
    KW("mcast_src_ip", 1, 1),
    KW("notify_master", 1, CFG_ARGS_ANY),
    KW("notify_backup", 1, CFG_ARGS_ANY),
    KW("notify_fault", 1, CFG_ARGS_ANY),
    KW("notify_stop", 1, CFG_ARGS_ANY),
    KW("notify", 1, CFG_ARGS_ANY),
    KW("smtp_alert", 0, 1),
    KW("garp_master_delay", 1, 1),
    KW("garp_master_repeat", 1, 1),
    KW("garp_master_refresh", 1, 1),
    KW("garp_master_refresh_repeat", 1, 1),
    KW("garp_interval", 1, 1),
    KW("gna_interval", 1, 1),
    KW("mcast_dst_ip", 1, 1),
    KW("accept", 0, 0),
    UNSUPPORTED("use_vmac", "vipd adds the VIPs to the interface itself; "
                            "remove use_vmac"),
    UNSUPPORTED("vmac_xmit_base", "vipd has no VMAC interfaces"),
    UNSUPPORTED("native_ipv6", "vipd has no VMAC interfaces"),
    UNSUPPORTED("dont_track_primary",
                "vipd always tracks the instance's interface"),
    UNSUPPORTED("no_accept", "vipd's VIPs always accept traffic (no "
                             "firewall rules); remove no_accept"),
#define NO_VRRP_RX                                                       \
    "vipd elects the holder by Raft, not from received VRRP adverts, " \
    "so receive-side VRRP rules do not apply"
    NOT_ACTED("strict_mode", NO_VRRP_RX),
    NOT_ACTED("skip_check_adv_addr", NO_VRRP_RX),
    NOT_ACTED("check_unicast_src", NO_VRRP_RX),
    NOT_ACTED("unicast_ttl", NO_VRRP_RX),
    NOT_ACTED("garp_lower_prio_delay", NO_VRRP_RX),
    NOT_ACTED("garp_lower_prio_repeat", NO_VRRP_RX),
    NOT_ACTED("lower_prio_no_advert", NO_VRRP_RX),
    NOT_ACTED("higher_prio_send_advert", NO_VRRP_RX),
#undef NO_VRRP_RX
    NOT_ACTED("debug", "use 'vipd -l debug'"),
    NOT_ACTED("kernel_rx_buf_size", "vipd sizes its own sockets"),
    NOT_ACTED("linkbeat_use_polling",
              "vipd follows link state through netlink"),
    UNSUPPORTED("virtual_routes", "add the routes in a notify_master "
                                  "script, or keep them static"),
    UNSUPPORTED("virtual_rules", "add the rules in a notify_master "
                                 "script, or keep them static"),
    LIST("track_process"),
    UNSUPPORTED("track_bfd", "vipd has no BFD; use a vrrp_script with "
                             "tcp_check or a script"),
    UNSUPPORTED("lvs_sync_daemon_interface",
                "LVS is out of scope for vipd"),
    UNSUPPORTED("promote_secondaries",
                "set net.ipv4.conf.IF.promote_secondaries=1 with sysctl"),
    UNSUPPORTED("notify_master_rx_lower_pri",
                "vipd does not react to received VRRP adverts"),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_instance_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    char name[CFG_NAME_MAX];

    if (!cfgp_name(p, &s->args[0], "vrrp_instance", name, sizeof name)) {
        cfgp_skip_block(p);
        return;
    }
    const struct cfg_instance *dup = vip_config_instance(cfg, name);
    if (dup != NULL) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_instance '%s' is already defined at line %u", name,
                   dup->where.line);
    }
    struct cfg_instance *in =
        cfgp_append(p, (void **)&cfg->instances, &cfg->n_instances, sizeof *in);
    if (in == NULL) {
        cfgp_skip_block(p);
        return;
    }
    memcpy(in->name, name, sizeof name);
    in->where = s->kw->where;
    in->priority = 0; /* resolved in config_check.c */
    in->advert_int_ms = 1000;
    in->garp_master_delay_ms = CFG_UNSET;
    in->garp_master_repeat = CFG_UNSET;
    in->garp_master_refresh_ms = CFG_UNSET;
    in->garp_master_refresh_repeat = CFG_UNSET;
    in->garp_interval_ms = CFG_UNSET;
    in->gna_interval_ms = CFG_UNSET;
    cfgp_block(p, instance_kws, in, "vrrp_instance");
}
