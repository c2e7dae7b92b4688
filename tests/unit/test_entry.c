/* Unit tests of the log entry codec (raft/entry.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "raft/entry.h"
#include "tests/unit/entry_v1_golden.h"
#include "vipd/error.h"

/****** Fixtures ******/

static struct entry *node_entry(void)
{
    struct entry *e = calloc(1, sizeof *e);
    struct entry_node *n = &e->u.node;

    assert_non_null(e);
    e->kind = ENTRY_NODE;
    n->origin.node_id = 0x0102030405060708ull;
    n->origin.seq = 42;
    strcpy(n->name, "lb-1.example");
    strcpy(n->address, "[fd00::11]:5405");
    n->ip_family = AF_INET6;
    n->ip[0] = 0xfd;
    n->ip[15] = 0x11;
    n->n_instances = 2;
    strcpy(n->instances[0].name, "VI_1");
    n->instances[0].base_priority = 100;
    n->instances[0].flags = ENTRY_INSTANCE_F_NOPREEMPT;
    n->instances[0].preempt_delay_ms = 30000;
    n->instances[0].n_tracks = 3;
    strcpy(n->instances[0].tracks[0].name, "chk_haproxy");
    n->instances[0].tracks[0].kind = ENTRY_TRACK_SCRIPT;
    n->instances[0].tracks[0].weight = -20;
    strcpy(n->instances[0].tracks[1].name, "eth0");
    n->instances[0].tracks[1].kind = ENTRY_TRACK_IFACE;
    strcpy(n->instances[0].tracks[2].name, "prio_file");
    n->instances[0].tracks[2].kind = ENTRY_TRACK_FILE;
    n->instances[0].tracks[2].weight = 254;
    n->instances[0].tracks[2].flags = ENTRY_TRACK_F_REVERSE;
    strcpy(n->instances[1].name, "VI_2");
    n->instances[1].base_priority = 255;
    return e;
}

static struct entry health_entry(void)
{
    struct entry e = {.kind = ENTRY_HEALTH};
    e.u.health.origin.node_id = 3;
    e.u.health.origin.seq = 7;
    e.u.health.kind = ENTRY_TRACK_FILE;
    strcpy(e.u.health.name, "prio_file");
    e.u.health.value = -123456;
    return e;
}

static struct entry admin_entry(void)
{
    struct entry e = {.kind = ENTRY_ADMIN};
    e.u.admin.origin.node_id = 1;
    e.u.admin.origin.seq = UINT64_MAX;
    e.u.admin.op = ENTRY_ADMIN_MAINT_ON;
    e.u.admin.target = 2;
    return e;
}

static struct entry tick_entry(void)
{
    struct entry e = {.kind = ENTRY_TICK};
    e.u.tick.leader = 2;
    e.u.tick.term = 9;
    e.u.tick.wall_ms = 1763700000123ull;
    e.u.tick.holder = 2;
    e.u.tick.reason = ENTRY_HOLD_ELECTED;
    return e;
}

static struct entry assign_entry(void)
{
    struct entry e = {.kind = ENTRY_ASSIGN};
    e.u.assign.origin.node_id = 2;
    e.u.assign.origin.seq = 11;
    strcpy(e.u.assign.unit, "SG_web");
    e.u.assign.holder = 3;
    e.u.assign.term = 7;
    return e;
}

static struct entry transfer_unit_entry(void)
{
    struct entry e = admin_entry();
    e.u.admin.op = ENTRY_ADMIN_TRANSFER;
    e.u.admin.target = 3;
    strcpy(e.u.admin.unit, "VI_2");
    return e;
}

/* Encode @e into a fresh buffer (caller frees). */
static uint8_t *encode(const struct entry *e, size_t *len)
{
    size_t size = entry_encoded_size(e);
    uint8_t *buf;

    assert_true(size >= ENTRY_HEADER_SIZE);
    buf = malloc(size);
    assert_non_null(buf);
    assert_int_equal(entry_encode(e, buf, size, len, NULL), 0);
    assert_int_equal(*len, size);
    return buf;
}

/* Encode, decode and compare field by field through a re-encode. */
static void round_trip(const struct entry *e)
{
    struct entry *out = calloc(1, sizeof *out);
    size_t len, len2;
    uint8_t *a = encode(e, &len);
    uint8_t *b;
    char errmsg[VIP_ERRMSG_SIZE];

    assert_int_equal(entry_decode(a, len, out, errmsg), 0);
    assert_int_equal(out->kind, e->kind);
    b = encode(out, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(a, b, len);
    free(a);
    free(b);
    free(out);
}

/****** Tests ******/

/* Every kind survives encode/decode unchanged. */
static void test_round_trip(void **state)
{
    struct entry *n = node_entry();
    struct entry h = health_entry(), a = admin_entry(), t = tick_entry();
    struct entry out;
    size_t len;
    uint8_t *buf;
    (void)state;

    round_trip(n);
    round_trip(&h);
    round_trip(&a);
    round_trip(&t);

    /* Spot-check decoded values, including negative numbers. */
    buf = encode(&h, &len);
    assert_int_equal(entry_decode(buf, len, &out, NULL), 0);
    assert_int_equal(out.u.health.value, -123456);
    assert_string_equal(out.u.health.name, "prio_file");
    free(buf);
    buf = encode(n, &len);
    struct entry *nd = calloc(1, sizeof *nd);
    assert_int_equal(entry_decode(buf, len, nd, NULL), 0);
    assert_int_equal(nd->u.node.instances[0].tracks[0].weight, -20);
    assert_int_equal(nd->u.node.instances[0].preempt_delay_ms, 30000);
    assert_int_equal(nd->u.node.origin.node_id, 0x0102030405060708ull);
    assert_string_equal(nd->u.node.address, "[fd00::11]:5405");
    assert_int_equal(nd->u.node.ip[15], 0x11);
    free(nd);
    free(buf);

    /* Little-endian header. */
    buf = encode(&t, &len);
    assert_int_equal(buf[0], ENTRY_VERSION_MIN); /* same body in every one */
    assert_int_equal(buf[1], ENTRY_TICK);
    assert_int_equal(buf[4] | buf[5] << 8, len - ENTRY_HEADER_SIZE);
    free(buf);
    free(n);
}

/* Every truncation of every kind is rejected as malformed. */
static void test_truncated(void **state)
{
    struct entry *n = node_entry();
    struct entry es[6];
    struct entry *out = calloc(1, sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    es[0] = *n;
    es[1] = health_entry();
    es[2] = admin_entry();
    es[3] = tick_entry();
    es[4] = assign_entry();
    es[5] = transfer_unit_entry();
    for (unsigned k = 0; k < 6; k++) {
        size_t len;
        uint8_t *buf = encode(&es[k], &len);
        for (size_t cut = 0; cut < len; cut++) {
            /* Consistent header, short body: the body decoder must notice. */
            uint8_t *copy = malloc(cut + 1);
            memcpy(copy, buf, cut);
            if (cut >= ENTRY_HEADER_SIZE) {
                copy[4] = (uint8_t)(cut - ENTRY_HEADER_SIZE);
                copy[5] = (uint8_t)((cut - ENTRY_HEADER_SIZE) >> 8);
                copy[6] = copy[7] = 0;
            }
            if (k == 5 && cut == ENTRY_HEADER_SIZE + 25) {
                /* Cut right before the unit tail: a whole-group transfer. */
                assert_int_equal(entry_decode(copy, cut, out, errmsg), 0);
                assert_string_equal(out->u.admin.unit, "");
            } else {
                assert_int_equal(entry_decode(copy, cut, out, errmsg),
                                 VIP_EPROTO);
            }
            free(copy);
            /* Original header, short buffer. */
            assert_int_equal(entry_decode(buf, cut, out, errmsg), VIP_EPROTO);
        }
        free(buf);
    }
    assert_int_equal(entry_decode(NULL, 0, out, errmsg), VIP_EPROTO);
    free(out);
    free(n);
}

/* Trailing bytes, wrong version, kind, reserved bits: all rejected. */
static void test_header_errors(void **state)
{
    struct entry t = tick_entry(), out;
    char errmsg[VIP_ERRMSG_SIZE];
    size_t len;
    uint8_t *buf = encode(&t, &len);
    uint8_t *big = calloc(1, len + 1);
    (void)state;

    memcpy(big, buf, len);
    assert_int_equal(entry_decode(big, len + 1, &out, errmsg), VIP_EPROTO);
    big[4]++; /* claim the extra byte: trailing bytes in the TICK body */
    assert_int_equal(entry_decode(big, len + 1, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "trailing"));

    buf[0] = ENTRY_VERSION + 1;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "version"));
    buf[0] = ENTRY_VERSION_MIN - 1;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "version"));
    buf[0] = ENTRY_VERSION; /* a TICK body is the same in every version */
    assert_int_equal(entry_decode(buf, len, &out, errmsg), 0);
    buf[1] = 99;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "kind"));
    buf[1] = 0;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    buf[1] = ENTRY_TICK;
    buf[2] = 1;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    buf[2] = 0;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), 0);
    free(buf);
    free(big);
}

/* Strings: control characters, non-ASCII and overlong ones are rejected. */
static void test_bad_strings(void **state)
{
    struct entry h = health_entry(), out;
    char errmsg[VIP_ERRMSG_SIZE];
    size_t len;
    uint8_t *buf;
    size_t name_at = ENTRY_HEADER_SIZE + 16 + 1; /* origin, kind */
    (void)state;

    strcpy(h.u.health.name, "abc");
    buf = encode(&h, &len);
    buf[name_at + 2 + 1] = '\n';
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "printable"));
    buf[name_at + 2 + 1] = 0xc3;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    buf[name_at + 2 + 1] = '\0';
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    free(buf);

    /* A length that does not fit the field. */
    size_t big = ENTRY_HEADER_SIZE + 16 + 1 + 2 + ENTRY_NAME_MAX + 4;
    buf = calloc(1, big);
    buf[0] = ENTRY_VERSION;
    buf[1] = ENTRY_HEALTH;
    buf[4] = (uint8_t)(big - ENTRY_HEADER_SIZE);
    buf[ENTRY_HEADER_SIZE] = 1;     /* node id 1 */
    buf[ENTRY_HEADER_SIZE + 8] = 1; /* seq 1 */
    buf[ENTRY_HEADER_SIZE + 16] = ENTRY_TRACK_SCRIPT;
    buf[name_at] = ENTRY_NAME_MAX; /* one too many */
    memset(buf + name_at + 2, 'a', ENTRY_NAME_MAX);
    assert_int_equal(entry_decode(buf, big, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "too long"));
    buf[name_at] = ENTRY_NAME_MAX - 1;         /* fits; now a trailing byte */
    buf[name_at + 2 + ENTRY_NAME_MAX - 1] = 0; /* value 0 follows */
    assert_int_equal(entry_decode(buf, big, &out, errmsg), VIP_EPROTO);
    buf[4]--;
    assert_int_equal(entry_decode(buf, big - 1, &out, errmsg), 0);
    assert_int_equal(strlen(out.u.health.name), ENTRY_NAME_MAX - 1);
    free(buf);
}

/* The encoder refuses what the decoder would refuse. */
static void test_validate(void **state)
{
    struct entry *n = node_entry();
    struct entry e;
    char errmsg[VIP_ERRMSG_SIZE];
    uint8_t buf[64];
    size_t len;
    (void)state;

#define EXPECT_INVALID(entry)                                        \
    do {                                                             \
        assert_int_equal(entry_validate(entry, errmsg), VIP_EINVAL); \
        assert_int_equal(entry_encoded_size(entry), 0);              \
    } while (0)

    n->u.node.origin.node_id = 0;
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.origin.seq = 0;
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.instances[0].tracks[0].weight = 255;
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.n_instances = ENTRY_MAX_INSTANCES + 1;
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    strcpy(n->u.node.instances[1].name, "VI_1");
    EXPECT_INVALID(n);
    assert_non_null(strstr(errmsg, "twice"));
    free(n);
    n = node_entry();
    n->u.node.instances[1].base_priority = 0;
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.ip_family = AF_INET; /* with IPv6 bytes */
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.name[0] = '\0';
    EXPECT_INVALID(n);
    free(n);
    n = node_entry();
    n->u.node.instances[0].tracks[1].kind = 9;
    EXPECT_INVALID(n);
    free(n);

    e = health_entry();
    e.u.health.kind = ENTRY_TRACK_SCRIPT;
    e.u.health.value = 2;
    EXPECT_INVALID(&e);
    e = admin_entry();
    e.u.admin.target = 0;
    EXPECT_INVALID(&e);
    e.u.admin.op = ENTRY_ADMIN_TRANSFER; /* transfer to "preferred" */
    assert_int_equal(entry_validate(&e, errmsg), 0);
    e.u.admin.op = 7;
    EXPECT_INVALID(&e);
    e = tick_entry();
    e.u.tick.holder = 3;
    EXPECT_INVALID(&e);
    e = tick_entry();
    e.u.tick.reason = 9;
    EXPECT_INVALID(&e);
    e.kind = 0;
    EXPECT_INVALID(&e);

    /* Too small a buffer. */
    e = tick_entry();
    assert_int_equal(entry_encode(&e, buf, 10, &len, errmsg), VIP_ERANGE);
    assert_int_equal(entry_encode(&e, buf, 4, &len, errmsg), VIP_ERANGE);
    assert_int_equal(entry_encode(&e, buf, sizeof buf, &len, errmsg), 0);
#undef EXPECT_INVALID
}

/* Random bytes and random mutations never crash the decoder, and whatever
 * it accepts is a valid entry. */
static void test_fuzz(void **state)
{
    struct entry *n = node_entry();
    struct entry *out = calloc(1, sizeof *out);
    uint64_t x = 0x1234567;
    size_t len;
    uint8_t *valid;
    /* A version-2 record (units), so that the mutations reach them. */
    strcpy(n->u.node.instances[0].unit, "VG");
    strcpy(n->u.node.instances[1].unit, "VG");
    valid = encode(n, &len);
    uint8_t *buf = malloc(len > 256 ? len : 256);
    unsigned accepted = 0;
    (void)state;

    for (unsigned round = 0; round < 20000; round++) {
        size_t blen;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (round % 2 == 0) { /* random garbage with a plausible header */
            blen = (size_t)(x % 200);
            for (size_t i = 0; i < blen; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[i] = (uint8_t)x;
            }
            if (blen >= ENTRY_HEADER_SIZE) {
                buf[0] = (uint8_t)(ENTRY_VERSION_MIN + (x >> 8) % 2);
                buf[1] = (uint8_t)(1 + x % 5);
                buf[2] = buf[3] = 0;
                buf[4] = (uint8_t)(blen - ENTRY_HEADER_SIZE);
                buf[5] = buf[6] = buf[7] = 0;
            }
        } else { /* a valid NODE with a few bytes flipped */
            blen = len;
            memcpy(buf, valid, len);
            for (unsigned k = 0; k < 1 + x % 3; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[x % len] ^= (uint8_t)(1u << (x >> 32) % 8);
            }
        }
        int rv = entry_decode(buf, blen, out, NULL);
        if (rv == 0) {
            accepted++;
            assert_int_equal(entry_validate(out, NULL), 0);
        } else {
            assert_int_equal(rv, VIP_EPROTO);
        }
    }
    assert_true(accepted > 0); /* some flips land on free-form bytes */
    free(valid);
    free(buf);
    free(out);
    free(n);
}

/* Units: a NODE record with a sync group's unit is written in version 2
 * and decodes with it; one without any is written in version 1, the
 * format nodes without units read. */
static void test_units(void **state)
{
    struct entry *n = node_entry();
    struct entry *out = calloc(1, sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    size_t len;
    uint8_t *buf;
    (void)state;

    buf = encode(n, &len);
    assert_int_equal(buf[0], 1);
    assert_int_equal(entry_decode(buf, len, out, errmsg), 0);
    assert_string_equal(out->u.node.instances[0].unit, "");
    assert_string_equal(entry_instance_unit(&out->u.node.instances[0]),
                        "VI_1");
    free(buf);

    strcpy(n->u.node.instances[0].unit, "VG");
    strcpy(n->u.node.instances[1].unit, "VG");
    round_trip(n);
    buf = encode(n, &len);
    assert_int_equal(buf[0], 2);
    assert_int_equal(entry_decode(buf, len, out, errmsg), 0);
    assert_string_equal(out->u.node.instances[1].unit, "VG");
    assert_string_equal(entry_instance_unit(&out->u.node.instances[1]), "VG");
    /* The same bytes claiming version 1 do not pass as a unit-less record
     * (the unit string is read as priority and flags). */
    buf[0] = 1;
    assert_int_equal(entry_decode(buf, len, out, errmsg), VIP_EPROTO);
    free(buf);

    /* Version 1 cannot carry a unit: the body writer refuses. */
    {
        struct entry_writer w = {.p = NULL, .size = SIZE_MAX, .ok = true};
        entry_node_put(&w, &n->u.node, 1);
        assert_false(w.ok);
        w = (struct entry_writer){.p = NULL, .size = SIZE_MAX, .ok = true};
        entry_node_put(&w, &n->u.node, 2);
        assert_true(w.ok);
    }
    assert_int_equal(entry_node_version(&n->u.node), 2);

    /* A group named like one of its members is fine... */
    strcpy(n->u.node.instances[0].unit, "VI_1");
    strcpy(n->u.node.instances[1].unit, "VI_1");
    assert_int_equal(entry_validate(n, errmsg), 0);
    /* ...one named like an instance outside it is ambiguous. */
    n->u.node.instances[1].unit[0] = '\0';
    strcpy(n->u.node.instances[0].unit, "VI_2");
    assert_int_equal(entry_validate(n, errmsg), VIP_EINVAL);
    assert_non_null(strstr(errmsg, "outside"));
    assert_int_equal(entry_encoded_size(n), 0);
    /* String rules as for names. */
    strcpy(n->u.node.instances[0].unit, "V\tG");
    assert_int_equal(entry_validate(n, errmsg), VIP_EINVAL);
    assert_non_null(strstr(errmsg, "unit"));
    memset(n->u.node.instances[0].unit, 'a', ENTRY_NAME_MAX);
    assert_int_equal(entry_validate(n, errmsg), VIP_EINVAL);
    free(out);
    free(n);
}

/* A record written before units existed (tests/unit/entry_v1_golden.h)
 * still decodes, every unit empty, and encodes back to the same bytes. */
static void test_v1_golden(void **state)
{
    struct entry *out = calloc(1, sizeof *out);
    char errmsg[VIP_ERRMSG_SIZE];
    uint8_t buf[sizeof v1_node];
    size_t len;
    (void)state;

    assert_int_equal(entry_decode(v1_node, sizeof v1_node, out, errmsg), 0);
    assert_int_equal(out->kind, ENTRY_NODE);
    assert_int_equal(out->u.node.origin.node_id, 7);
    assert_string_equal(out->u.node.address, "10.0.0.7:5405");
    assert_int_equal(out->u.node.n_instances, 2);
    assert_string_equal(out->u.node.instances[0].name, "VI_1");
    assert_int_equal(out->u.node.instances[0].base_priority, 150);
    assert_int_equal(out->u.node.instances[0].preempt_delay_ms, 2000);
    assert_int_equal(out->u.node.instances[0].tracks[0].weight, -30);
    assert_int_equal(out->u.node.instances[1].flags,
                     ENTRY_INSTANCE_F_NOPREEMPT);
    for (unsigned i = 0; i < 2; i++) {
        assert_string_equal(out->u.node.instances[i].unit, "");
        assert_string_equal(entry_instance_unit(&out->u.node.instances[i]),
                            out->u.node.instances[i].name);
    }
    assert_int_equal(entry_encode(out, buf, sizeof buf, &len, errmsg), 0);
    assert_int_equal(len, sizeof v1_node);
    assert_memory_equal(buf, v1_node, len);
    free(out);
}

/* ASSIGN and the unit of ADMIN TRANSFER: round trip, exact layout, the
 * rules the decoder enforces. */
static void test_assign(void **state)
{
    struct entry a = assign_entry(), t = transfer_unit_entry(), out;
    struct entry plain = admin_entry();
    char errmsg[VIP_ERRMSG_SIZE];
    size_t len, len_plain;
    uint8_t *buf, *pbuf;
    (void)state;

    round_trip(&a);
    round_trip(&t);
    a.u.assign.holder = 2;
    a.u.assign.flags = ENTRY_ASSIGN_F_LEADER_BOUND;
    round_trip(&a);
    buf = encode(&a, &len);
    assert_int_equal(len, ENTRY_HEADER_SIZE + 16 + 2 + 6 + 8 + 1 + 8);
    assert_int_equal(buf[1], ENTRY_ASSIGN);
    assert_int_equal(entry_decode(buf, len, &out, errmsg), 0);
    assert_string_equal(out.u.assign.unit, "SG_web");
    assert_int_equal(out.u.assign.holder, 2);
    assert_int_equal(out.u.assign.flags, ENTRY_ASSIGN_F_LEADER_BOUND);
    assert_int_equal(out.u.assign.term, 7);
    /* The flags byte: unknown bits; leader-bound for another node. */
    buf[len - 9] = 0x2;
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "flags"));
    buf[len - 9] = ENTRY_ASSIGN_F_LEADER_BOUND;
    buf[len - 17] = 3; /* holder 3, leader 2 */
    assert_int_equal(entry_decode(buf, len, &out, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "leader-bound"));
    free(buf);

    /* ADMIN without a unit keeps its original 25-byte body; with one, the
     * tail follows; an empty tail string has no valid encoding. */
    plain.u.admin.op = ENTRY_ADMIN_TRANSFER;
    plain.u.admin.target = 3;
    pbuf = encode(&plain, &len_plain);
    assert_int_equal(len_plain, ENTRY_HEADER_SIZE + 25);
    buf = encode(&t, &len);
    assert_int_equal(len, len_plain + 2 + 4);
    assert_memory_equal(buf + ENTRY_HEADER_SIZE, pbuf + ENTRY_HEADER_SIZE, 25);
    assert_int_equal(entry_decode(buf, len, &out, errmsg), 0);
    assert_string_equal(out.u.admin.unit, "VI_2");
    assert_int_equal(entry_decode(pbuf, len_plain, &out, errmsg), 0);
    assert_string_equal(out.u.admin.unit, "");
    buf[4] = 27; /* body: 25 + an empty string */
    buf[ENTRY_HEADER_SIZE + 25] = 0;
    assert_int_equal(entry_decode(buf, ENTRY_HEADER_SIZE + 27, &out, errmsg),
                     VIP_EPROTO);
    assert_non_null(strstr(errmsg, "empty unit"));
    free(buf);
    free(pbuf);

#define EXPECT_INVALID(entry)                                        \
    do {                                                             \
        assert_int_equal(entry_validate(entry, errmsg), VIP_EINVAL); \
        assert_int_equal(entry_encoded_size(entry), 0);              \
    } while (0)
    a = assign_entry();
    a.u.assign.unit[0] = '\0';
    EXPECT_INVALID(&a);
    a = assign_entry();
    a.u.assign.unit[2] = '\t';
    EXPECT_INVALID(&a);
    a = assign_entry();
    memset(a.u.assign.unit, 'u', sizeof a.u.assign.unit); /* no NUL */
    EXPECT_INVALID(&a);
    a = assign_entry();
    a.u.assign.term = 0;
    EXPECT_INVALID(&a);
    a = assign_entry();
    a.u.assign.origin.seq = 0;
    EXPECT_INVALID(&a);
    a = assign_entry();
    a.u.assign.flags = ENTRY_ASSIGN_F_LEADER_BOUND; /* holder 3, leader 2 */
    EXPECT_INVALID(&a);
    a.u.assign.holder = 0;
    EXPECT_INVALID(&a);
    a = assign_entry();
    a.u.assign.holder = 0; /* nobody: fine without flags */
    assert_int_equal(entry_validate(&a, errmsg), 0);
    t = transfer_unit_entry();
    t.u.admin.op = ENTRY_ADMIN_MAINT_ON;
    EXPECT_INVALID(&t);
    assert_non_null(strstr(errmsg, "only for transfer"));
    t = transfer_unit_entry();
    t.u.admin.unit[1] = (char)0x80;
    EXPECT_INVALID(&t);
    t = transfer_unit_entry();
    t.u.admin.target = 0; /* the unit to its preferred node */
    round_trip(&t);
#undef EXPECT_INVALID
}

/* Random mutations of ASSIGN and unit TRANSFER records: never a crash,
 * only valid entries accepted. */
static void test_fuzz_assign(void **state)
{
    struct entry es[2] = {assign_entry(), transfer_unit_entry()};
    struct entry out;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint8_t buf[128];
    unsigned accepted = 0, rejected = 0;
    (void)state;

    for (unsigned round = 0; round < 20000; round++) {
        size_t len;
        uint8_t *valid = encode(&es[round % 2], &len);
        size_t blen = len;
        memcpy(buf, valid, len);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % 4 == 0 && len > ENTRY_HEADER_SIZE) { /* cut, header fixed */
            blen = ENTRY_HEADER_SIZE + (size_t)(x >> 8) % (len - 7);
            buf[4] = (uint8_t)(blen - ENTRY_HEADER_SIZE);
        }
        for (unsigned k = 0; k < 1 + x % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = ENTRY_HEADER_SIZE + x % (blen - ENTRY_HEADER_SIZE + 1);
            if (at < blen) {
                buf[at] ^= (uint8_t)(1u << (x >> 32) % 8);
            }
        }
        int rv = entry_decode(buf, blen, &out, NULL);
        if (rv == 0) {
            accepted++;
            assert_int_equal(entry_validate(&out, NULL), 0);
            assert_true(out.kind == ENTRY_ASSIGN || out.kind == ENTRY_ADMIN);
        } else {
            rejected++;
            assert_int_equal(rv, VIP_EPROTO);
        }
        free(valid);
    }
    assert_true(accepted > 0);
    assert_true(rejected > 0);
}

/* Names are total functions. */
static void test_names(void **state)
{
    (void)state;
    assert_string_equal(entry_kind_name(ENTRY_NODE), "node");
    assert_string_equal(entry_kind_name(77), "?");
    assert_string_equal(entry_kind_name(ENTRY_ASSIGN), "assign");
    assert_string_equal(entry_track_kind_name(ENTRY_TRACK_IFACE), "interface");
    assert_string_equal(entry_admin_op_name(ENTRY_ADMIN_REMOVE), "remove");
    assert_string_equal(entry_hold_reason_name(ENTRY_HOLD_RELEASE), "release");
    assert_string_equal(entry_hold_reason_name(200), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_fuzz_assign),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_v1_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
