/* Log entry codec. Pure: no I/O, no allocation.
 *
 * Bodies (after the 8-byte header, see entry.h):
 *   origin   = u64 node_id, u64 seq
 *   NODE     = origin, str name, str address, u8 ip_family, 16 x u8 ip,
 *              u32 flags, u16 n_instances, instance[n_instances]
 *   instance = str name, [version >= 2: str unit,] u8 base_priority,
 *              u8 flags, u32 preempt_delay_ms, u16 n_tracks, track[n_tracks]
 *   track    = str name, u8 kind, u8 flags, i32 weight
 *   HEALTH   = origin, u8 kind, str name, i32 value
 *   ADMIN    = origin, u8 op, u64 target [, str unit]
 *   TICK     = u64 leader, u64 term, u64 wall_ms, u64 holder, u8 reason
 *   ASSIGN   = origin, str unit, u64 holder, u8 flags, u64 term
 *
 * ADMIN's unit is a tail present only when the unit is not empty, so a
 * record without one keeps the original encoding (and an empty unit has
 * exactly one encoding). */
#include "raft/entry.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vipd/error.h"

#define ENTRY_PREEMPT_DELAY_MAX_MS 1000000u /* keepalived: 0..1000 s */
#define ENTRY_WEIGHT_MAX           254

/****** Writer and reader ******/

void entry_put_bytes(struct entry_writer *w, const void *b, size_t n)
{
    if (!w->ok || n > w->size - w->pos) {
        w->ok = false;
        return;
    }
    if (n > 0 && w->p != NULL) {
        memcpy(w->p + w->pos, b, n);
    }
    w->pos += n;
}

void entry_put_u8(struct entry_writer *w, uint8_t v)
{
    entry_put_bytes(w, &v, 1);
}

void entry_put_u16(struct entry_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    entry_put_bytes(w, b, sizeof b);
}

void entry_put_u32(struct entry_writer *w, uint32_t v)
{
    uint8_t b[4];
    for (unsigned i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    entry_put_bytes(w, b, sizeof b);
}

void entry_put_u64(struct entry_writer *w, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    entry_put_bytes(w, b, sizeof b);
}

void entry_put_str(struct entry_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT16_MAX) {
        w->ok = false;
        return;
    }
    entry_put_u16(w, (uint16_t)n);
    entry_put_bytes(w, s, n);
}

/* Mark @r failed with @why (the first reason wins). */
static void reader_fail(struct entry_reader *r, const char *why)
{
    if (r->ok) {
        r->ok = false;
        r->why = why;
    }
}

void entry_get_bytes(struct entry_reader *r, void *dst, size_t n)
{
    if (!r->ok || n > r->size - r->pos) {
        reader_fail(r, "truncated");
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->pos, n);
    r->pos += n;
}

uint8_t entry_get_u8(struct entry_reader *r)
{
    uint8_t v;
    entry_get_bytes(r, &v, 1);
    return v;
}

uint16_t entry_get_u16(struct entry_reader *r)
{
    uint8_t b[2];
    entry_get_bytes(r, b, sizeof b);
    return (uint16_t)(b[0] | (b[1] << 8));
}

uint32_t entry_get_u32(struct entry_reader *r)
{
    uint8_t b[4];
    uint32_t v = 0;
    entry_get_bytes(r, b, sizeof b);
    for (unsigned i = 0; i < 4; i++) {
        v |= (uint32_t)b[i] << (8 * i);
    }
    return v;
}

uint64_t entry_get_u64(struct entry_reader *r)
{
    uint8_t b[8];
    uint64_t v = 0;
    entry_get_bytes(r, b, sizeof b);
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

void entry_get_str(struct entry_reader *r, char *dst, size_t dst_size)
{
    uint16_t n = entry_get_u16(r);

    dst[0] = '\0';
    if (!r->ok) {
        return;
    }
    if ((size_t)n >= dst_size) {
        reader_fail(r, "string too long");
        return;
    }
    if ((size_t)n > r->size - r->pos) {
        reader_fail(r, "truncated");
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        uint8_t c = r->p[r->pos + i];
        if (c < 0x20 || c > 0x7e) {
            reader_fail(r, "string not printable ASCII");
            return;
        }
    }
    memcpy(dst, r->p + r->pos, n);
    dst[n] = '\0';
    r->pos += n;
}

/* Conversion to unsigned is modular (C11 6.3.1.3), hence exact; the way
 * back avoids the implementation-defined narrowing of an unsigned value. */
static uint32_t i32_to_u32(int32_t v)
{
    return (uint32_t)v;
}

static int32_t u32_to_i32(uint32_t v)
{
    return v <= (uint32_t)INT32_MAX ? (int32_t)v
                                    : (int32_t)((int64_t)v - 4294967296LL);
}

void entry_put_i32(struct entry_writer *w, int32_t v)
{
    entry_put_u32(w, i32_to_u32(v));
}

int32_t entry_get_i32(struct entry_reader *r)
{
    return u32_to_i32(entry_get_u32(r));
}

/****** Validation ******/

bool entry_str_ok(const char *s, size_t size, bool allow_empty)
{
    const char *end = memchr(s, '\0', size);
    if (end == NULL) {
        return false;
    }
    if (end == s && !allow_empty) {
        return false;
    }
    for (const char *p = s; p < end; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            return false;
        }
    }
    return true;
}

#define FAIL(...)                               \
    do {                                        \
        if (errmsg != NULL) {                   \
            errmsg_printf(errmsg, __VA_ARGS__); \
        }                                       \
        return VIP_EINVAL;                      \
    } while (0)

static int origin_validate(const struct entry_origin *o, char *errmsg)
{
    if (o->node_id == 0) {
        FAIL("origin node id is 0");
    }
    if (o->seq == 0) {
        FAIL("origin seq is 0");
    }
    return 0;
}

static bool track_kind_ok(unsigned kind)
{
    return kind >= ENTRY_TRACK_SCRIPT && kind <= ENTRY_TRACK_IFACE;
}

static int instance_validate(const struct entry_instance *in, char *errmsg)
{
    if (!entry_str_ok(in->name, sizeof in->name, false)) {
        FAIL("instance: bad name");
    }
    if (!entry_str_ok(in->unit, sizeof in->unit, true)) {
        FAIL("instance %s: bad unit name", in->name);
    }
    if (in->base_priority == 0) {
        FAIL("instance %s: priority 0", in->name);
    }
    if ((in->flags & ~ENTRY_INSTANCE_F_ALL) != 0) {
        FAIL("instance %s: unknown flags 0x%x", in->name, in->flags);
    }
    if (in->preempt_delay_ms > ENTRY_PREEMPT_DELAY_MAX_MS) {
        FAIL("instance %s: preempt_delay out of range", in->name);
    }
    if (in->n_tracks > ENTRY_MAX_TRACKS) {
        FAIL("instance %s: %u tracks (max %d)", in->name, in->n_tracks,
             ENTRY_MAX_TRACKS);
    }
    for (unsigned i = 0; i < in->n_tracks; i++) {
        const struct entry_track *t = &in->tracks[i];
        if (!entry_str_ok(t->name, sizeof t->name, false)) {
            FAIL("instance %s: track %u: bad name", in->name, i);
        }
        if (!track_kind_ok(t->kind)) {
            FAIL("instance %s: track %s: unknown kind %u", in->name, t->name,
                 t->kind);
        }
        if ((t->flags & ~ENTRY_TRACK_F_ALL) != 0) {
            FAIL("instance %s: track %s: unknown flags", in->name, t->name);
        }
        if (t->weight < -ENTRY_WEIGHT_MAX || t->weight > ENTRY_WEIGHT_MAX) {
            FAIL("instance %s: track %s: weight %d out of range", in->name,
                 t->name, (int)t->weight);
        }
    }
    return 0;
}

const char *entry_instance_unit(const struct entry_instance *in)
{
    return in->unit[0] != '\0' ? in->unit : in->name;
}

/* A unit name must name one unit: an instance that carries a group's name
 * must be in that group, and say so (not with an empty unit, which would
 * make two encodings of one grouping). */
static int units_validate(const struct entry_node *n, char *errmsg)
{
    for (unsigned i = 0; i < n->n_instances; i++) {
        const struct entry_instance *a = &n->instances[i];
        if (a->unit[0] == '\0') {
            continue;
        }
        for (unsigned j = 0; j < n->n_instances; j++) {
            const struct entry_instance *b = &n->instances[j];
            if (strcmp(b->name, a->unit) == 0 &&
                strcmp(b->unit, a->unit) != 0) {
                FAIL(
                    "node %s: unit %s of instance %s is also the name of "
                    "instance %s outside it",
                    n->name, a->unit, a->name, b->name);
            }
        }
    }
    return 0;
}

static int node_validate(const struct entry_node *n, char *errmsg)
{
    static const uint8_t zero[16];
    int rv = origin_validate(&n->origin, errmsg);

    if (rv != 0) {
        return rv;
    }
    if (!entry_str_ok(n->name, sizeof n->name, false)) {
        FAIL("node: bad name");
    }
    if (!entry_str_ok(n->address, sizeof n->address, false)) {
        FAIL("node %s: bad address", n->name);
    }
    if (n->ip_family == AF_INET) {
        if (memcmp(n->ip + 4, zero, 12) != 0) {
            FAIL("node %s: IPv4 address with trailing bytes", n->name);
        }
    } else if (n->ip_family == 0) {
        if (memcmp(n->ip, zero, 16) != 0) {
            FAIL("node %s: address bytes without a family", n->name);
        }
    } else if (n->ip_family != AF_INET6) {
        FAIL("node %s: unknown address family %u", n->name, n->ip_family);
    }
    if ((n->flags & ~ENTRY_NODE_F_ALL) != 0) {
        FAIL("node %s: unknown flags 0x%x", n->name, (unsigned)n->flags);
    }
    if (n->n_instances > ENTRY_MAX_INSTANCES) {
        FAIL("node %s: %u instances (max %d)", n->name, n->n_instances,
             ENTRY_MAX_INSTANCES);
    }
    for (unsigned i = 0; i < n->n_instances; i++) {
        rv = instance_validate(&n->instances[i], errmsg);
        if (rv != 0) {
            return rv;
        }
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(n->instances[i].name, n->instances[j].name) == 0) {
                FAIL("node %s: instance %s twice", n->name,
                     n->instances[i].name);
            }
        }
    }
    return units_validate(n, errmsg);
}

/****** Placement records (ASSIGN, ADMIN TRANSFER's unit) ******/

static int admin_unit_validate(const struct entry_admin *a, char *errmsg)
{
    if (!entry_str_ok(a->unit, sizeof a->unit, true)) {
        FAIL("admin %s: bad unit name", entry_admin_op_name(a->op));
    }
    if (a->unit[0] != '\0' && a->op != ENTRY_ADMIN_TRANSFER) {
        FAIL("admin %s: a unit is only for transfer",
             entry_admin_op_name(a->op));
    }
    return 0;
}

static int assign_validate(const struct entry_assign *a, char *errmsg)
{
    int rv = origin_validate(&a->origin, errmsg);

    if (rv != 0) {
        return rv;
    }
    if (!entry_str_ok(a->unit, sizeof a->unit, false)) {
        FAIL("assign: bad unit name");
    }
    if (a->term == 0) {
        FAIL("assign %s: term 0", a->unit);
    }
    if ((a->flags & ~ENTRY_ASSIGN_F_ALL) != 0) {
        FAIL("assign %s: unknown flags 0x%x", a->unit, a->flags);
    }
    if ((a->flags & ENTRY_ASSIGN_F_LEADER_BOUND) != 0 &&
        a->holder != a->origin.node_id) {
        FAIL("assign %s: leader-bound holder %llu is not the leader %llu",
             a->unit, (unsigned long long)a->holder,
             (unsigned long long)a->origin.node_id);
    }
    return 0;
}

int entry_validate(const struct entry *e, char *errmsg)
{
    int rv;

    switch (e->kind) {
    case ENTRY_NODE:
        return node_validate(&e->u.node, errmsg);
    case ENTRY_HEALTH:
        rv = origin_validate(&e->u.health.origin, errmsg);
        if (rv != 0) {
            return rv;
        }
        if (!track_kind_ok(e->u.health.kind)) {
            FAIL("health: unknown kind %u", e->u.health.kind);
        }
        if (!entry_str_ok(e->u.health.name, sizeof e->u.health.name, false)) {
            FAIL("health: bad check name");
        }
        if (e->u.health.kind != ENTRY_TRACK_FILE && e->u.health.value != 0 &&
            e->u.health.value != 1) {
            FAIL("health %s: value %d is not 0 or 1", e->u.health.name,
                 (int)e->u.health.value);
        }
        return 0;
    case ENTRY_ADMIN:
        rv = origin_validate(&e->u.admin.origin, errmsg);
        if (rv != 0) {
            return rv;
        }
        if (e->u.admin.op < ENTRY_ADMIN_MAINT_ON ||
            e->u.admin.op > ENTRY_ADMIN_REMOVE) {
            FAIL("admin: unknown op %u", e->u.admin.op);
        }
        if (e->u.admin.target == 0 && e->u.admin.op != ENTRY_ADMIN_TRANSFER) {
            FAIL("admin %s: target node id is 0",
                 entry_admin_op_name(e->u.admin.op));
        }
        return admin_unit_validate(&e->u.admin, errmsg);
    case ENTRY_TICK:
        if (e->u.tick.leader == 0 || e->u.tick.term == 0) {
            FAIL("tick: leader id or term is 0");
        }
        if (e->u.tick.holder != 0 && e->u.tick.holder != e->u.tick.leader) {
            FAIL("tick: holder %llu is not the leader %llu",
                 (unsigned long long)e->u.tick.holder,
                 (unsigned long long)e->u.tick.leader);
        }
        if (e->u.tick.reason > ENTRY_HOLD_REASON_MAX) {
            FAIL("tick: unknown reason %u", e->u.tick.reason);
        }
        return 0;
    case ENTRY_ASSIGN:
        return assign_validate(&e->u.assign, errmsg);
    default:
        FAIL("unknown entry kind %u", e->kind);
    }
}

#undef FAIL

/****** Bodies ******/

static void origin_put(struct entry_writer *w, const struct entry_origin *o)
{
    entry_put_u64(w, o->node_id);
    entry_put_u64(w, o->seq);
}

static void origin_get(struct entry_reader *r, struct entry_origin *o)
{
    o->node_id = entry_get_u64(r);
    o->seq = entry_get_u64(r);
}

unsigned entry_node_version(const struct entry_node *n)
{
    for (unsigned i = 0; i < n->n_instances && i < ENTRY_MAX_INSTANCES; i++) {
        if (n->instances[i].unit[0] != '\0') {
            return 2;
        }
    }
    return 1;
}

void entry_node_put(struct entry_writer *w,
                    const struct entry_node *n,
                    unsigned version)
{
    origin_put(w, &n->origin);
    entry_put_str(w, n->name);
    entry_put_str(w, n->address);
    entry_put_u8(w, n->ip_family);
    entry_put_bytes(w, n->ip, sizeof n->ip);
    entry_put_u32(w, n->flags);
    entry_put_u16(w, n->n_instances);
    for (unsigned i = 0; i < n->n_instances && i < ENTRY_MAX_INSTANCES; i++) {
        const struct entry_instance *in = &n->instances[i];
        entry_put_str(w, in->name);
        if (version >= 2) {
            entry_put_str(w, in->unit);
        } else if (in->unit[0] != '\0') {
            w->ok = false; /* version 1 cannot carry it */
            return;
        }
        entry_put_u8(w, in->base_priority);
        entry_put_u8(w, in->flags);
        entry_put_u32(w, in->preempt_delay_ms);
        entry_put_u16(w, in->n_tracks);
        for (unsigned j = 0; j < in->n_tracks && j < ENTRY_MAX_TRACKS; j++) {
            const struct entry_track *t = &in->tracks[j];
            entry_put_str(w, t->name);
            entry_put_u8(w, t->kind);
            entry_put_u8(w, t->flags);
            entry_put_u32(w, i32_to_u32(t->weight));
        }
    }
}

void entry_node_get(struct entry_reader *r,
                    struct entry_node *n,
                    unsigned version)
{
    memset(n, 0, sizeof *n);
    origin_get(r, &n->origin);
    entry_get_str(r, n->name, sizeof n->name);
    entry_get_str(r, n->address, sizeof n->address);
    n->ip_family = entry_get_u8(r);
    entry_get_bytes(r, n->ip, sizeof n->ip);
    n->flags = entry_get_u32(r);
    n->n_instances = entry_get_u16(r);
    if (n->n_instances > ENTRY_MAX_INSTANCES) {
        reader_fail(r, "too many instances");
        n->n_instances = 0;
        return;
    }
    for (unsigned i = 0; i < n->n_instances && r->ok; i++) {
        struct entry_instance *in = &n->instances[i];
        entry_get_str(r, in->name, sizeof in->name);
        if (version >= 2) {
            entry_get_str(r, in->unit, sizeof in->unit);
        }
        in->base_priority = entry_get_u8(r);
        in->flags = entry_get_u8(r);
        in->preempt_delay_ms = entry_get_u32(r);
        in->n_tracks = entry_get_u16(r);
        if (in->n_tracks > ENTRY_MAX_TRACKS) {
            reader_fail(r, "too many tracks");
            in->n_tracks = 0;
            return;
        }
        for (unsigned j = 0; j < in->n_tracks && r->ok; j++) {
            struct entry_track *t = &in->tracks[j];
            entry_get_str(r, t->name, sizeof t->name);
            t->kind = entry_get_u8(r);
            t->flags = entry_get_u8(r);
            t->weight = u32_to_i32(entry_get_u32(r));
        }
    }
}

static void body_put(struct entry_writer *w,
                     const struct entry *e,
                     unsigned version)
{
    switch (e->kind) {
    case ENTRY_NODE:
        entry_node_put(w, &e->u.node, version);
        break;
    case ENTRY_HEALTH:
        origin_put(w, &e->u.health.origin);
        entry_put_u8(w, e->u.health.kind);
        entry_put_str(w, e->u.health.name);
        entry_put_u32(w, i32_to_u32(e->u.health.value));
        break;
    case ENTRY_ADMIN:
        origin_put(w, &e->u.admin.origin);
        entry_put_u8(w, e->u.admin.op);
        entry_put_u64(w, e->u.admin.target);
        if (e->u.admin.unit[0] != '\0') {
            entry_put_str(w, e->u.admin.unit);
        }
        break;
    case ENTRY_TICK:
        entry_put_u64(w, e->u.tick.leader);
        entry_put_u64(w, e->u.tick.term);
        entry_put_u64(w, e->u.tick.wall_ms);
        entry_put_u64(w, e->u.tick.holder);
        entry_put_u8(w, e->u.tick.reason);
        break;
    case ENTRY_ASSIGN:
        origin_put(w, &e->u.assign.origin);
        entry_put_str(w, e->u.assign.unit);
        entry_put_u64(w, e->u.assign.holder);
        entry_put_u8(w, e->u.assign.flags);
        entry_put_u64(w, e->u.assign.term);
        break;
    default:
        w->ok = false;
        break;
    }
}

static void body_get(struct entry_reader *r, struct entry *e, unsigned version)
{
    switch (e->kind) {
    case ENTRY_NODE:
        entry_node_get(r, &e->u.node, version);
        break;
    case ENTRY_HEALTH:
        origin_get(r, &e->u.health.origin);
        e->u.health.kind = entry_get_u8(r);
        entry_get_str(r, e->u.health.name, sizeof e->u.health.name);
        e->u.health.value = u32_to_i32(entry_get_u32(r));
        break;
    case ENTRY_ADMIN:
        origin_get(r, &e->u.admin.origin);
        e->u.admin.op = entry_get_u8(r);
        e->u.admin.target = entry_get_u64(r);
        if (r->ok && r->pos < r->size) {
            entry_get_str(r, e->u.admin.unit, sizeof e->u.admin.unit);
            if (r->ok && e->u.admin.unit[0] == '\0') {
                reader_fail(r, "empty unit"); /* encoded as no tail */
            }
        }
        break;
    case ENTRY_TICK:
        e->u.tick.leader = entry_get_u64(r);
        e->u.tick.term = entry_get_u64(r);
        e->u.tick.wall_ms = entry_get_u64(r);
        e->u.tick.holder = entry_get_u64(r);
        e->u.tick.reason = entry_get_u8(r);
        break;
    case ENTRY_ASSIGN:
        origin_get(r, &e->u.assign.origin);
        entry_get_str(r, e->u.assign.unit, sizeof e->u.assign.unit);
        e->u.assign.holder = entry_get_u64(r);
        e->u.assign.flags = entry_get_u8(r);
        e->u.assign.term = entry_get_u64(r);
        break;
    default:
        reader_fail(r, "unknown kind");
        break;
    }
}

/****** Records ******/

/* The lowest version that carries @e (see entry.h). */
static unsigned record_version(const struct entry *e)
{
    return e->kind == ENTRY_NODE ? entry_node_version(&e->u.node)
                                 : ENTRY_VERSION_MIN;
}

size_t entry_encoded_size(const struct entry *e)
{
    /* A writer without a buffer only counts. */
    struct entry_writer w = {.p = NULL, .size = SIZE_MAX, .pos = 0, .ok = true};

    if (entry_validate(e, NULL) != 0) {
        return 0;
    }
    body_put(&w, e, record_version(e));
    if (!w.ok || w.pos > ENTRY_MAX_SIZE) {
        return 0;
    }
    return ENTRY_HEADER_SIZE + w.pos;
}

int entry_encode(const struct entry *e,
                 void *buf,
                 size_t size,
                 size_t *len,
                 char *errmsg)
{
    struct entry_writer w = {.p = buf, .size = size, .pos = 0, .ok = true};
    int rv;

    rv = entry_validate(e, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (size < ENTRY_HEADER_SIZE) {
        goto err_range;
    }
    w.pos = ENTRY_HEADER_SIZE;
    body_put(&w, e, record_version(e));
    if (!w.ok || w.pos - ENTRY_HEADER_SIZE > ENTRY_MAX_SIZE) {
        goto err_range;
    }
    {
        struct entry_writer h = {
            .p = buf, .size = ENTRY_HEADER_SIZE, .pos = 0, .ok = true};
        entry_put_u8(&h, (uint8_t)record_version(e));
        entry_put_u8(&h, e->kind);
        entry_put_u16(&h, 0);
        entry_put_u32(&h, (uint32_t)(w.pos - ENTRY_HEADER_SIZE));
    }
    *len = w.pos;
    return 0;
err_range:
    if (errmsg != NULL) {
        errmsg_printf(errmsg, "%s entry does not fit in %zu bytes",
                      entry_kind_name(e->kind), size);
    }
    return VIP_ERANGE;
}

int entry_decode(const void *buf, size_t len, struct entry *out, char *errmsg)
{
    struct entry_reader r = {.p = buf, .size = len, .pos = 0, .ok = true};
    char why[VIP_ERRMSG_SIZE];
    uint8_t version;
    uint16_t reserved;
    uint32_t body_len;

    memset(out, 0, sizeof *out);
    if (buf == NULL || len < ENTRY_HEADER_SIZE) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry: truncated header (%zu bytes)", len);
        }
        return VIP_EPROTO;
    }
    version = entry_get_u8(&r);
    out->kind = entry_get_u8(&r);
    reserved = entry_get_u16(&r);
    body_len = entry_get_u32(&r);
    if (version < ENTRY_VERSION_MIN || version > ENTRY_VERSION) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry: unknown version %u", version);
        }
        return VIP_EPROTO;
    }
    if (out->kind < ENTRY_NODE || out->kind > ENTRY_ASSIGN) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry: unknown kind %u", out->kind);
        }
        return VIP_EPROTO;
    }
    if (reserved != 0) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry: reserved header bits set");
        }
        return VIP_EPROTO;
    }
    if ((size_t)body_len != len - ENTRY_HEADER_SIZE) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry %s: body length %u, %zu bytes follow",
                          entry_kind_name(out->kind), (unsigned)body_len,
                          len - ENTRY_HEADER_SIZE);
        }
        return VIP_EPROTO;
    }
    body_get(&r, out, version);
    if (r.ok && r.pos != r.size) {
        reader_fail(&r, "trailing bytes");
    }
    if (!r.ok) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry %s: %s at byte %zu",
                          entry_kind_name(out->kind), r.why, r.pos);
        }
        return VIP_EPROTO;
    }
    if (entry_validate(out, why) != 0) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "entry %s: %s", entry_kind_name(out->kind),
                          why);
        }
        return VIP_EPROTO;
    }
    return 0;
}

/****** Names ******/

const char *entry_kind_name(unsigned kind)
{
    switch (kind) {
    case ENTRY_NODE:
        return "node";
    case ENTRY_HEALTH:
        return "health";
    case ENTRY_ADMIN:
        return "admin";
    case ENTRY_TICK:
        return "tick";
    case ENTRY_ASSIGN:
        return "assign";
    default:
        return "?";
    }
}

const char *entry_track_kind_name(unsigned kind)
{
    switch (kind) {
    case ENTRY_TRACK_SCRIPT:
        return "script";
    case ENTRY_TRACK_FILE:
        return "file";
    case ENTRY_TRACK_IFACE:
        return "interface";
    default:
        return "?";
    }
}

const char *entry_admin_op_name(unsigned op)
{
    switch (op) {
    case ENTRY_ADMIN_MAINT_ON:
        return "maintenance-on";
    case ENTRY_ADMIN_MAINT_OFF:
        return "maintenance-off";
    case ENTRY_ADMIN_TRANSFER:
        return "transfer";
    case ENTRY_ADMIN_REMOVE:
        return "remove";
    default:
        return "?";
    }
}

const char *entry_hold_reason_name(unsigned reason)
{
    switch (reason) {
    case ENTRY_HOLD_NONE:
        return "none";
    case ENTRY_HOLD_ELECTED:
        return "elected";
    case ENTRY_HOLD_RENEW:
        return "renew";
    case ENTRY_HOLD_RELEASE:
        return "release";
    case ENTRY_HOLD_INELIGIBLE:
        return "ineligible";
    default:
        return "?";
    }
}
