/* Test helper: run the daemon with a cluster configuration given on the
 * command line instead of a config file, so the cluster can be tested
 * without the config parser:
 *
 *   vr_node --listen HOST:PORT [--peer HOST:PORT]... --data-dir DIR
 *           [--election-timeout MS] [--heartbeat MS]
 *           [--snapshot-threshold N] [--snapshot-trailing N] [--debug]
 *           [--priority N] [--nopreempt]
 *
 * Exit status as vipd's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/transport.h"
#include "src/daemon.h"
#include "vipd/config.h"
#include "vipd/log.h"

static int set_hostport(const char *arg, char *host, size_t size,
                        uint16_t *port)
{
    if (vr_addr_split(arg, host, size, port) != 0) {
        fprintf(stderr, "vr_node: bad address '%s'\n", arg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"peer", required_argument, NULL, 'p'},
        {"data-dir", required_argument, NULL, 'd'},
        {"election-timeout", required_argument, NULL, 'e'},
        {"heartbeat", required_argument, NULL, 'b'},
        {"snapshot-threshold", required_argument, NULL, 's'},
        {"snapshot-trailing", required_argument, NULL, 't'},
        {"debug", no_argument, NULL, 'D'},
        {"priority", required_argument, NULL, 'P'},
        {"nopreempt", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    struct vip_config cfg;
    struct cfg_instance inst;
    struct cfg_cluster *cc = &cfg.cluster;
    int c;

    memset(&cfg, 0, sizeof cfg);
    memset(&inst, 0, sizeof inst);
    cc->present = true;
    cc->listen_port = 5405;
    cc->election_timeout_ms = 1000;
    cc->snapshot_threshold = 1024;
    cc->snapshot_trailing = 128;
    /* One instance so that the node is eligible to hold. */
    snprintf(inst.name, sizeof inst.name, "VI_1");
    snprintf(inst.interface, sizeof inst.interface, "lo");
    inst.vrid = 51;
    inst.priority = 100;
    cfg.instances = &inst;
    cfg.n_instances = 1;

    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (set_hostport(optarg, cc->listen_host, sizeof cc->listen_host,
                             &cc->listen_port) != 0) {
                return 2;
            }
            break;
        case 'p':
            if (cc->n_peers == CFG_MAX_PEERS ||
                set_hostport(optarg, cc->peers[cc->n_peers].host,
                             sizeof cc->peers[0].host,
                             &cc->peers[cc->n_peers].port) != 0) {
                return 2;
            }
            cc->n_peers++;
            break;
        case 'd':
            cc->data_dir = optarg;
            break;
        case 'e':
            cc->election_timeout_ms = (uint32_t)atoi(optarg);
            break;
        case 'b':
            cc->heartbeat_ms = (uint32_t)atoi(optarg);
            break;
        case 's':
            cc->snapshot_threshold = (uint32_t)atoi(optarg);
            break;
        case 't':
            cc->snapshot_trailing = (uint32_t)atoi(optarg);
            break;
        case 'D':
            vip_log_level = LOG_DEBUG;
            break;
        case 'P':
            inst.priority = (uint8_t)atoi(optarg);
            break;
        case 'N':
            inst.nopreempt = true;
            break;
        default:
            return 2;
        }
    }
    if (cc->listen_host[0] == '\0' || cc->data_dir == NULL) {
        fprintf(stderr, "vr_node: --listen and --data-dir are required\n");
        return 2;
    }
    return daemon_run(&cfg);
}
