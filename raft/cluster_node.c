/* The node part of the cluster (raft/cluster_node.h): identity, raft with
 * raft_uv and the lease decorator, the transport, the FSM. */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/atomic_file.h"
#include "raft/cluster_node.h"
#include "vipd/clock.h"
#include "vipd/log.h"

#define CLUSTER_DEFAULT_DATA_DIR "/var/lib/vipd"
#define CLUSTER_SEGMENT_SIZE (1024u * 1024u)

int cluster_rv(int raft_rv)
{
    switch (raft_rv) {
    case 0:
        return 0;
    case RAFT_NOMEM:
        return VIP_ENOMEM;
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
        return VIP_ENOTLEADER;
    default:
        return VIP_ERAFT;
    }
}

/****** Members and ids ******/

static void format_address(char *out, size_t size, const char *host,
                           uint16_t port)
{
    if (strchr(host, ':') != NULL) {
        snprintf(out, size, "[%.255s]:%u", host, (unsigned)port);
    } else {
        snprintf(out, size, "%.255s:%u", host, (unsigned)port);
    }
}

static int cmp_addr(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int cluster_members(const struct vip_config *cfg,
                    raft_id ids[CFG_MAX_PEERS + 1],
                    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1],
                    unsigned *n, unsigned *self_index, char *errmsg)
{
    const struct cfg_cluster *cc = &cfg->cluster;
    char self[VR_ADDR_MAX + 1];
    unsigned count = 0;

    if (cc->listen_host[0] == '\0' || cc->listen_port == 0) {
        errmsg_printf(errmsg, "cluster: no listen address");
        return VIP_ECONFIG;
    }
    format_address(self, sizeof self, cc->listen_host, cc->listen_port);
    memcpy(addrs[count++], self, sizeof self);
    for (size_t i = 0; i < cc->n_peers && i < CFG_MAX_PEERS; i++) {
        char a[VR_ADDR_MAX + 1];
        bool dup = false;
        if (cc->peers[i].host[0] == '\0' || cc->peers[i].port == 0) {
            errmsg_printf(errmsg, "cluster: peer %zu has no address", i + 1);
            return VIP_ECONFIG;
        }
        format_address(a, sizeof a, cc->peers[i].host, cc->peers[i].port);
        for (unsigned j = 0; j < count; j++) {
            dup = dup || strcmp(addrs[j], a) == 0;
        }
        if (dup) {
            continue; /* the node itself listed among its peers is fine */
        }
        memcpy(addrs[count++], a, sizeof a);
    }
    qsort(addrs, count, sizeof addrs[0], cmp_addr);
    for (unsigned i = 0; i < count; i++) {
        ids[i] = i + 1;
        if (strcmp(addrs[i], self) == 0) {
            *self_index = i;
        }
    }
    *n = count;
    if (cc->node_id != 0 && cc->node_id != ids[*self_index]) {
        errmsg_printf(errmsg,
                      "cluster: node_id %u differs from the id %u derived "
                      "from the sorted member addresses (%s is member %u)",
                      (unsigned)cc->node_id, (unsigned)ids[*self_index], self,
                      (unsigned)ids[*self_index]);
        return VIP_ECONFIG;
    }
    return 0;
}

/* mkdir -p, mode 0700: the data dir holds the cluster's state. */
static int make_dirs(const char *path, char *errmsg)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof buf) {
        errmsg_printf(errmsg, "data_dir: bad path");
        return VIP_EINVAL;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                int rv = -errno;
                errmsg_printf(errmsg, "mkdir %.200s: %s", buf, strerror(errno));
                return rv;
            }
            buf[i] = saved;
        }
    }
    return 0;
}

/* The data dir belongs to one node id: check it, or claim it. */
static int check_node_id(const char *dir, raft_id id, char *errmsg)
{
    char text[32];
    int64_t stored = cluster_read_node_id(dir, errmsg);

    if (stored < 0) {
        return (int)stored;
    }
    if (stored != 0) {
        if ((raft_id)stored != id) {
            errmsg_printf(errmsg,
                          "%.200s/node-id: data dir belongs to node %lld, this "
                          "node is %llu (member addresses changed?)",
                          dir, (long long)stored, (unsigned long long)id);
            return VIP_ECONFIG;
        }
        return 0;
    }
    /* Atomic: a crash never leaves an empty node-id (raft/atomic_file.h). */
    snprintf(text, sizeof text, "%llu\n", (unsigned long long)id);
    return atomic_file_write(dir, "node-id", text, strlen(text), errmsg);
}

int64_t cluster_read_node_id(const char *dir, char *errmsg)
{
    char path[4200];
    char text[32];
    unsigned long long stored = 0;
    FILE *f;
    bool ok;

    snprintf(path, sizeof path, "%s/node-id", dir);
    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    ok = fgets(text, sizeof text, f) != NULL &&
         sscanf(text, "%llu", &stored) == 1 && stored != 0 &&
         stored <= (unsigned long long)INT64_MAX;
    fclose(f);
    if (!ok) {
        errmsg_printf(errmsg, "%.200s: not a node id", path);
        return VIP_ECONFIG;
    }
    return (int64_t)stored;
}

/****** Tracing ******/

static void tracer_emit(struct raft_tracer *t, const char *file, int line,
                        const char *message)
{
    (void)t;
    vip_debug("raft: %s:%d %s", file, line, message);
}

/****** Set-up ******/

static void fsm_applied(struct fsm *f, const struct entry *e)
{
    struct cluster_node *c = f->data;
    (void)e;
    if (c->applied != NULL) {
        c->applied(c->applied_data);
    }
}

/* The FSM behind raft, minus our entry padding (cluster_padded_len()). */
static int wrap_apply(struct raft_fsm *w, const struct raft_buffer *buf,
                      void **result)
{
    struct cluster_node *c = w->data;
    struct raft_buffer b = *buf;
    const uint8_t *p = b.base;

    if (b.len >= ENTRY_HEADER_SIZE && b.len % 8 == 0) {
        size_t n = ENTRY_HEADER_SIZE + ((size_t)p[4] | (size_t)p[5] << 8 |
                                        (size_t)p[6] << 16 |
                                        (size_t)p[7] << 24);
        bool zeros = n <= b.len && b.len - n < 8;
        for (size_t i = n; zeros && i < b.len; i++) {
            zeros = p[i] == 0;
        }
        if (zeros) {
            b.len = n;
        }
    }
    return c->fsm.iface.apply(&c->fsm.iface, &b, result);
}

static int wrap_snapshot(struct raft_fsm *w, struct raft_buffer *bufs[],
                         unsigned *n_bufs)
{
    struct cluster_node *c = w->data;
    return c->fsm.iface.snapshot(&c->fsm.iface, bufs, n_bufs);
}

static int wrap_restore(struct raft_fsm *w, struct raft_buffer *buf)
{
    struct cluster_node *c = w->data;
    return c->fsm.iface.restore(&c->fsm.iface, buf);
}

static void init_undo_cb(struct raft *r)
{
    *(bool *)r->data = true;
}

uint64_t cluster_clock(void *data)
{
    (void)data;
    return vip_now_ms();
}

static void node_raft_event(void *data)
{
    struct cluster_node *c = data;
    if (c->raft_event != NULL) {
        c->raft_event(c->raft_event_data);
    }
}

/* Open raft_uv on the data dir and initialise raft as node c->id; with
 * @n > 0, bootstrap the configuration @ids/@addrs (a no-op when the data
 * dir already has state). Undoes itself on error. */
static int raft_setup(struct cluster_node *c, raft_id *ids,
                      char (*addrs)[VR_ADDR_MAX + 1], unsigned n)
{
    const struct cfg_cluster *cc = &c->cfg->cluster;
    struct raft_configuration conf;
    uint32_t T = cc->election_timeout_ms != 0 ? cc->election_timeout_ms : 1000;
    uint32_t hb = cc->heartbeat_ms != 0 ? cc->heartbeat_ms
                                          : T / CFG_HEARTBEAT_DIVISOR;
    int rv;

    if (hb == 0) {
        hb = 1;
    }
    rv = raft_uv_init(&c->io, c->loop, c->data_dir, &c->transport.raft);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_uv: %s", c->io.errmsg);
        rv = cluster_rv(rv);
        return rv;
    }
    c->has_io = true;
    c->tracer.impl = c;
    c->tracer.enabled = vip_log_level >= LOG_DEBUG;
    c->tracer.emit = tracer_emit;
    raft_uv_set_tracer(&c->io, &c->tracer);
    /* raft_uv preallocates open segments (8 MiB each by default, two or
     * three at a time): the lease writes ~50-byte entries a few times a
     * second and snapshots trim the log, so 1 MiB segments are plenty and
     * keep an idle node's disk footprint small. */
    raft_uv_set_segment_size(&c->io, CLUSTER_SEGMENT_SIZE);
    rv = raft_uv_set_snapshot_compression(&c->io, true);
    if (rv != 0) {
        vip_warn("cluster: lz4 snapshot compression unavailable: %s",
                 raft_strerror(rv));
    }

    /* Every message raft sends or receives goes through the lease
     * decorator: the leader's lease rides on acknowledged heartbeats, and
     * the node stays out of elections while a lease it helped grant may
     * run (raft/io_lease.h). */
    rv = io_lease_init(&c->io_lease, &c->io, T, cluster_clock, NULL);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "io_lease: %s", raft_strerror(rv));
        rv = cluster_rv(rv);
        goto err_after_io;
    }
    /* The ownership step runs when raft's role, term, leader, applied
     * index or configuration changed, and at its own deadlines: no role
     * poll (the owner's raft_event hook). */
    io_lease_set_event_cb(&c->io_lease, node_raft_event, c);

    c->fsm_wrap.version = 1;
    c->fsm_wrap.data = c;
    c->fsm_wrap.apply = wrap_apply;
    c->fsm_wrap.snapshot = wrap_snapshot;
    c->fsm_wrap.restore = wrap_restore;
    rv = raft_init(&c->raft, &c->io_lease.io, &c->fsm_wrap, c->id,
                   c->address);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_init: %s", raft_errmsg(&c->raft));
        rv = cluster_rv(rv);
        io_lease_detach(&c->io_lease);
        goto err_after_io;
    }
    c->has_raft = true;
    c->raft.tracer = &c->tracer;
    fsm_attach(&c->fsm, &c->raft);
    raft_set_election_timeout(&c->raft, T);
    raft_set_heartbeat_timeout(&c->raft, hb);
    raft_set_pre_vote(&c->raft, true);
    /* A lost snapshot otherwise stalls the follower for raft's default
     * 30 s (found by the simulation, tests/sim). */
    raft_set_install_snapshot_timeout(&c->raft, 2u * T);
    raft_set_snapshot_threshold(&c->raft,
                                cc->snapshot_threshold ? cc->snapshot_threshold
                                                       : 1024);
    raft_set_snapshot_trailing(&c->raft, cc->snapshot_trailing
                                             ? cc->snapshot_trailing
                                             : 128);

    if (n > 0) {
        raft_configuration_init(&conf);
        for (unsigned i = 0; i < n; i++) {
            rv = raft_configuration_add(&conf, ids[i], addrs[i], RAFT_VOTER);
            if (rv != 0) {
                raft_configuration_close(&conf);
                errmsg_printf(c->errmsg, "cluster: configuration: %s",
                              raft_strerror(rv));
                rv = cluster_rv(rv);
                goto err_after_raft;
            }
        }
        rv = raft_bootstrap(&c->raft, &conf);
        raft_configuration_close(&conf);
        if (rv == RAFT_CANTBOOTSTRAP) {
            vip_info("cluster: resuming from %s", c->data_dir);
        } else if (rv != 0) {
            errmsg_printf(c->errmsg, "raft_bootstrap: %s", raft_errmsg(&c->raft));
            rv = cluster_rv(rv);
            goto err_after_raft;
        } else {
            vip_info("cluster: bootstrapped %u members in %s", n, c->data_dir);
        }
    }
    return 0;

err_after_raft:
    /* raft_init() succeeded: raft_close() is the only way to undo it, and
     * it is asynchronous; run the loop until it is done (error path only,
     * nothing else of ours is on the loop yet). */
    {
        bool done = false;
        c->raft.data = &done;
        raft_close(&c->raft, init_undo_cb);
        while (!done) {
            uv_run(c->loop, UV_RUN_ONCE);
        }
    }
    c->has_raft = false;
err_after_io:
    raft_uv_close(&c->io);
    c->has_io = false;
    return rv;
}

int cluster_node_init(struct cluster_node *c, uv_loop_t *loop,
                      const struct vip_config *cfg)
{
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    unsigned n = 0, self = 0;
    const struct cfg_cluster *cc = &cfg->cluster;
    int rv;

    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->cfg = cfg;

    if (cc->no_bootstrap) {
        /* `bootstrap no`: the leader that admitted this node chose its id
         * (raft/cluster_member.c), stored in the data dir; none yet means
         * waiting for `vipctl join`. The config lists only this node. */
        if (cc->listen_host[0] == '\0' || cc->listen_port == 0) {
            errmsg_printf(c->errmsg, "cluster: no listen address");
            return VIP_ECONFIG;
        }
        format_address(c->address, sizeof c->address, cc->listen_host,
                       cc->listen_port);
        n = 1;
    } else {
        rv = cluster_members(cfg, ids, addrs, &n, &self, c->errmsg);
        if (rv != 0) {
            return rv;
        }
        c->id = ids[self];
        snprintf(c->address, sizeof c->address, "%s", addrs[self]);
    }
    c->n_members = n;
    snprintf(c->data_dir, sizeof c->data_dir, "%s",
             cc->data_dir != NULL ? cc->data_dir : CLUSTER_DEFAULT_DATA_DIR);

    c->election_ms = cc->election_timeout_ms != 0 ? cc->election_timeout_ms
                                                  : 1000;
    c->heartbeat_ms = cc->heartbeat_ms != 0 ? cc->heartbeat_ms
                                            : c->election_ms /
                                                  CFG_HEARTBEAT_DIVISOR;
    if (c->heartbeat_ms == 0) {
        c->heartbeat_ms = 1;
    }
    return 0;
}

int cluster_node_open(struct cluster_node *c, vr_rpc_accept_cb accept,
                      void *accept_data)
{
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    unsigned n = 0, self = 0;
    const struct cfg_cluster *cc = &c->cfg->cluster;
    uv_loop_t *loop = c->loop;
    int rv;

    if (!cc->no_bootstrap) {
        /* Checked by cluster_node_init() already: cannot fail here. */
        rv = cluster_members(c->cfg, ids, addrs, &n, &self, c->errmsg);
        if (rv != 0) {
            return rv;
        }
    }
    rv = make_dirs(c->data_dir, c->errmsg);
    if (rv != 0) {
        return rv;
    }
    if (cc->no_bootstrap) {
        int64_t stored = cluster_read_node_id(c->data_dir, c->errmsg);
        if (stored < 0) {
            return (int)stored;
        }
        c->id = (raft_id)stored;
        c->is_waiting = stored == 0;
    } else {
        rv = check_node_id(c->data_dir, c->id, c->errmsg);
        if (rv != 0) {
            return rv;
        }
    }

    rv = fsm_init(&c->fsm);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "cluster: state machine: %s",
                      vip_strerror(rv));
        return rv;
    }
    c->fsm.applied = fsm_applied;
    c->fsm.data = c;
    c->has_fsm = true;

    vr_transport_init(&c->transport, loop);
    vr_transport_set_rpc_cb(&c->transport, accept, accept_data);
    /* A peer silent for 2 T is treated as gone: after a partition heals
     * the next connection works at once, not at the kernel's next backed-
     * off retransmission (seconds after the heal). Never below 1 s: a few
     * lost segments on a live link must not cost the connection. */
    vr_transport_set_user_timeout(&c->transport, 2u * c->election_ms > 1000u
                                                     ? 2u * c->election_ms
                                                     : 1000u);
    /* Before raft_uv has initialised the transport (a node waiting to be
     * joined), RPC preambles still need our address. */
    snprintf(c->transport.address, sizeof c->transport.address, "%s",
             c->address);
    /* No key, no cluster (security: raft/keyfile.h). */
    vr_transport_allow_from(&c->transport, cc);
    rv = vr_transport_load_key(&c->transport, cc->secret_file);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "%s", c->transport.errmsg);
        goto err_after_fsm;
    }

    if (!c->is_waiting) {
        rv = raft_setup(c, ids, addrs, c->cfg->cluster.no_bootstrap ? 0 : n);
        if (rv != 0) {
            goto err_after_fsm;
        }
    }
    return 0;

err_after_fsm:
    fsm_close(&c->fsm);
    return rv;
}

int cluster_node_join(struct cluster_node *c, raft_id id)
{
    int rv;

    if (!c->is_waiting || id == 0) {
        return VIP_EINVAL;
    }
    rv = check_node_id(c->data_dir, id, c->errmsg);
    if (rv != 0) {
        return rv;
    }
    c->id = id;
    rv = raft_setup(c, NULL, NULL, 0);
    if (rv != 0) {
        return rv;
    }
    c->is_waiting = false;
    return 0;
}

int cluster_node_start(struct cluster_node *c)
{
    int rv = raft_start(&c->raft);

    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_start: %s", raft_errmsg(&c->raft));
        return cluster_rv(rv);
    }
    c->is_started = true;
    return 0;
}

int cluster_node_apply(struct cluster_node *c, const uint8_t *bytes,
                       size_t len, struct raft_apply *req, raft_apply_cb cb)
{
    struct raft_buffer buf;
    int rv;

    buf.len = cluster_padded_len(len);
    buf.base = raft_calloc(1, buf.len);
    if (buf.base == NULL) {
        return RAFT_NOMEM;
    }
    memcpy(buf.base, bytes, len);
    rv = raft_apply(&c->raft, req, &buf, 1, cb);
    if (rv != 0) {
        raft_free(buf.base);
    }
    return rv;
}

/****** Close ******/

static void transport_closed_cb(struct vr_transport *t)
{
    struct cluster_node *c =
        (struct cluster_node *)((char *)t -
                                offsetof(struct cluster_node, transport));
    c->closed(c->closed_data);
}

/* The FSM goes once raft no longer applies, the transport last. */
static void close_transport(struct cluster_node *c)
{
    fsm_close(&c->fsm);
    c->has_fsm = false;
    vr_transport_close(&c->transport, transport_closed_cb);
}

static void raft_closed_cb(struct raft *r)
{
    struct cluster_node *c = r->data;
    raft_uv_close(&c->io);
    c->has_raft = false;
    c->has_io = false;
    close_transport(c);
}

void cluster_node_close(struct cluster_node *c, void (*cb)(void *data),
                        void *data)
{
    c->closed = cb;
    c->closed_data = data;
    if (!c->has_raft) {
        close_transport(c); /* never joined: no raft to close */
        return;
    }
    c->raft.data = c;
    raft_close(&c->raft, raft_closed_cb);
}
