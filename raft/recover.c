/* Recovery after losing quorum (see raft/recover.h). */
#include "raft/recover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <raft/uv.h>
#include <uv.h>

#include "raft/cluster.h"
#include "vipd/error.h"

/****** A raft that hears and says nothing ******/

static int mute_init(struct raft_uv_transport *t, raft_id id,
                     const char *address)
{
    (void)t;
    (void)id;
    (void)address;
    return 0;
}

static int mute_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    (void)t;
    (void)cb;
    return 0;
}

static int mute_connect(struct raft_uv_transport *t,
                        struct raft_uv_connect *req, raft_id id,
                        const char *address, raft_uv_connect_cb cb)
{
    (void)t;
    (void)req;
    (void)id;
    (void)address;
    (void)cb;
    return RAFT_NOCONNECTION;
}

static void mute_close(struct raft_uv_transport *t,
                       raft_uv_transport_close_cb cb)
{
    if (cb != NULL) {
        cb(t);
    }
}

/* The state machine is not needed to read or rewrite the log: entries are
 * accepted unread, a snapshot is released. */
static int null_apply(struct raft_fsm *f, const struct raft_buffer *buf,
                      void **result)
{
    (void)f;
    (void)buf;
    *result = NULL;
    return 0;
}

static int null_snapshot(struct raft_fsm *f, struct raft_buffer *bufs[],
                         unsigned *n_bufs)
{
    (void)f;
    (void)bufs;
    (void)n_bufs;
    return RAFT_NOTFOUND;
}

static int null_restore(struct raft_fsm *f, struct raft_buffer *buf)
{
    (void)f;
    raft_free(buf->base);
    return 0;
}

struct offline
{
    uv_loop_t loop;
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft raft;
    bool has_io, has_raft, closed;
};

static int offline_open(struct offline *o, const char *data_dir, raft_id id,
                        const char *address, char *errmsg)
{
    int rv;

    memset(o, 0, sizeof *o);
    rv = uv_loop_init(&o->loop);
    if (rv != 0) {
        errmsg_printf(errmsg, "uv_loop_init: %s", uv_strerror(rv));
        return VIP_ENOMEM;
    }
    o->transport.init = mute_init;
    o->transport.listen = mute_listen;
    o->transport.connect = mute_connect;
    o->transport.close = mute_close;
    o->fsm.version = 1;
    o->fsm.apply = null_apply;
    o->fsm.snapshot = null_snapshot;
    o->fsm.restore = null_restore;
    rv = raft_uv_init(&o->io, &o->loop, data_dir, &o->transport);
    if (rv != 0) {
        errmsg_printf(errmsg, "%s: %s", data_dir, o->io.errmsg);
        uv_loop_close(&o->loop);
        return VIP_ERAFT;
    }
    o->has_io = true;
    rv = raft_init(&o->raft, &o->io, &o->fsm, id, address);
    if (rv != 0) {
        errmsg_printf(errmsg, "raft_init: %s", raft_errmsg(&o->raft));
        raft_uv_close(&o->io);
        uv_run(&o->loop, UV_RUN_DEFAULT);
        uv_loop_close(&o->loop);
        return VIP_ERAFT;
    }
    o->has_raft = true;
    /* Never campaign while the state is read (an hour is "never" here). */
    raft_set_election_timeout(&o->raft, 3600u * 1000u);
    raft_set_heartbeat_timeout(&o->raft, 1000u);
    return 0;
}

static void offline_closed_cb(struct raft *r)
{
    struct offline *o = r->data;
    o->closed = true;
}

static void offline_close(struct offline *o)
{
    if (o->has_raft) {
        o->raft.data = o;
        raft_close(&o->raft, offline_closed_cb);
        while (!o->closed) {
            uv_run(&o->loop, UV_RUN_ONCE);
        }
    }
    raft_uv_close(&o->io);
    uv_run(&o->loop, UV_RUN_DEFAULT);
    uv_loop_close(&o->loop);
}

/****** Load ******/

/* The stored id (raft/cluster_node.c reads it the same way at start); a node
 * without one never ran or never joined. */
static int read_id(const char *data_dir, raft_id *id, char *errmsg)
{
    int64_t v = cluster_read_node_id(data_dir, errmsg);

    if (v < 0) {
        return (int)v;
    }
    if (v == 0) {
        errmsg_printf(errmsg, "%.200s/node-id: none (this node never ran or "
                      "never joined: nothing to recover)", data_dir);
        return VIP_ENOENT;
    }
    *id = (raft_id)v;
    return 0;
}

int recover_load(const char *data_dir, struct recover_view *v, char *errmsg)
{
    struct offline o;
    const struct raft_configuration *conf;
    int rv;

    memset(v, 0, sizeof *v);
    rv = read_id(data_dir, &v->self, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = offline_open(&o, data_dir, v->self, "recover", errmsg);
    if (rv != 0) {
        return rv;
    }
    /* raft_start() loads the snapshot and the log and keeps the latest
     * configuration, committed or not, as raft itself would use it. */
    rv = raft_start(&o.raft);
    if (rv != 0) {
        errmsg_printf(errmsg, "%s: %s", data_dir, raft_errmsg(&o.raft));
        offline_close(&o);
        return VIP_ERAFT;
    }
    conf = &o.raft.configuration;
    v->term = o.raft.current_term;
    for (unsigned i = 0; i < conf->n && v->n < CFG_MAX_PEERS + 1; i++) {
        struct recover_server *s = &v->servers[v->n++];
        s->id = conf->servers[i].id;
        snprintf(s->address, sizeof s->address, "%s",
                 conf->servers[i].address);
        s->role = conf->servers[i].role;
        if (s->id == v->self) {
            snprintf(v->self_address, sizeof v->self_address, "%s",
                     s->address);
        }
    }
    offline_close(&o);
    if (v->n == 0) {
        errmsg_printf(errmsg, "%s: no Raft configuration", data_dir);
        return VIP_ENOENT;
    }
    if (v->self_address[0] == '\0') {
        errmsg_printf(errmsg, "%s: node %llu is not in its own configuration "
                      "(it left or was removed)", data_dir,
                      (unsigned long long)v->self);
        return VIP_ENOENT;
    }
    return 0;
}

unsigned recover_n_voters(const struct recover_view *v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < v->n; i++) {
        n += v->servers[i].role == RAFT_VOTER ? 1u : 0u;
    }
    return n;
}

unsigned recover_n_reachable(const struct recover_view *v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < v->n; i++) {
        n += v->servers[i].role == RAFT_VOTER && v->servers[i].reachable;
    }
    return n;
}

/****** Probe ******/

struct probe
{
    struct recover_view *v;
    struct vr_transport t;
    struct vr_rpc_connect req[CFG_MAX_PEERS + 1];
    unsigned n_pending;
    uv_timer_t timer;
    bool transport_closed;
};

static void stream_closed_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void probe_connected_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                               int status)
{
    struct probe *p = req->data;
    struct recover_server *s =
        &p->v->servers[(size_t)(req - p->req)];

    p->n_pending--;
    if (status == 0 && stream != NULL) {
        s->reachable = true; /* it proved the cluster key */
        uv_close((uv_handle_t *)stream, stream_closed_cb);
    }
    if (p->n_pending == 0) {
        uv_timer_stop(&p->timer);
    }
}

static void probe_transport_closed_cb(struct vr_transport *t)
{
    struct probe *p = (struct probe *)((char *)t - offsetof(struct probe, t));
    p->transport_closed = true;
}

static void probe_timer_cb(uv_timer_t *timer)
{
    (void)timer; /* the pending connections are cancelled below */
}

int recover_probe(struct recover_view *v, const char *secret_file,
                  unsigned timeout_ms, char *errmsg)
{
    uv_loop_t loop;
    struct probe *p = calloc(1, sizeof *p);
    int rv;

    if (p == NULL) {
        errmsg_printf(errmsg, "out of memory");
        return VIP_ENOMEM;
    }
    p->v = v;
    rv = uv_loop_init(&loop);
    if (rv != 0) {
        free(p);
        errmsg_printf(errmsg, "uv_loop_init: %s", uv_strerror(rv));
        return VIP_ENOMEM;
    }
    vr_transport_init(&p->t, &loop);
    p->t.id = v->self;
    snprintf(p->t.address, sizeof p->t.address, "%s", v->self_address);
    rv = vr_transport_load_key(&p->t, secret_file);
    if (rv != 0) {
        errmsg_printf(errmsg, "%s", p->t.errmsg);
    }
    for (unsigned i = 0; rv == 0 && i < v->n; i++) {
        struct recover_server *s = &v->servers[i];
        if (s->id == v->self) {
            s->reachable = true;
            continue;
        }
        if (s->role != RAFT_VOTER) {
            continue;
        }
        p->req[i].data = p;
        if (vr_transport_connect_rpc(&p->t, &p->req[i], s->address,
                                     probe_connected_cb) == 0) {
            p->n_pending++;
        }
    }
    uv_timer_init(&loop, &p->timer);
    if (p->n_pending > 0) {
        uv_timer_start(&p->timer, probe_timer_cb, timeout_ms, 0);
        while (p->n_pending > 0 && uv_is_active((uv_handle_t *)&p->timer)) {
            uv_run(&loop, UV_RUN_ONCE);
        }
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
    /* Cancels what is still pending (their callbacks fire, unreachable). */
    vr_transport_close(&p->t, probe_transport_closed_cb);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(p);
    return rv;
}

/****** Apply ******/

int recover_apply(const char *data_dir, const struct recover_view *v,
                  char *errmsg)
{
    struct offline o;
    struct raft_configuration conf;
    int rv;

    rv = offline_open(&o, data_dir, v->self, v->self_address, errmsg);
    if (rv != 0) {
        return rv;
    }
    raft_configuration_init(&conf);
    rv = raft_configuration_add(&conf, v->self, v->self_address, RAFT_VOTER);
    if (rv == 0) {
        rv = raft_recover(&o.raft, &conf);
        if (rv != 0) {
            errmsg_printf(errmsg, "raft_recover: %s", raft_errmsg(&o.raft));
        }
    } else {
        errmsg_printf(errmsg, "configuration: %s", raft_strerror(rv));
    }
    raft_configuration_close(&conf);
    offline_close(&o);
    return rv == 0 ? 0 : VIP_ERAFT;
}
