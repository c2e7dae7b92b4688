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

#include "raft/cluster_internal.h"
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
    char path[4200];
    char text[32];
    FILE *f;

    snprintf(path, sizeof path, "%s/node-id", dir);
    f = fopen(path, "re");
    if (f != NULL) {
        unsigned long long stored = 0;
        bool ok = fgets(text, sizeof text, f) != NULL &&
                  sscanf(text, "%llu", &stored) == 1;
        fclose(f);
        if (!ok || stored != id) {
            errmsg_printf(errmsg,
                          "%.200s: data dir belongs to node %llu, this node "
                          "is %llu (member addresses changed?)",
                          path, stored, (unsigned long long)id);
            return VIP_ECONFIG;
        }
        return 0;
    }
    f = fopen(path, "we");
    if (f == NULL || fprintf(f, "%llu\n", (unsigned long long)id) < 0 ||
        fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int rv = -errno;
        errmsg_printf(errmsg, "write %.200s: %s", path, strerror(errno));
        if (f != NULL) {
            fclose(f);
        }
        return rv;
    }
    fclose(f);
    return 0;
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

static void timer_cb(uv_timer_t *t)
{
    cluster_drive(t->data);
}

int cluster_init(struct cluster *c, uv_loop_t *loop,
                 const struct vip_config *cfg, const struct cluster_cbs *cbs)
{
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    unsigned n = 0, self = 0;
    const struct cfg_cluster *cc = &cfg->cluster;
    struct lease_params lp;
    struct raft_configuration conf;
    uint32_t T, hb;
    int rv;

    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->cfg = cfg;
    c->cbs = *cbs;
    c->role = RAFT_UNAVAILABLE;

    rv = cluster_members(cfg, ids, addrs, &n, &self, c->errmsg);
    if (rv != 0) {
        return rv;
    }
    c->id = ids[self];
    c->n_members = n;
    snprintf(c->address, sizeof c->address, "%s", addrs[self]);
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
    lease_init(&c->lease, &lp);

    rv = make_dirs(c->data_dir, c->errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = check_node_id(c->data_dir, c->id, c->errmsg);
    if (rv != 0) {
        return rv;
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

    rv = raft_uv_init(&c->io, loop, c->data_dir, &c->transport.raft);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_uv: %s", c->io.errmsg);
        rv = cluster_rv(rv);
        goto err_after_fsm;
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

    c->fsm_wrap.version = 1;
    c->fsm_wrap.data = c;
    c->fsm_wrap.apply = wrap_apply;
    c->fsm_wrap.snapshot = wrap_snapshot;
    c->fsm_wrap.restore = wrap_restore;
    rv = raft_init(&c->raft, &c->io, &c->fsm_wrap, c->id, c->address);
    if (rv != 0) {
        errmsg_printf(c->errmsg, "raft_init: %s", raft_errmsg(&c->raft));
        rv = cluster_rv(rv);
        goto err_after_io;
    }
    c->has_raft = true;
    c->raft.tracer = &c->tracer;
    fsm_attach(&c->fsm, &c->raft);
    raft_set_election_timeout(&c->raft, T);
    raft_set_heartbeat_timeout(&c->raft, hb);
    raft_set_pre_vote(&c->raft, true);
    c->is_prevote_on = true;
    prevote_guard_init(&c->prevote, 3u * T, 2u * T);
    raft_set_snapshot_threshold(&c->raft,
                                cc->snapshot_threshold ? cc->snapshot_threshold
                                                       : 1024);
    raft_set_snapshot_trailing(&c->raft, cc->snapshot_trailing
                                             ? cc->snapshot_trailing
                                             : 128);

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

    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    cluster_props_init(c);
    {
        /* Increasing across restarts (entry.h): wall-clock ms * 1024. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        c->next_seq = ((uint64_t)ts.tv_sec * 1000u +
                       (uint64_t)ts.tv_nsec / 1000000u) * 1024u;
    }
    c->next_req_id = 1;
    vip_info("cluster: node %llu at %s, %u members, T=%u ms, heartbeat=%u ms, "
             "lease=%u ms, renew every %u ms",
             (unsigned long long)c->id, c->address, n, (unsigned)T,
             (unsigned)hb, (unsigned)lp.lease_ms, (unsigned)lp.renew_ms);
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
            uv_run(loop, UV_RUN_ONCE);
        }
    }
err_after_io:
    raft_uv_close(&c->io);
err_after_fsm:
    fsm_close(&c->fsm);
    return rv;
}

/****** Role, lease and ownership ******/

static char role_letter(int role)
{
    switch (role) {
    case RAFT_LEADER:
        return 'L';
    case RAFT_FOLLOWER:
        return 'F';
    case RAFT_CANDIDATE:
        return 'C';
    default:
        return '-';
    }
}

struct cluster_tick
{
    struct raft_apply req;
    struct cluster *c;
    uint64_t t_send;
    raft_term term;
};

static void tick_cb(struct raft_apply *req, int status, void *result)
{
    struct cluster_tick *t = req->data;
    struct cluster *c = t->c;
    (void)result;

    if (status == 0) {
        c->n_ticks_committed++;
        lease_renewal_committed(&c->lease, t->t_send, t->term);
    } else {
        lease_renewal_failed(&c->lease, t->t_send, t->term);
    }
    free(t);
    if (!c->is_closing) {
        cluster_drive(c);
    }
}

/* Append a TICK: the lease renewal carrier (and the wall clock for the
 * events history). */
static void tick_submit(struct cluster *c, uint64_t now, bool will_hold)
{
    struct cluster_tick *t;
    struct entry e;
    struct raft_buffer buf;
    struct timespec ts;
    size_t len;
    int rv;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_TICK;
    e.u.tick.leader = c->id;
    e.u.tick.term = c->raft.current_term;
    clock_gettime(CLOCK_REALTIME, &ts);
    e.u.tick.wall_ms =
        (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    e.u.tick.holder = will_hold ? c->id : 0;
    e.u.tick.reason = !will_hold               ? ENTRY_HOLD_RELEASE
                      : c->lease.has_commit ? ENTRY_HOLD_RENEW
                                            : ENTRY_HOLD_ELECTED;
    t = malloc(sizeof *t);
    len = entry_encoded_size(&e);
    buf.len = cluster_padded_len(len);
    buf.base = len > 0 ? raft_calloc(1, buf.len) : NULL;
    if (t == NULL || buf.base == NULL) {
        /* The lease runs out on its own; the next wake-up retries. */
        vip_warn("cluster: out of memory for a lease renewal");
        free(t);
        raft_free(buf.base);
        return;
    }
    rv = entry_encode(&e, buf.base, buf.len, &len, NULL);
    assert(rv == 0);
    t->c = c;
    t->t_send = now;
    t->term = c->raft.current_term;
    t->req.data = t;
    rv = raft_apply(&c->raft, &t->req, &buf, 1, tick_cb);
    if (rv != 0) {
        vip_debug("cluster: lease renewal not submitted: %s",
                  raft_strerror(rv));
        raft_free(buf.base);
        free(t);
        return;
    }
    c->n_ticks_sent++;
    lease_renewal_sent(&c->lease, now, t->term);
}

static void transfer_cb(struct raft_transfer *req)
{
    struct cluster *c = req->data;
    raft_id leader = 0;
    const char *addr = NULL;

    c->is_transferring = false;
    raft_leader(&c->raft, &leader, &addr);
    if (c->is_closing) {
        vip_info("cluster: shutdown handover %s", leader != c->id
                                                      ? "done"
                                                      : "did not happen");
        cluster_close_step(c);
        return;
    }
    if (leader == c->id) {
        /* A transfer whose target lags is dropped after T: keep leading,
         * hold again once a fresh renewal commits, retry later. */
        vip_notice("cluster: handover failed, holding again");
        lease_resume(&c->lease, vip_now_ms());
    } else {
        vip_notice("cluster: handed leadership over");
    }
    cluster_drive(c);
}

static size_t collect_voters(const struct cluster *c, uint64_t *voters,
                             size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->raft.configuration.n && n < max; i++) {
        if (c->raft.configuration.servers[i].role == RAFT_VOTER) {
            voters[n++] = c->raft.configuration.servers[i].id;
        }
    }
    return n;
}

/* Leader: refresh the signs of life of every voter from raft's progress. */
static void seen_update(struct cluster *c, uint64_t now)
{
    const struct raft_configuration *conf = &c->raft.configuration;

    for (unsigned i = 0; i < conf->n && i < CFG_MAX_PEERS + 1; i++) {
        const struct raft_progress *p = &c->raft.leader_state.progress[i];
        if (c->seen[i].id != conf->servers[i].id) {
            c->seen[i].id = conf->servers[i].id;
            c->seen[i].match = 0;
            c->seen[i].seen_ms = 0;
        }
        if (p->match_index > c->seen[i].match || p->recent_recv) {
            c->seen[i].match = p->match_index;
            c->seen[i].seen_ms = now;
        }
    }
}

/* Voters that may be preferred: this node, and live peers. */
static size_t collect_live_voters(const struct cluster *c, uint64_t now,
                                  uint64_t *voters, size_t max)
{
    const struct raft_configuration *conf = &c->raft.configuration;
    uint64_t window = c->raft.election_timeout + c->raft.heartbeat_timeout;
    size_t n = 0;

    for (unsigned i = 0; i < conf->n && i < CFG_MAX_PEERS + 1 && n < max;
         i++) {
        if (conf->servers[i].role != RAFT_VOTER) {
            continue;
        }
        if (conf->servers[i].id == c->id ||
            (c->seen[i].id == conf->servers[i].id && c->seen[i].seen_ms != 0 &&
             now - c->seen[i].seen_ms <= window)) {
            voters[n++] = conf->servers[i].id;
        }
    }
    return n;
}

/* Release, then hand leadership to @target. Returns false (not holding). */
static bool cluster_handover(struct cluster *c, uint64_t now, uint64_t target,
                             const char *why)
{
    int rv;

    if (!c->lease.released) {
        lease_release(&c->lease);
    }
    /* Release first, before raft_transfer() can make anyone else leader. */
    if (c->is_holding) {
        c->is_holding = false;
        c->hold_until_ms = 0;
        c->cbs.release(c->cbs.data);
    }
    c->transfer.data = c;
    rv = raft_transfer(&c->raft, &c->transfer, target, transfer_cb);
    c->next_transfer_ms = now + 2u * c->raft.election_timeout;
    if (rv != 0) {
        vip_warn("cluster: handover to node %llu: %s",
                 (unsigned long long)target, raft_strerror(rv));
        return false;
    }
    vip_notice("cluster: released, handing over to node %llu (%s)",
               (unsigned long long)target, why);
    c->is_transferring = true;
    return false;
}

/* The leader's ownership decision: hold (lease permitting), release and
 * hand over, or hold nothing. Returns whether this node wants to hold. */
static bool ownership_decide(struct cluster *c, uint64_t now)
{
    uint64_t voters[CFG_MAX_PEERS + 1];
    struct priority_ctx ctx;
    struct priority_choice choice;

    seen_update(c, now);
    ctx.n_voters = collect_live_voters(c, now, voters, CFG_MAX_PEERS + 1);
    ctx.voters = voters;
    ctx.holder = c->lease.released ? 0 : c->id;
    ctx.now_ms = now;
    priority_choose(c->fsm.st, &ctx, &c->pending, &choice);

    /* A planned switchover (`vipctl transfer`, an ADMIN TRANSFER entry):
     * to the named node, or to the best other live eligible node. */
    if (c->fsm.st->transfer_index > c->transfer_done_index &&
        !c->is_transferring) {
        uint64_t target = c->fsm.st->transfer_target;
        c->transfer_done_index = c->fsm.st->transfer_index;
        if (target == 0) {
            target = choice.best != c->id ? choice.best : 0;
            for (size_t i = 0; target == 0 && i < ctx.n_voters; i++) {
                if (voters[i] != c->id) {
                    target = voters[i];
                }
            }
        }
        if (target != 0 && target != c->id) {
            return cluster_handover(c, now, target, "requested switchover");
        }
    }

    if (choice.preferred == c->id) {
        if (c->lease.released && !c->is_transferring) {
            lease_resume(&c->lease, now);
        }
        return true;
    }
    if (choice.preferred == 0 || !choice.holder_eligible) {
        /* Not eligible (FAULT, maintenance), or nobody is: drop now. */
        if (!c->lease.released) {
            lease_release(&c->lease);
        }
        if (choice.preferred == 0 || c->is_transferring ||
            now < c->next_transfer_ms ||
            now < c->leader_since_ms + c->raft.election_timeout) {
            return false;
        }
    } else if (c->is_transferring) {
        return false;
    } else if (now < choice.move_at_ms || now < c->next_transfer_ms ||
               now < c->leader_since_ms + c->raft.election_timeout) {
        /* A better node exists but the move is not due yet (preempt_delay,
         * settling after the election, a failed handover): keep holding.
         * Peers show signs of life within a heartbeat or two of an
         * election; do not move the VIPs on an incomplete picture. */
        return !c->lease.released;
    } else if (!c->lease.released) {
        lease_release(&c->lease);
    }
    return cluster_handover(c, now, choice.preferred, "preferred node");
}
void cluster_drive(struct cluster *c)
{
    uint64_t now, next, until;
    raft_id leader = 0;
    const char *leader_addr = NULL;
    int role;
    bool changed = false;
    bool wants = false;
    bool due;

    if (c->is_closing || !c->is_started) {
        return;
    }
    now = vip_now_ms();
    role = raft_state(&c->raft);
    raft_leader(&c->raft, &leader, &leader_addr);
    if (role != c->role || c->raft.current_term != c->term ||
        leader != c->leader_id) {
        vip_info("cluster: %c term %llu leader %llu", role_letter(role),
                 (unsigned long long)c->raft.current_term,
                 (unsigned long long)leader);
        vip_log_set_tag((unsigned)c->id, role_letter(role));
        if (role == RAFT_LEADER &&
            (c->role != RAFT_LEADER || c->term != c->raft.current_term)) {
            c->leader_since_ms = now;
            memset(c->seen, 0, sizeof c->seen);
            /* Switchover requests from before this term were for another
             * leader: not ours to replay. */
            c->transfer_done_index = c->fsm.st->transfer_index;
        }
        c->role = role;
        c->term = c->raft.current_term;
        c->leader_id = leader;
        changed = true;
    }

    /* Pre-vote with libraft 0.15 can livelock (raft/prevote.h): after a
     * leaderless stretch, run real elections for a while. */
    {
        bool knows = role == RAFT_LEADER ||
                     (role == RAFT_FOLLOWER && leader != 0);
        bool on = prevote_guard_update(&c->prevote, now, knows);
        if (on != c->is_prevote_on) {
            vip_info("cluster: pre-vote %s", on ? "on again"
                                               : "off for a while (no leader)");
            c->is_prevote_on = on;
            raft_set_pre_vote(&c->raft, on);
            /* A candidacy decides pre-vote when it starts: turn the
             * current one into a real election too (as the simulation
             * does, tests/sim). */
            if (!on && role == RAFT_CANDIDATE) {
                c->raft.candidate_state.in_pre_vote = false;
            }
        }
    }

    /* The lease learns the role first: a new term resets it. */
    due = lease_tick(&c->lease, now, role == RAFT_LEADER,
                     c->raft.current_term);
    if (role == RAFT_LEADER) {
        wants = ownership_decide(c, now);
    }
    if (due && !c->lease.released) {
        tick_submit(c, now, wants);
    }
    until = lease_holds_until(&c->lease, now);
    if (until != 0 && wants) {
        if (!c->is_holding || until != c->hold_until_ms) {
            if (!c->is_holding) {
                vip_notice("cluster: holding (lease until +%llu ms)",
                           (unsigned long long)(until - now));
                changed = true;
            }
            c->is_holding = true;
            c->hold_until_ms = until;
            c->cbs.hold(c->cbs.data, until);
        }
    } else if (c->is_holding) {
        vip_notice("cluster: releasing (%s)",
                   role != RAFT_LEADER ? "not leader" : "lease not renewed");
        c->is_holding = false;
        c->hold_until_ms = 0;
        c->cbs.release(c->cbs.data);
        changed = true;
    }
    if (changed) {
        cluster_props_pump(c);
        if (c->cbs.changed != NULL) {
            c->cbs.changed(c->cbs.data);
        }
    }

    next = lease_next_wake(&c->lease, now);
    /* Poll the role at least every heartbeat: raft 0.15 has no state
     * callback. */
    if (next > now + c->raft.heartbeat_timeout) {
        next = now + c->raft.heartbeat_timeout;
    }
    uv_timer_start(&c->timer, timer_cb, next > now ? next - now : 0, 0);
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
        ei->base_priority = ci->priority != 0 ? ci->priority : 100;
        ei->flags = ci->nopreempt ? ENTRY_INSTANCE_F_NOPREEMPT : 0;
        ei->preempt_delay_ms = ci->preempt_delay_ms;
        for (size_t k = 0; k < ci->n_track_scripts &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_scripts[k];
            const struct cfg_script *sc = NULL;
            for (size_t j = 0; j < cfg->n_scripts; j++) {
                if (strcmp(cfg->scripts[j].name, tr->name) == 0) {
                    sc = &cfg->scripts[j];
                }
            }
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_SCRIPT;
            et->weight = tr->has_weight ? tr->weight
                                        : (sc != NULL ? sc->weight : 0);
            et->flags = (tr->has_weight ? tr->weight_reverse
                                        : (sc != NULL && sc->weight_reverse))
                            ? ENTRY_TRACK_F_REVERSE
                            : 0;
        }
        for (size_t k = 0; k < ci->n_track_interfaces &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_interfaces[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_IFACE;
            et->weight = tr->has_weight ? tr->weight : 0;
            et->flags = tr->weight_reverse ? ENTRY_TRACK_F_REVERSE : 0;
        }
        for (size_t k = 0; k < ci->n_track_files &&
                           ei->n_tracks < ENTRY_MAX_TRACKS;
             k++) {
            const struct cfg_track *tr = &ci->track_files[k];
            struct entry_track *et = &ei->tracks[ei->n_tracks++];
            int w = 1;
            for (size_t f = 0; f < cfg->n_track_files; f++) {
                if (strcmp(cfg->track_files[f].name, tr->name) == 0) {
                    w = cfg->track_files[f].weight;
                }
            }
            snprintf(et->name, sizeof et->name, "%s", tr->name);
            et->kind = ENTRY_TRACK_FILE;
            et->weight = tr->has_weight ? tr->weight : w;
            et->flags = tr->weight_reverse ? ENTRY_TRACK_F_REVERSE : 0;
        }
    }
}

/****** Start, accessors ******/

int cluster_start(struct cluster *c)
{
    struct entry e;
    int rv;

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

void cluster_lease_expired(struct cluster *c)
{
    if (c->is_holding) {
        vip_warn("cluster: the network layer dropped the VIPs on its own");
        c->is_holding = false;
        c->hold_until_ms = 0;
    }
    cluster_drive(c);
}

bool cluster_is_reachable(const struct cluster *c, raft_id id)
{
    const struct raft_configuration *conf = &c->raft.configuration;
    uint64_t now = vip_now_ms();
    uint64_t window = c->raft.election_timeout + c->raft.heartbeat_timeout;

    if (id == c->id) {
        return true;
    }
    if (c->role != RAFT_LEADER) {
        return id == c->leader_id;
    }
    for (unsigned i = 0; i < conf->n && i < CFG_MAX_PEERS + 1; i++) {
        if (conf->servers[i].id == id) {
            return c->seen[i].id == id && c->seen[i].seen_ms != 0 &&
                   now - c->seen[i].seen_ms <= window;
        }
    }
    return false;
}

bool cluster_is_leader(const struct cluster *c)
{
    return c->role == RAFT_LEADER;
}

bool cluster_is_holding(const struct cluster *c)
{
    return c->is_holding;
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

    if (*stage == CLUSTER_CLOSE_HANDOVER && c->is_transferring) {
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
        c->raft.data = c;
        raft_close(&c->raft, raft_closed_cb);
        break;
    case CLUSTER_CLOSE_TRANSPORT:
        fsm_close(&c->fsm);
        c->has_fsm = false;
        vr_transport_close(&c->transport, transport_closed_cb);
        break;
    case CLUSTER_CLOSE_TIMERS:
        c->n_closing = 3;
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
    lease_release(&c->lease);
    if (c->is_holding) {
        c->is_holding = false;
        c->hold_until_ms = 0;
        vip_notice("cluster: shutting down, releasing");
        c->cbs.release(c->cbs.data);
    }
    c->close_stage = CLUSTER_CLOSE_HANDOVER;
    if (leads && !c->is_transferring &&
        collect_voters(c, voters, CFG_MAX_PEERS + 1) > 1) {
        c->transfer.data = c;
        if (raft_transfer(&c->raft, &c->transfer, 0, transfer_cb) == 0) {
            vip_notice("cluster: shutting down, handing leadership over");
            c->is_transferring = true;
        }
    }
    cluster_close_step(c);
}
