/* `vipd --force-new-cluster [--yes] -f CONF`: recovery after losing quorum
 * (raft/recover.h, docs/membership.md). Offline, with vipd stopped:
 *   1. refuse while this node's vipd runs (its listen address is taken);
 *   2. read the node id and the latest configuration from data_dir;
 *   3. probe every other voter with the cluster key; refuse while a
 *      majority of the voters (this node included) answers;
 *   4. ask for confirmation on stdin (unless --yes);
 *   5. rebuild a one-member configuration with raft_recover(), and log it
 *      (stderr or syslog, and DATA_DIR/recovered). */
#include "src/recover_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "raft/cluster.h"
#include "raft/recover.h"
#include "src/node_checks.h"
#include "vipd/error.h"
#include "vipd/log.h"

#define RECOVER_PROBE_MS 2000 /* a live peer answers in milliseconds */

static const char *role_name(int role)
{
    return role == RAFT_VOTER     ? "voter"
           : role == RAFT_STANDBY ? "standby"
                                  : "spare";
}

/* The dropped members, one id a line, for recover_after_start(). */
static int write_drop_list(const char *data_dir, const struct recover_view *v)
{
    char path[4200];
    FILE *f;

    snprintf(path, sizeof path, "%s/" RECOVER_DROP_FILE, data_dir);
    f = fopen(path, "we");
    if (f == NULL) {
        return -errno;
    }
    for (unsigned i = 0; i < v->n; i++) {
        if (v->servers[i].id != v->self) {
            fprintf(f, "%llu\n", (unsigned long long)v->servers[i].id);
        }
    }
    return fclose(f) == 0 ? 0 : -errno;
}

void recover_after_start(struct cluster *c)
{
    char path[4200];
    char line[32];
    FILE *f;

    snprintf(path, sizeof path, "%s/" RECOVER_DROP_FILE, cluster_data_dir(c));
    f = fopen(path, "re");
    if (f == NULL) {
        return; /* no recovery pending: the usual case */
    }
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long id = strtoull(line, NULL, 10);
        if (id == 0 || id == cluster_id(c)) {
            continue;
        }
        /* ADMIN REMOVE: the state machine forgets the node, and `vipctl
         * events` shows the recovery as "nN removed by nSELF". */
        if (cluster_propose_admin(c, ENTRY_ADMIN_REMOVE, id) == 0) {
            vip_notice("recover: forgetting node %llu, dropped by the "
                       "forced new cluster", id);
        }
    }
    fclose(f);
    unlink(path);
}

static void write_marker(const char *data_dir, const struct recover_view *v)
{
    char path[4200];
    FILE *f;

    snprintf(path, sizeof path, "%s/recovered", data_dir);
    f = fopen(path, "ae");
    if (f == NULL) {
        return;
    }
    fprintf(f, "%lld: node %llu rebuilt a one-member configuration (term "
            "%llu); dropped:", (long long)time(NULL),
            (unsigned long long)v->self, (unsigned long long)v->term);
    for (unsigned i = 0; i < v->n; i++) {
        if (v->servers[i].id != v->self) {
            fprintf(f, " %llu@%s", (unsigned long long)v->servers[i].id,
                    v->servers[i].address);
        }
    }
    fprintf(f, "\n");
    fclose(f);
}

int recover_cmd(const struct vip_config *cfg, bool assume_yes)
{
    const struct cfg_cluster *cc = &cfg->cluster;
    const char *data_dir = cc->data_dir != NULL ? cc->data_dir : "/var/lib/vipd";
    char errmsg[VIP_ERRMSG_SIZE];
    struct recover_view v;
    unsigned n_voters, n_up;
    int rv;

    if (cc->witness) {
        fprintf(stderr, "vipd: a witness cannot hold the VIPs alone: run "
                        "the recovery on a surviving node instead\n");
        return 1;
    }
    if (node_check_listen(cc, errmsg) == -EADDRINUSE) {
        fprintf(stderr,
                "vipd: %s:%u is in use: stop vipd on this node first "
                "(recovery rewrites its data dir)\n",
                cc->listen_host, (unsigned)cc->listen_port);
        return 1;
    }
    rv = recover_load(data_dir, &v, errmsg);
    if (rv != 0) {
        fprintf(stderr, "vipd: recover: %s\n", errmsg);
        return 1;
    }
    rv = recover_probe(&v, cc->secret_file, RECOVER_PROBE_MS, errmsg);
    if (rv != 0) {
        fprintf(stderr, "vipd: recover: %s\n", errmsg);
        return 1;
    }
    n_voters = recover_n_voters(&v);
    n_up = recover_n_reachable(&v);
    printf("Node %llu (%s), term %llu. Configuration in %s:\n",
           (unsigned long long)v.self, v.self_address,
           (unsigned long long)v.term, data_dir);
    for (unsigned i = 0; i < v.n; i++) {
        const struct recover_server *s = &v.servers[i];
        printf("  %llu  %-24s %-8s %s\n", (unsigned long long)s->id,
               s->address, role_name(s->role),
               s->id == v.self ? "this node"
               : s->role != RAFT_VOTER ? "-"
               : s->reachable ? "reachable"
                              : "unreachable");
    }
    if (n_up > n_voters / 2) {
        fprintf(stderr,
                "vipd: recover refused: %u of %u voters are reachable, a "
                "majority: the cluster can elect a leader without this; "
                "start vipd and look at `vipctl status` instead\n",
                n_up, n_voters);
        return 1;
    }
    printf("\n%u of %u voters reachable: no majority. Recovery makes node "
           "%llu the only member, from its own data (what it had not "
           "received is lost).\nThe other nodes must NOT come back with "
           "their data dirs: wipe them and `vipctl join` this node "
           "(docs/membership.md).\n",
           n_up, n_voters, (unsigned long long)v.self);
    if (!assume_yes) {
        char answer[16] = "";
        printf("Type 'yes' to rebuild the cluster from this node: ");
        fflush(stdout);
        if (fgets(answer, sizeof answer, stdin) == NULL ||
            strcmp(answer, "yes\n") != 0) {
            fprintf(stderr, "vipd: recover: not confirmed, nothing changed\n");
            return 1;
        }
    }
    rv = write_drop_list(data_dir, &v);
    if (rv != 0) {
        fprintf(stderr, "vipd: recover: %s/%s: %s\n", data_dir,
                RECOVER_DROP_FILE, strerror(-rv));
        return 1;
    }
    rv = recover_apply(data_dir, &v, errmsg);
    if (rv != 0) {
        fprintf(stderr, "vipd: recover: %s\n", errmsg);
        return 1;
    }
    write_marker(data_dir, &v);
    vip_notice("recover: node %llu at %s is now the only member of the "
               "cluster (forced new cluster, %u of %u voters were "
               "reachable); start vipd, then let the others rejoin",
               (unsigned long long)v.self, v.self_address, n_up, n_voters);
    printf("Done: start vipd; the others rejoin with empty data dirs.\n");
    return 0;
}
