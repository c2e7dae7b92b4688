/* Local health checks: run the tracked vrrp_scripts (fork/exec, tcp_check,
 * http_check) and track_files on their intervals, take interface states
 * from the vip manager, smooth with fall/rise, and report only
 * transitions. The daemon turns each transition into a HEALTH proposal.
 *
 * Check names (the `check_name` of a transition, and of HEALTH entries):
 *   vrrp_script NAME (any kind) -> "NAME"       value 1 ok, 0 failed
 *   track_file NAME             -> "file:NAME"  value: the number read
 *   interface IFNAME            -> "if:IFNAME"  value 1 up, 0 down
 *   vrrp_track_process NAME     -> "NAME"       value 1 quorum met, 0 not
 *     (the vrrp_script namespace: HEALTH entries and weights treat it as
 *     a script; src/check_process.h watches the processes)
 * Only scripts and files that some instance tracks are run (keepalived
 * drops unused scripts with a warning). Interfaces: every instance's own
 * interface and every track_interface.
 *
 * Initial state: each check starts unknown; its first result is reported
 * at once, whatever fall/rise say (keepalived: "one success is enough",
 * and a first failure counts at once). After that, only fall/rise
 * transitions. Interfaces and files have no fall/rise: every change is
 * reported. A script that cannot run (not found, unknown user, refused by
 * enable_script_security) is never run and is reported failed (0) once at
 * start: the node does not vouch for what it cannot check.
 *
 * Lifecycle (libuv's): health_init (no I/O, no handles) -> health_start
 * (timers run; first probes at once) -> health_close (kills running
 * scripts, closes handles, then calls back). */
#ifndef VIPD_SRC_HEALTH_H
#define VIPD_SRC_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "src/check_process.h"
#include "src/health_rule.h"
#include "src/script_run.h"
#include "vipd/config.h"
#include "vipd/error.h"

#define HEALTH_NAME_MAX         (CFG_NAME_MAX + 8) /* "file:" / "if:" + name */
#define HEALTH_FILE_INTERVAL_MS 1000 /* track_file polling period */

struct health;

struct health_cbs
{
    void *data;
    /* A check's smoothed value changed (or became known). @check_name is
     * valid during the call only. May be called from inside health_start()
     * (interface states, refused and init_fail scripts) and
     * health_set_interface(); never from health_init(), health_close() or
     * after health_close(). */
    void (*transition)(void *data, const char *check_name, int32_t value);
};

typedef void (*health_close_cb)(struct health *h);

enum health_kind {
    HEALTH_KIND_SCRIPT,
    HEALTH_KIND_TCP,
    HEALTH_KIND_HTTP,
    HEALTH_KIND_FILE,
    HEALTH_KIND_IFACE,
    HEALTH_KIND_PROCESS,
};

/* A check's state for `vipctl status`. Strings point into @h. */
struct health_check_status
{
    const char *name;
    enum health_kind kind;
    bool is_known;   /* a value has been reported */
    int32_t value;   /* as reported (see names above) */
    bool is_refused; /* never run; see errmsg */
    uint32_t streak; /* results against the state so far */
    uint32_t fall, rise;
    uint64_t n_probes;    /* completed probes */
    uint64_t n_failures;  /* failed probes */
    uint64_t n_unknown;   /* probes not run for want of descriptors,
                           * processes or memory: last state kept */
    uint64_t last_end_ms; /* vip_now_ms() at the last result, 0 none */
    uint64_t changed_ms;  /* vip_now_ms() at the last report, 0 none */
    uint64_t last_duration_ms;
    int last_exit_status;    /* scripts: exit code, -signal, or -1 */
    const char *last_result; /* "exit 0", "timeout", "HTTP 503", ... */
};

struct health_check; /* private to health.c */

struct health
{
    uv_loop_t *loop;
    const struct vip_config *cfg;
    struct health_cbs cbs;
    struct health_check *checks;
    size_t n_checks;
    struct script_runner runner;
    struct proc_mon procs;              /* the vrrp_track_process checks */
    struct health_check **proc_checks;  /* watch index -> check */
    uint32_t file_interval_ms; /* tests may shorten it before start */
    bool is_started;
    bool is_closing;
    unsigned n_closing; /* handles and sub-objects still closing */
    health_close_cb close_cb;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Build the check set from @cfg (which must outlive @h) and prepare every
 * script command. Returns 0 or VIP_ENOMEM / VIP_EINVAL (a check that
 * cannot be built at all, e.g. a bad URL; message in @h->errmsg; scripts
 * that cannot run are refused instead, see above). On error nothing needs
 * closing; on success call health_close(). */
int health_init(struct health *h,
                uv_loop_t *loop,
                const struct vip_config *cfg,
                const struct health_cbs *cbs);

/* Start the timers; each check probes at once, then every interval.
 * Refused scripts report 0 now. Returns 0 or a libuv error; on error
 * call health_close() anyway. */
int health_start(struct health *h);

/* Reload: take over the smoothed state of every check of @old (a running
 * set built from the previous configuration) with the same name and kind,
 * so that an unchanged check reports nothing new and a changed one goes on
 * from its current state by fall/rise. Call between health_init() and
 * health_start() of @h. */
void health_inherit(struct health *h, const struct health *old);

/* Stop everything: running scripts are killed (SIGKILL to their group),
 * probes abandoned, no more transitions. @cb fires once every handle is
 * closed (synchronously if there is none); then @h may be freed. */
void health_close(struct health *h, health_close_cb cb);

/* The current smoothed value of @check_name: 0 with *@value set, -EAGAIN
 * if not known yet, VIP_ENOENT if there is no such check. */
int health_value(const struct health *h,
                 const char *check_name,
                 int32_t *value);

/* True when every check has a known value (the node can leave "init"). */
bool health_all_known(const struct health *h);

/* Report every known value again through the transition callback (after
 * a partition heals, on becoming connected, on a new leader). Returns the
 * number of reports. */
size_t health_replay(struct health *h);

/* The vip manager's link_changed: report "if:@ifname" if tracked and
 * changed. Returns 0, or VIP_ENOENT if the interface is not tracked.
 * health_start() reads each tracked interface's state once itself (up =
 * IFF_UP and IFF_RUNNING, keepalived's rule; missing = down), so callers
 * need to report changes only. */
int health_set_interface(struct health *h, const char *ifname, bool is_up);

/* Number of checks, and the status of the @i-th (0 <= i < n). */
size_t health_n_checks(const struct health *h);
int health_status(const struct health *h,
                  size_t i,
                  struct health_check_status *out);

/* The kind and bare name of a reported @check_name (the inverse of
 * health_check_name()): "file:X" -> (HEALTH_KIND_FILE, "X"), "if:X" ->
 * (HEALTH_KIND_IFACE, "X"), anything else -> (HEALTH_KIND_SCRIPT, name).
 * For the HEALTH entry's (kind, name) pair. Returns the bare name. */
const char *health_name_parse(const char *check_name, enum health_kind *kind);

/* Write the check name of a track_file (kind HEALTH_KIND_FILE) or an
 * interface (HEALTH_KIND_IFACE) or a script (other kinds) into @buf of
 * HEALTH_NAME_MAX bytes; returns @buf. For the priority rule's lookups. */
const char *health_check_name(enum health_kind kind,
                              const char *name,
                              char *buf);

/****** Config checks for `vipd -t` (health_config.c) ******/

/* Add warnings (and errors) about health tracking to @report; see
 * health_config.c for the list. Never fails. */
void health_check_config(const struct vip_config *cfg,
                         struct cfg_report *report);

/* keepalived's rule for a weighted check to move the VIP: the priority gap
 * between the holder and the next node must be smaller than the weight.
 * Also true for weight 0 (the check faults the node). For the daemon, which
 * knows every node's priority from the NODE entries. */
bool health_can_fail_over(int holder_priority, int other_priority, int weight);

#endif /* VIPD_SRC_HEALTH_H */
