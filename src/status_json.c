/* Status model <-> JSON. Field names are part of the stable format of
 * docs/control-protocol.md: add fields, never rename or retype them. */
#include <stdio.h>
#include <string.h>

#include "src/status_json.h"
#include "vipd/error.h"

/****** Encoding ******/

/* Add @value (a new reference, may be NULL on OOM) under @key; on failure
 * returns -1 and drops @value. */
static int set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value);
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* 0 (unknown) becomes null, so scripts never mistake it for 1970. */
static json_t *wall_ms(int64_t v)
{
    return v > 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *encode_node(const struct vip_status_node *n)
{
    json_t *o = json_object();
    json_t *checks = json_array();
    json_t *prios = json_array();

    if (o == NULL || checks == NULL || prios == NULL) {
        goto err;
    }
    for (size_t i = 0; i < n->n_checks; i++) {
        const struct vip_status_check *c = &n->checks[i];
        json_t *co = json_object();
        if (co == NULL || json_array_append_new(checks, co) != 0 ||
            set(co, "name", json_string(c->name)) ||
            set(co, "state", json_string(vip_check_state_name(c->state))) ||
            set(co, "value", json_integer(c->value)) ||
            set(co, "changed_ms", wall_ms(c->changed_ms))) {
            goto err;
        }
    }
    for (size_t i = 0; i < n->n_priorities; i++) {
        const struct vip_status_priority *p = &n->priorities[i];
        json_t *po = json_object();
        if (po == NULL || json_array_append_new(prios, po) != 0 ||
            set(po, "instance", json_string(p->instance)) ||
            set(po, "priority", json_integer(p->priority)) ||
            set(po, "eligible", json_boolean(p->eligible))) {
            goto err;
        }
    }
    if (set(o, "id", u64(n->id)) || set(o, "name", json_string(n->name)) ||
        set(o, "address", json_string(n->address)) ||
        set(o, "role", json_string(vip_role_name(n->role))) ||
        set(o, "member", json_string(vip_member_name(n->member))) ||
        set(o, "term", u64(n->term)) ||
        set(o, "commit_index", u64(n->commit_index)) ||
        set(o, "applied_index", u64(n->applied_index)) ||
        set(o, "reachable", json_boolean(n->reachable)) ||
        set(o, "maintenance", json_boolean(n->maintenance)) ||
        set(o, "witness", json_boolean(n->witness))) {
        goto err;
    }
    /* Added after version 1: present only when set, so older readers see
     * exactly what they know. */
    if (n->key_refused &&
        (set(o, "key_refused", json_true()) ||
         set(o, "key_refused_ms", wall_ms(n->key_refused_ms)) ||
         set(o, "key_refused_age_s", u64(n->key_refused_age_s)))) {
        goto err;
    }
    if (set(o, "checks", checks)) {
        checks = NULL; /* consumed by the failed set */
        goto err;
    }
    checks = NULL;
    if (set(o, "priorities", prios)) {
        prios = NULL;
        goto err;
    }
    return o;
err:
    json_decref(o);
    json_decref(checks);
    json_decref(prios);
    return NULL;
}

static json_t *encode_instance(const struct vip_status_instance *in)
{
    json_t *o = json_object();
    json_t *vips = json_array();

    if (o == NULL || vips == NULL) {
        json_decref(o);
        json_decref(vips);
        return NULL;
    }
    for (size_t i = 0; i < in->n_vips; i++) {
        if (json_array_append_new(vips, json_string(in->vips[i])) != 0) {
            json_decref(o);
            json_decref(vips);
            return NULL;
        }
    }
    if (set(o, "vips", vips) || set(o, "name", json_string(in->name)) ||
        set(o, "holder", in->holder_id ? u64(in->holder_id) : json_null()) ||
        set(o, "since_ms", wall_ms(in->since_ms)) ||
        set(o, "reason", json_string(in->reason)) ||
        set(o, "unit", json_string(in->unit)) ||
        set(o, "term", u64(in->term)) ||
        set(o, "holds", json_boolean(in->holds))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *status_json_encode(const struct vip_status *st)
{
    json_t *o = json_object();
    json_t *nodes = json_array();
    json_t *insts = json_array();

    if (o == NULL || nodes == NULL || insts == NULL) {
        goto err;
    }
    for (size_t i = 0; i < st->n_nodes; i++) {
        if (json_array_append_new(nodes, encode_node(&st->nodes[i])) != 0) {
            goto err;
        }
    }
    for (size_t i = 0; i < st->n_instances; i++) {
        json_t *io = encode_instance(&st->instances[i]);
        if (json_array_append_new(insts, io) != 0) {
            goto err;
        }
    }
    if (set(o, "version", json_integer(VIP_STATUS_VERSION)) ||
        set(o, "node_id", u64(st->node_id)) ||
        set(o, "holds", json_boolean(st->holds)) ||
        set(o, "leader_id", st->leader_id ? u64(st->leader_id) : json_null()) ||
        set(o, "voters", json_integer(st->n_voters)) ||
        set(o, "failures_tolerated", json_integer(st->failures_tolerated))) {
        goto err;
    }
    json_t *n = nodes, *in = insts;
    nodes = insts = NULL; /* set() consumes them, even on failure */
    if (set(o, "nodes", n) || set(o, "instances", in)) {
        goto err;
    }
    return o;
err:
    json_decref(o);
    json_decref(nodes);
    json_decref(insts);
    return NULL;
}

json_t *status_json_event_encode(const struct vip_event *ev)
{
    json_t *o = json_object();
    if (o == NULL ||
        set(o, "kind", json_string(vip_event_kind_name(ev->kind))) ||
        set(o, "term", u64(ev->term)) || set(o, "index", u64(ev->index)) ||
        set(o, "time_ms", wall_ms(ev->time_ms)) ||
        set(o, "node", ev->node_id ? u64(ev->node_id) : json_null()) ||
        set(o, "text", json_string(ev->text)) ||
        (ev->unit[0] != '\0' && set(o, "unit", json_string(ev->unit)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *status_json_events_encode(const struct vip_event *events, size_t n)
{
    json_t *arr = json_array();
    if (arr == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new(arr, status_json_event_encode(&events[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/****** Decoding ******/

/* Decoding context: the path of the member being read, for messages. */
struct dec
{
    char *errmsg;
    char path[96];
};

static int dec_fail(struct dec *d, const char *key, const char *what)
{
    errmsg_printf(d->errmsg, "status: %s%s%s %s", d->path,
                  d->path[0] && key[0] ? "." : "", key, what);
    return VIP_EPROTO;
}

static int get_str(struct dec *d,
                   const json_t *o,
                   const char *key,
                   char *dst,
                   size_t size)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        return dec_fail(d, key, "must be a string");
    }
    size_t n = json_string_length(v);
    if (n >= size || memchr(json_string_value(v), '\0', n) != NULL) {
        return dec_fail(d, key, "is too long");
    }
    memcpy(dst, json_string_value(v), n + 1);
    return 0;
}

static int get_bool(struct dec *d, const json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_boolean(v)) {
        return dec_fail(d, key, "must be a boolean");
    }
    *out = json_is_true(v);
    return 0;
}

/* A boolean added after version 1 of the layout: absent reads as false. */
static int get_opt_bool(struct dec *d, const json_t *o, const char *key,
                        bool *out)
{
    if (json_object_get(o, key) == NULL) {
        *out = false;
        return 0;
    }
    return get_bool(d, o, key, out);
}

/* A string added after version 1 of the layout: absent reads as "". */
static int get_opt_str(struct dec *d, const json_t *o, const char *key,
                       char *dst, size_t size)
{
    if (json_object_get(o, key) == NULL) {
        dst[0] = '\0';
        return 0;
    }
    return get_str(d, o, key, dst, size);
}

/* A count added after version 1 of the layout: absent reads as 0. */
static int get_opt_count(struct dec *d, const json_t *o, const char *key,
                         unsigned *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > 1000) {
        return dec_fail(d, key, "must be an integer in [0, 1000]");
    }
    *out = (unsigned)json_integer_value(v);
    return 0;
}

/* An integer in [@min, @max]; when @nullable, null reads as 0. */
static int get_int(struct dec *d,
                   const json_t *o,
                   const char *key,
                   json_int_t min,
                   json_int_t max,
                   bool nullable,
                   json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    if (nullable && json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v)) {
        return dec_fail(
            d, key,
            nullable ? "must be an integer or null" : "must be an integer");
    }
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) {
        return dec_fail(d, key, "is out of range");
    }
    *out = i;
    return 0;
}

static int get_u64(struct dec *d,
                   const json_t *o,
                   const char *key,
                   bool nullable,
                   uint64_t *out)
{
    json_int_t i;
    int rv = get_int(d, o, key, 0, STATUS_JSON_INT_MAX, nullable, &i);
    if (rv == 0) { /* i is unset on error */
        *out = (uint64_t)i;
    }
    return rv;
}

static int get_enum(struct dec *d,
                    const json_t *o,
                    const char *key,
                    int (*parse)(const char *, void *),
                    void *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        return dec_fail(d, key, "must be a string");
    }
    if (parse(json_string_value(v), out) != 0) {
        return dec_fail(d, key, "has an unknown value");
    }
    return 0;
}

/* Adapters from the typed parsers to get_enum(). */
static int parse_role(const char *s, void *out)
{
    return vip_role_parse(s, out);
}
static int parse_member(const char *s, void *out)
{
    return vip_member_parse(s, out);
}
static int parse_check(const char *s, void *out)
{
    return vip_check_state_parse(s, out);
}
static int parse_kind(const char *s, void *out)
{
    return vip_event_kind_parse(s, out);
}

static const json_t *get_array(struct dec *d, const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v)) {
        dec_fail(d, key, "must be an array");
        return NULL;
    }
    return v;
}

static int dec_check(struct dec *d, const json_t *o, struct vip_status_check *c)
{
    json_int_t i;
    int rv;
    if (!json_is_object(o)) {
        return dec_fail(d, "", "must be an object");
    }
    if ((rv = get_str(d, o, "name", c->name, sizeof c->name)) ||
        (rv = get_enum(d, o, "state", parse_check, &c->state)) ||
        (rv = get_int(d, o, "value", INT32_MIN, INT32_MAX, false, &i))) {
        return rv;
    }
    c->value = (int32_t)i;
    rv = get_int(d, o, "changed_ms", 0, INT64_MAX, true, &i);
    c->changed_ms = i;
    return rv;
}

static int dec_priority(struct dec *d,
                        const json_t *o,
                        struct vip_status_priority *p)
{
    json_int_t i;
    int rv;
    if (!json_is_object(o)) {
        return dec_fail(d, "", "must be an object");
    }
    if ((rv = get_str(d, o, "instance", p->instance, sizeof p->instance)) ||
        (rv = get_int(d, o, "priority", 0, 255, false, &i)) ||
        (rv = get_bool(d, o, "eligible", &p->eligible))) {
        return rv;
    }
    p->priority = (int)i;
    return 0;
}

static int dec_node(struct dec *d, const json_t *o, struct vip_status_node *n)
{
    const json_t *arr;
    size_t base = strlen(d->path);
    size_t i;
    json_t *v;
    int rv;

    if (!json_is_object(o)) {
        return dec_fail(d, "", "must be an object");
    }
    if ((rv = get_u64(d, o, "id", false, &n->id)) ||
        (rv = get_str(d, o, "name", n->name, sizeof n->name)) ||
        (rv = get_str(d, o, "address", n->address, sizeof n->address)) ||
        (rv = get_enum(d, o, "role", parse_role, &n->role)) ||
        (rv = get_enum(d, o, "member", parse_member, &n->member)) ||
        (rv = get_u64(d, o, "term", false, &n->term)) ||
        (rv = get_u64(d, o, "commit_index", false, &n->commit_index)) ||
        (rv = get_u64(d, o, "applied_index", false, &n->applied_index)) ||
        (rv = get_bool(d, o, "reachable", &n->reachable)) ||
        (rv = get_bool(d, o, "maintenance", &n->maintenance)) ||
        (rv = get_opt_bool(d, o, "witness", &n->witness)) ||
        (rv = get_opt_bool(d, o, "key_refused", &n->key_refused))) {
        return rv;
    }
    if (n->key_refused) {
        json_int_t ms = 0, age = 0;
        if ((json_object_get(o, "key_refused_ms") != NULL &&
             (rv = get_int(d, o, "key_refused_ms", 0, INT64_MAX, true, &ms))) ||
            (json_object_get(o, "key_refused_age_s") != NULL &&
             (rv = get_int(d, o, "key_refused_age_s", 0, UINT32_MAX, false,
                           &age)))) {
            return rv;
        }
        n->key_refused_ms = ms;
        n->key_refused_age_s = (uint32_t)age;
    }
    if (n->id == 0) {
        return dec_fail(d, "id", "must be at least 1");
    }
    if ((arr = get_array(d, o, "checks")) == NULL) {
        return VIP_EPROTO;
    }
    json_array_foreach (arr, i, v) {
        struct vip_status_check *c = vip_status_add_check(n, "");
        if (c == NULL) {
            return VIP_ENOMEM;
        }
        snprintf(d->path + base, sizeof d->path - base, ".checks[%zu]", i);
        if ((rv = dec_check(d, v, c)) != 0) {
            return rv;
        }
    }
    d->path[base] = '\0';
    if ((arr = get_array(d, o, "priorities")) == NULL) {
        return VIP_EPROTO;
    }
    json_array_foreach (arr, i, v) {
        struct vip_status_priority *p = vip_status_add_priority(n, "");
        if (p == NULL) {
            return VIP_ENOMEM;
        }
        snprintf(d->path + base, sizeof d->path - base, ".priorities[%zu]", i);
        if ((rv = dec_priority(d, v, p)) != 0) {
            return rv;
        }
    }
    d->path[base] = '\0';
    return 0;
}

static int dec_instance(struct dec *d,
                        const json_t *o,
                        struct vip_status_instance *in)
{
    const json_t *arr;
    json_int_t since;
    size_t i;
    json_t *v;
    int rv;

    if (!json_is_object(o)) {
        return dec_fail(d, "", "must be an object");
    }
    if ((rv = get_str(d, o, "name", in->name, sizeof in->name)) ||
        (rv = get_u64(d, o, "holder", true, &in->holder_id)) ||
        (rv = get_int(d, o, "since_ms", 0, INT64_MAX, true, &since)) ||
        (rv = get_str(d, o, "reason", in->reason, sizeof in->reason)) ||
        (rv = get_opt_str(d, o, "unit", in->unit, sizeof in->unit)) ||
        (rv = get_opt_bool(d, o, "holds", &in->holds))) {
        return rv;
    }
    if (json_object_get(o, "term") != NULL &&
        (rv = get_u64(d, o, "term", false, &in->term)) != 0) {
        return rv;
    }
    in->since_ms = since;
    if ((arr = get_array(d, o, "vips")) == NULL) {
        return VIP_EPROTO;
    }
    json_array_foreach (arr, i, v) {
        if (!json_is_string(v) ||
            json_string_length(v) >= VIP_STATUS_VIP_SIZE ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            return dec_fail(d, "vips", "must hold short strings");
        }
        if ((rv = vip_status_add_vip(in, json_string_value(v))) != 0) {
            return rv;
        }
    }
    return 0;
}

int status_json_decode(const json_t *obj, struct vip_status *st, char *errmsg)
{
    struct dec d = {.errmsg = errmsg, .path = ""};
    const json_t *arr;
    json_int_t version;
    size_t i;
    json_t *v;
    int rv;

    vip_status_init(st);
    if (!json_is_object(obj)) {
        errmsg_printf(errmsg, "status: not an object");
        return VIP_EPROTO;
    }
    if ((rv = get_int(&d, obj, "version", 1, INT32_MAX, false, &version)) ||
        (rv = get_u64(&d, obj, "node_id", false, &st->node_id)) ||
        (rv = get_bool(&d, obj, "holds", &st->holds)) ||
        (rv = get_u64(&d, obj, "leader_id", true, &st->leader_id)) ||
        (rv = get_opt_count(&d, obj, "voters", &st->n_voters)) ||
        (rv = get_opt_count(&d, obj, "failures_tolerated",
                            &st->failures_tolerated))) {
        goto err;
    }
    if ((arr = get_array(&d, obj, "nodes")) == NULL) {
        rv = VIP_EPROTO;
        goto err;
    }
    json_array_foreach (arr, i, v) {
        struct vip_status_node *n = vip_status_add_node(st);
        if (n == NULL) {
            rv = VIP_ENOMEM;
            goto err;
        }
        snprintf(d.path, sizeof d.path, "nodes[%zu]", i);
        if ((rv = dec_node(&d, v, n)) != 0) {
            goto err;
        }
    }
    d.path[0] = '\0';
    if ((arr = get_array(&d, obj, "instances")) == NULL) {
        rv = VIP_EPROTO;
        goto err;
    }
    json_array_foreach (arr, i, v) {
        struct vip_status_instance *in = vip_status_add_instance(st);
        if (in == NULL) {
            rv = VIP_ENOMEM;
            goto err;
        }
        snprintf(d.path, sizeof d.path, "instances[%zu]", i);
        if ((rv = dec_instance(&d, v, in)) != 0) {
            goto err;
        }
    }
    return 0;
err:
    if (rv == VIP_ENOMEM) {
        errmsg_printf(errmsg, "out of memory");
    }
    vip_status_free(st);
    return rv;
}

int status_json_events_decode(const json_t *arr,
                              struct vip_event_list *list,
                              char *errmsg)
{
    struct dec d = {.errmsg = errmsg, .path = ""};
    size_t before = list->n_events;
    json_int_t t;
    size_t i;
    json_t *o;
    int rv = 0;

    if (!json_is_array(arr)) {
        errmsg_printf(errmsg, "events: not an array");
        return VIP_EPROTO;
    }
    json_array_foreach (arr, i, o) {
        struct vip_event *ev = vip_event_list_add(list);
        if (ev == NULL) {
            errmsg_printf(errmsg, "out of memory");
            rv = VIP_ENOMEM;
            break;
        }
        snprintf(d.path, sizeof d.path, "events[%zu]", i);
        if (!json_is_object(o)) {
            rv = dec_fail(&d, "", "must be an object");
            break;
        }
        if ((rv = get_enum(&d, o, "kind", parse_kind, &ev->kind)) ||
            (rv = get_u64(&d, o, "term", false, &ev->term)) ||
            (rv = get_u64(&d, o, "index", false, &ev->index)) ||
            (rv = get_int(&d, o, "time_ms", 0, INT64_MAX, true, &t)) ||
            (rv = get_u64(&d, o, "node", true, &ev->node_id)) ||
            (rv = get_str(&d, o, "text", ev->text, sizeof ev->text)) ||
            (rv = get_opt_str(&d, o, "unit", ev->unit, sizeof ev->unit))) {
            break;
        }
        ev->time_ms = t;
    }
    if (rv != 0) {
        list->n_events = before; /* the array keeps its capacity */
    }
    return rv;
}
