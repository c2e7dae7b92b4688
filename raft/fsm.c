/* Replicated state machine: apply, snapshot, restore (see fsm.h). */
#include "raft/fsm.h"

#include <stdlib.h>
#include <string.h>

#define SNAP_MAGIC       0x53504956u /* "VIPS" little-endian */
#define SNAP_HEADER_SIZE 12 /* u32 magic, u8 version, 3 x u8 zero, u32 len */

/****** Members and events ******/

static struct fsm_member *member_find(struct fsm_state *st, uint64_t id)
{
    for (unsigned i = 0; i < st->n_members; i++) {
        if (st->members[i].node.origin.node_id == id) {
            return &st->members[i];
        }
    }
    return NULL;
}

const struct fsm_member *fsm_member(const struct fsm_state *st, uint64_t id)
{
    return member_find((struct fsm_state *)st, id);
}

/* Find or create (sorted by id) the member @id; NULL if the table is full. */
static struct fsm_member *member_get(struct fsm_state *st,
                                     uint64_t id,
                                     uint64_t index)
{
    struct fsm_member *m = member_find(st, id);
    unsigned pos;

    if (m != NULL) {
        return m;
    }
    if (st->n_members >= FSM_MAX_MEMBERS) {
        return NULL;
    }
    for (pos = 0; pos < st->n_members; pos++) {
        if (st->members[pos].node.origin.node_id > id) {
            break;
        }
    }
    memmove(&st->members[pos + 1], &st->members[pos],
            (st->n_members - pos) * sizeof st->members[0]);
    m = &st->members[pos];
    memset(m, 0, sizeof *m);
    m->node.origin.node_id = id;
    m->joined_index = index;
    st->n_members++;
    return m;
}

static void member_remove(struct fsm_state *st, struct fsm_member *m)
{
    size_t pos = (size_t)(m - st->members);
    memmove(&st->members[pos], &st->members[pos + 1],
            (st->n_members - pos - 1) * sizeof st->members[0]);
    st->n_members--;
    memset(&st->members[st->n_members], 0, sizeof st->members[0]);
}

static struct fsm_health *health_find(struct fsm_member *m,
                                      unsigned kind,
                                      const char *name)
{
    for (unsigned i = 0; i < m->n_health; i++) {
        if (m->health[i].kind == kind && strcmp(m->health[i].name, name) == 0) {
            return &m->health[i];
        }
    }
    return NULL;
}

bool fsm_member_health(const struct fsm_member *m,
                       unsigned kind,
                       const char *name,
                       int32_t *value)
{
    const struct fsm_health *h =
        health_find((struct fsm_member *)m, kind, name);
    if (h == NULL) {
        return false;
    }
    *value = h->value;
    return true;
}

/* Append an event stamped with @index and the latest TICK's term and time. */
static struct fsm_event *event_add(struct fsm_state *st,
                                   uint64_t index,
                                   unsigned type,
                                   uint64_t node)
{
    struct fsm_event *ev = &st->events[st->n_events % FSM_MAX_EVENTS];
    memset(ev, 0, sizeof *ev);
    ev->index = index;
    ev->term = st->term;
    ev->wall_ms = st->wall_ms;
    ev->type = (uint8_t)type;
    ev->node = node;
    st->n_events++;
    return ev;
}

size_t fsm_events(const struct fsm_state *st,
                  uint64_t from,
                  struct fsm_event *out,
                  size_t max)
{
    uint64_t first =
        st->n_events > FSM_MAX_EVENTS ? st->n_events - FSM_MAX_EVENTS : 0;
    size_t n = 0;

    if (from < first) {
        from = first;
    }
    for (uint64_t k = from; k < st->n_events && n < max; k++) {
        out[n++] = st->events[k % FSM_MAX_EVENTS];
    }
    return n;
}

const char *fsm_event_type_name(unsigned type)
{
    switch (type) {
    case FSM_EV_HOLDER:
        return "holder";
    case FSM_EV_HEALTH:
        return "health";
    case FSM_EV_JOIN:
        return "join";
    case FSM_EV_UPDATE:
        return "update";
    case FSM_EV_REMOVE:
        return "remove";
    case FSM_EV_MAINT:
        return "maintenance";
    case FSM_EV_TRANSFER:
        return "transfer";
    case FSM_EV_LEADER:
        return "leader";
    default:
        return "?";
    }
}

/****** Apply ******/

/* Largest encoding of a NODE body: all strings and arrays full. */
#define NODE_BODY_MAX                                                \
    (16 + 2 + ENTRY_NAME_MAX + 2 + ENTRY_ADDR_MAX + 1 + 16 + 4 + 2 + \
     ENTRY_MAX_INSTANCES *                                           \
         (2 + ENTRY_NAME_MAX + 2 + ENTRY_NAME_MAX + 1 + 1 + 4 + 2 +  \
          ENTRY_MAX_TRACKS * (2 + ENTRY_NAME_MAX + 1 + 1 + 4)))

/* Same content, seq aside? Compared by encoding, so struct padding and
 * bytes after string terminators never matter. */
static bool node_same(const struct entry_node *a, const struct entry_node *b)
{
    uint8_t ba[NODE_BODY_MAX], bb[NODE_BODY_MAX];
    struct entry_writer wa = {.p = ba, .size = sizeof ba, .ok = true};
    struct entry_writer wb = {.p = bb, .size = sizeof bb, .ok = true};

    entry_node_put(&wa, a, ENTRY_VERSION);
    entry_node_put(&wb, b, ENTRY_VERSION);
    if (!wa.ok || !wb.ok || wa.pos != wb.pos || wa.pos < 16) {
        return false;
    }
    /* The body starts with the origin: u64 node id, u64 seq. */
    return memcmp(ba, bb, 8) == 0 && memcmp(ba + 16, bb + 16, wa.pos - 16) == 0;
}

static int apply_node(struct fsm *f,
                      const struct entry_node *n,
                      struct fsm_member *m,
                      uint64_t index)
{
    bool is_new = !m->has_node;
    bool changed = is_new || !node_same(&m->node, n);
    uint64_t id = n->origin.node_id;

    /* The stored record keeps the id; its seq is not part of the content. */
    m->node = *n;
    m->node.origin.seq = 0;
    m->has_node = true;
    if (is_new) {
        struct fsm_event *ev = event_add(f->st, index, FSM_EV_JOIN, id);
        memcpy(ev->name, n->name, sizeof ev->name);
    } else if (changed) {
        struct fsm_event *ev = event_add(f->st, index, FSM_EV_UPDATE, id);
        memcpy(ev->name, n->name, sizeof ev->name);
    }
    return 0;
}

static int apply_health(struct fsm *f,
                        const struct entry_health *h,
                        struct fsm_member *m,
                        uint64_t index)
{
    struct fsm_health *slot = health_find(m, h->kind, h->name);
    struct fsm_event *ev;

    if (slot == NULL) {
        if (m->n_health >= FSM_MAX_HEALTH) {
            errmsg_printf(f->errmsg, "node %llu: more than %d checks",
                          (unsigned long long)h->origin.node_id,
                          FSM_MAX_HEALTH);
            return VIP_ERANGE;
        }
        slot = &m->health[m->n_health++];
        slot->kind = h->kind;
        memcpy(slot->name, h->name, sizeof slot->name);
    } else if (slot->value == h->value) {
        return 0; /* not a transition: nothing to record */
    }
    slot->value = h->value;
    ev = event_add(f->st, index, FSM_EV_HEALTH, h->origin.node_id);
    ev->kind = h->kind;
    ev->value = h->value;
    memcpy(ev->name, h->name, sizeof ev->name);
    return 0;
}

static int apply_unit_transfer(struct fsm *f,
                               const struct entry_admin *a,
                               uint64_t index);
static void units_forget_target(struct fsm_state *st, uint64_t id);

static int apply_admin(struct fsm *f,
                       const struct entry_admin *a,
                       uint64_t index)
{
    struct fsm_state *st = f->st;
    struct fsm_member *t = NULL;
    struct fsm_event *ev;

    if (a->target != 0) {
        t = member_find(st, a->target);
        if (t == NULL) {
            errmsg_printf(f->errmsg, "%s: unknown node %llu",
                          entry_admin_op_name(a->op),
                          (unsigned long long)a->target);
            return VIP_EINVAL;
        }
    }
    switch (a->op) {
    case ENTRY_ADMIN_MAINT_ON:
    case ENTRY_ADMIN_MAINT_OFF: {
        bool on = a->op == ENTRY_ADMIN_MAINT_ON;
        if (t->maintenance != on) {
            t->maintenance = on;
            ev = event_add(st, index, FSM_EV_MAINT, a->target);
            ev->other = a->origin.node_id;
            ev->value = on;
        }
        break;
    }
    case ENTRY_ADMIN_TRANSFER:
        if (a->unit[0] != '\0') {
            return apply_unit_transfer(f, a, index);
        }
        st->transfer_target = a->target;
        /* A request must be visible even when the index is unknown. */
        st->transfer_index = index != 0 ? index : f->n_applied + 1;
        ev = event_add(st, index, FSM_EV_TRANSFER, a->target);
        ev->other = a->origin.node_id;
        break;
    case ENTRY_ADMIN_REMOVE:
        ev = event_add(st, index, FSM_EV_REMOVE, a->target);
        ev->other = a->origin.node_id;
        memcpy(ev->name, t->node.name, sizeof ev->name);
        if (st->transfer_index != 0 && st->transfer_target == a->target) {
            st->transfer_target = 0;
            st->transfer_index = 0;
        }
        units_forget_target(st, a->target);
        member_remove(st, t);
        break;
    default:
        break; /* entry_validate() rejected other ops */
    }
    return 0;
}

static int apply_tick(struct fsm *f, const struct entry_tick *t, uint64_t index)
{
    struct fsm_state *st = f->st;
    struct fsm_event *ev;

    if (t->term < st->term) {
        errmsg_printf(f->errmsg, "tick of term %llu after term %llu",
                      (unsigned long long)t->term,
                      (unsigned long long)st->term);
        return VIP_EINVAL;
    }
    if (t->term != st->term || t->leader != st->leader) {
        st->term = t->term;
        st->leader = t->leader;
        st->wall_ms = t->wall_ms;
        event_add(st, index, FSM_EV_LEADER, t->leader);
    }
    st->wall_ms = t->wall_ms;
    if (t->holder != st->holder) {
        ev = event_add(st, index, FSM_EV_HOLDER, t->holder);
        ev->other = st->holder;
        ev->kind = t->reason;
        st->holder = t->holder;
        st->holder_reason = t->reason;
        st->holder_since_ms = t->wall_ms;
        st->holder_index = index;
        /* A switchover is done once someone holds; one to a named node
         * stays recorded while that node holds: it pins the VIPs there
         * (raft/priority.c) until another node takes over. */
        if (t->holder != 0 && t->holder != st->transfer_target) {
            st->transfer_target = 0;
            st->transfer_index = 0;
        }
    }
    return 0;
}

/****** Units: ASSIGN and unit TRANSFER (raft/place.h) ******/

static struct fsm_unit *unit_find(struct fsm_state *st, const char *name)
{
    for (unsigned i = 0; i < st->n_units; i++) {
        if (strcmp(st->units[i].name, name) == 0) {
            return &st->units[i];
        }
    }
    return NULL;
}

const struct fsm_unit *fsm_unit(const struct fsm_state *st, const char *name)
{
    return unit_find((struct fsm_state *)st, name);
}

static int apply_assign(struct fsm *f,
                        const struct entry_assign *a,
                        uint64_t index)
{
    struct fsm_state *st = f->st;
    struct fsm_unit *u = unit_find(st, a->unit);
    const struct fsm_member *h = NULL;
    struct fsm_event *ev;

    /* Log terms never decrease, so a leader writing its own term can never
     * trip these; a record that does is forged or broken. */
    if (a->term < st->term || (u != NULL && a->term < u->term)) {
        uint64_t newer = u != NULL && u->term > st->term ? u->term : st->term;
        errmsg_printf(f->errmsg, "assign %s: term %llu after term %llu",
                      a->unit, (unsigned long long)a->term,
                      (unsigned long long)newer);
        return VIP_EINVAL;
    }
    if (a->holder != 0) {
        h = member_find(st, a->holder);
        if (h == NULL) {
            errmsg_printf(f->errmsg, "assign %s: holder %llu is not a member",
                          a->unit, (unsigned long long)a->holder);
            return VIP_EINVAL;
        }
        if (h->has_node && (h->node.flags & ENTRY_NODE_F_WITNESS) != 0) {
            errmsg_printf(f->errmsg, "assign %s: holder %llu is a witness",
                          a->unit, (unsigned long long)a->holder);
            return VIP_EINVAL;
        }
    }
    if (u == NULL) {
        if (st->n_units >= FSM_MAX_UNITS) {
            errmsg_printf(f->errmsg, "assign %s: more than %d units", a->unit,
                          FSM_MAX_UNITS);
            return VIP_ERANGE;
        }
        u = &st->units[st->n_units++];
        memset(u, 0, sizeof *u);
        memcpy(u->name, a->unit, sizeof u->name);
    }
    if (a->holder != u->holder) {
        ev = event_add(st, index, FSM_EV_HOLDER, a->holder);
        ev->other = u->holder;
        ev->kind = a->holder == 0 ? ENTRY_HOLD_RELEASE : ENTRY_HOLD_NONE;
        memcpy(ev->name, u->name, sizeof ev->name);
        u->since_wall_ms = st->wall_ms;
        /* As for the group (apply_tick): done once another node holds; a
         * named target keeps the request while it holds. */
        if (a->holder != 0 && a->holder != u->transfer_target) {
            u->transfer_target = 0;
            u->transfer_index = 0;
        }
    }
    u->holder = a->holder;
    u->leader_bound = (a->flags & ENTRY_ASSIGN_F_LEADER_BOUND) != 0;
    u->term = a->term;
    /* Visible even when the index is unknown (tests without raft). */
    u->index = index != 0 ? index : f->n_applied + 1;
    return 0;
}

/* TRANSFER of one unit; the target (if any) was checked by the caller. */
static int apply_unit_transfer(struct fsm *f,
                               const struct entry_admin *a,
                               uint64_t index)
{
    struct fsm_unit *u = unit_find(f->st, a->unit);
    struct fsm_event *ev;

    if (u == NULL) {
        errmsg_printf(f->errmsg, "transfer: unknown unit %s", a->unit);
        return VIP_EINVAL;
    }
    u->transfer_target = a->target;
    u->transfer_index = index != 0 ? index : f->n_applied + 1;
    ev = event_add(f->st, index, FSM_EV_TRANSFER, a->target);
    ev->other = a->origin.node_id;
    memcpy(ev->name, u->name, sizeof ev->name);
    return 0;
}

/* @id leaves: pending unit transfers to it are void. */
static void units_forget_target(struct fsm_state *st, uint64_t id)
{
    for (unsigned i = 0; i < st->n_units; i++) {
        struct fsm_unit *u = &st->units[i];
        if (u->transfer_index != 0 && u->transfer_target == id) {
            u->transfer_target = 0;
            u->transfer_index = 0;
        }
    }
}

/* Apply records carrying an origin: dedupe on the proposer's seq. */
static int apply_origin(struct fsm *f, const struct entry *e, uint64_t index)
{
    const struct entry_origin *o;
    struct fsm_member *m;
    int rv;

    switch (e->kind) {
    case ENTRY_NODE:
        o = &e->u.node.origin;
        break;
    case ENTRY_HEALTH:
        o = &e->u.health.origin;
        break;
    case ENTRY_ASSIGN:
        o = &e->u.assign.origin;
        break;
    default:
        o = &e->u.admin.origin;
        break;
    }
    /* Bounded: proposers draw seq from their wall clock (ms * 1024,
     * raft/cluster_props.c), so one far ahead of the leader's clock (TICK) is
     * forged or broken; applied, it would make every later record of that
     * node a duplicate until the clock caught up (2^64 - 2: forever). */
    if (o->seq > FSM_SEQ_MAX ||
        (f->st->wall_ms != 0 &&
         o->seq / 1024 > f->st->wall_ms + FSM_SEQ_AHEAD_MS)) {
        errmsg_printf(f->errmsg,
                      "sequence number %llu of node %llu is too far ahead",
                      (unsigned long long)o->seq,
                      (unsigned long long)o->node_id);
        return VIP_ERANGE;
    }
    m = member_find(f->st, o->node_id);
    if (m != NULL && o->seq <= m->last_seq) {
        /* The same seq is a retry of what was applied; a lower one is a
         * record that will never apply (reported, not counted as done). */
        return o->seq == m->last_seq ? 1 : 2;
    }
    if (m == NULL) {
        m = member_get(f->st, o->node_id, index);
        if (m == NULL) {
            errmsg_printf(f->errmsg, "more than %d members", FSM_MAX_MEMBERS);
            return VIP_ERANGE;
        }
    }
    switch (e->kind) {
    case ENTRY_NODE:
        rv = apply_node(f, &e->u.node, m, index);
        break;
    case ENTRY_HEALTH:
        rv = apply_health(f, &e->u.health, m, index);
        break;
    case ENTRY_ASSIGN:
        rv = apply_assign(f, &e->u.assign, index);
        break;
    default:
        rv = apply_admin(f, &e->u.admin, index);
        break;
    }
    /* The proposer may have been removed by its own record. */
    m = member_find(f->st, o->node_id);
    if (rv == 0 && m != NULL) {
        m->last_seq = o->seq;
    }
    if (rv != 0 && m != NULL && !m->has_node && m->last_seq == 0 &&
        m->n_health == 0 && !m->maintenance) {
        member_remove(f->st, m); /* keep a rejected record side-effect free */
    }
    return rv;
}

int fsm_apply_buf(struct fsm *f, const void *buf, size_t len, uint64_t index)
{
    struct entry scratch; /* ~10 KB with a NODE record: fine on the stack */
    struct entry *e = &scratch;
    int rv;

    rv = entry_decode(buf, len, e, f->errmsg);
    if (rv != 0) {
        goto rejected;
    }
    if (e->kind == ENTRY_TICK) {
        rv = apply_tick(f, &e->u.tick, index);
    } else {
        rv = apply_origin(f, e, index);
    }
    if (rv < 0) {
        goto rejected;
    }
    if (rv == 1 || rv == 2) {
        f->n_duplicate++;
        return rv;
    }
    f->n_applied++;
    if (f->applied != NULL) {
        f->applied(f, e);
    }
    return 0;
rejected:
    f->n_rejected++;
    return rv;
}

/****** raft_fsm hooks ******/

static int fsm_raft_apply(struct raft_fsm *rf,
                          const struct raft_buffer *buf,
                          void **result)
{
    struct fsm *f = rf->data;
    uint64_t index = f->raft != NULL ? raft_last_applied(f->raft) + 1 : 0;
    int rv = fsm_apply_buf(f, buf->base, buf->len, index);

    /* Never fail towards raft: see fsm.h. */
    f->last_rv = rv < 0 ? rv : rv == 2 ? VIP_ESTALE : 0;
    *result = &f->last_rv;
    return 0;
}

static int fsm_raft_snapshot(struct raft_fsm *rf,
                             struct raft_buffer *bufs[],
                             unsigned *n_bufs)
{
    struct fsm *f = rf->data;
    void *base;
    size_t len;
    int rv;

    *bufs = raft_malloc(sizeof **bufs);
    if (*bufs == NULL) {
        return RAFT_NOMEM;
    }
    rv = fsm_snapshot_encode(f->st, &base, &len);
    if (rv != 0) {
        raft_free(*bufs);
        *bufs = NULL;
        return RAFT_NOMEM;
    }
    (*bufs)[0].base = base;
    (*bufs)[0].len = len;
    *n_bufs = 1;
    return 0;
}

static int fsm_raft_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct fsm *f = rf->data;
    struct fsm_state *tmp = malloc(sizeof *tmp);
    int rv;

    if (tmp == NULL) {
        return RAFT_NOMEM;
    }
    rv = fsm_snapshot_decode(buf->base, buf->len, tmp, f->errmsg);
    if (rv != 0) {
        free(tmp);
        f->last_rv = rv;
        return RAFT_MALFORMED;
    }
    memcpy(f->st, tmp, sizeof *tmp);
    free(tmp);
    raft_free(buf->base); /* ours once we return 0 */
    return 0;
}

int fsm_init(struct fsm *f)
{
    memset(f, 0, sizeof *f);
    f->st = calloc(1, sizeof *f->st);
    if (f->st == NULL) {
        return VIP_ENOMEM;
    }
    f->iface.version = 1;
    f->iface.data = f;
    f->iface.apply = fsm_raft_apply;
    f->iface.snapshot = fsm_raft_snapshot;
    f->iface.restore = fsm_raft_restore;
    return 0;
}

void fsm_close(struct fsm *f)
{
    free(f->st);
    f->st = NULL;
}

void fsm_attach(struct fsm *f, struct raft *r)
{
    f->raft = r;
}

/****** Snapshot codec ******/

/****** Snapshot sections: optional, after the body (see fsm.h) ******/

#define SNAP_SECTION_UNITS 1

static void snap_units_put(struct entry_writer *w, const struct fsm_state *st)
{
    entry_put_u16(w, st->n_units);
    for (unsigned i = 0; i < st->n_units; i++) {
        const struct fsm_unit *u = &st->units[i];
        entry_put_str(w, u->name);
        entry_put_u64(w, u->holder);
        entry_put_u8(w, u->leader_bound);
        entry_put_u64(w, u->term);
        entry_put_u64(w, u->index);
        entry_put_u64(w, u->transfer_target);
        entry_put_u64(w, u->transfer_index);
        entry_put_u64(w, u->since_wall_ms);
    }
}

static void snap_sections_put(struct entry_writer *w,
                              const struct fsm_state *st)
{
    if (st->n_units > 0) {
        struct entry_writer count = {.p = NULL, .size = SIZE_MAX, .ok = true};
        snap_units_put(&count, st);
        if (!count.ok || count.pos > UINT32_MAX) {
            w->ok = false;
            return;
        }
        entry_put_u8(w, SNAP_SECTION_UNITS);
        entry_put_u32(w, (uint32_t)count.pos);
        snap_units_put(w, st);
    }
}

/* Decode the units section (exactly @r's bytes); NULL or why not. */
static const char *snap_units_get(struct entry_reader *r, struct fsm_state *out)
{
    out->n_units = entry_get_u16(r);
    if (out->n_units > FSM_MAX_UNITS) {
        return "too many units";
    }
    if (r->ok && out->n_units == 0) {
        return "empty units section";
    }
    for (unsigned i = 0; i < out->n_units && r->ok; i++) {
        struct fsm_unit *u = &out->units[i];
        entry_get_str(r, u->name, sizeof u->name);
        u->holder = entry_get_u64(r);
        uint8_t bound = entry_get_u8(r);
        u->leader_bound = bound != 0;
        u->term = entry_get_u64(r);
        u->index = entry_get_u64(r);
        u->transfer_target = entry_get_u64(r);
        u->transfer_index = entry_get_u64(r);
        u->since_wall_ms = entry_get_u64(r);
        if (!r->ok) {
            break;
        }
        if (u->name[0] == '\0') {
            return "unit without a name";
        }
        if (bound > 1 || (bound == 1 && u->holder == 0)) {
            return "bad unit leader-bound flag";
        }
        if (u->term == 0 || u->index == 0) {
            return "unit without its ASSIGN";
        }
        if (u->transfer_index == 0 && u->transfer_target != 0) {
            return "unit transfer target without a request";
        }
        for (unsigned k = 0; k < i; k++) {
            if (strcmp(out->units[k].name, u->name) == 0) {
                return "duplicate unit";
            }
        }
    }
    if (r->ok && r->pos != r->size) {
        return "trailing bytes in units";
    }
    return r->ok ? NULL : r->why;
}

/* The sections after the body, up to the end of @r. NULL or why not. */
static const char *snap_sections_get(struct entry_reader *r,
                                     struct fsm_state *out)
{
    unsigned last = 0;

    while (r->ok && r->pos < r->size) {
        uint8_t tag = entry_get_u8(r);
        uint32_t len = entry_get_u32(r);
        if (!r->ok) {
            break;
        }
        if (tag <= last) {
            return "sections out of order";
        }
        if ((size_t)len > r->size - r->pos) {
            return "section truncated";
        }
        struct entry_reader sub = {
            .p = r->p + r->pos, .size = len, .pos = 0, .ok = true};
        const char *why;
        switch (tag) {
        case SNAP_SECTION_UNITS:
            why = snap_units_get(&sub, out);
            break;
        default:
            return "unknown section";
        }
        if (why != NULL) {
            r->pos += sub.pos;
            return why;
        }
        r->pos += len;
        last = tag;
    }
    return r->ok ? NULL : r->why;
}


/* The lowest snapshot version that carries @st: 2 if a member's record
 * has a unit name (raft/entry.h), else 1, which a version-1 node restores
 * (a cluster upgraded one node at a time). */
static unsigned snap_version(const struct fsm_state *st)
{
    for (unsigned i = 0; i < st->n_members; i++) {
        if (st->members[i].has_node &&
            entry_node_version(&st->members[i].node) > 1) {
            return 2;
        }
    }
    return 1;
}

static void snap_body(struct entry_writer *w,
                      const struct fsm_state *st,
                      unsigned version)
{
    uint64_t first;

    entry_put_u16(w, st->n_members);
    for (unsigned i = 0; i < st->n_members; i++) {
        const struct fsm_member *m = &st->members[i];
        entry_put_u64(w, m->node.origin.node_id);
        entry_put_u8(w, m->has_node);
        if (m->has_node) {
            entry_node_put(w, &m->node, version);
        }
        entry_put_u8(w, m->maintenance);
        entry_put_u64(w, m->last_seq);
        entry_put_u64(w, m->joined_index);
        entry_put_u16(w, m->n_health);
        for (unsigned j = 0; j < m->n_health; j++) {
            entry_put_u8(w, m->health[j].kind);
            entry_put_str(w, m->health[j].name);
            entry_put_i32(w, m->health[j].value);
        }
    }
    entry_put_u64(w, st->leader);
    entry_put_u64(w, st->term);
    entry_put_u64(w, st->wall_ms);
    entry_put_u64(w, st->holder);
    entry_put_u8(w, st->holder_reason);
    entry_put_u64(w, st->holder_since_ms);
    entry_put_u64(w, st->holder_index);
    entry_put_u64(w, st->transfer_target);
    entry_put_u64(w, st->transfer_index);
    entry_put_u64(w, st->n_events);
    first = st->n_events > FSM_MAX_EVENTS ? st->n_events - FSM_MAX_EVENTS : 0;
    for (uint64_t k = first; k < st->n_events; k++) {
        const struct fsm_event *ev = &st->events[k % FSM_MAX_EVENTS];
        entry_put_u64(w, ev->index);
        entry_put_u64(w, ev->term);
        entry_put_u64(w, ev->wall_ms);
        entry_put_u8(w, ev->type);
        entry_put_u8(w, ev->kind);
        entry_put_u64(w, ev->node);
        entry_put_u64(w, ev->other);
        entry_put_i32(w, ev->value);
        entry_put_str(w, ev->name);
    }
    snap_sections_put(w, st);
}

int fsm_snapshot_encode(const struct fsm_state *st, void **buf, size_t *len)
{
    struct entry_writer w = {.p = NULL, .size = SIZE_MAX, .pos = 0, .ok = true};
    size_t body;
    uint8_t *p;

    unsigned version = snap_version(st);

    snap_body(&w, st, version);
    body = w.pos;
    if (!w.ok || body > UINT32_MAX) {
        return VIP_EINVAL;
    }
    p = raft_malloc(SNAP_HEADER_SIZE + body);
    if (p == NULL) {
        return VIP_ENOMEM;
    }
    w = (struct entry_writer){
        .p = p, .size = SNAP_HEADER_SIZE + body, .pos = 0, .ok = true};
    entry_put_u32(&w, SNAP_MAGIC);
    entry_put_u8(&w, (uint8_t)version);
    entry_put_u8(&w, 0);
    entry_put_u16(&w, 0);
    entry_put_u32(&w, (uint32_t)body);
    snap_body(&w, st, version);
    *buf = p;
    *len = w.pos;
    return 0;
}

/* Decode one member; false with @why set on a rule violation. */
static bool snap_member(struct entry_reader *r,
                        unsigned version,
                        struct fsm_member *m,
                        const char **why,
                        char *errmsg)
{
    uint64_t id = entry_get_u64(r);
    uint8_t has_node = entry_get_u8(r);

    memset(m, 0, sizeof *m);
    if (has_node > 1) {
        *why = "bad has_node flag";
        return false;
    }
    m->has_node = has_node;
    if (has_node) {
        /* Snapshot version N stores NODE bodies of entry version N. */
        entry_node_get(r, &m->node, version);
        if (r->ok) {
            if (m->node.origin.node_id != id) {
                *why = "member id differs from its record";
                return false;
            }
            /* Stored records have seq 0; validate with a dummy seq. */
            struct entry e = {.kind = ENTRY_NODE};
            e.u.node = m->node;
            e.u.node.origin.seq = 1;
            if (entry_validate(&e, errmsg) != 0) {
                *why = "invalid member record";
                return false;
            }
            if (m->node.origin.seq != 0) {
                *why = "member record with a seq";
                return false;
            }
        }
    }
    m->node.origin.node_id = id;
    if (id == 0) {
        *why = "member id 0";
        return false;
    }
    uint8_t maint = entry_get_u8(r);
    if (maint > 1) {
        *why = "bad maintenance flag";
        return false;
    }
    m->maintenance = maint;
    m->last_seq = entry_get_u64(r);
    m->joined_index = entry_get_u64(r);
    m->n_health = entry_get_u16(r);
    if (m->n_health > FSM_MAX_HEALTH) {
        *why = "too many checks";
        return false;
    }
    for (unsigned j = 0; j < m->n_health && r->ok; j++) {
        struct fsm_health *h = &m->health[j];
        h->kind = entry_get_u8(r);
        entry_get_str(r, h->name, sizeof h->name);
        h->value = entry_get_i32(r);
        if (!r->ok) {
            break;
        }
        if (h->kind < ENTRY_TRACK_SCRIPT || h->kind > ENTRY_TRACK_IFACE ||
            h->name[0] == '\0') {
            *why = "bad check";
            return false;
        }
        for (unsigned k = 0; k < j; k++) {
            if (m->health[k].kind == h->kind &&
                strcmp(m->health[k].name, h->name) == 0) {
                *why = "duplicate check";
                return false;
            }
        }
    }
    return true;
}

int fsm_snapshot_decode(const void *buf,
                        size_t len,
                        struct fsm_state *out,
                        char *errmsg)
{
    struct entry_reader r = {.p = buf, .size = len, .pos = 0, .ok = true};
    const char *why = NULL;
    char detail[VIP_ERRMSG_SIZE] = "";
    uint32_t magic, body;
    uint8_t version;
    uint64_t first;

    memset(out, 0, sizeof *out);
    if (buf == NULL || len < SNAP_HEADER_SIZE) {
        why = "truncated header";
        goto err;
    }
    magic = entry_get_u32(&r);
    version = entry_get_u8(&r);
    if (magic != SNAP_MAGIC) {
        why = "bad magic";
        goto err;
    }
    if (version < FSM_SNAPSHOT_VERSION_MIN || version > FSM_SNAPSHOT_VERSION) {
        why = "unknown version";
        goto err;
    }
    if (entry_get_u8(&r) != 0 || entry_get_u16(&r) != 0) {
        why = "reserved header bits set";
        goto err;
    }
    body = entry_get_u32(&r);
    if ((size_t)body != len - SNAP_HEADER_SIZE) {
        why = "length mismatch";
        goto err;
    }
    out->n_members = entry_get_u16(&r);
    if (out->n_members > FSM_MAX_MEMBERS) {
        why = "too many members";
        goto err;
    }
    for (unsigned i = 0; i < out->n_members && r.ok; i++) {
        if (!snap_member(&r, version, &out->members[i], &why, detail)) {
            goto err;
        }
        if (i > 0 && out->members[i].node.origin.node_id <=
                         out->members[i - 1].node.origin.node_id) {
            why = "members not sorted or duplicated";
            goto err;
        }
    }
    out->leader = entry_get_u64(&r);
    out->term = entry_get_u64(&r);
    out->wall_ms = entry_get_u64(&r);
    out->holder = entry_get_u64(&r);
    out->holder_reason = entry_get_u8(&r);
    out->holder_since_ms = entry_get_u64(&r);
    out->holder_index = entry_get_u64(&r);
    out->transfer_target = entry_get_u64(&r);
    out->transfer_index = entry_get_u64(&r);
    out->n_events = entry_get_u64(&r);
    if (!r.ok) {
        goto err;
    }
    if (out->holder_reason > ENTRY_HOLD_REASON_MAX) {
        why = "bad holder reason";
        goto err;
    }
    first = out->n_events > FSM_MAX_EVENTS ? out->n_events - FSM_MAX_EVENTS : 0;
    for (uint64_t k = first; k < out->n_events && r.ok; k++) {
        struct fsm_event *ev = &out->events[k % FSM_MAX_EVENTS];
        ev->index = entry_get_u64(&r);
        ev->term = entry_get_u64(&r);
        ev->wall_ms = entry_get_u64(&r);
        ev->type = entry_get_u8(&r);
        ev->kind = entry_get_u8(&r);
        ev->node = entry_get_u64(&r);
        ev->other = entry_get_u64(&r);
        ev->value = entry_get_i32(&r);
        entry_get_str(&r, ev->name, sizeof ev->name);
        if (r.ok && (ev->type < FSM_EV_HOLDER || ev->type > FSM_EV_LEADER)) {
            why = "bad event type";
            goto err;
        }
    }
    if (r.ok) {
        why = snap_sections_get(&r, out);
        if (why != NULL) {
            goto err;
        }
    }
    if (!r.ok) {
        goto err;
    }
    return 0;
err:
    if (why == NULL) {
        why = r.why != NULL ? r.why : "invalid";
    }
    if (errmsg != NULL) {
        if (detail[0] != '\0') {
            errmsg_printf(errmsg, "snapshot: %s at byte %zu: %s", why, r.pos,
                          detail);
        } else {
            errmsg_printf(errmsg, "snapshot: %s at byte %zu", why, r.pos);
        }
    }
    return VIP_EPROTO;
}
