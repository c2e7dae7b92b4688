/* The daemon's control backend: `vipctl status`, `events`, `transfer` and
 * `maintenance` answered from the replicated state (the same on every
 * node) plus this node's own Raft view; `join`, `leave` and `remove`
 * through raft/cluster_member.c. Transfer and maintenance answer once
 * their ADMIN entry is applied, membership operations once done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/ctl_units.h"
#include "src/daemon_int.h"
#include "src/node_checks.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/* A peer's status answer counts as current while its connection is open
 * and it is at most this old: two polls, or two election timeouts when
 * those are longer. Older, or with the connection closed, the node is shown
 * unreachable with role unknown; its last reported term and indexes stay.
 * Reading the status makes the polls fast (cluster_status_wanted()). */
static uint64_t status_fresh_ms(struct cluster *c)
{
    uint64_t two_polls = 2u * (uint64_t)cluster_status_wanted(c);
    uint64_t two_elections = 2u * (uint64_t)cluster_election_timeout(c);
    return two_elections > two_polls ? two_elections : two_polls;
}

static enum vip_role role_of(int raft_state)
{
    switch (raft_state) {
    case RAFT_LEADER:
        return VIP_ROLE_LEADER;
    case RAFT_FOLLOWER:
        return VIP_ROLE_FOLLOWER;
    case RAFT_CANDIDATE:
        return VIP_ROLE_CANDIDATE;
    default:
        return VIP_ROLE_UNKNOWN;
    }
}

static const char *check_prefix(uint8_t kind)
{
    switch (kind) {
    case ENTRY_TRACK_FILE:
        return "file:";
    case ENTRY_TRACK_IFACE:
        return "if:";
    default:
        return "";
    }
}

/* Role, term, indexes and reachability of node @id as this node sees it. */
static void node_view(struct cluster *c, struct vip_status_node *n,
                      raft_id id)
{
    const struct vr_rpc_status *peer;
    uint64_t age = 0;
    bool connected = false;
    bool fresh;

    peer = cluster_peer_status(c, id, &age, &connected);
    fresh = peer != NULL && connected && age <= status_fresh_ms(c);
    if (id == cluster_id(c)) {
        n->reachable = true;
        n->role = role_of(cluster_role(c));
        n->term = cluster_term(c);
        n->applied_index = cluster_applied_index(c);
        n->commit_index = cluster_commit_index(c);
        if (n->commit_index < n->applied_index) {
            n->commit_index = n->applied_index;
        }
        return;
    }
    /* A leader knows who is live from replication progress; a follower
     * only knows its leader, and otherwise relies on the node's answers. */
    n->reachable = cluster_is_reachable(c, id) ||
                   (!cluster_is_leader(c) && fresh);
    if (peer != NULL) {
        /* Last reported numbers, shown even when stale (the term is "as
         * last reported by the node"). */
        n->term = peer->term;
        n->commit_index = peer->commit_index;
        n->applied_index = peer->applied_index;
    }
    if (!n->reachable) {
        n->role = VIP_ROLE_UNKNOWN; /* never a dead node's stale role */
    } else if (fresh) {
        n->role = role_of(peer->role);
    } else if (id == cluster_leader(c)) {
        n->role = VIP_ROLE_LEADER;
        n->term = cluster_term(c);
    } else if (cluster_is_leader(c)) {
        n->role = VIP_ROLE_FOLLOWER;
        n->term = cluster_term(c);
    }
}

/* Whether node @id refused our cluster key (raft/transport.h), and when. */
static void key_refusal(const struct cluster *c, struct vip_status_node *n,
                        raft_id id)
{
    const struct vr_key_refusal *r;
    struct timespec ts;
    uint64_t age;

    if (id == cluster_id(c)) {
        return;
    }
    r = cluster_key_refused(c, n->address);
    if (r == NULL) {
        return;
    }
    age = vip_now_ms() - r->at_ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    n->key_refused = true;
    n->key_refused_ms =
        (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - (int64_t)age;
    n->key_refused_age_s = age / 1000 > UINT32_MAX ? UINT32_MAX
                                                   : (uint32_t)(age / 1000);
}

static int fill_node(struct vipd *d, struct vip_status *st,
                     const struct raft_server *srv)
{
    struct cluster *c = &d->cluster;
    const struct fsm_member *m = fsm_member(cluster_state(c), srv->id);
    struct vip_status_node *n = vip_status_add_node(st);

    if (n == NULL) {
        return VIP_ENOMEM;
    }
    n->id = srv->id;
    vip_status_copy(n->address, sizeof n->address, srv->address);
    n->member = srv->role == RAFT_VOTER     ? VIP_MEMBER_VOTER
                : srv->role == RAFT_STANDBY ? VIP_MEMBER_STANDBY
                                            : VIP_MEMBER_SPARE;
    node_view(c, n, srv->id);
    key_refusal(c, n, srv->id);
    if (m == NULL) {
        snprintf(n->name, sizeof n->name, "n%llu",
                 (unsigned long long)srv->id);
        return 0;
    }
    vip_status_copy(n->name, sizeof n->name, m->node.name);
    n->maintenance = m->maintenance;
    n->witness = (m->node.flags & ENTRY_NODE_F_WITNESS) != 0;
    for (unsigned i = 0; i < m->n_health; i++) {
        char name[VIP_STATUS_NAME_SIZE];
        struct vip_status_check *ck;
        snprintf(name, sizeof name, "%s%.56s",
                 check_prefix(m->health[i].kind), m->health[i].name);
        ck = vip_status_add_check(n, name);
        if (ck == NULL) {
            return VIP_ENOMEM;
        }
        ck->value = m->health[i].value;
        if (m->health[i].kind == ENTRY_TRACK_FILE) {
            ck->state = VIP_CHECK_OK;
        } else {
            ck->state = m->health[i].value != 0 ? VIP_CHECK_OK : VIP_CHECK_FAIL;
        }
    }
    for (unsigned i = 0; i < m->node.n_instances; i++) {
        struct priority_result r;
        struct vip_status_priority *p =
            vip_status_add_priority(n, m->node.instances[i].name);
        if (p == NULL) {
            return VIP_ENOMEM;
        }
        priority_effective(m, i, srv->role == RAFT_VOTER, &r);
        p->priority = r.priority;
        p->eligible = r.why == PRIORITY_OK;
    }
    return 0;
}

/* A witness has no instance of its own: show those of the nodes that can
 * hold (names from their NODE records; the VIP addresses are not
 * replicated), with the replicated holders, so that its answer matches the
 * others' as far as it knows. */
static int witness_instances(const struct fsm_state *fs, struct vip_status *st)
{
    const struct fsm_member *m = fsm_member(fs, fs->holder);

    for (unsigned i = 0; m == NULL && i < fs->n_members; i++) {
        if (fs->members[i].has_node && fs->members[i].node.n_instances > 0) {
            m = &fs->members[i];
        }
    }
    for (unsigned i = 0; m != NULL && i < m->node.n_instances; i++) {
        struct vip_status_instance *in = vip_status_add_instance(st);
        if (in == NULL) {
            return VIP_ENOMEM;
        }
        vip_status_copy(in->name, sizeof in->name, m->node.instances[i].name);
        ctl_unit_fill(fs, entry_instance_unit(&m->node.instances[i]), in);
    }
    return 0;
}

static int backend_status(void *data, struct vip_status *st)
{
    struct vipd *d = data;
    struct cluster *c = &d->cluster;
    const struct fsm_state *fs;
    int rv;

    if (!d->has_cluster) {
        return -ESHUTDOWN;
    }
    fs = cluster_state(c);
    st->node_id = cluster_id(c);
    st->holds = d->has_manager && manager_holds(&d->manager);
    st->leader_id = cluster_leader(c);
    for (unsigned i = 0; i < cluster_configuration(c)->n; i++) {
        rv = fill_node(d, st, &cluster_configuration(c)->servers[i]);
        if (rv != 0) {
            return rv;
        }
        if (cluster_configuration(c)->servers[i].role == RAFT_VOTER) {
            st->n_voters++;
        }
    }
    st->failures_tolerated = st->n_voters > 0 ? (st->n_voters - 1) / 2 : 0;
    for (size_t i = 0; i < d->cfg->n_instances; i++) {
        const struct cfg_instance *ci = &d->cfg->instances[i];
        struct vip_status_instance *in = vip_status_add_instance(st);
        if (in == NULL) {
            return VIP_ENOMEM;
        }
        vip_status_copy(in->name, sizeof in->name, ci->name);
        for (size_t k = 0; k < ci->n_vips; k++) {
            char ip[64], vip[VIP_STATUS_VIP_SIZE];
            cfg_ip_str(&ci->vips[k].addr, ip, sizeof ip);
            snprintf(vip, sizeof vip, "%.48s/%u", ip,
                     (unsigned)ci->vips[k].prefix);
            if (vip_status_add_vip(in, vip) == VIP_ENOMEM) {
                return VIP_ENOMEM;
            }
        }
        ctl_unit_fill(fs, vip_config_unit_of(d->cfg, i), in);
        in->holds = d->has_manager &&
                    manager_holds_unit(&d->manager, in->unit);
    }
    if (d->cfg->n_instances == 0) {
        return witness_instances(fs, st);
    }
    return 0;
}

/* One FSM event as a status event. */
static void event_convert(const struct vipd *d, const struct fsm_event *e,
                          struct vip_event *out)
{
    out->term = e->term;
    out->index = e->index;
    out->time_ms = (int64_t)e->wall_ms;
    out->node_id = e->node;
    if (ctl_unit_event_text(d->cfg, cluster_state(&d->cluster), e, out->text,
                            sizeof out->text)) {
        /* A placed unit's holder or transfer (raft/place.h). */
        out->kind = e->type == FSM_EV_HOLDER ? VIP_EVENT_HOLDER
                                             : VIP_EVENT_TRANSFER;
        vip_status_copy(out->unit, sizeof out->unit, e->name);
        return;
    }
    switch (e->type) {
    case FSM_EV_HOLDER:
        out->kind = VIP_EVENT_HOLDER;
        if (e->node != 0 && e->other == 0) {
            /* The first holder (or the first after a time with none). */
            snprintf(out->text, sizeof out->text, "holder n%llu: %s",
                     (unsigned long long)e->node,
                     entry_hold_reason_name(e->kind));
        } else if (e->node != 0) {
            snprintf(out->text, sizeof out->text, "holder n%llu (was n%llu): %s",
                     (unsigned long long)e->node, (unsigned long long)e->other,
                     entry_hold_reason_name(e->kind));
        } else if (e->other == 0) {
            snprintf(out->text, sizeof out->text, "no holder: %s",
                     entry_hold_reason_name(e->kind));
        } else {
            snprintf(out->text, sizeof out->text, "no holder (was n%llu): %s",
                     (unsigned long long)e->other,
                     entry_hold_reason_name(e->kind));
        }
        break;
    case FSM_EV_HEALTH:
        out->kind = VIP_EVENT_HEALTH;
        snprintf(out->text, sizeof out->text, "n%llu %s%s: %s (%d)",
                 (unsigned long long)e->node, check_prefix(e->kind), e->name,
                 e->kind == ENTRY_TRACK_FILE ? "value"
                 : e->value != 0             ? "ok"
                                             : "fail",
                 (int)e->value);
        break;
    case FSM_EV_JOIN:
        out->kind = VIP_EVENT_MEMBER;
        snprintf(out->text, sizeof out->text, "n%llu joined (%s)",
                 (unsigned long long)e->node, e->name);
        break;
    case FSM_EV_UPDATE:
        out->kind = VIP_EVENT_MEMBER;
        snprintf(out->text, sizeof out->text, "n%llu updated (%s)",
                 (unsigned long long)e->node, e->name);
        break;
    case FSM_EV_REMOVE:
        out->kind = VIP_EVENT_MEMBER;
        snprintf(out->text, sizeof out->text, "n%llu removed by n%llu",
                 (unsigned long long)e->node, (unsigned long long)e->other);
        break;
    case FSM_EV_MAINT:
        out->kind = VIP_EVENT_MAINTENANCE;
        snprintf(out->text, sizeof out->text, "n%llu maintenance %s",
                 (unsigned long long)e->node, e->value ? "on" : "off");
        break;
    case FSM_EV_TRANSFER:
        out->kind = VIP_EVENT_TRANSFER;
        if (e->node != 0) {
            snprintf(out->text, sizeof out->text,
                     "transfer to n%llu requested by n%llu",
                     (unsigned long long)e->node, (unsigned long long)e->other);
        } else {
            snprintf(out->text, sizeof out->text,
                     "transfer to the preferred node requested by n%llu",
                     (unsigned long long)e->other);
        }
        break;
    case FSM_EV_LEADER:
        out->kind = VIP_EVENT_LEADER;
        snprintf(out->text, sizeof out->text, "n%llu leads term %llu",
                 (unsigned long long)e->node, (unsigned long long)e->term);
        break;
    default:
        out->kind = VIP_EVENT_OTHER;
        snprintf(out->text, sizeof out->text, "%s",
                 fsm_event_type_name(e->type));
        break;
    }
}

static int backend_events(void *data, struct vip_event_list *list)
{
    struct vipd *d = data;
    const struct fsm_state *fs;
    struct fsm_event buf[32];
    uint64_t from;
    size_t n;

    if (!d->has_cluster) {
        return -ESHUTDOWN;
    }
    fs = cluster_state(&d->cluster);
    from = fs->n_events > FSM_MAX_EVENTS ? fs->n_events - FSM_MAX_EVENTS : 0;
    while ((n = fsm_events(fs, from, buf, 32)) > 0) {
        for (size_t i = 0; i < n; i++) {
            struct vip_event *ev = vip_event_list_add(list);
            if (ev == NULL) {
                return VIP_ENOMEM;
            }
            event_convert(d, &buf[i], ev);
        }
        from += n;
    }
    return 0;
}

void daemon_ctl_publish(struct vipd *d)
{
    const struct fsm_state *fs = cluster_state(&d->cluster);
    struct fsm_event buf[32];
    size_t n;

    if (d->n_events_published > fs->n_events) {
        /* A snapshot replaced the history: followers would miss events. */
        ctl_service_end_follow(&d->ctl);
        d->n_events_published = fs->n_events;
        return;
    }
    if (fs->n_events - d->n_events_published > FSM_MAX_EVENTS) {
        d->n_events_published = fs->n_events - FSM_MAX_EVENTS;
    }
    while ((n = fsm_events(fs, d->n_events_published, buf, 32)) > 0) {
        for (size_t i = 0; i < n; i++) {
            struct vip_event ev;
            memset(&ev, 0, sizeof ev);
            event_convert(d, &buf[i], &ev);
            ctl_service_event(&d->ctl, &ev);
        }
        d->n_events_published += n;
    }
}

/* node_lookup() for a name that several members carry (the same
 * router_id copied onto every node): refused rather than the first. */
#define NODE_AMBIGUOUS UINT64_MAX

/* A node given by id ("2", "n2") or by name; 0 if unknown. */
static uint64_t node_lookup(struct vipd *d, const char *node)
{
    uint64_t found = 0;

    const struct fsm_state *fs = cluster_state(&d->cluster);
    const char *p = node[0] == 'n' ? node + 1 : node;
    char *end;
    unsigned long long id = strtoull(p, &end, 10);

    if (*p != '\0' && *end == '\0' && id != 0) {
        for (unsigned i = 0; i < cluster_configuration(&d->cluster)->n; i++) {
            if (cluster_configuration(&d->cluster)->servers[i].id == id) {
                return id;
            }
        }
    }
    for (unsigned i = 0; i < fs->n_members; i++) {
        if (strcmp(fs->members[i].node.name, node) == 0) {
            if (found != 0) {
                return NODE_AMBIGUOUS;
            }
            found = fs->members[i].node.origin.node_id;
        }
    }
    return found;
}

/* Answer @op with "no member named X (members: n1 lb1, n2 lb2)", so the
 * operator sees what would have been accepted. */
static void unknown_node(struct vipd *d, struct ctl_op *op, const char *node)
{
    const struct fsm_state *fs = cluster_state(&d->cluster);
    char msg[512];
    size_t len;

    len = (size_t)snprintf(msg, sizeof msg, "no member named '%.64s' (members:",
                           node);
    for (unsigned i = 0; i < fs->n_members && len < sizeof msg; i++) {
        const struct fsm_member *m = &fs->members[i];
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s n%llu%s%.40s",
                                i == 0 ? "" : ",",
                                (unsigned long long)m->node.origin.node_id,
                                m->node.name[0] != '\0' ? " " : "",
                                m->node.name);
    }
    if (len < sizeof msg) {
        snprintf(msg + len, sizeof msg - len, ")");
    }
    ctl_op_done(op, VIP_ENOENT, msg);
}

/* Operation outcomes from the cluster, relayed to the ctl op. */
static void op_progress(void *data, const char *text)
{
    ctl_op_progress(data, text);
}

static void op_done(void *data, int rv, const char *message)
{
    ctl_op_done(data, rv, message);
}

static struct vm_cbs op_cbs(struct ctl_op *op)
{
    struct vm_cbs cbs;
    memset(&cbs, 0, sizeof cbs);
    cbs.data = op;
    cbs.progress = op_progress;
    cbs.done = op_done;
    return cbs;
}

struct admin_wait
{
    struct ctl_op *op;
    char message[VIP_STATUS_TEXT_SIZE];
};

static void admin_done(void *data, int rv, const char *message)
{
    struct admin_wait *w = data;
    (void)message;
    ctl_op_done(w->op, rv, rv == 0 ? w->message : NULL);
    free(w);
}

/* Propose an ADMIN entry (for @unit, "" for none); @op is answered with
 * @message once applied. */
static int admin_op(struct vipd *d, struct ctl_op *op, uint8_t code,
                    uint64_t target, const char *unit, const char *message)
{
    struct admin_wait *w = calloc(1, sizeof *w);
    struct vm_cbs cbs;
    int rv;

    if (w == NULL) {
        return VIP_ENOMEM;
    }
    w->op = op;
    snprintf(w->message, sizeof w->message, "%s", message);
    memset(&cbs, 0, sizeof cbs);
    cbs.data = w;
    cbs.done = admin_done;
    rv = cluster_propose_admin_unit(&d->cluster, code, target, unit, &cbs);
    if (rv != 0) {
        free(w);
    }
    return rv;
}

static int backend_transfer(void *data, struct ctl_op *op, const char *node,
                            const char *instance)
{
    struct vipd *d = data;
    char unit[ENTRY_NAME_MAX] = "";
    char message[VIP_STATUS_TEXT_SIZE] = "switchover requested";
    uint64_t target = 0;

    if (!d->has_cluster || d->is_stopping) {
        return -ESHUTDOWN;
    }
    if (instance != NULL) {
        char errmsg[VIP_ERRMSG_SIZE];
        int rv = ctl_unit_transfer_plan(d->cfg, cluster_state(&d->cluster),
                                        instance, unit, message,
                                        sizeof message, errmsg);
        if (rv != 0) {
            ctl_op_done(op, rv, errmsg);
            return 0;
        }
    }
    if (node != NULL) {
        target = node_lookup(d, node);
        if (target == NODE_AMBIGUOUS) {
            ctl_op_done(op, VIP_EINVAL,
                        "several members have that name (router_id); give "
                        "the node id (n1, n2...)");
            return 0;
        }
        if (target == 0) {
            unknown_node(d, op, node);
            return 0;
        }
    }
    if (target != 0 && instance != NULL) {
        const struct fsm_member *m =
            fsm_member(cluster_state(&d->cluster), target);
        if (m != NULL && (m->node.flags & ENTRY_NODE_F_WITNESS) != 0) {
            ctl_op_done(op, VIP_EINVAL,
                        "that node is a witness: it holds no instance");
            return 0;
        }
    }
    return admin_op(d, op, ENTRY_ADMIN_TRANSFER, target, unit, message);
}

static int backend_maintenance(void *data, struct ctl_op *op, bool on)
{
    struct vipd *d = data;

    if (!d->has_cluster || d->is_stopping) {
        return -ESHUTDOWN;
    }
    return admin_op(d, op, on ? ENTRY_ADMIN_MAINT_ON : ENTRY_ADMIN_MAINT_OFF,
                    cluster_id(&d->cluster), "",
                    on ? "maintenance on" : "maintenance off");
}

static int backend_join(void *data, struct ctl_op *op, const char *peer)
{
    struct vipd *d = data;
    struct vm_cbs cbs = op_cbs(op);
    int rv;

    if (!d->has_cluster || d->is_stopping) {
        return -ESHUTDOWN;
    }
    if (cluster_is_waiting(&d->cluster)) {
        /* Before the leader adds us: once admitted, a node that cannot
         * store its id, read the key or listen would leave a spare
         * behind (docs/membership.md). */
        char errmsg[VIP_ERRMSG_SIZE];
        rv = node_check_join(d->cfg, cluster_data_dir(&d->cluster), errmsg);
        if (rv != 0) {
            ctl_op_done(op, rv, errmsg);
            return 0;
        }
    }
    rv = vm_join(&d->cluster, peer, &cbs);
    if (rv != 0) {
        ctl_op_done(op, rv, cluster_errmsg(&d->cluster));
    }
    return 0;
}

static int backend_leave(void *data, struct ctl_op *op, bool force)
{
    struct vipd *d = data;
    struct vm_cbs cbs = op_cbs(op);
    int rv;

    if (!d->has_cluster || d->is_stopping) {
        return -ESHUTDOWN;
    }
    rv = vm_leave(&d->cluster, force, &cbs);
    if (rv != 0) {
        ctl_op_done(op, rv, cluster_errmsg(&d->cluster));
    }
    return 0;
}

static int backend_remove(void *data, struct ctl_op *op, const char *node,
                          bool force)
{
    struct vipd *d = data;
    struct vm_cbs cbs = op_cbs(op);
    uint64_t target;
    int rv;

    if (!d->has_cluster || d->is_stopping) {
        return -ESHUTDOWN;
    }
    target = node_lookup(d, node);
    if (target == NODE_AMBIGUOUS) {
        ctl_op_done(op, VIP_EINVAL,
                    "several members have that name (router_id); give the "
                    "node id (n1, n2...)");
        return 0;
    }
    if (target == 0) {
        unknown_node(d, op, node);
        return 0;
    }
    if (target == cluster_id(&d->cluster)) {
        ctl_op_done(op, VIP_EINVAL,
                    "that is this node: use `vipctl leave` instead");
        return 0;
    }
    rv = vm_remove(&d->cluster, target, force, &cbs);
    if (rv != 0) {
        ctl_op_done(op, rv, cluster_errmsg(&d->cluster));
    }
    return 0;
}

void daemon_ctl_backend(struct vipd *d, struct ctl_backend *b)
{
    memset(b, 0, sizeof *b);
    b->data = d;
    b->status = backend_status;
    b->events = backend_events;
    b->transfer = backend_transfer;
    b->maintenance = backend_maintenance;
    b->join = backend_join;
    b->leave = backend_leave;
    b->remove = backend_remove;
}
