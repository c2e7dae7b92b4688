/* The typed, validated configuration that every vipd module reads.
 *
 * Parsed from keepalived's configuration syntax plus one `cluster` block
 * (see docs/DESIGN.md 1). A `struct vip_config` owns all of its memory;
 * there is no global state. Times are stored in milliseconds, whatever unit
 * the keyword uses in the file (keepalived's seconds, fractions allowed).
 * Every object records the line it was declared on, for later messages. */
#ifndef VIPD_CONFIG_H
#define VIPD_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_NAME_MAX 64  /* instance, script, group and router names */
#define CFG_PASS_MAX 8   /* VRRPv2 PASS authentication: 8 bytes on the wire */
#define CFG_MAX_PEERS 32 /* cluster members */
/* The shortest election timeout derived from advert_int (ms). Measured in
 * the namespace lab with the two cores busy (bench/RESULTS.md, "advert_int
 * 0.1"): at 150 and 200 ms a correct failover was sometimes followed by a
 * long time without a holder (1 of 17 and 1 of 6 trials) as the survivors
 * lost and regained leadership under load; none at 250 ms. An explicit
 * election_timeout may go lower (100), at the user's risk. */
#define CFG_ELECTION_TIMEOUT_FLOOR_MS 250
#define CFG_ELECTION_TIMEOUT_DEFAULT_MS 500
#define CFG_MAX_ALLOW 32 /* cluster { allow_from } prefixes */

/* An IPv4 or IPv6 address in network byte order. */
struct cfg_ip
{
    int family;         /* AF_INET, AF_INET6, or 0 when unset */
    uint8_t bytes[16];  /* 4 bytes used for AF_INET */
};

/* Where something was declared: file name (owned by the config) and line. */
struct cfg_where
{
    const char *file;
    unsigned line;
};

/* One entry of virtual_ipaddress / virtual_ipaddress_excluded:
 * `ADDR[/PREFIX] [brd ADDR] [dev IFNAME] [label LABEL] [scope SCOPE]`. */
struct cfg_vip
{
    struct cfg_ip addr;
    uint8_t prefix;          /* defaults: 32 for IPv4, 128 for IPv6 */
    struct cfg_ip brd;       /* family 0 when not given */
    char dev[IF_NAMESIZE];   /* empty: the instance's interface */
    char label[IF_NAMESIZE]; /* empty: no label */
    int scope;               /* RT_SCOPE_*; RT_SCOPE_UNIVERSE by default */
    bool no_track;           /* `no_track`: its removal is not a fault */
    struct cfg_where where;
};

enum cfg_check_kind {
    CFG_CHECK_SCRIPT, /* `script "CMD ARGS"` run with fork/exec */
    CFG_CHECK_TCP,    /* `tcp_check HOST:PORT`: connect within timeout */
    CFG_CHECK_HTTP,   /* `http_check URL status CODE`: HTTP/1.1 GET */
};

/* A `vrrp_script NAME { ... }` block. keepalived's defaults: interval 1 s,
 * timeout = interval, weight 0, fall 1, rise 1. */
struct cfg_script
{
    char name[CFG_NAME_MAX];
    enum cfg_check_kind kind;
    char *command;      /* CFG_CHECK_SCRIPT: the command line, owned */
    char *target;       /* CFG_CHECK_TCP "HOST:PORT" or CFG_CHECK_HTTP URL */
    int http_status;    /* CFG_CHECK_HTTP: expected status, default 200 */
    char host[256];     /* TCP/HTTP: host name or address literal (no []) */
    uint16_t port;      /* TCP/HTTP: port (HTTP default 80) */
    char *http_path;    /* CFG_CHECK_HTTP: request path, "/" default, owned */
    char *tls_ca_file;  /* https: `tls_ca_file PATH`, NULL: system CAs */
    bool tls_no_verify; /* https: `tls_verify no`; verified by default */
    struct cfg_where tls_where; /* first tls_* keyword, line 0 if none */
    uint32_t interval_ms;
    uint32_t timeout_ms;
    int weight;         /* -253..253 */
    bool weight_reverse;
    uint32_t fall;      /* >= 1 */
    uint32_t rise;      /* >= 1 */
    char user[CFG_NAME_MAX];  /* empty: global script_user */
    char group[CFG_NAME_MAX]; /* empty: the user's primary group */
    bool init_fail;     /* `init_fail`: starts failed instead of ok */
    struct cfg_where where;
};

/* A `track_file NAME { file PATH weight W }` block. */
struct cfg_track_file
{
    char name[CFG_NAME_MAX];
    char *path;
    int weight;         /* default 1; -254..254 */
    bool weight_reverse;
    struct cfg_where where;
};

enum cfg_param_match {
    CFG_PARAM_EXACT = 0, /* the parameters are exactly the given ones */
    CFG_PARAM_PARTIAL,   /* the first N parameters are the N given */
    CFG_PARAM_INITIAL,   /* same, the last one only has to start with it */
};

/* A `vrrp_track_process NAME { ... }` block (keepalived's semantics):
 * healthy while the number of matching processes is within [quorum,
 * quorum_max]. A process matches by name (/proc/PID/comm, 15 characters)
 * unless parameters or param_match are given: then by its command line
 * (argv[0] as written, or its base name when argv[0] of the config has no
 * '/', then the parameters per @param_match); with full_command alone, the
 * command line joined by spaces must equal the `process` words joined. */
struct cfg_track_process
{
    char name[CFG_NAME_MAX];
    char **argv;              /* process [PARAMS...], owned, NULL-ended */
    size_t argc;
    bool by_cmdline;          /* parameters, param_match or full_command */
    bool full_command;        /* the whole command line, as one string */
    bool param_match_given;   /* without parameters: "no parameters" */
    enum cfg_param_match param_match;
    int weight;               /* default 1; -254..254 */
    bool weight_reverse;
    uint32_t quorum;          /* default 1 */
    uint32_t quorum_max;      /* default UINT32_MAX */
    uint32_t fork_delay_ms;   /* before counting a quorum gained by fork */
    uint32_t terminate_delay_ms; /* before counting a quorum lost */
    struct cfg_where where;
};

/* One use of a script, file or interface inside an instance, with the
 * per-use weight override keepalived allows (`chk_haproxy weight -30`). */
struct cfg_track
{
    char name[CFG_NAME_MAX]; /* script/track_file name, or interface name */
    bool has_weight;
    int weight;
    bool weight_reverse;
    struct cfg_where where;
};

enum cfg_state { CFG_STATE_BACKUP = 0, CFG_STATE_MASTER = 1 };
enum cfg_auth { CFG_AUTH_NONE = 0, CFG_AUTH_PASS, CFG_AUTH_AH };

/* The user a notify script runs as: keepalived's `notify_master "CMD"
 * USER [GROUP]`; empty: the global script_user. */
struct cfg_run_as
{
    char user[CFG_NAME_MAX];
    char group[CFG_NAME_MAX]; /* empty: the user's primary group */
};

/* The notify scripts of an instance or a sync group (owned, NULL if unset),
 * and whom each runs as. */
struct cfg_notify
{
    char *master;
    char *backup;
    char *fault;
    char *stop;
    char *any; /* `notify`: called with TYPE NAME STATE PRIORITY */
    struct cfg_run_as master_as, backup_as, fault_as, stop_as, any_as;
};

/* A `vrrp_instance NAME { ... }` block. */
struct cfg_instance
{
    char name[CFG_NAME_MAX];
    enum cfg_state state;          /* initial state hint; default BACKUP */
    char interface[IF_NAMESIZE];   /* required */
    uint8_t vrid;                  /* virtual_router_id, 1..255, required */
    uint8_t priority;              /* 1..255; default 100, or 255 for an
                                      initial MASTER (keepalived) */
    uint8_t version;               /* 2 or 3: `version`, else global
                                      vrrp_version; IPv6 forces 3 */
    int family;                    /* AF_INET or AF_INET6: of the VIPs and
                                      of the adverts; AF_INET if no VIP */
    uint32_t advert_int_ms;        /* default 1000; v2 whole seconds, v3
                                      a multiple of 10 ms up to 40950 */
    enum cfg_auth auth_type;
    char auth_pass[CFG_PASS_MAX + 1]; /* NUL-terminated, at most 8 chars */

    struct cfg_vip *vips;          /* virtual_ipaddress */
    size_t n_vips;
    struct cfg_vip *vips_excluded; /* virtual_ipaddress_excluded */
    size_t n_vips_excluded;

    struct cfg_track *track_scripts;
    size_t n_track_scripts;
    struct cfg_track *track_interfaces;
    size_t n_track_interfaces;
    struct cfg_track *track_files;
    size_t n_track_files;
    struct cfg_track *track_processes; /* vrrp_track_process names */
    size_t n_track_processes;

    bool nopreempt;
    uint32_t preempt_delay_ms;     /* 0..1000 s in keepalived */

    struct cfg_ip unicast_src_ip;  /* family 0 when unset */
    struct cfg_ip *unicast_peers;
    size_t n_unicast_peers;
    struct cfg_ip mcast_src_ip;    /* family 0 when unset */
    struct cfg_ip mcast_dst_ip;    /* the multicast group of the adverts:
                                      `mcast_dst_ip`, else the global
                                      vrrp_mcast_group4/6, else RFC 5798's
                                      224.0.0.18 / ff02::12 (resolved) */

    struct cfg_notify notify;
    bool smtp_alert;

    uint32_t garp_master_delay_ms;   /* default: global, else 5 s */
    uint32_t garp_master_repeat;     /* default: global, else 5 */
    uint32_t garp_master_refresh_ms; /* 0: no periodic refresh */
    uint32_t garp_master_refresh_repeat; /* default 1 */
    uint32_t garp_interval_ms;       /* default: global vrrp_garp_interval */
    uint32_t gna_interval_ms;        /* default: global vrrp_gna_interval */

    struct cfg_where where;
    /* Where these keywords were given (line 0: not given), for messages. */
    struct cfg_where vrid_where;
    struct cfg_where advert_int_where;
    struct cfg_where auth_where;
    struct cfg_where nopreempt_where;
    struct cfg_where unicast_src_where;
    struct cfg_where mcast_dst_where;
};

/* A `vrrp_sync_group NAME { group { I1 I2 } notify_* ... }` block. */
struct cfg_sync_group
{
    char name[CFG_NAME_MAX];
    char (*instances)[CFG_NAME_MAX]; /* names, each of an existing instance */
    size_t n_instances;
    struct cfg_notify notify;
    bool smtp_alert;
    struct cfg_where where;
};

/* A cluster member: `peer HOST[:PORT]` (host name, IPv4 or [IPv6]); the
 * port defaults to the listen port. */
struct cfg_peer
{
    char host[256];
    uint16_t port;
    struct cfg_where where;
};

enum cfg_lease_mode { CFG_LEASE_NORMAL = 0, CFG_LEASE_STRICT };

/* The vipd-specific `cluster { ... }` block. Defaults in brackets. */
struct cfg_cluster
{
    bool present;                 /* false if the file has no cluster block */
    uint32_t node_id;             /* 0: derived from listen address */
    char listen_host[256];        /* required when present */
    uint16_t listen_port;         /* [5405] */
    struct cfg_peer peers[CFG_MAX_PEERS]; /* explicit `peer` lines, or the
                                     first instance's unicast_peer IPs with
                                     listen_port when there are none */
    size_t n_peers;
    bool peers_from_unicast;      /* true when derived from unicast_peer */
    bool no_bootstrap;            /* `bootstrap no`: wait for `vipctl join`
                                     [bootstrap yes] */
    char *data_dir;               /* [/var/lib/vipd] */
    char *secret_file;            /* [/etc/vipd/cluster.key] */
    char *control_socket;         /* [/run/vipd/vipd.sock] */
    char control_group[CFG_NAME_MAX]; /* empty: root only (mode 0600) */
    uint32_t election_timeout_ms; /* [500; with a sub-second advert_int
                                     and no election_timeout line, 500 *
                                     advert_int / 1 s, at least
                                     CFG_ELECTION_TIMEOUT_FLOOR_MS] */
    bool election_timeout_set;    /* given in the file */
    uint32_t heartbeat_ms;        /* [election_timeout / 10] */
    enum cfg_lease_mode lease_mode; /* [normal] */
    uint32_t takeover_wait_ms;    /* W in docs/DESIGN.md 4.2 [0] */
    uint32_t snapshot_threshold;  /* entries [1024] */
    uint32_t snapshot_trailing;   /* entries [128] */
    bool witness;                 /* `witness yes`: a voter that never holds
                                     a VIP, has no vrrp_instance and needs
                                     no network privileges [no]. Raft code
                                     may read it to campaign later than the
                                     nodes that can hold. */
    struct cfg_where witness_where;
    char metrics_host[256];       /* metrics_listen ADDR:PORT: a numeric
                                     address; empty: no metrics [off] */
    uint16_t metrics_port;
    /* `allow_from PREFIX` (repeatable): only these source addresses may
     * open a connection to the cluster port; none: any (the key decides). */
    struct cfg_ip allow_from[CFG_MAX_ALLOW];
    uint8_t allow_from_prefix[CFG_MAX_ALLOW];
    size_t n_allow_from;
    struct cfg_where where;
};

/* `global_defs { ... }`: what vipd acts on. Notification/SMTP keys are
 * accepted and reported as not acted on. */
struct cfg_global
{
    char router_id[CFG_NAME_MAX];
    struct cfg_where router_id_where;
    uint8_t vrrp_version;         /* [2] */
    char script_user[CFG_NAME_MAX];
    char script_group[CFG_NAME_MAX];
    bool enable_script_security;
    uint32_t garp_master_delay_ms;   /* [5000] */
    uint32_t garp_master_repeat;     /* [5] */
    uint32_t garp_master_refresh_ms; /* [0] */
    uint32_t garp_master_refresh_repeat; /* [1] */
    uint32_t garp_interval_ms;       /* delay between GARPs of a burst [0] */
    uint32_t gna_interval_ms;        /* same for unsolicited NA [0] */
    /* keepalived's notify FIFOs: every instance/group state change as a
     * line `INSTANCE "NAME" STATE PRIORITY` (GROUP ... 0) written to the
     * FIFO, created if missing; the script, if any, runs for vipd's life
     * with the FIFO path as its last argument. Index 0: notify_fifo,
     * 1: vrrp_notify_fifo (vipd has only VRRP events: both get them). */
    struct cfg_fifo
    {
        char *path;           /* owned; NULL: none */
        struct cfg_run_as as; /* owner of a FIFO vipd creates */
        char *script;         /* owned; NULL: none */
        struct cfg_run_as script_as;
        struct cfg_where where;
    } fifos[2];
    char net_namespace[CFG_NAME_MAX]; /* `net_namespace NAME`: vipd runs
                                     in /run/netns/NAME [where started] */
    struct cfg_ip mcast_group4;      /* vrrp_mcast_group4 [224.0.0.18] */
    struct cfg_ip mcast_group6;      /* vrrp_mcast_group6 [ff02::12] */
};

struct vip_config
{
    struct cfg_global global;
    struct cfg_cluster cluster;
    struct cfg_script *scripts;
    size_t n_scripts;
    struct cfg_track_file *track_files;
    size_t n_track_files;
    struct cfg_track_process *track_processes;
    size_t n_track_processes;
    struct cfg_instance *instances;
    size_t n_instances;
    struct cfg_sync_group *groups;
    size_t n_groups;
    char **files; /* every file read (for cfg_where.file), owned */
    size_t n_files;
    char *config_id; /* what @ID line prefixes were matched against, owned
                        (pass it again when reloading) */
};

/* How to read a file. */
struct cfg_options
{
    /* keepalived's -i/--config-id: a line `@ID ...` is read only when ID
     * is this, `@^ID ...` only when it is not. NULL: the host name. */
    const char *config_id;
    /* When not NULL: read these @text_len bytes instead of the file; the
     * path is then only the name in messages and the base of includes. */
    const char *text;
    size_t text_len;
};

/* Diagnostics sink: one call per error or warning, already formatted as
 * "FILE:LINE: error: message" / "FILE:LINE: warning: message" (or
 * "FILE: error: message" when no line applies), without a newline. A NULL
 * @emit prints each line to stderr. The counters count every problem, also
 * those past the first 200 messages, which are not emitted. */
struct cfg_report
{
    void (*emit)(void *data, bool is_error, const char *line);
    void *data;
    unsigned n_errors;
    unsigned n_warnings;
};

/* Parse and validate @path (following `include` globs) into @cfg, which the
 * caller provides uninitialised. Every problem is reported through @report
 * (NULL: print to stderr). Returns 0 if there were no errors (warnings
 * allowed), VIP_ECONFIG if there was at least one error, VIP_ENOMEM on
 * allocation failure. @cfg must be released with vip_config_free() in every
 * case. */
int vip_config_load(struct vip_config *cfg, const char *path,
                    struct cfg_report *report);

/* vip_config_load() with options (@opts NULL: the defaults). */
int vip_config_load_opts(struct vip_config *cfg,
                         const char *path,
                         const struct cfg_options *opts,
                         struct cfg_report *report);

/* Same as vip_config_load() for an in-memory text; @name is used in
 * messages and as the base for relative includes. */
int vip_config_load_string(struct vip_config *cfg, const char *name,
                           const char *text, size_t len,
                           struct cfg_report *report);

/* Check what the daemon needs beyond a valid keepalived file: a cluster
 * block with a listen address, at least one vrrp_instance and a VIP in each.
 * Problems go to @report (NULL: stderr). Returns 0 or VIP_ECONFIG. */
int vip_config_check_runnable(const struct vip_config *cfg,
                              struct cfg_report *report);

/* Check @cfg against this host, as the daemon needs it at start: every
 * interface named exists, the cluster key file loads (regular, mode 0600 or
 * 0400, owned by root or the effective user, enough key material) and the
 * data dir exists writable or can be created. Problems go to @report
 * (NULL: stderr). Returns 0, VIP_ECONFIG or VIP_ENOMEM. */
int vip_config_check_host(const struct vip_config *cfg,
                          struct cfg_report *report);

/* Release everything @cfg owns; safe on a zeroed or partially filled one. */
void vip_config_free(struct vip_config *cfg);

/* Lookups by name; NULL if absent. */
const struct cfg_script *vip_config_script(const struct vip_config *cfg,
                                           const char *name);
const struct cfg_instance *vip_config_instance(const struct vip_config *cfg,
                                               const char *name);
const struct cfg_track_file *vip_config_track_file(
    const struct vip_config *cfg, const char *name);
const struct cfg_track_process *vip_config_track_process(
    const struct vip_config *cfg, const char *name);

/****** Placement units (src/config_unit.c) ******/

/* A unit is what one node holds as a whole: a vrrp_sync_group, or a
 * vrrp_instance in no sync group. Its name is the group's name, or the
 * instance's own name for a lone instance. `vipd -t` refuses a sync group
 * named like an instance outside it, so in a valid configuration a unit
 * name names one unit. Instance numbers are indexes into cfg->instances. */

/* The sync group of instance @instance; NULL if it is in none (or there
 * is no such instance). */
const struct cfg_sync_group *vip_config_sync_group_of(
    const struct vip_config *cfg, size_t instance);

/* The unit name of instance @instance (pointing into @cfg); NULL if there
 * is no such instance. */
const char *vip_config_unit_of(const struct vip_config *cfg, size_t instance);

/* Whether instance @instance belongs to the unit named @unit. */
bool vip_config_in_unit(const struct vip_config *cfg,
                        size_t instance,
                        const char *unit);

/* The units in config order (the order of their first instances): stores
 * up to @max names (pointing into @cfg) in @names (may be NULL) and
 * returns the number of units, which may exceed @max. */
size_t vip_config_units(const struct vip_config *cfg,
                        const char **names,
                        size_t max);

/* Format @ip into @buf (at least INET6_ADDRSTRLEN bytes); returns @buf. */
const char *cfg_ip_str(const struct cfg_ip *ip, char *buf, size_t size);

#endif /* VIPD_CONFIG_H */
