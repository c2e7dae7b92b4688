/* vipd's `cluster { ... }` block (docs/DESIGN.md 1): this node's id and
 * Raft address, its peers, where it keeps state and the key, and the
 * timing that the lease rests on. Peers derived from unicast_peer are
 * filled in config_check.c, once every instance is known. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "src/config_int.h"
#include "vipd/error.h"

static bool is(const struct cfg_stmt *s, const char *name)
{
    return strcmp(s->kw->text, name) == 0;
}

static void set_path(struct cfgp *p, const struct cfg_tok *a, char **slot)
{
    if (a->text[0] != '/') {
        cfgp_error(p, &a->where, "'%.80s' must be an absolute path", a->text);
        return;
    }
    free(*slot);
    *slot = cfgp_strdup(p, a->text);
}

static void cluster_peer(struct cfgp *p,
                         struct cfg_cluster *c,
                         const struct cfg_stmt *s)
{
    struct cfg_peer peer;

    memset(&peer, 0, sizeof peer);
    if (!cfgp_hostport(p, &s->args[0], "peer", 0, peer.host, sizeof peer.host,
                       &peer.port)) {
        return;
    }
    peer.where = s->kw->where;
    for (size_t i = 0; i < c->n_peers; i++) {
        if (strcmp(c->peers[i].host, peer.host) == 0 &&
            c->peers[i].port == peer.port) {
            cfgp_error(p, &s->kw->where,
                       "peer '%.80s' is already listed at line %u",
                       s->args[0].text, c->peers[i].where.line);
            return;
        }
    }
    if (c->n_peers == CFG_MAX_PEERS) {
        cfgp_error(p, &s->kw->where, "more than %d peers", CFG_MAX_PEERS);
        return;
    }
    c->peers[c->n_peers++] = peer;
}

/* `metrics_listen ADDR:PORT` ([V6]:PORT for IPv6): a numeric address, so
 * the endpoint never depends on name resolution at start-up. */
static void cluster_metrics_listen(struct cfgp *p, struct cfg_cluster *c,
                                   const struct cfg_tok *a)
{
    char host[sizeof c->metrics_host];
    unsigned char buf[sizeof(struct in6_addr)];
    uint16_t port = 0;

    if (!cfgp_hostport(p, a, "metrics_listen", 0, host, sizeof host, &port)) {
        return;
    }
    if (port == 0) {
        cfgp_error(p, &a->where, "metrics_listen: '%.80s' has no port "
                   "(ADDR:PORT, e.g. 127.0.0.1:9405)", a->text);
        return;
    }
    if (inet_pton(AF_INET, host, buf) != 1 &&
        inet_pton(AF_INET6, host, buf) != 1) {
        cfgp_error(p, &a->where, "metrics_listen: '%.80s' is not an IP "
                   "address", host);
        return;
    }
    memcpy(c->metrics_host, host, sizeof host);
    c->metrics_port = port;
}

static void cluster_value(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct cfg_cluster *c = obj;
    const struct cfg_tok *a = &s->args[0];
    unsigned long v;

    if (is(s, "node_id")) {
        if (cfgp_uint(p, a, "node_id", 1, UINT32_MAX, &v)) {
            c->node_id = (uint32_t)v;
        }
    } else if (is(s, "listen")) {
        cfgp_hostport(p, a, "listen", 5405, c->listen_host,
                      sizeof c->listen_host, &c->listen_port);
    } else if (is(s, "peer")) {
        cluster_peer(p, c, s);
    } else if (is(s, "allow_from")) {
        if (c->n_allow_from == CFG_MAX_ALLOW) {
            cfgp_error(p, &s->kw->where, "more than %d allow_from prefixes",
                       CFG_MAX_ALLOW);
        } else if (cfgp_prefix(p, a, "allow_from",
                               &c->allow_from[c->n_allow_from],
                               &c->allow_from_prefix[c->n_allow_from])) {
            c->n_allow_from++;
        }
    } else if (is(s, "data_dir")) {
        set_path(p, a, &c->data_dir);
    } else if (is(s, "secret_file")) {
        set_path(p, a, &c->secret_file);
    } else if (is(s, "control_socket")) {
        if (a->len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            cfgp_error(p, &a->where,
                       "control_socket: path longer than %zu bytes",
                       sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        } else {
            set_path(p, a, &c->control_socket);
        }
    } else if (is(s, "control_group")) {
        cfgp_name(p, a, "control_group", c->control_group,
                  sizeof c->control_group);
    } else if (is(s, "election_timeout")) {
        if (cfgp_uint(p, a, "election_timeout (ms)", 100, 60000, &v)) {
            c->election_timeout_ms = (uint32_t)v;
            c->election_timeout_set = true;
        }
    } else if (is(s, "heartbeat")) {
        if (cfgp_uint(p, a, "heartbeat (ms)", 10, 30000, &v)) {
            c->heartbeat_ms = (uint32_t)v;
        }
    } else if (is(s, "lease_mode")) {
        if (strcmp(a->text, "normal") == 0) {
            c->lease_mode = CFG_LEASE_NORMAL;
        } else if (strcmp(a->text, "strict") == 0) {
            c->lease_mode = CFG_LEASE_STRICT;
        } else {
            cfgp_error(p, &a->where,
                       "lease_mode: '%.80s' is not 'normal' or 'strict'",
                       a->text);
        }
    } else if (is(s, "bootstrap")) {
        if (strcmp(a->text, "yes") == 0) {
            c->no_bootstrap = false;
        } else if (strcmp(a->text, "no") == 0) {
            c->no_bootstrap = true;
        } else {
            cfgp_error(p, &a->where, "bootstrap: '%.80s' is not 'yes' or 'no'",
                       a->text);
        }
    } else if (is(s, "witness")) {
        if (strcmp(a->text, "yes") == 0) {
            c->witness = true;
        } else if (strcmp(a->text, "no") == 0) {
            c->witness = false;
        } else {
            cfgp_error(p, &a->where, "witness: '%.80s' is not 'yes' or 'no'",
                       a->text);
        }
        c->witness_where = s->kw->where;
    } else if (is(s, "takeover_wait")) {
        if (cfgp_uint(p, a, "takeover_wait (ms)", 0, 60000, &v)) {
            c->takeover_wait_ms = (uint32_t)v;
        }
    } else if (is(s, "snapshot_threshold")) {
        if (cfgp_uint(p, a, "snapshot_threshold", 1, 100000000, &v)) {
            c->snapshot_threshold = (uint32_t)v;
        }
    } else if (is(s, "metrics_listen")) {
        cluster_metrics_listen(p, c, a);
    } else if (is(s, "snapshot_trailing")) {
        if (cfgp_uint(p, a, "snapshot_trailing", 0, 100000000, &v)) {
            c->snapshot_trailing = (uint32_t)v;
        }
    }
}

#define KW(name, min, max)                                \
    {                                                     \
        name, CFG_KW_VALUE, min, max, cluster_value, NULL \
    }
static const struct cfg_kw cluster_kws[] = {
    KW("node_id", 1, 1),
    KW("listen", 1, 1),
    KW("peer", 1, 1),
    KW("allow_from", 1, 1),
    KW("data_dir", 1, 1),
    KW("secret_file", 1, 1),
    KW("control_socket", 1, 1),
    KW("control_group", 1, 1),
    KW("election_timeout", 1, 1),
    KW("heartbeat", 1, 1),
    KW("lease_mode", 1, 1),
    KW("takeover_wait", 1, 1),
    KW("bootstrap", 1, 1),
    KW("witness", 1, 1),
    KW("snapshot_threshold", 1, 1),
    KW("snapshot_trailing", 1, 1),
    KW("metrics_listen", 1, 1),
    {NULL, 0, 0, 0, NULL, NULL},
};

void cfg_cluster_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s)
{
    struct vip_config *cfg = obj;
    struct cfg_cluster *c = &cfg->cluster;

    if (c->present) {
        cfgp_error(p, &s->kw->where,
                   "a second cluster block (the first is at line %u)",
                   c->where.line);
        cfgp_skip_block(p);
        return;
    }
    c->present = true;
    c->where = s->kw->where;
    cfgp_block(p, cluster_kws, c, "cluster");
    if (c->listen_host[0] == '\0') {
        cfgp_error(p, &s->kw->where, "cluster: 'listen HOST:PORT' is missing");
    }
}
