/* Top-level blocks other than vrrp_instance: global_defs, vrrp_script,
 * track_file, vrrp_sync_group and vipd's cluster block. Defaults are
 * keepalived's (see include/vipd/config.h); values that depend on other
 * blocks are resolved in config_check.c. */
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/socket.h>

#include "src/check_http.h"
#include "src/config_int.h"
#include "vipd/error.h"

#define KW(name, min, max, fn)                 \
    {                                          \
        name, CFG_KW_VALUE, min, max, fn, NULL \
    }

static bool is(const struct cfg_stmt *s, const char *name)
{
    return strcmp(s->kw->text, name) == 0;
}

/****** global_defs ******/

static void global_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_global *g = obj;
    const struct cfg_tok *a = &s->args[0];
    unsigned long v;
    uint32_t ms;

    if (is(s, "router_id")) {
        cfgp_name(p, a, "router_id", g->router_id, sizeof g->router_id);
        g->router_id_where = s->kw->where;
    } else if (is(s, "vrrp_version")) {
        if (cfgp_uint(p, a, "vrrp_version", 2, 3, &v)) {
            g->vrrp_version = (uint8_t)v;
        }
    } else if (is(s, "script_user")) {
        cfgp_name(p, a, "script_user", g->script_user, sizeof g->script_user);
        if (s->n_args > 1) {
            cfgp_name(p, &s->args[1], "script_user group", g->script_group,
                      sizeof g->script_group);
        }
    } else if (is(s, "enable_script_security")) {
        g->enable_script_security = true;
    } else if (is(s, "vrrp_garp_master_delay")) {
        if (cfgp_seconds(p, a, s->kw->text, 1000000, &ms, NULL)) {
            g->garp_master_delay_ms = ms;
        }
    } else if (is(s, "vrrp_garp_master_repeat")) {
        if (cfgp_uint(p, a, s->kw->text, 0, 10000, &v)) {
            g->garp_master_repeat = (uint32_t)v;
        }
    } else if (is(s, "vrrp_garp_master_refresh")) {
        if (cfgp_seconds(p, a, s->kw->text, 100000000, &ms, NULL)) {
            g->garp_master_refresh_ms = ms;
        }
    } else if (is(s, "vrrp_garp_master_refresh_repeat")) {
        if (cfgp_uint(p, a, s->kw->text, 1, 10000, &v)) {
            g->garp_master_refresh_repeat = (uint32_t)v;
        }
    } else if (is(s, "vrrp_garp_interval")) {
        if (cfgp_seconds(p, a, s->kw->text, 1000000, &ms, NULL)) {
            g->garp_interval_ms = ms;
        }
    } else if (strstr(s->kw->text, "notify_fifo") != NULL) {
        /* notify_fifo[_script] / vrrp_notify_fifo[_script] PATH|CMD
         * [USER [GROUP]] */
        struct cfg_fifo *f = &g->fifos[strncmp(s->kw->text, "vrrp_", 5) == 0];
        bool script = strstr(s->kw->text, "_script") != NULL;
        char **slot = script ? &f->script : &f->path;
        struct cfg_run_as *as = script ? &f->script_as : &f->as;
        if (!script && a->text[0] != '/') {
            cfgp_error(p, &a->where, "%s: '%.80s' must be an absolute path",
                       s->kw->text, a->text);
            return;
        }
        if (a->len == 0) {
            cfgp_error(p, &a->where, "%s: empty", s->kw->text);
            return;
        }
        free(*slot);
        *slot = cfgp_strdup(p, a->text);
        memset(as, 0, sizeof *as);
        if (s->n_args > 1) {
            cfgp_name(p, &s->args[1], "user", as->user, sizeof as->user);
        }
        if (s->n_args > 2) {
            cfgp_name(p, &s->args[2], "group", as->group, sizeof as->group);
        }
        f->where = s->kw->where;
    } else if (is(s, "net_namespace")) {
        if (strchr(a->text, '/') != NULL || strcmp(a->text, ".") == 0 ||
            strcmp(a->text, "..") == 0) {
            cfgp_error(p, &a->where,
                       "net_namespace: '%.80s' is not a name under /run/netns",
                       a->text);
        } else {
            cfgp_name(p, a, "net_namespace", g->net_namespace,
                      sizeof g->net_namespace);
        }
    } else if (is(s, "vrrp_mcast_group4") || is(s, "vrrp_mcast_group6")) {
        bool v6 = is(s, "vrrp_mcast_group6");
        struct cfg_ip ip;
        if (cfgp_mcast_group(p, a, s->kw->text, v6 ? AF_INET6 : AF_INET,
                             &ip)) {
            *(v6 ? &g->mcast_group6 : &g->mcast_group4) = ip;
        }
    } else if (is(s, "vrrp_gna_interval")) {
        if (cfgp_seconds(p, a, s->kw->text, 1000000, &ms, NULL)) {
            g->gna_interval_ms = ms;
        }
    }
}

static const struct cfg_kw global_kws[] = {
    KW("router_id", 1, 1, global_value),
    KW("vrrp_version", 1, 1, global_value),
    KW("script_user", 1, 2, global_value),
    KW("enable_script_security", 0, 0, global_value),
    KW("vrrp_garp_master_delay", 1, 1, global_value),
    KW("vrrp_garp_master_repeat", 1, 1, global_value),
    KW("vrrp_garp_master_refresh", 1, 1, global_value),
    KW("vrrp_garp_master_refresh_repeat", 1, 1, global_value),
    KW("vrrp_garp_interval", 1, 1, global_value),
    KW("vrrp_gna_interval", 1, 1, global_value),
    KW("net_namespace", 1, 1, global_value),
    KW("vrrp_mcast_group4", 1, 1, global_value),
    KW("vrrp_mcast_group6", 1, 1, global_value),
#define SMTP "vipd sends no mail; use a notify script"
    NOT_ACTED("notification_email", SMTP),
    NOT_ACTED("notification_email_from", SMTP),
    NOT_ACTED("smtp_server", SMTP),
    NOT_ACTED("smtp_connect_timeout", SMTP),
    NOT_ACTED("smtp_helo_name", SMTP),
    NOT_ACTED("smtp_alert", SMTP),
    NOT_ACTED("smtp_alert_vrrp", SMTP),
    NOT_ACTED("smtp_alert_checker", SMTP),
    NOT_ACTED("email_faults", SMTP),
    NOT_ACTED("no_email_faults", SMTP),
#undef SMTP
    NOT_ACTED("enable_traps", "vipd has no SNMP agent"),
#define NO_VRRP_RX                                                       \
    "vipd elects the holder by Raft, not from received VRRP adverts, " \
    "so receive-side VRRP rules do not apply"
    NOT_ACTED("vrrp_strict", NO_VRRP_RX " (no iptables/nftables drop rules "
                             "are installed: the VIP answers)"),
    NOT_ACTED("vrrp_skip_check_adv_addr", NO_VRRP_RX),
    NOT_ACTED("vrrp_check_unicast_src", NO_VRRP_RX),
    NOT_ACTED("vrrp_garp_lower_prio_delay", NO_VRRP_RX),
    NOT_ACTED("vrrp_garp_lower_prio_repeat", NO_VRRP_RX),
    NOT_ACTED("vrrp_lower_prio_no_advert", NO_VRRP_RX),
    NOT_ACTED("vrrp_higher_prio_send_advert", NO_VRRP_RX),
#undef NO_VRRP_RX
#define FILTER "vipd installs no firewall rules (only vrrp_strict uses them)"
    NOT_ACTED("vrrp_iptables", FILTER),
    NOT_ACTED("vrrp_ipsets", FILTER),
    NOT_ACTED("nftables", FILTER),
#undef FILTER
#define SCHED "vipd runs as one ordinary process; set scheduling in its " \
              "systemd unit"
    NOT_ACTED("vrrp_no_swap", SCHED),
    NOT_ACTED("vrrp_priority", SCHED),
    NOT_ACTED("checker_priority", SCHED),
    NOT_ACTED("checker_no_swap", SCHED),
    NOT_ACTED("max_auto_priority", SCHED),
    NOT_ACTED("process_names", SCHED),
#undef SCHED
    NOT_ACTED("umask", "vipd creates no files for which it would matter"),
    UNSUPPORTED("vrrp_startup_delay",
                "delay vipd's start in its systemd unit (ExecStartPre=sleep)"),
    UNSUPPORTED("dynamic_interfaces",
                "vipd needs the interfaces to exist when it starts"),
    UNSUPPORTED("default_interface",
                "give 'interface' in every vrrp_instance"),
#define LVS "LVS is out of scope for vipd; keep keepalived's checker or " \
            "ipvsadm for it"
    UNSUPPORTED("lvs_id", LVS),
    UNSUPPORTED("lvs_sync_daemon", LVS),
    UNSUPPORTED("lvs_flush", LVS),
#undef LVS
    UNSUPPORTED("enable_dbus",
                "vipd has no D-Bus interface; use 'vipctl status --json'"),
#define SYSTEMD "use ExecStartPre=/ExecStopPost= in vipd's systemd unit"
    UNSUPPORTED("startup_script", SYSTEMD),
    UNSUPPORTED("startup_script_timeout", SYSTEMD),
    UNSUPPORTED("shutdown_script", SYSTEMD),
    UNSUPPORTED("shutdown_script_timeout", SYSTEMD),
#undef SYSTEMD
    KW("notify_fifo", 1, 3, global_value),
    KW("vrrp_notify_fifo", 1, 3, global_value),
    KW("notify_fifo_script", 1, 3, global_value),
    KW("vrrp_notify_fifo_script", 1, 3, global_value),
    UNSUPPORTED("lvs_notify_fifo", "LVS is out of scope for vipd"),
    UNSUPPORTED("lvs_notify_fifo_script", "LVS is out of scope for vipd"),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_global_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;

    (void)s;
    cfgp_block(p, global_kws, &cfg->global, "global_defs");
}

/****** vrrp_script ******/

/* `http[s]://HOST[:PORT][/PATH]`, HOST a name, IPv4 or [IPv6]. */
static bool parse_url(struct cfgp *p,
                      const struct cfg_tok *t,
                      struct cfg_script *sc)
{
    const char *rest, *slash;
    struct cfg_tok hp;
    char buf[300];
    bool is_tls = check_http_is_https(t->text);

    if (!is_tls && strncasecmp(t->text, "http://", strlen("http://")) != 0) {
        cfgp_error(p, &t->where,
                   "http_check: '%.80s' is not an http:// or https:// URL",
                   t->text);
        return false;
    }
    rest = t->text + strlen(is_tls ? "https://" : "http://");
    slash = strchr(rest, '/');
    size_t hlen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (hlen == 0 || hlen >= sizeof buf) {
        cfgp_error(p, &t->where, "http_check: no host in '%.80s'", t->text);
        return false;
    }
    memcpy(buf, rest, hlen);
    buf[hlen] = '\0';
    hp = *t;
    hp.text = buf;
    hp.len = hlen;
    if (!cfgp_hostport(p, &hp, "http_check", is_tls ? 443 : 80, sc->host,
                       sizeof sc->host,
                       &sc->port)) {
        return false;
    }
    /* The probe puts the path in its request line as written: no blanks,
     * control or non-ASCII bytes, and it must fit the request buffer. */
    const char *path = slash ? slash : "/";
    size_t plen = strlen(path);
    for (size_t i = 0; i < plen; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (ch <= ' ' || ch >= 0x7f) {
            cfgp_error(p, &t->where,
                       "http_check: the path of '%.80s' has a space, "
                       "control or non-ASCII byte (percent-encode it)",
                       t->text);
            return false;
        }
    }
    if (plen >= CHECK_HTTP_MAX_PATH) {
        cfgp_error(p, &t->where, "http_check: path longer than %d bytes",
                   CHECK_HTTP_MAX_PATH - 1);
        return false;
    }
    free(sc->http_path);
    sc->http_path = cfgp_strdup(p, path);
    return true;
}

static void script_set_kind(struct cfgp *p,
                            struct cfg_script *sc,
                            const struct cfg_stmt *s,
                            enum cfg_check_kind kind)
{
    if ((sc->command || sc->target) && sc->kind != kind) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_script '%s': only one of script, tcp_check and "
                   "http_check may be given",
                   sc->name);
    }
    free(sc->command);
    free(sc->target);
    sc->command = NULL;
    sc->target = NULL;
    sc->kind = kind;
}

static void script_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_script *sc = obj;
    const struct cfg_tok *a = &s->args[0];
    unsigned long v;
    long w;
    uint32_t ms;

    if (is(s, "script")) {
        script_set_kind(p, sc, s, CFG_CHECK_SCRIPT);
        sc->command = cfgp_command(p, s);
        if (s->args[0].quoted && s->n_args > 1) {
            cfgp_error(p, &s->args[1].where,
                       "unexpected '%.80s' after the quoted script",
                       s->args[1].text);
        }
    } else if (is(s, "tcp_check")) {
        script_set_kind(p, sc, s, CFG_CHECK_TCP);
        if (cfgp_hostport(p, a, "tcp_check", 0, sc->host, sizeof sc->host,
                          &sc->port)) {
            if (sc->port == 0) {
                cfgp_error(p, &a->where, "tcp_check: '%.80s' has no port",
                           a->text);
            }
            sc->target = cfgp_strdup(p, a->text);
        }
    } else if (is(s, "http_check")) {
        script_set_kind(p, sc, s, CFG_CHECK_HTTP);
        if (parse_url(p, a, sc)) {
            sc->target = cfgp_strdup(p, a->text);
        }
        if (s->n_args == 2 ||
            (s->n_args == 3 && strcmp(s->args[1].text, "status") != 0)) {
            cfgp_error(p, &s->args[1].where,
                       "http_check: expected 'status CODE' after the URL");
        } else if (s->n_args == 3 &&
                   cfgp_uint(p, &s->args[2], "http_check status", 100, 599,
                             &v)) {
            sc->http_status = (int)v;
        }
    } else if (is(s, "interval")) {
        if (cfgp_seconds(p, a, "interval", 86400000, &ms, NULL)) {
            if (ms == 0) {
                cfgp_error(p, &a->where, "interval: must be more than 0");
            } else {
                sc->interval_ms = ms;
            }
        }
    } else if (is(s, "timeout")) {
        if (cfgp_seconds(p, a, "timeout", 86400000, &ms, NULL)) {
            if (ms == 0) {
                cfgp_error(p, &a->where, "timeout: must be more than 0");
            } else {
                sc->timeout_ms = ms;
            }
        }
    } else if (is(s, "weight")) {
        if (cfgp_int(p, a, "weight", -253, 253, &w)) {
            sc->weight = (int)w;
        }
        if (s->n_args > 1) {
            if (strcmp(s->args[1].text, "reverse") == 0) {
                sc->weight_reverse = true;
            } else {
                cfgp_error(p, &s->args[1].where,
                           "weight: expected 'reverse', not '%.80s'",
                           s->args[1].text);
            }
        }
    } else if (is(s, "fall") || is(s, "rise")) {
        if (cfgp_uint(p, a, s->kw->text, 1, 1000000, &v)) {
            *(is(s, "fall") ? &sc->fall : &sc->rise) = (uint32_t)v;
        }
    } else if (is(s, "user")) {
        cfgp_name(p, a, "user", sc->user, sizeof sc->user);
        if (s->n_args > 1) {
            cfgp_name(p, &s->args[1], "group", sc->group, sizeof sc->group);
        }
    } else if (is(s, "init_fail")) {
        sc->init_fail = true;
    } else if (is(s, "tls_ca_file") || is(s, "tls_verify")) {
        if (sc->tls_where.line == 0) {
            sc->tls_where = s->kw->where;
        }
        if (is(s, "tls_ca_file")) {
            if (a->len == 0) {
                cfgp_error(p, &a->where, "tls_ca_file: empty path");
                return;
            }
            free(sc->tls_ca_file);
            sc->tls_ca_file = cfgp_strdup(p, a->text);
        } else if (strcmp(a->text, "yes") == 0) {
            sc->tls_no_verify = false;
        } else if (strcmp(a->text, "no") == 0) {
            sc->tls_no_verify = true;
        } else {
            cfgp_error(p, &a->where, "tls_verify: '%.80s' is not 'yes' or 'no'",
                       a->text);
        }
    }
}

static const struct cfg_kw script_kws[] = {
    KW("script", 1, CFG_ARGS_ANY, script_value),
    KW("tcp_check", 1, 1, script_value),
    KW("http_check", 1, 3, script_value),
    KW("interval", 1, 1, script_value),
    KW("timeout", 1, 1, script_value),
    KW("weight", 1, 2, script_value),
    KW("fall", 1, 1, script_value),
    KW("rise", 1, 1, script_value),
    KW("user", 1, 2, script_value),
    KW("init_fail", 0, 0, script_value),
    KW("tls_ca_file", 1, 1, script_value),
    KW("tls_verify", 1, 1, script_value),
    {NULL, 0, 0, 0, NULL, NULL},
};

/* Where an earlier object named @name was declared, or NULL: @arr holds
 * @n objects of @size bytes, each with a name and a cfg_where at the given
 * offsets. */
static const struct cfg_where *find_dup(const void *arr,
                                        size_t n,
                                        size_t size,
                                        size_t name_off,
                                        size_t where_off,
                                        const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *obj = (const char *)arr + i * size;
        if (strcmp(obj + name_off, name) == 0) {
            return (const struct cfg_where *)(const void *)(obj + where_off);
        }
    }
    return NULL;
}

#define FIND_DUP(type, arr, n, nm)                           \
    find_dup((arr), (n), sizeof(type), offsetof(type, name), \
             offsetof(type, where), (nm))

void cfg_script_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    char name[CFG_NAME_MAX];

    if (!cfgp_name(p, &s->args[0], "vrrp_script", name, sizeof name)) {
        cfgp_skip_block(p);
        return;
    }
    const struct cfg_where *dup =
        FIND_DUP(struct cfg_script, cfg->scripts, cfg->n_scripts, name);
    if (dup != NULL) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_script '%s' is already defined at line %u", name,
                   dup->line);
    }
    struct cfg_script *sc =
        cfgp_append(p, (void **)&cfg->scripts, &cfg->n_scripts, sizeof *sc);
    if (sc == NULL) {
        cfgp_skip_block(p);
        return;
    }
    memcpy(sc->name, name, sizeof name);
    sc->where = s->kw->where;
    sc->interval_ms = 1000;
    sc->fall = 1;
    sc->rise = 1;
    sc->http_status = 200;
    cfgp_block(p, script_kws, sc, "vrrp_script");
    if (sc->command == NULL && sc->target == NULL && !p->oom) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_script '%s' has no script, tcp_check or http_check",
                   name);
    }
    if (sc->tls_where.line != 0 &&
        (sc->kind != CFG_CHECK_HTTP || !check_http_is_https(sc->target))) {
        cfgp_error(p, &sc->tls_where,
                   "vrrp_script '%s': tls_ca_file and tls_verify apply to an "
                   "https:// http_check only",
                   name);
    }
    if (sc->tls_ca_file != NULL && sc->tls_no_verify) {
        cfgp_error(p, &sc->tls_where,
                   "vrrp_script '%s': tls_ca_file with 'tls_verify no' would "
                   "never be used",
                   name);
    }
}

/****** track_file ******/

static void track_file_value(struct cfgp *p,
                             void *obj,
                             const struct cfg_stmt *s)
{
    struct cfg_track_file *tf = obj;
    long w;

    if (is(s, "file")) {
        if (s->args[0].len == 0) {
            cfgp_error(p, &s->args[0].where, "file: empty path");
            return;
        }
        free(tf->path);
        tf->path = cfgp_strdup(p, s->args[0].text);
    } else if (is(s, "weight")) {
        if (cfgp_int(p, &s->args[0], "weight", -254, 254, &w)) {
            tf->weight = (int)w;
        }
        if (s->n_args > 1) {
            if (strcmp(s->args[1].text, "reverse") == 0) {
                tf->weight_reverse = true;
            } else {
                cfgp_error(p, &s->args[1].where,
                           "weight: expected 'reverse', not '%.80s'",
                           s->args[1].text);
            }
        }
    }
}

static const struct cfg_kw track_file_kws[] = {
    KW("file", 1, 1, track_file_value),
    KW("weight", 1, 2, track_file_value),
    UNSUPPORTED("init_file", "create the file before vipd starts"),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_track_file_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    char name[CFG_NAME_MAX];

    if (!cfgp_name(p, &s->args[0], s->kw->text, name, sizeof name)) {
        cfgp_skip_block(p);
        return;
    }
    const struct cfg_where *dup = FIND_DUP(
        struct cfg_track_file, cfg->track_files, cfg->n_track_files, name);
    if (dup != NULL) {
        cfgp_error(p, &s->kw->where,
                   "track_file '%s' is already defined at line %u", name,
                   dup->line);
    }
    struct cfg_track_file *tf = cfgp_append(p, (void **)&cfg->track_files,
                                            &cfg->n_track_files, sizeof *tf);
    if (tf == NULL) {
        cfgp_skip_block(p);
        return;
    }
    memcpy(tf->name, name, sizeof name);
    tf->where = s->kw->where;
    tf->weight = 1;
    cfgp_block(p, track_file_kws, tf, "track_file");
    if (tf->path == NULL && !p->oom) {
        cfgp_error(p, &s->kw->where, "track_file '%s' has no 'file'", name);
    }
}

/****** vrrp_track_process ******/

static void track_process_value(struct cfgp *p,
                                void *obj,
                                const struct cfg_stmt *s)
{
    struct cfg_track_process *tp = obj;
    const struct cfg_tok *a = &s->args[0];
    unsigned long v;
    long w;
    uint32_t ms;

    if (is(s, "process")) {
        char **argv = calloc(s->n_args + 1, sizeof *argv);
        if (argv == NULL) {
            p->oom = true;
            return;
        }
        for (size_t i = 0; i < s->n_args; i++) {
            argv[i] = cfgp_strdup(p, s->args[i].text);
            if (argv[i] == NULL || s->args[i].len == 0) {
                if (argv[i] != NULL) {
                    cfgp_error(p, &s->args[i].where, "process: empty word");
                }
                cfg_argv_free(argv);
                return;
            }
        }
        cfg_argv_free(tp->argv);
        tp->argv = argv;
        tp->argc = s->n_args;
        if (s->n_args > 1) {
            tp->by_cmdline = true;
        }
    } else if (is(s, "param_match")) {
        if (strcmp(a->text, "partial") == 0) {
            tp->param_match = CFG_PARAM_PARTIAL;
        } else if (strcmp(a->text, "initial") == 0) {
            tp->param_match = CFG_PARAM_INITIAL;
        } else if (strcmp(a->text, "exact") == 0) {
            tp->param_match = CFG_PARAM_EXACT;
        } else {
            cfgp_error(p, &a->where,
                       "param_match: '%.80s' is not 'partial' or 'initial'",
                       a->text);
        }
        tp->by_cmdline = true;
        tp->param_match_given = true;
    } else if (is(s, "full_command")) {
        tp->by_cmdline = true;
        tp->full_command = true;
    } else if (is(s, "weight")) {
        if (cfgp_int(p, a, "weight", -254, 254, &w)) {
            tp->weight = (int)w;
        }
        if (s->n_args > 1) {
            if (strcmp(s->args[1].text, "reverse") == 0) {
                tp->weight_reverse = true;
            } else {
                cfgp_error(p, &s->args[1].where,
                           "weight: expected 'reverse', not '%.80s'",
                           s->args[1].text);
            }
        }
    } else if (is(s, "quorum") || is(s, "quorum_max")) {
        if (cfgp_uint(p, a, s->kw->text, 0, 65535, &v)) {
            *(is(s, "quorum") ? &tp->quorum : &tp->quorum_max) = (uint32_t)v;
        }
    } else if (cfgp_seconds(p, a, s->kw->text, 3600000, &ms, NULL)) {
        if (!is(s, "terminate_delay")) {
            tp->fork_delay_ms = ms;
        }
        if (!is(s, "fork_delay")) {
            tp->terminate_delay_ms = ms;
        }
    }
}

static const struct cfg_kw track_process_kws[] = {
    KW("process", 1, CFG_ARGS_ANY, track_process_value),
    KW("param_match", 1, 1, track_process_value),
    KW("full_command", 0, 0, track_process_value),
    KW("weight", 1, 2, track_process_value),
    KW("quorum", 1, 1, track_process_value),
    KW("quorum_max", 1, 1, track_process_value),
    KW("delay", 1, 1, track_process_value),
    KW("terminate_delay", 1, 1, track_process_value),
    KW("fork_delay", 1, 1, track_process_value),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_track_process_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    char name[CFG_NAME_MAX];

    if (!cfgp_name(p, &s->args[0], "vrrp_track_process", name, sizeof name)) {
        cfgp_skip_block(p);
        return;
    }
    const struct cfg_where *dup =
        FIND_DUP(struct cfg_track_process, cfg->track_processes,
                 cfg->n_track_processes, name);
    if (dup != NULL) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_track_process '%s' is already defined at line %u",
                   name, dup->line);
    }
    struct cfg_track_process *tp =
        cfgp_append(p, (void **)&cfg->track_processes,
                    &cfg->n_track_processes, sizeof *tp);
    if (tp == NULL) {
        cfgp_skip_block(p);
        return;
    }
    memcpy(tp->name, name, sizeof name);
    tp->where = s->kw->where;
    tp->weight = 1;
    tp->quorum = 1;
    tp->quorum_max = UINT32_MAX;
    cfgp_block(p, track_process_kws, tp, "vrrp_track_process");
    if (p->oom) {
        return;
    }
    if (tp->argv == NULL) {
        cfgp_error(p, &s->kw->where, "vrrp_track_process '%s' has no 'process'",
                   name);
    }
    if (tp->quorum_max < tp->quorum) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_track_process '%s': quorum_max %u is below quorum %u",
                   name, tp->quorum_max, tp->quorum);
    }
}

/****** vrrp_sync_group ******/

static size_t group_item(struct cfgp *p,
                         void *obj,
                         const struct cfg_tok *t,
                         size_t n)
{
    struct cfg_sync_group *g = obj;
    char name[CFG_NAME_MAX];

    (void)n;
    if (cfgp_name(p, t, "group", name, sizeof name)) {
        char(*slot)[CFG_NAME_MAX] = cfgp_append(p, (void **)&g->instances,
                                                &g->n_instances, sizeof *slot);
        if (slot != NULL) {
            memcpy(*slot, name, sizeof name);
        }
    }
    return 1;
}

static void group_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_sync_group *g = obj;

    if (is(s, "group")) {
        cfgp_list(p, group_item, g, "group");
    } else if (is(s, "smtp_alert")) {
        g->smtp_alert = true;
        cfgp_warn(p, &s->kw->where,
                  "'smtp_alert' is accepted but not acted on by vipd: "
                  "vipd sends no mail; use a notify script");
    } else {
        cfgp_notify_kw(p, &g->notify, s);
    }
}

static const struct cfg_kw group_kws[] = {
    {"group", CFG_KW_BLOCK, 0, 0, group_value, NULL},
    KW("notify_master", 1, CFG_ARGS_ANY, group_value),
    KW("notify_backup", 1, CFG_ARGS_ANY, group_value),
    KW("notify_fault", 1, CFG_ARGS_ANY, group_value),
    KW("notify_stop", 1, CFG_ARGS_ANY, group_value),
    KW("notify", 1, CFG_ARGS_ANY, group_value),
    KW("smtp_alert", 0, 1, group_value),
#define PER_INSTANCE "vipd tracks per instance: list the checks in each " \
                     "vrrp_instance of the group"
    UNSUPPORTED("global_tracking", PER_INSTANCE),
    UNSUPPORTED("sync_group_tracking_weight", PER_INSTANCE),
    UNSUPPORTED("track_script", PER_INSTANCE),
    UNSUPPORTED("track_interface", PER_INSTANCE),
    UNSUPPORTED("track_file", PER_INSTANCE),
    UNSUPPORTED("track_process", PER_INSTANCE),
#undef PER_INSTANCE
    UNSUPPORTED("track_bfd", "vipd has no BFD; use a vrrp_script with "
                             "tcp_check or a script"),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_group_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    char name[CFG_NAME_MAX];

    if (!cfgp_name(p, &s->args[0], "vrrp_sync_group", name, sizeof name)) {
        cfgp_skip_block(p);
        return;
    }
    const struct cfg_where *dup =
        FIND_DUP(struct cfg_sync_group, cfg->groups, cfg->n_groups, name);
    if (dup != NULL) {
        cfgp_error(p, &s->kw->where,
                   "vrrp_sync_group '%s' is already defined at line %u", name,
                   dup->line);
    }
    struct cfg_sync_group *g =
        cfgp_append(p, (void **)&cfg->groups, &cfg->n_groups, sizeof *g);
    if (g == NULL) {
        cfgp_skip_block(p);
        return;
    }
    memcpy(g->name, name, sizeof name);
    g->where = s->kw->where;
    cfgp_block(p, group_kws, g, "vrrp_sync_group");
}
