/* The health check scheduler: one timer per probing check, results through
 * health_rule, transitions to the owner. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/check_http.h"
#include "src/check_tcp.h"
#include "src/health.h"
#include "vipd/clock.h"
#include "vipd/log.h"

struct health_check
{
    struct health *h;
    char name[HEALTH_NAME_MAX];
    enum health_kind kind;
    const struct cfg_script *script;   /* script, tcp, http */
    const struct cfg_track_file *file; /* file */
    const struct cfg_track_process *process; /* process */
    struct health_rule rule;
    bool is_known;
    int32_t value;
    uint64_t changed_ms; /* when the value last changed */
    bool is_refused;
    bool is_busy; /* a probe is in flight */
    bool has_timer;
    bool has_net; /* tcp/http object initialised */
    uv_timer_t timer;
    struct script_cmd cmd;
    struct check_tcp tcp;
    struct check_http http;
    uint64_t probe_start_ms;
    /* Status display. */
    uint64_t n_probes;
    uint64_t n_failures;
    uint64_t n_unknown; /* probes not run for want of a resource */
    uint64_t last_end_ms;
    uint64_t last_duration_ms;
    int last_exit_status;
    char last_result[128]; /* room for libcurl's TLS errors */
    char refused_msg[VIP_ERRMSG_SIZE];
};

const char *health_check_name(enum health_kind kind,
                              const char *name,
                              char *buf)
{
    const char *prefix = kind == HEALTH_KIND_FILE    ? "file:"
                         : kind == HEALTH_KIND_IFACE ? "if:"
                                                     : "";
    snprintf(buf, HEALTH_NAME_MAX, "%s%s", prefix, name);
    return buf;
}

const char *health_name_parse(const char *check_name, enum health_kind *kind)
{
    if (strncmp(check_name, "file:", 5) == 0) {
        *kind = HEALTH_KIND_FILE;
        return check_name + 5;
    }
    if (strncmp(check_name, "if:", 3) == 0) {
        *kind = HEALTH_KIND_IFACE;
        return check_name + 3;
    }
    *kind = HEALTH_KIND_SCRIPT;
    return check_name;
}

/****** Building the check set ******/

static struct health_check *find_check(const struct health *h, const char *name)
{
    for (size_t i = 0; i < h->n_checks; i++) {
        if (strcmp(h->checks[i].name, name) == 0) {
            return &h->checks[i];
        }
    }
    return NULL;
}

static const struct cfg_track_file *find_file(const struct vip_config *cfg,
                                              const char *name)
{
    for (size_t i = 0; i < cfg->n_track_files; i++) {
        if (strcmp(cfg->track_files[i].name, name) == 0) {
            return &cfg->track_files[i];
        }
    }
    return NULL;
}

static const struct cfg_script *find_script(const struct vip_config *cfg,
                                            const char *name)
{
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        if (strcmp(cfg->scripts[i].name, name) == 0) {
            return &cfg->scripts[i];
        }
    }
    return NULL;
}

static struct health_check *add_check(struct health *h,
                                      enum health_kind kind,
                                      const char *name)
{
    char full[HEALTH_NAME_MAX];
    health_check_name(kind, name, full);
    struct health_check *c = find_check(h, full);
    if (c != NULL) {
        return c; /* tracked by several instances: one check */
    }
    c = &h->checks[h->n_checks++];
    memset(c, 0, sizeof *c);
    c->h = h;
    c->kind = kind;
    snprintf(c->name, sizeof c->name, "%s", full);
    c->last_exit_status = -1;
    health_rule_init(&c->rule, 1, 1);
    return c;
}

static void refuse(struct health_check *c, const char *why)
{
    c->is_refused = true;
    snprintf(c->refused_msg, sizeof c->refused_msg, "%s", why);
    snprintf(c->last_result, sizeof c->last_result, "refused");
    vip_err("vrrp_script %s: %s; it will never run and counts as failed",
            c->name, why);
}

static int setup_script(struct health *h,
                        struct health_check *c,
                        const struct cfg_script *s)
{
    char host[256];
    char path[CHECK_HTTP_MAX_PATH];
    uint16_t port;
    int rv;

    c->script = s;
    health_rule_init(&c->rule, s->fall, s->rise);
    if (s->init_fail) {
        health_rule_start_failed(&c->rule); /* reported failed at start */
    }
    switch (s->kind) {
    case CFG_CHECK_TCP:
        c->kind = HEALTH_KIND_TCP;
        if (check_tcp_parse_target(s->target, host, sizeof host, &port)) {
            errmsg_printf(h->errmsg, "vrrp_script %s: bad tcp_check '%s'",
                          s->name, s->target ? s->target : "");
            return VIP_EINVAL;
        }
        return 0;
    case CFG_CHECK_HTTP:
        c->kind = HEALTH_KIND_HTTP;
        if (check_http_parse_url(s->target, host, sizeof host, &port, path,
                                 sizeof path)) {
            errmsg_printf(h->errmsg, "vrrp_script %s: bad http_check '%s'",
                          s->name, s->target ? s->target : "");
            return VIP_EINVAL;
        }
        return 0;
    case CFG_CHECK_SCRIPT:
    default:
        break;
    }
    rv = script_cmd_init(&c->cmd, s->command);
    if (rv == VIP_ENOMEM) {
        return rv;
    }
    if (rv == 0) {
        const char *user = s->user[0] ? s->user : h->cfg->global.script_user;
        const char *group = s->user[0] ? s->group : h->cfg->global.script_group;
        rv = script_cmd_prepare(&c->cmd, user, group,
                                h->cfg->global.enable_script_security);
        if (rv == VIP_ENOMEM) {
            return rv;
        }
    }
    if (rv != 0) {
        refuse(c, c->cmd.errmsg);
    }
    return 0;
}

int health_init(struct health *h,
                uv_loop_t *loop,
                const struct vip_config *cfg,
                const struct health_cbs *cbs)
{
    size_t max = 0;
    int rv;

    memset(h, 0, sizeof *h);
    h->loop = loop;
    h->cfg = cfg;
    h->cbs = *cbs;
    h->file_interval_ms = HEALTH_FILE_INTERVAL_MS;
    script_runner_init(&h->runner, loop);
    proc_mon_init(&h->procs, loop, NULL, 0, NULL, NULL); /* no watches yet */
    for (size_t i = 0; i < cfg->n_instances; i++) {
        const struct cfg_instance *in = &cfg->instances[i];
        max += 1 + in->n_track_scripts + in->n_track_interfaces +
               in->n_track_files + in->n_track_processes;
    }
    if (max > 0) {
        h->checks = calloc(max, sizeof *h->checks);
        if (h->checks == NULL) {
            return VIP_ENOMEM;
        }
    }
    for (size_t i = 0; i < cfg->n_instances; i++) {
        const struct cfg_instance *in = &cfg->instances[i];
        for (size_t k = 0; k < in->n_track_scripts; k++) {
            const char *name = in->track_scripts[k].name;
            const struct cfg_script *s = find_script(cfg, name);
            if (s == NULL) {
                vip_warn("%s: track_script %s: no such vrrp_script", in->name,
                         name);
                continue;
            }
            size_t before = h->n_checks;
            struct health_check *c = add_check(h, HEALTH_KIND_SCRIPT, name);
            if (h->n_checks == before) {
                continue;
            }
            rv = setup_script(h, c, s);
            if (rv != 0) {
                goto err;
            }
        }
        for (size_t k = 0; k < in->n_track_files; k++) {
            const char *name = in->track_files[k].name;
            const struct cfg_track_file *f = find_file(cfg, name);
            if (f == NULL) {
                vip_warn("%s: track_file %s: no such track_file", in->name,
                         name);
                continue;
            }
            add_check(h, HEALTH_KIND_FILE, name)->file = f;
        }
        for (size_t k = 0; k < in->n_track_processes; k++) {
            const char *name = in->track_processes[k].name;
            const struct cfg_track_process *tp =
                vip_config_track_process(cfg, name);
            if (tp == NULL) {
                vip_warn("%s: track_process %s: no such vrrp_track_process",
                         in->name, name);
                continue;
            }
            add_check(h, HEALTH_KIND_PROCESS, name)->process = tp;
        }
        if (in->interface[0] != '\0') {
            add_check(h, HEALTH_KIND_IFACE, in->interface);
        }
        for (size_t k = 0; k < in->n_track_interfaces; k++) {
            add_check(h, HEALTH_KIND_IFACE, in->track_interfaces[k].name);
        }
    }
    return 0;
err:
    for (size_t i = 0; i < h->n_checks; i++) {
        script_cmd_close(&h->checks[i].cmd);
    }
    free(h->checks);
    h->checks = NULL;
    h->n_checks = 0;
    return rv;
}

/****** Results ******/

static void report(struct health_check *c, int32_t value)
{
    struct health *h = c->h;

    if (!c->is_known || c->value != value) {
        c->changed_ms = vip_now_ms();
    }
    c->is_known = true;
    c->value = value;
    if (!h->is_closing && h->cbs.transition != NULL) {
        h->cbs.transition(h->cbs.data, c->name, value);
    }
}

/* One probe result of a script/tcp/http check. */
static void probe_done(struct health_check *c, bool is_ok)
{
    c->is_busy = false;
    c->n_probes++;
    if (!is_ok) {
        c->n_failures++;
    }
    c->last_end_ms = vip_now_ms();
    c->last_duration_ms = c->last_end_ms - c->probe_start_ms;
    if (c->h->is_closing) {
        return;
    }
    enum health_state before = c->rule.state;
    if (!health_rule_feed(&c->rule, is_ok)) {
        return;
    }
    if (before == HEALTH_UNKNOWN) {
        vip_info("check %s: initial state %s (%s)", c->name,
                 is_ok ? "ok" : "failed", c->last_result);
    } else {
        vip_notice("check %s: %s -> %s (%s; %s %u)", c->name,
                   is_ok ? "failed" : "ok", is_ok ? "ok" : "failed",
                   c->last_result, is_ok ? "rise" : "fall",
                   is_ok ? c->rule.rise : c->rule.fall);
    }
    report(c, is_ok ? 1 : 0);
}

/* The probe could not run for want of a resource of this process or host
 * (descriptors, processes, memory): that says nothing about the service,
 * so the check keeps its last state ("unknown", not "failed"); a flood of
 * connections must not move a VIP. */
static bool is_shortage(int rv)
{
    return rv == UV_EMFILE || rv == UV_ENFILE || rv == UV_EAGAIN ||
           rv == UV_ENOMEM || rv == UV_ENOBUFS || rv == VIP_ENOMEM;
}

static void probe_unknown(struct health_check *c, int rv)
{
    static uint64_t log_ms; /* one line per 10 s for the whole daemon */
    uint64_t now = vip_now_ms();

    c->is_busy = false;
    c->n_unknown++;
    snprintf(c->last_result, sizeof c->last_result,
             "not run: %s (last state kept)", uv_strerror(rv));
    if (log_ms == 0 || now - log_ms >= 10000) {
        log_ms = now;
        vip_warn("check %s: %s", c->name, c->last_result);
    }
}

static void script_done(void *data, const struct script_result *res)
{
    struct health_check *c = data;
    int old = c->last_exit_status;

    if (res->outcome == SCRIPT_CANCELLED) {
        c->is_busy = false;
        return;
    }
    switch (res->outcome) {
    case SCRIPT_EXITED:
        c->last_exit_status = res->exit_status;
        snprintf(c->last_result, sizeof c->last_result, "exit %d",
                 res->exit_status);
        break;
    case SCRIPT_SIGNALED:
        c->last_exit_status = -res->term_signal;
        snprintf(c->last_result, sizeof c->last_result, "killed by signal %d",
                 res->term_signal);
        break;
    case SCRIPT_TIMEDOUT:
    default:
        c->last_exit_status = -res->term_signal;
        snprintf(c->last_result, sizeof c->last_result, "timed out after %u ms",
                 c->script->timeout_ms);
        break;
    }
    if (c->last_exit_status != old) {
        /* keepalived logs "Script `x` now returning N" likewise. */
        vip_info("check %s: now %s (%llu ms)", c->name, c->last_result,
                 (unsigned long long)res->duration_ms);
    }
    probe_done(c, res->is_ok);
}

static void tcp_done(struct check_tcp *t, int status)
{
    struct health_check *c = t->data;
    if (is_shortage(status)) {
        probe_unknown(c, status);
        return;
    }
    if (status == 0) {
        snprintf(c->last_result, sizeof c->last_result, "connected");
    } else {
        snprintf(c->last_result, sizeof c->last_result, "%s",
                 status == VIP_ETIMEDOUT ? "timed out" : uv_strerror(status));
    }
    probe_done(c, status == 0);
}

static void http_done(struct check_http *hc, int status)
{
    struct health_check *c = hc->data;
    if (is_shortage(status)) {
        probe_unknown(c, status);
        return;
    }
    if (status == 0 || status == VIP_ERANGE) {
        snprintf(c->last_result, sizeof c->last_result, "HTTP %d", hc->code);
    } else if (hc->detail[0] != '\0') {
        /* https: libcurl's words ("SSL certificate problem: ..."). */
        snprintf(c->last_result, sizeof c->last_result, "%.120s", hc->detail);
    } else if (status == VIP_EPROTO) {
        snprintf(c->last_result, sizeof c->last_result, "bad HTTP answer");
    } else {
        snprintf(c->last_result, sizeof c->last_result, "%s",
                 status == VIP_ETIMEDOUT ? "timed out" : uv_strerror(status));
    }
    probe_done(c, status == 0);
}

/* keepalived track_file.c: missing or empty file, or no number, is 0; a
 * number out of the int32 range is ignored (the old value stays). The read
 * is a short local one, as keepalived's (O_NONBLOCK for FIFOs). */
static void file_probe(struct health_check *c)
{
    char buf[128];
    long long v = 0;
    bool is_valid = true;

    int fd = c->file->path != NULL
                 ? open(c->file->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
                 : -1;
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            errno = 0;
            v = strtoll(buf, NULL, 0);
            if (errno != 0 || v < INT32_MIN || v > INT32_MAX) {
                is_valid = false;
            }
        }
    }
    c->n_probes++;
    c->last_end_ms = vip_now_ms();
    if (!is_valid) {
        if (strcmp(c->last_result, "invalid number") != 0) {
            vip_warn("track_file %s: invalid number in %s, ignored", c->name,
                     c->file->path); /* once, not at every poll */
        }
        snprintf(c->last_result, sizeof c->last_result, "invalid number");
        if (c->is_known) {
            return;
        }
        v = 0;
    } else {
        snprintf(c->last_result, sizeof c->last_result, "%s%lld",
                 fd < 0 ? "missing: " : "", v);
    }
    if (!c->is_known || c->value != (int32_t)v) {
        vip_info("track_file %s: %lld", c->name, v);
        report(c, (int32_t)v);
    }
}

static void check_timer_cb(uv_timer_t *timer)
{
    struct health_check *c = timer->data;
    struct health *h = c->h;
    int rv;

    if (h->is_closing) {
        return;
    }
    if (c->kind == HEALTH_KIND_FILE) {
        file_probe(c);
        return;
    }
    if (c->is_busy) {
        /* keepalived: "Track script %s is already running - skipping". */
        vip_debug("check %s: previous probe still running, skipped", c->name);
        return;
    }
    const struct cfg_script *s = c->script;
    uint32_t timeout = s->timeout_ms ? s->timeout_ms : s->interval_ms;
    c->is_busy = true;
    c->probe_start_ms = vip_now_ms();
    switch (c->kind) {
    case HEALTH_KIND_TCP:
        rv = check_tcp_start(&c->tcp, timeout, tcp_done);
        break;
    case HEALTH_KIND_HTTP:
        rv = check_http_start(&c->http, timeout, http_done);
        break;
    default:
        rv = script_runner_spawn(&h->runner, &c->cmd, NULL, 0, timeout,
                                 script_done, c);
        if (is_shortage(rv)) {
            probe_unknown(c, rv);
            return;
        }
        if (rv != 0) {
            /* exec failed (binary gone since start-up, ...): a failure. */
            snprintf(c->last_result, sizeof c->last_result, "spawn: %s",
                     uv_strerror(rv));
            probe_done(c, false);
            return;
        }
        break;
    }
    if (rv == -EBUSY) {
        c->is_busy = false; /* old resources still closing: next round */
    }
}

/****** Lifecycle ******/

/* keepalived's IF_FLAGS_UP: administratively up and with carrier
 * (IFF_RUNNING). A missing interface is down. One ioctl, no blocking. */
static bool iface_is_up(const char *ifname)
{
    struct ifreq ifr;
    bool is_up = false;

    if (strlen(ifname) >= sizeof ifr.ifr_name) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        is_up =
            (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
    }
    close(fd);
    return is_up;
}

/* A vrrp_track_process watch changed state (src/check_process.c). */
static void process_changed(void *data, size_t index, bool ok)
{
    struct health *h = data;
    struct health_check *c = h->proc_checks[index];

    c->n_probes++;
    c->last_end_ms = vip_now_ms();
    snprintf(c->last_result, sizeof c->last_result, "%u running",
             h->procs.watches[index].count);
    if (!ok) {
        c->n_failures++;
    }
    if (c->is_known) {
        vip_notice("check %s: %s -> %s (%s)", c->name,
                   ok ? "failed" : "ok", ok ? "ok" : "failed",
                   c->last_result);
    } else {
        vip_info("check %s: initial state %s (%s)", c->name,
                 ok ? "ok" : "failed", c->last_result);
    }
    report(c, ok ? 1 : 0);
}

/* Start watching processes, if any check is a vrrp_track_process. */
static int start_processes(struct health *h)
{
    size_t n = 0;
    const struct cfg_track_process **tps;

    for (size_t i = 0; i < h->n_checks; i++) {
        n += h->checks[i].kind == HEALTH_KIND_PROCESS;
    }
    if (n == 0) {
        return 0;
    }
    tps = calloc(n, sizeof *tps);
    h->proc_checks = calloc(n, sizeof *h->proc_checks);
    if (tps == NULL || h->proc_checks == NULL) {
        free(tps);
        return VIP_ENOMEM;
    }
    n = 0;
    for (size_t i = 0; i < h->n_checks; i++) {
        if (h->checks[i].kind == HEALTH_KIND_PROCESS) {
            h->proc_checks[n] = &h->checks[i];
            tps[n++] = h->checks[i].process;
        }
    }
    int rv = proc_mon_init(&h->procs, h->loop, tps, n, process_changed, h);
    free(tps);
    if (rv != 0) {
        return rv;
    }
    rv = proc_mon_start(&h->procs);
    if (rv != 0 && rv != VIP_ENOMEM) {
        /* Every watch was reported failed: the node gives the VIP up. */
        vip_err("vrrp_track_process: %s; the tracked processes count as "
                "not running",
                h->procs.errmsg);
        return 0;
    }
    return rv;
}

int health_start(struct health *h)
{
    int rv;

    h->is_started = true;
    for (size_t i = 0; i < h->n_checks; i++) {
        struct health_check *c = &h->checks[i];
        uint32_t interval;

        if (c->kind == HEALTH_KIND_IFACE || c->is_refused ||
            c->kind == HEALTH_KIND_PROCESS) {
            continue; /* reported below, or by start_processes() */
        }
        if (c->kind == HEALTH_KIND_TCP || c->kind == HEALTH_KIND_HTTP) {
            char host[256];
            uint16_t port;
            if (c->kind == HEALTH_KIND_TCP) {
                check_tcp_parse_target(c->script->target, host, sizeof host,
                                       &port);
                rv = check_tcp_init(&c->tcp, h->loop, host, port);
                c->tcp.data = c;
            } else {
                rv = check_http_init(&c->http, h->loop, c->script->target,
                                     c->script->http_status);
                c->http.data = c;
                if (rv == 0 && c->http.is_tls) {
                    rv = check_http_set_tls(&c->http, c->script->tls_ca_file,
                                            !c->script->tls_no_verify);
                }
            }
            if (rv != 0) {
                errmsg_printf(h->errmsg, "check %s: init failed", c->name);
                return rv;
            }
            c->has_net = true;
        }
        interval = c->kind == HEALTH_KIND_FILE ? h->file_interval_ms
                                               : c->script->interval_ms;
        if (interval == 0) {
            interval = 1000;
        }
        uv_timer_init(h->loop, &c->timer);
        c->timer.data = c;
        c->has_timer = true;
        rv = uv_timer_start(&c->timer, check_timer_cb, 0, interval);
        if (rv != 0) {
            return rv;
        }
    }
    /* Second pass, once every handle exists: what is known before any
     * probe. A callback may call health_close(): stop at once then. */
    for (size_t i = 0; i < h->n_checks && !h->is_closing; i++) {
        struct health_check *c = &h->checks[i];
        if (c->kind == HEALTH_KIND_IFACE) {
            /* The initial state, once; then the vip manager's
             * link_changed drives it through health_set_interface(). */
            if (!c->is_known) {
                health_set_interface(h, c->name + 3, iface_is_up(c->name + 3));
            }
        } else if (c->is_refused) {
            health_rule_feed(&c->rule, false);
            report(c, 0);
        } else if (c->rule.state != HEALTH_UNKNOWN && !c->is_known) {
            /* Known before any probe (init_fail): say so at once. */
            report(c, c->rule.state == HEALTH_OK ? 1 : 0);
        }
    }
    if (!h->is_closing) {
        return start_processes(h);
    }
    return 0;
}

static void health_maybe_closed(struct health *h)
{
    if (h->n_closing > 0 || h->close_cb == NULL) {
        return;
    }
    for (size_t i = 0; i < h->n_checks; i++) {
        script_cmd_close(&h->checks[i].cmd);
    }
    free(h->checks);
    h->checks = NULL;
    h->n_checks = 0;
    health_close_cb cb = h->close_cb;
    h->close_cb = NULL;
    cb(h);
}

static void timer_closed_cb(uv_handle_t *handle)
{
    struct health_check *c = handle->data;
    c->h->n_closing--;
    health_maybe_closed(c->h);
}

static void tcp_closed_cb(struct check_tcp *t)
{
    struct health_check *c = t->data;
    c->h->n_closing--;
    health_maybe_closed(c->h);
}

static void http_closed_cb(struct check_http *hc)
{
    struct health_check *c = hc->data;
    c->h->n_closing--;
    health_maybe_closed(c->h);
}

static void procs_closed_cb(struct proc_mon *pm)
{
    struct health *h = (struct health *)(void *)((char *)pm -
                                                 offsetof(struct health, procs));
    free(h->proc_checks);
    h->proc_checks = NULL;
    h->n_closing--;
    health_maybe_closed(h);
}

static void runner_closed_cb(struct script_runner *sr)
{
    struct health *h = sr->data;
    h->n_closing--;
    health_maybe_closed(h);
}

void health_close(struct health *h, health_close_cb cb)
{
    h->is_closing = true;
    h->close_cb = cb;
    h->n_closing = 1; /* held until everything below is started */
    for (size_t i = 0; i < h->n_checks; i++) {
        struct health_check *c = &h->checks[i];
        if (c->has_timer) {
            h->n_closing++;
            uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
        }
        if (c->has_net) {
            h->n_closing++;
            if (c->kind == HEALTH_KIND_TCP) {
                check_tcp_close(&c->tcp, tcp_closed_cb);
            } else {
                check_http_close(&c->http, http_closed_cb);
            }
        }
    }
    h->n_closing++;
    proc_mon_close(&h->procs, procs_closed_cb);
    h->n_closing++;
    h->runner.data = h;
    script_runner_close(&h->runner, true, runner_closed_cb);
    h->n_closing--;
    health_maybe_closed(h);
}

/****** Queries ******/

int health_value(const struct health *h, const char *check_name, int32_t *value)
{
    const struct health_check *c = find_check(h, check_name);
    if (c == NULL) {
        return VIP_ENOENT;
    }
    if (!c->is_known) {
        return -EAGAIN;
    }
    *value = c->value;
    return 0;
}

bool health_all_known(const struct health *h)
{
    for (size_t i = 0; i < h->n_checks; i++) {
        if (!h->checks[i].is_known) {
            return false;
        }
    }
    return true;
}

size_t health_replay(struct health *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_checks && !h->is_closing; i++) {
        struct health_check *c = &h->checks[i];
        if (c->is_known) {
            report(c, c->value);
            n++;
        }
    }
    return n;
}

int health_set_interface(struct health *h, const char *ifname, bool is_up)
{
    char name[HEALTH_NAME_MAX];
    struct health_check *c =
        find_check(h, health_check_name(HEALTH_KIND_IFACE, ifname, name));
    if (c == NULL) {
        return VIP_ENOENT;
    }
    c->n_probes++;
    c->last_end_ms = vip_now_ms();
    snprintf(c->last_result, sizeof c->last_result, "%s",
             is_up ? "up" : "down");
    if (c->is_known && c->value == (is_up ? 1 : 0)) {
        return 0;
    }
    vip_notice("interface %s is %s", ifname, is_up ? "up" : "down");
    report(c, is_up ? 1 : 0);
    return 0;
}

size_t health_n_checks(const struct health *h)
{
    return h->n_checks;
}

int health_status(const struct health *h,
                  size_t i,
                  struct health_check_status *out)
{
    if (i >= h->n_checks) {
        return VIP_ENOENT;
    }
    const struct health_check *c = &h->checks[i];
    memset(out, 0, sizeof *out);
    out->name = c->name;
    out->kind = c->kind;
    out->is_known = c->is_known;
    out->value = c->value;
    out->is_refused = c->is_refused;
    out->streak = c->rule.streak;
    out->fall = c->rule.fall;
    out->rise = c->rule.rise;
    out->n_probes = c->n_probes;
    out->n_failures = c->n_failures;
    out->n_unknown = c->n_unknown;
    out->last_end_ms = c->last_end_ms;
    out->changed_ms = c->changed_ms;
    out->last_duration_ms = c->last_duration_ms;
    out->last_exit_status = c->last_exit_status;
    out->last_result = c->last_result;
    return 0;
}

void health_inherit(struct health *h, const struct health *old)
{
    for (size_t i = 0; i < h->n_checks; i++) {
        struct health_check *c = &h->checks[i];
        for (size_t k = 0; k < old->n_checks; k++) {
            const struct health_check *o = &old->checks[k];
            if (o->kind != c->kind || strcmp(o->name, c->name) != 0 ||
                !o->is_known || c->is_refused) {
                continue;
            }
            /* Same check: go on from its smoothed state, so a reload
             * reports nothing that did not change. */
            c->is_known = true;
            c->value = o->value;
            c->changed_ms = o->changed_ms;
            c->rule.state = o->rule.state;
            c->rule.streak = 0;
            c->n_probes = o->n_probes;
            c->n_failures = o->n_failures;
            break;
        }
    }
}
