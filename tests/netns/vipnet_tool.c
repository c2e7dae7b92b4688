/* Test driver for the namespace tests: runs one VIP manager in a libuv loop
 * with a single vrrp_instance built from the command line, reads commands
 * on stdin (a pipe or FIFO) and prints events on stdout, one per line.
 *
 *   vipnet_tool --if IF --vrid N [--prio N] [--version 2|3] [--int MS]
 *               [--pass PASS] --vip ADDR/PFX[@DEV] ... [--excluded ADDR/PFX]
 *               [--peer IP ...] [--src IP] [--garp-repeat N]
 *               [--garp-delay MS] [--garp-refresh MS] [--garp-interval MS]
 *               [--track IF]
 *   vipnet_tool --config FILE   (every vrrp_instance of a keepalived-syntax
 *                                file, read by the vipd config parser)
 *
 * Commands:  hold MS          hold until now + MS
 *            renew MS EVERY   hold now + MS, again every EVERY ms (a lease)
 *            release | final  release (final: then a priority-0 advert)
 *            prio N | stats [INSTANCE] | quit
 * Events:    ready | hold RV | release RV | expired | link IF up|down |
 *            stats k=v ... | bye */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "vip/manager.h"
#include "vipd/clock.h"
#include "vipd/config.h"
#include "vipd/log.h"

#define MAX_ITEMS 300

struct tool
{
    uv_loop_t loop;
    struct manager m;
    uv_poll_t in;
    uv_timer_t renew;
    uv_signal_t sigterm;
    uint64_t renew_ms;
    char line[4096];
    size_t n_line;
    int n_closing;
};

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int parse_ip(const char *s, struct cfg_ip *ip)
{
    memset(ip, 0, sizeof *ip);
    if (inet_pton(AF_INET, s, ip->bytes) == 1) {
        ip->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, ip->bytes) == 1) {
        ip->family = AF_INET6;
        return 0;
    }
    return -1;
}

/* ADDR[/PFX][@DEV][,label=L][,brd=B][,scope=host|link] */
static int parse_vip(const char *arg, struct cfg_vip *v)
{
    char buf[128];
    char *at, *slash, *opt;

    memset(v, 0, sizeof *v);
    snprintf(buf, sizeof buf, "%s", arg);
    while ((opt = strrchr(buf, ',')) != NULL) {
        *opt++ = '\0';
        if (strncmp(opt, "label=", 6) == 0) {
            snprintf(v->label, sizeof v->label, "%s", opt + 6);
        } else if (strncmp(opt, "brd=", 4) == 0) {
            if (parse_ip(opt + 4, &v->brd) != 0) {
                return -1;
            }
        } else if (strcmp(opt, "scope=link") == 0) {
            v->scope = 253; /* RT_SCOPE_LINK */
        } else if (strcmp(opt, "scope=host") == 0) {
            v->scope = 254; /* RT_SCOPE_HOST */
        } else {
            return -1;
        }
    }
    at = strchr(buf, '@');
    if (at != NULL) {
        *at = '\0';
        snprintf(v->dev, sizeof v->dev, "%s", at + 1);
    }
    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    if (parse_ip(buf, &v->addr) != 0) {
        return -1;
    }
    v->prefix = slash != NULL               ? (uint8_t)atoi(slash + 1)
                : v->addr.family == AF_INET ? 32
                                            : 128;
    return 0;
}

static void on_link(void *data, const char *ifname, bool is_up)
{
    (void)data;
    out("link %s %s", ifname, is_up ? "up" : "down");
}

static void on_expired(void *data)
{
    struct tool *t = data;
    uv_timer_stop(&t->renew);
    out("expired");
}

static void renew_cb(uv_timer_t *timer)
{
    struct tool *t = timer->data;
    int rv = manager_hold(&t->m, vip_now_ms() + t->renew_ms);
    if (rv != 0) {
        out("hold %d %s", rv, t->m.errmsg);
        uv_timer_stop(&t->renew);
        return;
    }
    out("renewed"); /* tests wait for this instead of sleeping */
}

static void print_stats(struct tool *t, size_t index)
{
    struct manager_stats s;
    char src[INET6_ADDRSTRLEN] = "-";

    if (manager_stats(&t->m, index, &s) != 0) {
        out("error no instance %zu", index);
        return;
    }
    if (s.foreign_family != 0) {
        inet_ntop(s.foreign_family, s.foreign_src, src, sizeof src);
    }
    out("stats sent=%llu send_errors=%llu rx_valid=%llu rx_malformed=%llu "
        "rx_other=%llu rx_auth=%llu rx_mismatch=%llu peer=%llu foreign=%llu "
        "foreign_src=%s foreign_prio=%u garp=%llu na=%llu announce_errors=%llu "
        "readded=%llu own=%llu holds=%d",
        (unsigned long long)s.advert.n_sent,
        (unsigned long long)s.advert.n_send_errors,
        (unsigned long long)s.advert.n_rx_valid,
        (unsigned long long)s.advert.n_rx_malformed,
        (unsigned long long)s.advert.n_rx_other,
        (unsigned long long)s.advert.n_rx_auth,
        (unsigned long long)s.advert.n_rx_mismatch,
        (unsigned long long)s.n_peer, (unsigned long long)s.n_foreign, src,
        s.foreign_priority, (unsigned long long)s.n_garp,
        (unsigned long long)s.n_na, (unsigned long long)s.n_announce_errors,
        (unsigned long long)t->m.n_readded,
        (unsigned long long)s.advert.n_rx_own, manager_holds(&t->m));
}

static void closed_cb(uv_handle_t *h)
{
    struct tool *t = h->data;
    t->n_closing--;
}

static void manager_closed_cb(struct manager *m)
{
    (void)m;
    out("bye");
}

static void quit(struct tool *t)
{
    if (uv_is_closing((uv_handle_t *)&t->in)) {
        return;
    }
    uv_timer_stop(&t->renew);
    manager_close(&t->m, manager_closed_cb);
    uv_close((uv_handle_t *)&t->in, closed_cb);
    uv_close((uv_handle_t *)&t->renew, closed_cb);
    uv_close((uv_handle_t *)&t->sigterm, closed_cb);
}

static void command(struct tool *t, char *line)
{
    unsigned long long a = 0, b = 0;
    int rv;

    if (sscanf(line, "hold %llu", &a) == 1) {
        uint64_t t0 = now_us();
        uv_timer_stop(&t->renew);
        rv = manager_hold(&t->m, vip_now_ms() + a);
        /* us= is the time manager_hold() took (adds + first advert). */
        out("hold %d us=%llu%s%s", rv, (unsigned long long)(now_us() - t0),
            rv ? " " : "", rv ? t->m.errmsg : "");
    } else if (sscanf(line, "renew %llu %llu", &a, &b) == 2 && b > 0) {
        t->renew_ms = a;
        rv = manager_hold(&t->m, vip_now_ms() + a);
        out("hold %d us=0%s%s", rv, rv ? " " : "", rv ? t->m.errmsg : "");
        if (rv == 0) {
            uv_timer_start(&t->renew, renew_cb, b, b);
        }
    } else if (strcmp(line, "release") == 0) {
        uint64_t t0 = now_us();
        uv_timer_stop(&t->renew);
        rv = manager_release(&t->m);
        out("release %d us=%llu", rv, (unsigned long long)(now_us() - t0));
    } else if (strcmp(line, "final") == 0) {
        uv_timer_stop(&t->renew);
        out("release %d", manager_release_final(&t->m));
    } else if (sscanf(line, "prio %llu", &a) == 1) {
        out("prio %d", manager_set_priority(&t->m, 0, (uint8_t)a));
    } else if (strcmp(line, "stats") == 0) {
        print_stats(t, 0);
    } else if (sscanf(line, "stats %llu", &a) == 1) {
        print_stats(t, (size_t)a);
    } else if (strcmp(line, "quit") == 0) {
        quit(t);
    } else if (line[0] != '\0') {
        out("error unknown command: %s", line);
    }
}

static void stdin_cb(uv_poll_t *h, int status, int events)
{
    struct tool *t = h->data;
    ssize_t n;
    (void)events;

    if (status < 0) {
        quit(t);
        return;
    }
    n = read(0, t->line + t->n_line, sizeof t->line - 1 - t->n_line);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        quit(t); /* EOF */
        return;
    }
    t->n_line += (size_t)n;
    for (;;) {
        char *nl = memchr(t->line, '\n', t->n_line);
        size_t len;
        if (nl == NULL) {
            if (t->n_line == sizeof t->line - 1) {
                t->n_line = 0; /* overlong line: drop */
            }
            break;
        }
        *nl = '\0';
        len = (size_t)(nl - t->line) + 1;
        command(t, t->line);
        memmove(t->line, t->line + len, t->n_line - len);
        t->n_line -= len;
        if (uv_is_closing((uv_handle_t *)&t->in)) {
            break;
        }
    }
}

static void sigterm_cb(uv_signal_t *s, int signum)
{
    (void)signum;
    quit(s->data);
}

static void *atexit_free; /* main()'s only allocation, for usage() */

static int usage(void)
{
    free(atexit_free);
    fprintf(stderr, "usage: vipnet_tool --if IF --vrid N --vip ADDR/PFX ...\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"if", 1, 0, 'i'},
        {"vrid", 1, 0, 'r'},
        {"prio", 1, 0, 'p'},
        {"version", 1, 0, 'V'},
        {"int", 1, 0, 'I'},
        {"pass", 1, 0, 'P'},
        {"vip", 1, 0, 'v'},
        {"excluded", 1, 0, 'x'},
        {"peer", 1, 0, 'e'},
        {"src", 1, 0, 's'},
        {"garp-repeat", 1, 0, 'g'},
        {"garp-delay", 1, 0, 'd'},
        {"garp-refresh", 1, 0, 'f'},
        {"track", 1, 0, 't'},
        {"debug", 0, 0, 'D'},
        {"config", 1, 0, 'c'},
        {"garp-interval", 1, 0, 'G'},
        {0, 0, 0, 0},
    };
    struct tool *t = calloc(1, sizeof *t);
    struct vip_config cfg;
    struct cfg_instance inst;
    struct cfg_vip vips[MAX_ITEMS], excluded[MAX_ITEMS];
    struct cfg_ip peers[MAX_ITEMS];
    struct cfg_track tracks[MAX_ITEMS];
    struct manager_callbacks cbs = {
        .data = t, .link_changed = on_link, .lease_expired = on_expired};
    const char *config_file = NULL;
    int c, rv;

    if (t == NULL) {
        return 1;
    }
    atexit_free = t;
    memset(&cfg, 0, sizeof cfg);
    memset(&inst, 0, sizeof inst);
    snprintf(inst.name, sizeof inst.name, "VI_1");
    inst.priority = 100;
    inst.version = 2;
    inst.advert_int_ms = 1000;
    inst.garp_master_repeat = 5;
    inst.garp_master_delay_ms = 5000;
    inst.vips = vips;
    inst.vips_excluded = excluded;
    inst.unicast_peers = peers;
    inst.track_interfaces = tracks;
    vip_log_level = LOG_INFO;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            snprintf(inst.interface, sizeof inst.interface, "%s", optarg);
            break;
        case 'r':
            inst.vrid = (uint8_t)atoi(optarg);
            break;
        case 'p':
            inst.priority = (uint8_t)atoi(optarg);
            break;
        case 'V':
            inst.version = (uint8_t)atoi(optarg);
            break;
        case 'I':
            inst.advert_int_ms = (uint32_t)atoi(optarg);
            break;
        case 'P':
            inst.auth_type = CFG_AUTH_PASS;
            snprintf(inst.auth_pass, sizeof inst.auth_pass, "%s", optarg);
            break;
        case 'v':
            if (inst.n_vips == MAX_ITEMS ||
                parse_vip(optarg, &vips[inst.n_vips++]) != 0) {
                return usage();
            }
            break;
        case 'x':
            if (inst.n_vips_excluded == MAX_ITEMS ||
                parse_vip(optarg, &excluded[inst.n_vips_excluded++]) != 0) {
                return usage();
            }
            break;
        case 'e':
            if (inst.n_unicast_peers == MAX_ITEMS ||
                parse_ip(optarg, &peers[inst.n_unicast_peers++]) != 0) {
                return usage();
            }
            break;
        case 's':
            if (parse_ip(optarg, &inst.unicast_src_ip) != 0) {
                return usage();
            }
            break;
        case 'g':
            inst.garp_master_repeat = (uint32_t)atoi(optarg);
            break;
        case 'd':
            inst.garp_master_delay_ms = (uint32_t)atoi(optarg);
            break;
        case 'f':
            inst.garp_master_refresh_ms = (uint32_t)atoi(optarg);
            break;
        case 't':
            if (inst.n_track_interfaces == MAX_ITEMS) {
                return usage();
            }
            memset(&tracks[inst.n_track_interfaces], 0, sizeof tracks[0]);
            snprintf(tracks[inst.n_track_interfaces++].name, CFG_NAME_MAX, "%s",
                     optarg);
            break;
        case 'D':
            vip_log_level = LOG_DEBUG;
            break;
        case 'c':
            config_file = optarg;
            break;
        case 'G':
            inst.garp_interval_ms = (uint32_t)atoi(optarg);
            break;
        default:
            return usage();
        }
    }
    if (config_file != NULL) {
        if (vip_config_load(&cfg, config_file, NULL) != 0) {
            vip_config_free(&cfg);
            free(t);
            return 1;
        }
    } else if (inst.interface[0] == '\0' || inst.vrid == 0 ||
               inst.n_vips == 0) {
        return usage();
    } else {
        cfg.instances = &inst;
        cfg.n_instances = 1;
    }

    uv_loop_init(&t->loop);
    rv = manager_init(&t->m, &t->loop, &cfg, &cbs);
    if (rv != 0) {
        fprintf(stderr, "manager_init: %s: %s\n", vip_strerror(rv),
                t->m.errmsg);
        if (config_file != NULL) {
            vip_config_free(&cfg);
        }
        free(t);
        return 1;
    }
    uv_timer_init(&t->loop, &t->renew);
    t->renew.data = t;
    uv_signal_init(&t->loop, &t->sigterm);
    t->sigterm.data = t;
    uv_signal_start(&t->sigterm, sigterm_cb, SIGTERM);
    uv_poll_init(&t->loop, &t->in, 0);
    t->in.data = t;
    t->n_closing = 3;
    rv = manager_start(&t->m);
    if (rv != 0) {
        out("error manager_start: %s: %s", vip_strerror(rv), t->m.errmsg);
        quit(t);
    } else {
        uv_poll_start(&t->in, UV_READABLE, stdin_cb);
        out("ready");
    }
    uv_run(&t->loop, UV_RUN_DEFAULT);
    rv = uv_loop_close(&t->loop);
    if (config_file != NULL) {
        vip_config_free(&cfg);
    }
    free(t);
    return rv == 0 ? 0 : 1;
}
