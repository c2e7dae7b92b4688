/* vipctl's tables: text from other nodes is shown, never interpreted by
 * the terminal, cut names stay valid UTF-8, and the holder column shows
 * the holder, not the leader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/vipctl_render.h"

/****** Helpers ******/

/* A one-node status whose strings are @name, @reason and @vip. */
static void build(struct vip_status *st,
                  const char *name,
                  const char *reason,
                  const char *vip)
{
    vip_status_init(st);
    st->node_id = 1;
    st->leader_id = 1;
    struct vip_status_node *n = vip_status_add_node(st);
    assert_non_null(n);
    n->id = 1;
    vip_status_copy(n->name, sizeof n->name, name);
    vip_status_copy(n->address, sizeof n->address, "10.0.0.1:5405");
    assert_non_null(vip_status_add_check(n, name));
    assert_non_null(vip_status_add_priority(n, name));
    struct vip_status_instance *in = vip_status_add_instance(st);
    assert_non_null(in);
    vip_status_copy(in->name, sizeof in->name, name);
    vip_status_copy(in->reason, sizeof in->reason, reason);
    in->holder_id = 1;
    assert_int_equal(vip_status_add_vip(in, vip), 0);
}

/* Render @st into a malloc'd string. */
static char *render_status(const struct vip_status *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    vipctl_render_status(out, st, false);
    fclose(out);
    return text;
}

/* No control character but the line ends. */
static void assert_no_controls(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f) {
            fail_msg("control byte 0x%02x at offset %zu in:\n%s", ch,
                     (size_t)(p - text), text);
        }
    }
}

/* Every multi-byte sequence complete (a cut one leaves a lone lead or a
 * lead followed by something else than continuation bytes). */
static void assert_utf8(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != 0) {
        int n = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
        assert_true(*p < 0x80 || *p >= 0xc0); /* not a stray continuation */
        p++;
        for (int i = 0; i < n; i++, p++) {
            assert_true((*p & 0xc0) == 0x80);
        }
    }
}

/****** Tests ******/

/* Escape sequences in names, reasons and VIPs are printed as '?'. */
static void status_controls_neutralised(void **state)
{
    struct vip_status st;
    (void)state;
    build(&st, "n1\033]0;pwned\007", "moved\r\n\033[2Jbecause",
          "10.0.0.1\b/24");
    char *text = render_status(&st);
    assert_no_controls(text);
    assert_non_null(strstr(text, "n1?]0;pwned?"));
    assert_non_null(strstr(text, "moved???[2Jbecause"));
    free(text);
    vip_status_free(&st);
}

/* The summary says how many node failures the cluster tolerates, and
 * warns about two voters; a witness shows as such in the ROLE column. */
static void status_tolerance_and_witness(void **state)
{
    struct vip_status st;
    char *text;
    (void)state;
    build(&st, "w", "elected", "10.0.0.100/24");
    st.n_voters = 2;
    st.failures_tolerated = 0;
    st.nodes[0].witness = true;
    st.nodes[0].role = VIP_ROLE_LEADER;
    text = render_status(&st);
    assert_non_null(strstr(text, "Tolerates: 0 node failures"));
    assert_non_null(strstr(text, "(2 voters): add a witness"));
    assert_non_null(strstr(text, " witness "));
    assert_null(strstr(text, "leader   ")); /* the ROLE cell */
    free(text);
    st.n_voters = 3;
    st.failures_tolerated = 1;
    st.nodes[0].witness = false;
    text = render_status(&st);
    assert_non_null(strstr(text, "Tolerates: 1 node failure "));
    assert_null(strstr(text, "add a witness"));
    assert_non_null(strstr(text, "leader   "));
    free(text);
    vip_status_free(&st);
}

/* A node that refused our cluster key says so on its row, with the age,
 * and the row still fits the width. */
static void status_key_refused(void **state)
{
    struct vip_status st;
    char *text;
    (void)state;
    build(&st, "a-rather-long-node-name-for-the-width-check", "elected",
          "10.0.0.100/24");
    text = render_status(&st);
    assert_null(strstr(text, "key refused"));
    free(text);
    st.nodes[0].key_refused = true;
    st.nodes[0].key_refused_age_s = UINT32_MAX;
    text = render_status(&st);
    assert_non_null(strstr(text, " key refused  voter "));
    assert_non_null(strstr(text, "Key refused: a-rather-long-node-name- (1) "
                                 "4294967295s ago"));
    for (char *line = text; *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
        assert_true(len <= VIPCTL_COLUMNS);
        line += len + (nl != NULL);
    }
    free(text);
    vip_status_free(&st);
}

/* Event texts likewise. */
static void event_controls_neutralised(void **state)
{
    struct vip_event ev = {.kind = VIP_EVENT_HOLDER, .term = 1, .index = 2};
    char *text = NULL;
    size_t len = 0;
    (void)state;
    snprintf(ev.text, sizeof ev.text, "n2 holds\033[31m VI_1\x7f");
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    vipctl_render_event(out, &ev, false);
    fclose(out);
    assert_no_controls(text);
    assert_non_null(strstr(text, "n2 holds?[31m VI_1?"));
    free(text);
}

/* An event row is cut to the terminal's width, and not at all when the
 * output is piped (width 0). */
static void event_width(void **state)
{
    struct vip_event ev = {.kind = VIP_EVENT_HOLDER, .term = 1, .index = 2};
    char *text = NULL;
    size_t len = 0;
    (void)state;
    memset(ev.text, 'x', 150);
    ev.text[150] = '\0';
    memcpy(ev.text + 140, "THE-END", 7);
    for (int pass = 0; pass < 2; pass++) {
        vipctl_render_set_event_columns(pass == 0 ? 80 : 0);
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        vipctl_render_event(out, &ev, false);
        fclose(out);
        if (pass == 0) {
            assert_true(strlen(text) <= 81); /* 80 and the newline */
            assert_non_null(strchr(text, '~'));
        } else {
            assert_non_null(strstr(text, "THE-END"));
            assert_null(strchr(text, '~'));
        }
        free(text);
    }
    vipctl_render_set_event_columns(VIPCTL_COLUMNS);
}

/* A long name of two-byte characters is cut on a character boundary. */
static void cut_keeps_utf8(void **state)
{
    char name[VIP_STATUS_NAME_SIZE];
    struct vip_status st;
    (void)state;
    /* "x" then "é" (c3 a9) repeated: odd offsets start characters. */
    name[0] = 'x';
    for (size_t i = 1; i + 2 < sizeof name; i += 2) {
        name[i] = (char)0xc3;
        name[i + 1] = (char)0xa9;
        name[i + 2] = '\0';
    }
    build(&st, name, "r", "10.0.0.1/24");
    char *text = render_status(&st);
    assert_utf8(text);
    assert_non_null(strchr(text, '~')); /* something was cut */
    free(text);
    vip_status_free(&st);
}

/* The status of a two-node cluster whose leader is n@leader and whose
 * instance is held by n@holder (0: nobody). */
static void build_two(struct vip_status *st, uint64_t leader, uint64_t holder)
{
    vip_status_init(st);
    st->node_id = 1;
    st->leader_id = leader;
    for (uint64_t id = 1; id <= 2; id++) {
        struct vip_status_node *n = vip_status_add_node(st);
        assert_non_null(n);
        n->id = id;
        snprintf(n->name, sizeof n->name, "node%llu", (unsigned long long)id);
    }
    struct vip_status_instance *in = vip_status_add_instance(st);
    assert_non_null(in);
    vip_status_copy(in->name, sizeof in->name, "VI_1");
    in->holder_id = holder;
    assert_int_equal(vip_status_add_vip(in, "10.0.0.100/24"), 0);
}

/* The line of instance VI_1 in @text, as a malloc'd string. */
static char *instance_line(const char *text)
{
    const char *p = strstr(text, "\nVI_1 ");
    assert_non_null(p);
    p++;
    return strndup(p, strcspn(p, "\n"));
}

/* The HOLDER column names the holder, not the leader (they differ while
 * the leader cannot hold, or before a new leader has taken over). */
static void holder_is_not_leader(void **state)
{
    struct vip_status st;
    (void)state;
    build_two(&st, 1, 2);
    char *text = render_status(&st);
    char *line = instance_line(text);
    assert_non_null(strstr(text, "leader node1 (1)"));
    assert_non_null(strstr(line, "node2 (2)"));
    assert_null(strstr(line, "node1"));
    free(line);
    free(text);
    vip_status_free(&st);

    build_two(&st, 2, 0);
    text = render_status(&st);
    line = instance_line(text);
    assert_non_null(strstr(text, "leader node2 (2)"));
    assert_non_null(strstr(line, "none"));
    assert_null(strstr(line, "node"));
    free(line);
    free(text);
    vip_status_free(&st);
}

/* No line of @text wider than VIPCTL_COLUMNS characters. */
static void assert_fits(const char *text)
{
    size_t col = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            col = 0;
        } else if (((unsigned char)*p & 0xc0) != 0x80 &&
                   ++col > VIPCTL_COLUMNS) {
            fail_msg("line wider than %d columns in:\n%s", VIPCTL_COLUMNS,
                     text);
        }
    }
}

/* A daemon that reports units: each instance's own holder, its unit when
 * a sync group exists, whether this node holds it, and the term; the
 * summary counts the instances held here. */
static void status_units(void **state)
{
    struct vip_status st;
    (void)state;
    build_two(&st, 1, 1);
    st.instances[0].holds = true;
    st.instances[0].term = 12;
    vip_status_copy(st.instances[0].unit, sizeof st.instances[0].unit,
                    "VI_1");
    vip_status_copy(st.instances[0].reason, sizeof st.instances[0].reason,
                    "leader");
    struct vip_status_instance *in = vip_status_add_instance(&st);
    assert_non_null(in);
    vip_status_copy(in->name, sizeof in->name, "VI_2");
    vip_status_copy(in->unit, sizeof in->unit, "VI_2");
    vip_status_copy(in->reason, sizeof in->reason, "granted");
    in->holder_id = 2;
    in->term = 12;
    char *text = render_status(&st);
    assert_non_null(strstr(text, "holds 1 of 2 instances"));
    /* No sync group: no UNIT column. */
    assert_non_null(strstr(text, "\nINSTANCE  HOLDER     HERE  TERM  SINCE"));
    assert_non_null(strstr(text, "\nVI_1      node1 (1)  yes     12  -"));
    assert_non_null(strstr(text, "\nVI_2      node2 (2)  -       12  -"));
    assert_fits(text);
    free(text);

    /* A sync group: the UNIT column; long names and a huge term still fit. */
    vip_status_copy(in->unit, sizeof in->unit, "VG");
    text = render_status(&st);
    assert_non_null(strstr(text, "\nINSTANCE  UNIT  HOLDER     HERE  TERM"));
    assert_non_null(strstr(text, "\nVI_2      VG    node2 (2)  -  "));
    free(text);
    memset(in->name, 'i', sizeof in->name - 1);
    memset(in->unit, 'u', sizeof in->unit - 1);
    memset(in->reason, 'r', sizeof in->reason - 1);
    memset(st.nodes[1].name, 'n', sizeof st.nodes[1].name - 1);
    in->term = 9007199254740992ULL;
    text = render_status(&st);
    assert_fits(text);
    assert_non_null(strstr(text, "9007199254740992")); /* never cut */
    free(text);

    /* Nothing held here; everything held here. */
    st.instances[0].holds = false;
    text = render_status(&st);
    assert_non_null(strstr(text, "does not hold the VIPs"));
    free(text);
    st.holds = true;
    text = render_status(&st);
    assert_non_null(strstr(text, "holds the VIPs"));
    free(text);
    vip_status_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_controls_neutralised),
        cmocka_unit_test(status_tolerance_and_witness),
        cmocka_unit_test(status_key_refused),
        cmocka_unit_test(event_controls_neutralised),
        cmocka_unit_test(cut_keeps_utf8),
        cmocka_unit_test(holder_is_not_leader),
        cmocka_unit_test(status_units),
        cmocka_unit_test(event_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
