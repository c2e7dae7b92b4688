/* Status model <-> JSON: round trips and validation of every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/status_json.h"
#include "vipd/error.h"

/****** Fixture ******/

/* A two-node, two-instance status with every field set to a distinct
 * value, and some left "unknown" (0) to exercise nulls. */
static void build(struct vip_status *st)
{
    vip_status_init(st);
    st->node_id = 2;
    st->holds = true;
    st->leader_id = 2;
    st->n_voters = 3;
    st->failures_tolerated = 1;
    for (int i = 0; i < 2; i++) {
        struct vip_status_node *n = vip_status_add_node(st);
        assert_non_null(n);
        n->id = 1 + (uint64_t)i;
        snprintf(n->name, sizeof n->name, "node-%d", i + 1);
        snprintf(n->address, sizeof n->address, "[fd00::%d]:5405", i + 1);
        n->role = i == 0 ? VIP_ROLE_FOLLOWER : VIP_ROLE_LEADER;
        n->member = i == 0 ? VIP_MEMBER_SPARE : VIP_MEMBER_VOTER;
        n->term = 9007199254740992ULL; /* the largest exact JSON integer */
        n->commit_index = 1000 + (uint64_t)i;
        n->applied_index = 999 + (uint64_t)i;
        n->reachable = i == 1;
        n->maintenance = i == 0;
        n->witness = i == 0;
        n->key_refused = i == 0;
        n->key_refused_ms = i == 0 ? 1700000002000 : 0;
        n->key_refused_age_s = i == 0 ? 7 : 0;
        struct vip_status_check *c = vip_status_add_check(n, "chk_a");
        assert_non_null(c);
        c->state = VIP_CHECK_FAIL;
        c->value = -5;
        c->changed_ms = 1700000000123;
        c = vip_status_add_check(n, "track_file_b");
        assert_non_null(c);
        c->state = VIP_CHECK_UNKNOWN;
        c->value = INT32_MAX;
        c->changed_ms = 0;
        struct vip_status_priority *p = vip_status_add_priority(n, "VI_1");
        assert_non_null(p);
        p->priority = 254 - i;
        p->eligible = i == 1;
    }
    struct vip_status_instance *in = vip_status_add_instance(st);
    assert_non_null(in);
    snprintf(in->name, sizeof in->name, "VI_1");
    assert_int_equal(vip_status_add_vip(in, "10.0.0.100/24"), 0);
    assert_int_equal(vip_status_add_vip(in, "fd00::100/64"), 0);
    in->holder_id = 2;
    in->since_ms = 1700000001000;
    snprintf(in->reason, sizeof in->reason, "elected \"quoted\" \n reason");
    snprintf(in->unit, sizeof in->unit, "VG_1");
    in->term = 9007199254740992ULL;
    in->holds = true;
    in = vip_status_add_instance(st);
    assert_non_null(in);
    snprintf(in->name, sizeof in->name, "VI_2");
    in->holder_id = 0;
    in->since_ms = 0;
    snprintf(in->unit, sizeof in->unit, "VI_2");
    in->term = 3;
}

static void assert_status_equal(const struct vip_status *a,
                                const struct vip_status *b)
{
    assert_int_equal(a->node_id, b->node_id);
    assert_int_equal(a->holds, b->holds);
    assert_int_equal(a->leader_id, b->leader_id);
    assert_int_equal(a->n_voters, b->n_voters);
    assert_int_equal(a->failures_tolerated, b->failures_tolerated);
    assert_int_equal(a->n_nodes, b->n_nodes);
    for (size_t i = 0; i < a->n_nodes; i++) {
        const struct vip_status_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_int_equal(x->id, y->id);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->address, y->address);
        assert_int_equal(x->role, y->role);
        assert_int_equal(x->member, y->member);
        assert_int_equal(x->term, y->term);
        assert_int_equal(x->commit_index, y->commit_index);
        assert_int_equal(x->applied_index, y->applied_index);
        assert_int_equal(x->reachable, y->reachable);
        assert_int_equal(x->maintenance, y->maintenance);
        assert_int_equal(x->witness, y->witness);
        assert_int_equal(x->key_refused, y->key_refused);
        assert_int_equal(x->key_refused_ms, y->key_refused_ms);
        assert_int_equal(x->key_refused_age_s, y->key_refused_age_s);
        assert_int_equal(x->n_checks, y->n_checks);
        for (size_t j = 0; j < x->n_checks; j++) {
            assert_string_equal(x->checks[j].name, y->checks[j].name);
            assert_int_equal(x->checks[j].state, y->checks[j].state);
            assert_int_equal(x->checks[j].value, y->checks[j].value);
            assert_int_equal(x->checks[j].changed_ms, y->checks[j].changed_ms);
        }
        assert_int_equal(x->n_priorities, y->n_priorities);
        for (size_t j = 0; j < x->n_priorities; j++) {
            assert_string_equal(x->priorities[j].instance,
                                y->priorities[j].instance);
            assert_int_equal(x->priorities[j].priority,
                             y->priorities[j].priority);
            assert_int_equal(x->priorities[j].eligible,
                             y->priorities[j].eligible);
        }
    }
    assert_int_equal(a->n_instances, b->n_instances);
    for (size_t i = 0; i < a->n_instances; i++) {
        const struct vip_status_instance *x = &a->instances[i];
        const struct vip_status_instance *y = &b->instances[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->n_vips, y->n_vips);
        for (size_t j = 0; j < x->n_vips; j++) {
            assert_string_equal(x->vips[j], y->vips[j]);
        }
        assert_int_equal(x->holder_id, y->holder_id);
        assert_int_equal(x->since_ms, y->since_ms);
        assert_string_equal(x->reason, y->reason);
        assert_string_equal(x->unit, y->unit);
        assert_int_equal(x->term, y->term);
        assert_int_equal(x->holds, y->holds);
    }
}

/* Encode @st, serialise to text and parse back: what vipctl receives. */
static json_t *through_text(const struct vip_status *st)
{
    json_t *obj = status_json_encode(st);
    assert_non_null(obj);
    char *text = json_dumps(obj, JSON_COMPACT);
    assert_non_null(text);
    json_decref(obj);
    obj = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(obj);
    return obj;
}

/****** Round trips ******/

/* Every field survives encode -> text -> decode. */
static void status_round_trip(void **state)
{
    struct vip_status a, b;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    build(&a);
    json_t *obj = through_text(&a);
    assert_int_equal(status_json_decode(obj, &b, errmsg), 0);
    assert_status_equal(&a, &b);
    json_decref(obj);
    vip_status_free(&a);
    vip_status_free(&b);
    vip_status_free(&b); /* freeing twice is harmless: it zeroes */
}

/* The stable names: unknown times, holder and leader are null, enums are
 * lower-case words, the version is 1. */
static void status_field_names(void **state)
{
    struct vip_status st;
    (void)state;

    build(&st);
    st.leader_id = 0;
    json_t *o = status_json_encode(&st);
    assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
    assert_true(json_is_null(json_object_get(o, "leader_id")));
    json_t *n0 = json_array_get(json_object_get(o, "nodes"), 0);
    assert_string_equal(json_string_value(json_object_get(n0, "role")),
                        "follower");
    assert_string_equal(json_string_value(json_object_get(n0, "member")),
                        "spare");
    json_t *c1 = json_array_get(json_object_get(n0, "checks"), 1);
    assert_string_equal(json_string_value(json_object_get(c1, "state")),
                        "unknown");
    assert_true(json_is_null(json_object_get(c1, "changed_ms")));
    json_t *i1 = json_array_get(json_object_get(o, "instances"), 1);
    assert_true(json_is_null(json_object_get(i1, "holder")));
    assert_true(json_is_null(json_object_get(i1, "since_ms")));
    assert_int_equal(json_array_size(json_object_get(i1, "vips")), 0);
    json_decref(o);
    vip_status_free(&st);
}

/* Fields added after version 1 of the layout: absent reads as default.
 * @path: the object holding @key ("instances.0"). */
static bool is_optional(const char *path, const char *key)
{
    if (strncmp(path, "instances", 9) == 0) {
        return strcmp(key, "unit") == 0 || strcmp(key, "term") == 0 ||
               strcmp(key, "holds") == 0;
    }
    return strcmp(key, "witness") == 0 || strcmp(key, "voters") == 0 ||
           strncmp(key, "key_refused", 11) == 0 ||
           strcmp(key, "failures_tolerated") == 0;
}

/* An empty status (no nodes, no instances) round-trips too. */
static void status_empty(void **state)
{
    struct vip_status a, b;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    vip_status_init(&a);
    a.node_id = 7;
    json_t *obj = through_text(&a);
    assert_int_equal(status_json_decode(obj, &b, errmsg), 0);
    assert_status_equal(&a, &b);
    json_decref(obj);
    vip_status_free(&b);
}

/****** Validation ******/

/* The member @key of the object at @path inside @root ("" top level,
 * "nodes.0", "nodes.0.checks.1", ...). */
static json_t *at(json_t *root, const char *path)
{
    char buf[64];
    json_t *o = root;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok != NULL; tok = strtok(NULL, ".")) {
        if (json_is_array(o)) {
            o = json_array_get(o, (size_t)atoi(tok));
        } else {
            o = json_object_get(o, tok);
        }
    }
    assert_non_null(o);
    return o;
}

static void expect_refused(json_t *obj,
                           const char *what,
                           const char *path,
                           const char *key)
{
    struct vip_status st;
    char errmsg[VIP_ERRMSG_SIZE] = "";
    int rv = status_json_decode(obj, &st, errmsg);
    if (rv != VIP_EPROTO) {
        fail_msg("%s %s.%s: accepted (rv %d)", what, path, key, rv);
    }
    if (strstr(errmsg, key) == NULL) {
        fail_msg("%s %s.%s: message '%s' does not name it", what, path, key,
                 errmsg);
    }
    assert_null(st.nodes);
    assert_int_equal(st.n_instances, 0);
}

/* Removing any required member, or giving it a wrong type, is refused
 * with a message naming it. */
static void status_every_field_checked(void **state)
{
    static const char *const paths[] = {"", "nodes.0", "nodes.1.checks.0",
                                        "nodes.0.priorities.0", "instances.0"};
    struct vip_status st;
    (void)state;

    build(&st);
    json_t *good = status_json_encode(&st);
    vip_status_free(&st);
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        json_t *keys = json_object();
        const char *key;
        json_t *v;
        json_object_foreach (at(good, paths[p]), key, v) {
            json_object_set_new(keys, key, json_null());
        }
        json_object_foreach (keys, key, v) {
            /* Missing: refused, except for the fields added after version
             * 1 of the layout, which read as false / 0 when absent. */
            json_t *bad = json_deep_copy(good);
            json_object_del(at(bad, paths[p]), key);
            if (is_optional(paths[p], key)) {
                struct vip_status dec;
                char errmsg[VIP_ERRMSG_SIZE];
                assert_int_equal(status_json_decode(bad, &dec, errmsg), 0);
                if (strncmp(paths[p], "instances", 9) == 0) {
                    /* An older daemon: no unit, term 0, not held here. */
                    assert_string_equal(dec.instances[0].unit,
                                        strcmp(key, "unit") == 0 ? ""
                                                                 : "VG_1");
                    assert_int_equal(dec.instances[0].term,
                                     strcmp(key, "term") == 0
                                         ? 0
                                         : 9007199254740992ULL);
                    assert_int_equal(dec.instances[0].holds,
                                     strcmp(key, "holds") != 0);
                } else if (strcmp(key, "witness") == 0) {
                    assert_false(dec.nodes[0].witness);
                } else if (strcmp(key, "key_refused") == 0) {
                    /* Its details mean nothing without it. */
                    assert_false(dec.nodes[0].key_refused);
                    assert_int_equal(dec.nodes[0].key_refused_age_s, 0);
                } else if (strcmp(key, "key_refused_ms") == 0) {
                    assert_true(dec.nodes[0].key_refused);
                    assert_int_equal(dec.nodes[0].key_refused_ms, 0);
                } else if (strcmp(key, "key_refused_age_s") == 0) {
                    assert_true(dec.nodes[0].key_refused);
                    assert_int_equal(dec.nodes[0].key_refused_age_s, 0);
                } else if (strcmp(key, "voters") == 0) {
                    assert_int_equal(dec.n_voters, 0);
                } else {
                    assert_int_equal(dec.failures_tolerated, 0);
                }
                vip_status_free(&dec);
            } else {
                expect_refused(bad, "missing", paths[p], key);
            }
            json_decref(bad);
            /* Wrong type: a string where none is allowed, else a number;
             * and an object everywhere. */
            json_t *orig = json_object_get(at(good, paths[p]), key);
            json_t *wrong[2] = {
                json_is_string(orig) ? json_integer(5) : json_string("x"),
                json_object()};
            for (int w = 0; w < 2; w++) {
                bad = json_deep_copy(good);
                json_object_set(at(bad, paths[p]), key, wrong[w]);
                expect_refused(bad, "wrong type", paths[p], key);
                json_decref(bad);
                json_decref(wrong[w]);
            }
        }
        json_decref(keys);
    }
    json_decref(good);
}

/* Out-of-range numbers, unknown enum names, over-long strings, a NUL
 * inside a string and non-object elements are refused. */
static void status_bad_values(void **state)
{
    static const struct
    {
        const char *path;
        const char *key;
        const char *json; /* the bad value */
    } cases[] = {
        {"", "version", "0"},
        {"", "node_id", "-1"},
        {"", "node_id", "9007199254740993"},
        {"", "node_id", "1.5"},
        {"", "leader_id", "-3"},
        {"nodes.0", "id", "0"},
        {"nodes.0", "role", "\"boss\""},
        {"nodes.0", "member", "\"Voter\""},
        {"nodes.0", "term", "-1"},
        {"nodes.0", "name",
         "\"0123456789012345678901234567890123456789012345678901234567890123"
         "\""},
        {"nodes.0.checks.0", "state", "\"degraded\""},
        {"nodes.0.checks.0", "value", "2147483648"},
        {"nodes.0.checks.0", "changed_ms", "-1"},
        {"nodes.0.priorities.0", "priority", "256"},
        {"nodes.0.priorities.0", "priority", "-1"},
        {"instances.0", "vips", "[1]"},
        {"instances.0", "vips",
         "[\"0123456789012345678901234567890123456789012345678901234567890"
         "123\"]"},
        {"instances.0", "holder", "true"},
        {"instances.0", "term", "-1"},
        {"instances.0", "term", "null"},
        {"instances.0", "holds", "1"},
        {"instances.0", "unit",
         "\"0123456789012345678901234567890123456789012345678901234567890"
         "123\""},
        {"", "nodes", "[1]"},
        {"", "instances", "[[]]"},
        {"nodes.0", "checks", "[null]"},
    };
    struct vip_status st;
    (void)state;

    build(&st);
    json_t *good = status_json_encode(&st);
    vip_status_free(&st);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *bad = json_deep_copy(good);
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        json_object_set_new(at(bad, cases[i].path), cases[i].key, v);
        struct vip_status out;
        char errmsg[VIP_ERRMSG_SIZE] = "";
        if (status_json_decode(bad, &out, errmsg) != VIP_EPROTO) {
            fail_msg("case %zu %s.%s=%s accepted", i, cases[i].path,
                     cases[i].key, cases[i].json);
        }
        json_decref(bad);
    }
    /* A NUL inside a string (json_stringn allows it; the wire does not). */
    json_t *bad = json_deep_copy(good);
    json_object_set_new(at(bad, "nodes.0"), "name", json_stringn("a\0b", 3));
    expect_refused(bad, "embedded NUL", "nodes.0", "name");
    json_decref(bad);
    /* Not an object at all. */
    json_t *arr = json_array();
    char errmsg[VIP_ERRMSG_SIZE];
    assert_int_equal(status_json_decode(arr, &st, errmsg), VIP_EPROTO);
    assert_int_equal(status_json_decode(NULL, &st, errmsg), VIP_EPROTO);
    json_decref(arr);
    json_decref(good);
}

/* Members this version does not know are ignored: fields may be added. */
static void status_unknown_fields_ignored(void **state)
{
    struct vip_status a, b;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    build(&a);
    json_t *obj = status_json_encode(&a);
    json_object_set_new(obj, "future", json_string("x"));
    json_object_set_new(at(obj, "nodes.1"), "cpu", json_real(0.5));
    assert_int_equal(status_json_decode(obj, &b, errmsg), 0);
    assert_status_equal(&a, &b);
    json_decref(obj);
    vip_status_free(&a);
    vip_status_free(&b);
}

/****** Events ******/

/* Events round-trip; a kind this version does not know reads as "other". */
static void events_round_trip(void **state)
{
    struct vip_event ev[3];
    struct vip_event_list list;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    memset(ev, 0, sizeof ev);
    for (int i = 0; i < 3; i++) {
        ev[i].kind = (enum vip_event_kind)(VIP_EVENT_HOLDER + i);
        ev[i].term = 4;
        ev[i].index = 10 + (uint64_t)i;
        ev[i].time_ms = i == 0 ? 0 : 1700000000000 + i;
        ev[i].node_id = (uint64_t)i;
        snprintf(ev[i].text, sizeof ev[i].text, "event %d", i);
    }
    snprintf(ev[0].unit, sizeof ev[0].unit, "VG");
    json_t *arr = status_json_events_encode(ev, 3);
    /* "unit" only on events of one unit, so older readers see nothing
     * new elsewhere. */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(arr, 0), "unit")),
        "VG");
    assert_null(json_object_get(json_array_get(arr, 1), "unit"));
    assert_true(json_is_null(json_object_get(json_array_get(arr, 0), "node")));
    assert_true(
        json_is_null(json_object_get(json_array_get(arr, 0), "time_ms")));
    json_object_set_new(json_array_get(arr, 2), "kind",
                        json_string("quorum_lost"));
    vip_event_list_init(&list);
    assert_int_equal(status_json_events_decode(arr, &list, errmsg), 0);
    assert_int_equal(list.n_events, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(list.events[i].kind,
                         i == 2 ? VIP_EVENT_OTHER : ev[i].kind);
        assert_int_equal(list.events[i].term, ev[i].term);
        assert_int_equal(list.events[i].index, ev[i].index);
        assert_int_equal(list.events[i].time_ms, ev[i].time_ms);
        assert_int_equal(list.events[i].node_id, ev[i].node_id);
        assert_string_equal(list.events[i].text, ev[i].text);
        assert_string_equal(list.events[i].unit, ev[i].unit);
    }
    json_decref(arr);
    vip_event_list_free(&list);
}

/* A bad event anywhere in the array leaves the list as it was. */
static void events_malformed(void **state)
{
    static const char *const cases[] = {
        "{}",
        "[1]",
        "[{\"kind\":1,\"term\":1,\"index\":1,\"time_ms\":null,\"node\":null,"
        "\"text\":\"\"}]",
        "[{\"kind\":\"holder\",\"term\":-1,\"index\":1,\"time_ms\":null,"
        "\"node\":null,\"text\":\"\"}]",
        "[{\"kind\":\"holder\",\"term\":1,\"index\":1,\"time_ms\":\"now\","
        "\"node\":null,\"text\":\"\"}]",
        "[{\"kind\":\"holder\",\"term\":1,\"index\":1,\"time_ms\":null,"
        "\"node\":null}]",
        "[{\"kind\":\"holder\",\"term\":1,\"index\":1,\"time_ms\":null,"
        "\"node\":null,\"text\":\"\",\"unit\":7}]",
        "[{\"kind\":\"holder\",\"term\":1,\"index\":1,\"time_ms\":null,"
        "\"node\":null,\"text\":\"ok\"},{\"kind\":\"holder\"}]",
    };
    struct vip_event_list list;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    vip_event_list_init(&list);
    assert_non_null(vip_event_list_add(&list));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *arr = json_loads(cases[i], 0, NULL);
        assert_non_null(arr);
        if (status_json_events_decode(arr, &list, errmsg) != VIP_EPROTO) {
            fail_msg("case %zu accepted", i);
        }
        assert_int_equal(list.n_events, 1);
        json_decref(arr);
    }
    vip_event_list_free(&list);
}

/* Names and their parsers agree; unknown names are refused. */
static void names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i <= VIP_ROLE_LEADER; i++) {
        enum vip_role r;
        assert_int_equal(vip_role_parse(vip_role_name((enum vip_role)i), &r),
                         0);
        assert_int_equal(r, i);
    }
    for (int i = 0; i <= VIP_MEMBER_SPARE; i++) {
        enum vip_member m;
        assert_int_equal(
            vip_member_parse(vip_member_name((enum vip_member)i), &m), 0);
        assert_int_equal(m, i);
    }
    for (int i = 0; i <= VIP_CHECK_FAIL; i++) {
        enum vip_check_state c;
        assert_int_equal(vip_check_state_parse(
                             vip_check_state_name((enum vip_check_state)i), &c),
                         0);
        assert_int_equal(c, i);
    }
    for (int i = 0; i <= VIP_EVENT_LEADER; i++) {
        enum vip_event_kind k;
        assert_int_equal(vip_event_kind_parse(
                             vip_event_kind_name((enum vip_event_kind)i), &k),
                         0);
        assert_int_equal(k, i);
    }
    enum vip_role r;
    assert_int_equal(vip_role_parse("LEADER", &r), VIP_EINVAL);
    assert_string_equal(vip_role_name((enum vip_role)99), "unknown");
    /* Builders truncate, vip_status_add_vip refuses what does not fit. */
    struct vip_status_instance in;
    memset(&in, 0, sizeof in);
    char big[100];
    memset(big, '1', sizeof big);
    big[99] = '\0';
    assert_int_equal(vip_status_add_vip(&in, big), VIP_EINVAL);
    assert_int_equal(in.n_vips, 0);
    char dst[4];
    vip_status_copy(dst, sizeof dst, "abcdef");
    assert_string_equal(dst, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_round_trip),
        cmocka_unit_test(status_field_names),
        cmocka_unit_test(status_empty),
        cmocka_unit_test(status_every_field_checked),
        cmocka_unit_test(status_bad_values),
        cmocka_unit_test(status_unknown_fields_ignored),
        cmocka_unit_test(events_round_trip),
        cmocka_unit_test(events_malformed),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
