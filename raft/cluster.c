/* The Raft node: set-up, role polling, the lease driver, handover and
 * shutdown (see raft/cluster.h). Proposals live in cluster_rpc.c. */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "raft/atomic_file.h"
#include "raft/cluster_internal.h"
#include "src/track_weight.h"
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
    struct cluster *c = f->data;
    (void)e;
    if (c->props_waiting != NULL && !c->is_closing) {
        cluster_props_applied(c);
    }
    if (c->cbs.changed != NULL && !c->is_closing) {
        c->cbs.changed(c->cbs.data);
    }
}

/* The FSM behind raft, minus our entry padding (cluster_padded_len()). */
static int wrap_apply(struct raft_fsm *w, const struct raft_buffer *buf,
                      void **result)
{
    struct cluster *c = w->data;
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
    struct cluster *c = w->data;
    return c->fsm.iface.snapshot(&c->fsm.iface, bufs, n_bufs);
}

static int wrap_restore(struct raft_fsm *w, struct raft_buffer *buf)
{
    struct cluster *c = w->data;
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

/* Open raft_uv on the data dir and initialise raft as node c->id; with
 * @n > 0, bootstrap the configuration @ids/@addrs (a no-op when the data
 * dir already has state). Undoes itself on error. */
static int raft_setup(struct cluster *c, raft_id *ids,
                      char (*addrs)[VR_ADDR_MAX + 1], unsigned n)
{
    const struct cfg_cluster *cc = &c->cfg->cluster;
    struct raft_configuration conf;
    uint32_t T = cc->election_timeout_ms != 0 ? cc->election_timeout_ms : 1000;
    uint32_t hb = cc->heartbeat_ms != 0 ? cc->heartbeat_ms : T / 10;
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

int cluster_init(struct cluster *c, uv_loop_t *loop,
                 const struct vip_config *cfg, const struct cluster_cbs *cbs)
{
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    unsigned n = 0, self = 0;
    const struct cfg_cluster *cc = &cfg->cluster;
    struct lease_params lp;
    uint32_t T, hb;
    int rv;

    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->cfg = cfg;
    c->cbs = *cbs;

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

    T = cc->election_timeout_ms != 0 ? cc->election_timeout_ms : 1000;
    hb = cc->heartbeat_ms != 0 ? cc->heartbeat_ms : T / 10;
    if (hb == 0) {
        hb = 1;
    }
    rv = lease_params_derive(
        &lp, T, hb, cc->takeover_wait_ms,
        /* Strict mode: the kernel expires an address up to one lifetime
         * (whole seconds, rounded up) plus ~1 s of granularity late. */
        cc->lease_mode == CFG_LEASE_STRICT ? 2000 + T : 0);
    if (rv != 0) {
        errmsg_printf(c->errmsg,
                      "cluster: election_timeout %u ms with heartbeat %u ms "
                      "leaves no usable lease",
                      (unsigned)T, (unsigned)hb);
        return VIP_ECONFIG;
    }
    {
        struct own_params op;
        memset(&op, 0, sizeof op);
        op.self = c->id;
        op.election_ms = T;
        op.heartbeat_ms = hb;
        op.rank_step_ms = own_rank_step(T, hb);
        op.witness = c->cfg->cluster.witness;
        /* Poll the role often: raft 0.15 has no state callback, and a new
         * leader holds only once it has noticed its win and its first
         * TICK has committed (polling every heartbeat made a SIGTERM
         * handover half a heartbeat slower on average). */
        op.poll_ms = hb < 10u ? hb : 10u;
        op.prevote_stuck_ms = 3u * T;
        op.prevote_window_ms = 2u * T;
        own_init(&c->own, &op, &lp);
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
    vr_transport_set_rpc_cb(&c->transport, cluster_rpc_accept, c);
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
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    cluster_props_init(c);
    vm_init(c);
    {
        /* Increasing across restarts (entry.h): wall-clock ms * 1024. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        c->next_seq = ((uint64_t)ts.tv_sec * 1000u +
                       (uint64_t)ts.tv_nsec / 1000000u) * 1024u;
    }
    c->next_req_id = 1;
    if (c->is_waiting) {
        vip_notice("cluster: %s waits to be joined (bootstrap no, no node id "
                   "in %s): run `vipctl join MEMBER`",
                   c->address, c->data_dir);
    }
    vip_info("cluster: node %llu at %s, %u members, T=%u ms, heartbeat=%u ms, "
             "lease=%u ms, renew every %u ms",
             (unsigned long long)c->id, c->address, n, (unsigned)T,
             (unsigned)hb, (unsigned)lp.lease_ms, (unsigned)lp.renew_ms);
    return 0;

err_after_fsm:
    fsm_close(&c->fsm);
    return rv;
}

/****** NODE record ******/

static void node_record(const struct cluster *c, struct entry *e)
{
    const struct vip_config *cfg = c->cfg;
    struct entry_node *n = &e->u.node;
    char host[ENTRY_NAME_MAX];
    char lhost[VR_HOST_MAX];
    uint16_t port;

    memset(e, 0, sizeof *e);
    e->kind = ENTRY_NODE;
    n->origin.node_id = c->id;
    if (cfg->global.router_id[0] != '\0') {
        snprintf(host, sizeof host, "%s", cfg->global.router_id);
    } else if (gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "node%llu", (unsigned long long)c->id);
    }
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            *p = '?';
        }
    }
    snprintf(n->name, sizeof n->name, "%s", host);
    if (cfg->cluster.witness) {
        n->flags |= ENTRY_NODE_F_WITNESS; /* never preferred (priority.c) */
    }
    snprintf(n->address, sizeof n->address, "%.*s",
             (int)sizeof n->address - 1, c->address);
    /* Primary IP for the VRRP tie-break: unicast_src_ip of the first
     * instance, else the listen address if it is a literal. */
    if (cfg->n_instances > 0 &&
        cfg->instances[0].unicast_src_ip.family != 0) {
        n->ip_family = (uint8_t)cfg->instances[0].unicast_src_ip.family;
        memcpy(n->ip, cfg->instances[0].unicast_src_ip.bytes, 16);
    } else if (vr_addr_split(c->address, lhost, sizeof lhost, &port) == 0) {
        if (inet_pton(AF_INET, lhost, n->ip) == 1) {
            n->ip_family = AF_INET;
        } else if (inet_pton(AF_INET6, lhost, n->ip) == 1) {
            n->ip_family = AF_INET6;
        }
    }
    for (size_t i = 0; i < cfg->n_instances && i < ENTRY_MAX_INSTANCES; i++) {
        const struct cfg_instance *ci = &cfg->instances[i];
        struct entry_instance *ei = &n->instances[n->n_instances++];
        snprintf(ei->name, sizeof ei->name, "%s", ci->name);
        const struct cfg_sync_group *sg = vip_config_sync_group_of(cfg, i);
        snprintf(ei->unit, sizeof ei->unit, "%s", sg ? sg->name : "");
        ei->base_priority = ci->priority != 0 ? ci->priority : 100;
        ei->flags = ci->nopreempt ? ENTRY_INSTANCE_F_NOPREEMPT : 0;
        ei->preempt_delay_ms = ci->preempt_delay_ms;
        for (size_t k = 0; k < ci->n_track_scripts &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_scripts[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_SCRIPT;
            et->weight = track_weight_of(cfg, TRACK_OF_SCRIPT, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        /* vrrp_track_process: reported like a script (src/health.h),
         * keepalived's default weight 1. */
        for (size_t k = 0; k < ci->n_track_processes &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_processes[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_SCRIPT;
            et->weight = track_weight_of(cfg, TRACK_OF_PROCESS, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        for (size_t k = 0; k < ci->n_track_interfaces &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_interfaces[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            bool rev;
            et->kind = ENTRY_TRACK_IFACE;
            et->weight = track_weight_of(cfg, TRACK_OF_INTERFACE, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
        for (size_t k = 0; k < ci->n_track_files &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_files[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            bool rev;
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_FILE;
            et->weight = track_weight_of(cfg, TRACK_OF_FILE, tr, &rev);
            et->flags = rev ? ENTRY_TRACK_F_REVERSE : 0;
        }
    }
}

/****** Start, accessors ******/

int cluster_start(struct cluster *c)
{
    struct entry e;
    int rv;

    if (c->is_waiting) {
        return 0; /* vm_join() starts raft once the leader admitted us */
    }
    rv = raft_start(&c->raft);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_start: %s", raft_errmsg(&c->raft));
        return cluster_rv(rv);
    }
    c->is_started = true;
    cluster_status_start(c);
    node_record(c, &e);
    rv = cluster_props_push(c, &e);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "cluster: describe this node: %s",
                      vip_strerror(rv));
        return rv;
    }
    cluster_drive(c);
    return 0;
}

int cluster_join_start(struct cluster *c, raft_id id)
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
    c->own.p.self = id; /* the step was set up before the id was known */
    rv = raft_setup(c, NULL, NULL, 0);
    if (rv != 0) {
        return rv;
    }
    c->is_waiting = false;
    cluster_props_adopt_id(c);
    vip_notice("cluster: admitted as node %llu, starting Raft",
               (unsigned long long)id);
    return cluster_start(c);
}

int cluster_reconfigure(struct cluster *c, const struct vip_config *cfg)
{
    struct entry e;

    c->cfg = cfg;
    if (!c->is_started) {
        return 0; /* cluster_start() describes the node from c->cfg */
    }
    node_record(c, &e);
    return cluster_props_push(c, &e);
}

bool cluster_is_waiting(const struct cluster *c)
{
    return c->is_waiting;
}

void cluster_lease_expired(struct cluster *c)
{
    if (c->own.is_holding) {
        vip_warn("cluster: the network layer dropped the VIPs on its own");
    }
    own_dropped(&c->own);
    cluster_drive(c);
}

bool cluster_is_reachable(const struct cluster *c, raft_id id)
{
    return own_is_live(&c->own, id, vip_now_ms());
}

bool cluster_is_leader(const struct cluster *c)
{
    return c->own.role == RAFT_LEADER;
}

bool cluster_is_holding(const struct cluster *c)
{
    return c->own.is_holding;
}

int cluster_role(const struct cluster *c)
{
    return c->is_started ? c->own.role : RAFT_UNAVAILABLE;
}

const char *cluster_role_name(int role)
{
    return own_role_name(role);
}

raft_id cluster_leader(const struct cluster *c)
{
    return c->own.leader;
}

uint64_t cluster_term(const struct cluster *c)
{
    return c->has_raft ? c->raft.current_term : 0;
}

uint64_t cluster_commit_index(const struct cluster *c)
{
    return c->has_raft ? c->raft.commit_index : 0;
}

uint64_t cluster_applied_index(const struct cluster *c)
{
    /* raft 0.15's getter takes a non-const pointer; it only reads. */
    return c->has_raft ? raft_last_applied((struct raft *)&c->raft) : 0;
}

uint32_t cluster_election_timeout(const struct cluster *c)
{
    return c->own.p.election_ms;
}

uint64_t cluster_renewals_committed(const struct cluster *c)
{
    return c->n_lease_renewals;
}

const struct raft_configuration *cluster_configuration(const struct cluster *c)
{
    return &c->raft.configuration;
}

const struct fsm_state *cluster_state(const struct cluster *c)
{
    return c->fsm.st;
}

/****** Shutdown: release, hand over, close ******/

static void raft_closed_cb(struct raft *r)
{
    struct cluster *c = r->data;
    raft_uv_close(&c->io);
    c->has_raft = false;
    c->has_io = false;
    cluster_close_step(c);
}

static void transport_closed_cb(struct vr_transport *t)
{
    struct cluster *c = (struct cluster *)((char *)t -
                                           offsetof(struct cluster, transport));
    cluster_close_step(c);
}

static void timer_closed_cb(uv_handle_t *h)
{
    struct cluster *c = h->data;
    if (--c->n_closing == 0) {
        cluster_close_step(c);
    }
}

/* One step of the shutdown chain; re-entered from each completion. */
void cluster_close_step(struct cluster *c)
{
    static const int next_of[] = {0, CLUSTER_CLOSE_CONNS, CLUSTER_CLOSE_RAFT, CLUSTER_CLOSE_TRANSPORT,
                                  CLUSTER_CLOSE_TIMERS, CLUSTER_CLOSE_DONE};
    int *stage = &c->close_stage;

    if (*stage == CLUSTER_CLOSE_HANDOVER &&
        (c->shutdown_transfer || c->own.is_transferring)) {
        return;
    }
    if (*stage == CLUSTER_CLOSE_CONNS && c->n_closing > 0) {
        return;
    }
    if (*stage < CLUSTER_CLOSE_HANDOVER || *stage >= CLUSTER_CLOSE_DONE) {
        return;
    }
    *stage = next_of[*stage];
    switch (*stage) {
    case CLUSTER_CLOSE_CONNS:
        cluster_props_close(c);
        if (c->n_closing == 0) {
            cluster_close_step(c);
        }
        break;
    case CLUSTER_CLOSE_RAFT:
        if (!c->has_raft) {
            cluster_close_step(c); /* never joined: no raft to close */
            break;
        }
        c->raft.data = c;
        raft_close(&c->raft, raft_closed_cb);
        break;
    case CLUSTER_CLOSE_TRANSPORT:
        fsm_close(&c->fsm);
        c->has_fsm = false;
        vr_transport_close(&c->transport, transport_closed_cb);
        break;
    case CLUSTER_CLOSE_TIMERS:
        c->n_closing = 4;
        uv_close((uv_handle_t *)&c->vm_timer, timer_closed_cb);
        uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
        uv_close((uv_handle_t *)&c->retry_timer, timer_closed_cb);
        uv_close((uv_handle_t *)&c->status_timer, timer_closed_cb);
        break;
    case CLUSTER_CLOSE_DONE:
        vip_info("cluster: closed");
        if (c->close_cb != NULL) {
            c->close_cb(c);
        }
        break;
    }
}

void cluster_close(struct cluster *c, cluster_close_cb cb)
{
    bool leads = c->is_started && raft_state(&c->raft) == RAFT_LEADER;
    uint64_t voters[CFG_MAX_PEERS + 1];

    assert(!c->is_closing);
    c->is_closing = true;
    c->close_cb = cb;
    uv_timer_stop(&c->timer);
    uv_timer_stop(&c->retry_timer);
    uv_timer_stop(&c->status_timer);
    uv_timer_stop(&c->vm_timer);
    if (own_shutdown(&c->own)) {
        cluster_stop_holding(c, OWN_WHY_SHUTDOWN);
    }
    c->close_stage = CLUSTER_CLOSE_HANDOVER;
    if (leads && !c->own.is_transferring &&
        cluster_collect_voters(c, voters, CFG_MAX_PEERS + 1) > 1) {
        c->transfer.data = c;
        if (raft_transfer(&c->raft, &c->transfer, 0, cluster_transfer_cb) == 0) {
            vip_notice("cluster: shutting down, handing leadership over");
            c->shutdown_transfer = true;
        }
    }
    cluster_close_step(c);
}
