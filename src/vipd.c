/* vipd: the daemon's command line. Parses options, loads the config, and
 * either checks it (-t) or hands it to the daemon. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vipd/config.h"
#include "vipd/error.h"
#include "vipd/log.h"
#include "src/daemon.h"
#include "src/health.h"
#include "src/leftovers.h"

#define VIPD_DEFAULT_CONFIG "/etc/vipd/vipd.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vipd [OPTIONS]\n"
            "Keep virtual IPs on exactly one healthy host, elected by Raft.\n"
            "\n"
            "  -f, --config-file FILE  configuration (default %s)\n"
            "  -t, --config-test       check the configuration and exit\n"
            "                          (exit 0: valid, 1: errors)\n"
            "  -l, --log-level LEVEL   err, warning, notice, info, debug\n"
            "  -S, --syslog            log to syslog instead of stderr\n"
            "      --release-leftovers remove this host's configured VIPs and\n"
            "                          exit (for systemd's ExecStopPost)\n"
            "  -h, --help              show this help\n"
            "  -v, --version           show the version\n",
            VIPD_DEFAULT_CONFIG);
}

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
        {NULL, 0, NULL, 0},
    };
    const char *path = VIPD_DEFAULT_CONFIG;
    bool test_only = false;
    bool use_syslog = false;
    bool release_leftovers = false;
    int c;

    while ((c = getopt_long(argc, argv, "f:tl:Shv", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            path = optarg;
            break;
        case 't':
            test_only = true;
            break;
        case 'l':
            vip_log_level = vip_log_level_parse(optarg);
            if (vip_log_level < 0) {
                fprintf(stderr, "vipd: unknown log level '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            use_syslog = true;
            break;
        case 'R':
            release_leftovers = true;
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

    struct vip_config cfg;
    struct cfg_report report = {0}; /* NULL emit: messages go to stderr */
    int rv = vip_config_load(&cfg, path, &report);
    if (rv == VIP_ENOMEM) {
        fprintf(stderr, "vipd: %s: out of memory\n", path);
        vip_config_free(&cfg);
        return 1;
    }
    if (rv == 0) {
        /* Health-tracking checks (scripts that can never move the VIP,
         * insecure scripts...) report through the same sink. */
        unsigned n_errors = report.n_errors;
        health_check_config(&cfg, &report);
        if (report.n_errors > n_errors) {
            rv = VIP_ECONFIG;
        }
    }
    if (test_only) {
        if (rv == 0) {
            printf("%s: configuration valid (%u warning%s)\n", path,
                   report.n_warnings, report.n_warnings == 1 ? "" : "s");
        } else {
            printf("%s: configuration invalid (%u error%s, %u warning%s)\n",
                   path, report.n_errors, report.n_errors == 1 ? "" : "s",
                   report.n_warnings, report.n_warnings == 1 ? "" : "s");
        }
        vip_config_free(&cfg);
        return rv == 0 ? 0 : 1;
    }
    if (rv == 0) {
        rv = vip_config_check_runnable(&cfg, &report);
    }
    if (rv != 0) {
        fprintf(stderr, "vipd: %s: configuration has errors, not starting\n",
                path);
        vip_config_free(&cfg);
        return 1;
    }
    if (use_syslog) {
        vip_log_use_syslog("vipd");
    }
    if (release_leftovers) {
        rv = leftovers_release(&cfg);
        vip_config_free(&cfg);
        return rv;
    }
    rv = daemon_run(&cfg);
    vip_config_free(&cfg);
    return rv;
}
