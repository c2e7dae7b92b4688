/* vipd: the daemon's command line. Parses options, loads the config, and
 * either checks it (-t) or hands it to the daemon. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vipd/config.h"
#include "vipd/error.h"
#include "vipd/log.h"
#include "src/check_process.h"
#include "src/daemon.h"
#include "src/health.h"
#include "src/leftovers.h"
#include "src/recover_cmd.h"

#define VIPD_DEFAULT_CONFIG "/etc/vipd/vipd.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vipd [OPTIONS]\n"
            "Keep virtual IPs on exactly one healthy host, elected by Raft.\n"
            "\n"
            "  -f, --config-file FILE  configuration (default %s)\n"
            "  -i, --config-id ID      keepalived's config id: read lines\n"
            "                          `@ID ...`, skip `@^ID ...` (default:\n"
            "                          the host name up to its first dot)\n"
            "  -t, --config-test       check the configuration as the daemon\n"
            "                          would at start, on this host, and exit\n"
            "      --no-host-checks    with -t: skip interfaces, key file and\n"
            "                          data dir (a file for another host)\n"
            "  -l, --log-level LEVEL   err, warning, notice, info, debug\n"
            "  -S, --syslog            log to syslog (facility daemon)\n"
            "      --log-facility FAC  log to syslog with facility FAC: daemon,\n"
            "                          user, local0..local7 (or 0..7)\n"
            "      --log-console       log to stderr with timestamps, even\n"
            "                          under systemd (foreground runs)\n"
            "                          Default: the journal with priorities\n"
            "                          when stderr is systemd's journal\n"
            "                          stream, else stderr with timestamps\n"
            "      --release-leftovers remove this host's configured VIPs and\n"
            "                          exit (for systemd's ExecStopPost)\n"
            "      --force-new-cluster with vipd stopped and a majority of the\n"
            "                          voters gone for good: make this node the\n"
            "                          only member (asks first; refused while a\n"
            "                          majority is reachable)\n"
            "      --yes               do not ask (with --force-new-cluster)\n"
            "  -h, --help              show this help\n"
            "  -v, --version           show the version\n"
            "\n"
            "Exit status of -t:\n"
            "  0  valid: the daemon starts with it (\"valid, with N notes\":\n"
            "     read the warnings, e.g. SMTP settings vipd does not act on)\n"
            "  1  errors (FILE:LINE: error: ...)\n"
            "  2  bad command line\n"
            "  4  a valid keepalived configuration that vipd cannot run as\n"
            "     is: no cluster block (nor unicast_src_ip + unicast_peer\n"
            "     to derive one), no vrrp_instance, or one without a VIP\n",
            VIPD_DEFAULT_CONFIG);
}

/* global_defs net_namespace: move into /run/netns/NAME, keeping an fd of
 * the namespace we came from for the process events connector, which
 * exists there only (src/check_process.h). */
static int enter_netns(const struct vip_config *cfg)
{
    char path[sizeof "/run/netns/" + CFG_NAME_MAX];
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/run/netns/%s", cfg->global.net_namespace);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (home < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "vipd: net_namespace %s: %s\n",
                cfg->global.net_namespace, strerror(errno));
        if (home >= 0) {
            close(home);
        }
        if (fd >= 0) {
            close(fd);
        }
        return VIP_ECONFIG;
    }
    close(fd);
    proc_mon_set_home_netns(home); /* kept open for the process's life */
    return 0;
}

/* Exit status of -t for a keepalived file vipd cannot run as is. */
#define EXIT_NOT_RUNNABLE 4

/* Descriptors inherited from whoever started us (a shell, a supervisor)
 * must not reach the scripts we run: mark all but stdio close-on-exec. */
static void inherited_fds_cloexec(void)
{
#ifdef CLOSE_RANGE_CLOEXEC
    if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) == 0) {
        return;
    }
#endif
    /* Older kernels: one by one. */
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d)) {
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    inherited_fds_cloexec();
    static const struct option options[] = {
        {"config-file", required_argument, NULL, 'f'},
        {"config-test", no_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"syslog", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'v'},
        {"release-leftovers", no_argument, NULL, 'R'},
        {"force-new-cluster", no_argument, NULL, 'N'},
        {"yes", no_argument, NULL, 'Y'},
        {"log-console", no_argument, NULL, 'C'},
        {"log-facility", required_argument, NULL, 'F'},
        {"config-id", required_argument, NULL, 'i'},
        {"no-host-checks", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const char *path = VIPD_DEFAULT_CONFIG;
    bool test_only = false;
    enum vip_log_sink sink = VIP_LOG_AUTO;
    int facility = LOG_DAEMON;
    bool release_leftovers = false;
    bool force_new_cluster = false;
    bool assume_yes = false;
    bool host_checks = true;
    struct cfg_options opts = {0};
    int c;

    while ((c = getopt_long(argc, argv, "f:i:tl:Shv", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            path = optarg;
            break;
        case 't':
            test_only = true;
            break;
        case 'i':
            opts.config_id = optarg;
            break;
        case 'H':
            host_checks = false;
            break;
        case 'l':
            vip_log_level = vip_log_level_parse(optarg);
            if (vip_log_level < 0) {
                fprintf(stderr, "vipd: unknown log level '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            sink = VIP_LOG_SYSLOG;
            break;
        case 'C':
            sink = VIP_LOG_CONSOLE;
            break;
        case 'F':
            facility = vip_log_facility_parse(optarg);
            if (facility < 0) {
                fprintf(stderr, "vipd: unknown syslog facility '%s'\n",
                        optarg);
                return 2;
            }
            sink = VIP_LOG_SYSLOG;
            break;
        case 'R':
            release_leftovers = true;
            break;
        case 'N':
            force_new_cluster = true;
            break;
        case 'Y':
            assume_yes = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'v':
            printf("vipd %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vipd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    if (!host_checks && !test_only) {
        fprintf(stderr, "vipd: --no-host-checks is only for -t\n");
        return 2;
    }

    struct vip_config cfg;
    struct cfg_report report = {0}; /* NULL emit: messages go to stderr */
    int rv = vip_config_load_opts(&cfg, path, &opts, &report);
    if (rv == 0) {
        /* Health-tracking checks (scripts that can never move the VIP,
         * insecure scripts...) report through the same sink. */
        unsigned n_errors = report.n_errors;
        health_check_config(&cfg, &report);
        if (report.n_errors > n_errors) {
            rv = VIP_ECONFIG;
        }
    }
    if (rv == 0 && cfg.global.net_namespace[0] != '\0' && host_checks) {
        rv = enter_netns(&cfg);
    }
    if (rv == 0 && host_checks && !release_leftovers) {
        rv = vip_config_check_host(&cfg, &report);
    }
    /* The same checks as the daemon's, so that -t accepts exactly what
     * the daemon starts with. */
    bool runnable = rv == 0 && vip_config_check_runnable(&cfg, &report) == 0;
    if (rv == VIP_ENOMEM) {
        fprintf(stderr, "vipd: %s: out of memory\n", path);
        vip_config_free(&cfg);
        return 1;
    }
    if (test_only) {
        if (rv != 0) {
            printf("%s: configuration invalid (%u error%s, %u warning%s)\n",
                   path, report.n_errors, report.n_errors == 1 ? "" : "s",
                   report.n_warnings, report.n_warnings == 1 ? "" : "s");
        } else if (!runnable) {
            printf("%s: valid keepalived configuration, but vipd cannot run "
                   "it as is (see the errors above)\n",
                   path);
        } else if (report.n_warnings > 0) {
            printf("%s: configuration valid, with %u note%s (see above)\n",
                   path, report.n_warnings,
                   report.n_warnings == 1 ? "" : "s");
        } else {
            printf("%s: configuration valid\n", path);
        }
        vip_config_free(&cfg);
        return rv != 0 ? 1 : !runnable ? EXIT_NOT_RUNNABLE : 0;
    }
    if (rv != 0 || !runnable) {
        fprintf(stderr, "vipd: %s: configuration has errors, not starting\n",
                path);
        vip_config_free(&cfg);
        return 1;
    }
    vip_log_setup(sink, facility);
    if (force_new_cluster) {
        rv = recover_cmd(&cfg, assume_yes);
        vip_config_free(&cfg);
        return rv;
    }
    if (release_leftovers) {
        rv = leftovers_release(&cfg);
        vip_config_free(&cfg);
        return rv;
    }
    rv = daemon_run(&cfg, path);
    vip_config_free(&cfg);
    return rv;
}
