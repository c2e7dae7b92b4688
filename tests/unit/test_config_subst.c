/* keepalived's line preprocessing (src/config_subst.c): @ID conditions
 * against the config id, $NAME=VALUE parameters, multi-line values and
 * ~SEQ blocks, as one file shared by every node is written. */
#include <arpa/inet.h>

#include "tests/unit/config_helper.h"

/* Valid; notes allowed (the cluster derived from unicast_peer is one). */
#define ASSERT_NO_ERRORS(l)                         \
    do {                                            \
        if ((l)->rv != 0) {                         \
            dump_lines(l);                          \
        }                                           \
        assert_int_equal((l)->rv, 0);               \
        assert_int_equal((l)->report.n_errors, 0);  \
    } while (0)

/* One file for two nodes: each reads its own lines. */
static const char two_nodes[] =
    "$VIP=10.0.0.100\n"
    "@lb1 $PRIO=200\n"
    "@^lb1 $PRIO=100\n"
    "global_defs {\n"
    "  @lb1 router_id lb1\n"
    "  @lb2 router_id lb2\n"
    "}\n"
    "vrrp_instance VI_1 {\n"
    "  interface eth0\n"
    "  virtual_router_id 51\n"
    "  priority $PRIO\n"
    "  virtual_ipaddress {\n"
    "    ${VIP}/24\n"
    "  }\n"
    "  @lb1 unicast_src_ip 10.0.0.11\n"
    "  @lb2 unicast_src_ip 10.0.0.12\n"
    "  unicast_peer {\n"
    "    @^lb1 10.0.0.11\n"
    "    @^lb2 10.0.0.12\n"
    "  }\n"
    "}\n";

static void test_config_id(void **state)
{
    (void)state;
    char buf[INET6_ADDRSTRLEN];

    struct loaded *a = load_text_id(two_nodes, "lb1");
    ASSERT_NO_ERRORS(a);
    const struct cfg_instance *in = &a->cfg.instances[0];
    assert_string_equal(a->cfg.global.router_id, "lb1");
    assert_int_equal(in->priority, 200);
    assert_string_equal(cfg_ip_str(&in->vips[0].addr, buf, sizeof buf),
                        "10.0.0.100");
    assert_int_equal(in->vips[0].prefix, 24);
    assert_string_equal(cfg_ip_str(&in->unicast_src_ip, buf, sizeof buf),
                        "10.0.0.11");
    assert_int_equal(in->n_unicast_peers, 1);
    assert_string_equal(cfg_ip_str(&in->unicast_peers[0], buf, sizeof buf),
                        "10.0.0.12");
    loaded_free(a);

    struct loaded *b = load_text_id(two_nodes, "lb2");
    ASSERT_NO_ERRORS(b);
    in = &b->cfg.instances[0];
    assert_string_equal(b->cfg.global.router_id, "lb2");
    assert_int_equal(in->priority, 100);
    assert_string_equal(cfg_ip_str(&in->unicast_src_ip, buf, sizeof buf),
                        "10.0.0.12");
    assert_string_equal(cfg_ip_str(&in->unicast_peers[0], buf, sizeof buf),
                        "10.0.0.11");
    loaded_free(b);

    /* Another id: neither router_id nor unicast_src_ip is read. */
    struct loaded *c = load_text_id(two_nodes, "lb3");
    assert_string_equal(c->cfg.global.router_id, "");
    assert_int_equal(c->cfg.instances[0].unicast_src_ip.family, 0);
    assert_int_equal(c->cfg.instances[0].n_unicast_peers, 2);
    loaded_free(c);
}

/* A value may be redefined; the use sees the value at the time of use,
 * and values refer to other parameters (keepalived.conf(5)'s example). */
static void test_recursive_and_redefined(void **state)
{
    (void)state;
    char buf[INET6_ADDRSTRLEN];
    struct loaded *l = load_text_id(
        "$BASE=10.2.${SUB}\n"
        "$SUB=0\n"
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress {\n  ${BASE}.100/32\n"
        "  $SUB=10\n"
        "  ${BASE}.100/32\n }\n}\n",
        "x");
    ASSERT_CLEAN(l);
    const struct cfg_instance *in = &l->cfg.instances[0];
    assert_int_equal(in->n_vips, 2);
    assert_string_equal(cfg_ip_str(&in->vips[0].addr, buf, sizeof buf),
                        "10.2.0.100");
    assert_string_equal(cfg_ip_str(&in->vips[1].addr, buf, sizeof buf),
                        "10.2.10.100");
    loaded_free(l);
}

/* A multi-line value expands to several lines, each read as a line (with
 * its own @ID conditions), and ~SEQ repeats a line. */
static void test_multiline_and_seq(void **state)
{
    (void)state;
    char buf[INET6_ADDRSTRLEN];
    struct loaded *l = load_text_id(
        "$INST= \\\n"
        "vrrp_instance VI_${N} { \\\n"
        "  interface eth0 \\\n"
        "  virtual_router_id ${N} \\\n"
        "  @high priority 130 \\\n"
        "  @low priority 120 \\\n"
        "  virtual_ipaddress { 10.0.${N}.254/24 } \\\n"
        "}\n"
        "~SEQ(N, 1, 3) $INST\n",
        "high");
    ASSERT_CLEAN(l);
    assert_int_equal(l->cfg.n_instances, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct cfg_instance *in = &l->cfg.instances[i];
        char name[16], vip[32];
        snprintf(name, sizeof name, "VI_%zu", i + 1);
        snprintf(vip, sizeof vip, "10.0.%zu.254", i + 1);
        assert_string_equal(in->name, name);
        assert_int_equal(in->vrid, i + 1);
        assert_int_equal(in->priority, 130);
        assert_string_equal(cfg_ip_str(&in->vips[0].addr, buf, sizeof buf),
                            vip);
        /* Messages point at the line that used the value. */
        assert_int_equal(in->where.line, 9);
    }
    loaded_free(l);

    /* ~SEQx counts in hexadecimal; a step may be negative. */
    l = load_text_id("vrrp_instance A {\n interface eth0\n"
                     " virtual_router_id 1\n virtual_ipaddress {\n"
                     "  ~SEQx(X, 0x90, 0x10, 0xb0) fe80::20:${X}:1\n"
                     "  ~SEQ(Y, 3, -1, 2) fe80::30:${Y}\n }\n}\n",
                     "x");
    ASSERT_CLEAN(l);
    const struct cfg_instance *in = &l->cfg.instances[0];
    assert_int_equal(in->n_vips, 5);
    assert_string_equal(cfg_ip_str(&in->vips[0].addr, buf, sizeof buf),
                        "fe80::20:90:1");
    assert_string_equal(cfg_ip_str(&in->vips[2].addr, buf, sizeof buf),
                        "fe80::20:b0:1");
    assert_string_equal(cfg_ip_str(&in->vips[3].addr, buf, sizeof buf),
                        "fe80::30:3");
    assert_string_equal(cfg_ip_str(&in->vips[4].addr, buf, sizeof buf),
                        "fe80::30:2");
    loaded_free(l);
}

/* What keepalived leaves alone stays as written: an undefined $NAME, and
 * a `$NAME` not followed by a blank (${NAME} is for that). */
static void test_left_alone(void **state)
{
    (void)state;
    struct loaded *l = load_text_id(
        "$X=1\n"
        "vrrp_script s {\n script \"/bin/sh -c 'echo $UNDEF $Xy $X' $X ${X}\"\n}\n",
        "x");
    assert_string_equal(l->cfg.scripts[0].command,
                        "/bin/sh -c 'echo $UNDEF $Xy $X' 1 1");
    loaded_free(l);
}

/* Malformed input: an error at its line, never a hang or a crash. */
static void test_errors(void **state)
{
    (void)state;
    static const struct
    {
        const char *text;
        const char *line;
    } cases[] = {
        {"$A=$A x\n$A\n",
         "t.conf:2: error: parameter substitution does not end (a parameter "
         "refers to itself?)"},
        {"$A=${A}\n${A}\n",
         "t.conf:2: error: parameter substitution does not end (a parameter "
         "refers to itself?)"},
        {"$A=$B \n$B=$A \n$A\n", "t.conf:3: error: parameter substitution "
                                 "does not end (a parameter refers to "
                                 "itself?)"},
        {"~SEQ(N, 1, 100000) x\n", "t.conf:1: error: ~SEQ: more than 4096 "
                                   "values"},
        {"~SEQ(N, 1, 0, 5) x\n", "t.conf:1: error: ~SEQ: step 0"},
        {"~SEQ(A, 1, 4000) ~SEQ(B, 1, 4000) ~SEQ(C, 1, 4000) $X=1\n",
         "t.conf:1: error: more than 65536 lines made from this line, the "
         "rest ignored"},
        {"$A=${A}${A}${A}${A}${A}${A}${A}${A}\n${A}\n",
         "t.conf:2: error: more than 1048576 bytes after parameter "
         "substitution"},
        {"~SEQ(1N, 3) x\n", "t.conf:1: error: ~SEQ: bad variable name '1N'"},
        {"~SEQ(N, a) x\n", "t.conf:1: error: ~SEQ: bad number 'a'"},
        {"~SEQ N x\n",
         "t.conf:1: error: ~SEQ: expected '(VAR, START, STEP, END)'"},
        {"@ router_id x\n", "t.conf:1: error: '@' needs a config id right "
                            "after it"},
        {"global_defs {\n @x @^y router_id x\n}\n",
         "t.conf:2: error: '@^y' is not a keyword: a line takes one @ID "
         "condition, at its start"},
        {"$M= \\\n a \\\n",
         "t.conf:2: error: the multi-line definition of $M is not ended (its "
         "last line must not end with '\\')"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct loaded *l = load_text_id(cases[i].text, "x");
        if (l->rv != VIP_ECONFIG || !has_line(l, cases[i].line)) {
            fprintf(stderr, "case %zu: rv %d, want: %s\n", i, l->rv,
                    cases[i].line);
            dump_lines(l);
            fail();
        }
        loaded_free(l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_id),
        cmocka_unit_test(test_recursive_and_redefined),
        cmocka_unit_test(test_multiline_and_seq),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
