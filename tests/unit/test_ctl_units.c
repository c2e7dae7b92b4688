/* src/ctl_units.c: the holder shown per instance, the unit `transfer
 * INSTANCE NODE` moves, and the text of per-unit events, from a
 * hand-built configuration (VI_1 alone, VI_2 and VI_3 in sync group VG)
 * and replicated state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/ctl_units.h"
#include "vipd/error.h"

struct fixture
{
    struct vip_config cfg;
    struct cfg_instance inst[3];
    struct cfg_sync_group group;
    char group_members[2][CFG_NAME_MAX];
    struct fsm_state *fs;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 3; i++) {
        snprintf(f->inst[i].name, sizeof f->inst[i].name, "VI_%d", i + 1);
    }
    f->cfg.instances = f->inst;
    f->cfg.n_instances = 3;
    snprintf(f->group.name, sizeof f->group.name, "VG");
    snprintf(f->group_members[0], CFG_NAME_MAX, "VI_2");
    snprintf(f->group_members[1], CFG_NAME_MAX, "VI_3");
    f->group.instances = f->group_members;
    f->group.n_instances = 2;
    f->cfg.groups = &f->group;
    f->cfg.n_groups = 1;
    /* The same instances in n1's NODE record, for a node without any
     * (a witness); n2 is the witness itself. */
    f->fs = calloc(1, sizeof *f->fs);
    assert_non_null(f->fs);
    f->fs->n_members = 2;
    for (unsigned m = 0; m < 2; m++) {
        f->fs->members[m].has_node = true;
        f->fs->members[m].node.origin.node_id = m + 1;
    }
    struct entry_node *n = &f->fs->members[0].node;
    n->n_instances = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(n->instances[i].name, sizeof n->instances[i].name, "VI_%d",
                 i + 1);
        snprintf(n->instances[i].unit, sizeof n->instances[i].unit, "%s",
                 i == 0 ? "" : "VG");
    }
    f->fs->holder = 1;
    f->fs->holder_reason = ENTRY_HOLD_ELECTED;
    f->fs->holder_since_ms = 1700000000000;
    f->fs->term = 4;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->fs);
    free(f);
    return 0;
}

/* Add unit @name's placement record. */
static struct fsm_unit *place(struct fsm_state *fs,
                              const char *name,
                              uint64_t holder,
                              bool leader_bound)
{
    struct fsm_unit *u = &fs->units[fs->n_units++];
    snprintf(u->name, sizeof u->name, "%s", name);
    u->holder = holder;
    u->leader_bound = leader_bound;
    u->term = 9;
    u->since_wall_ms = 1700000009000 + holder;
    return u;
}

/* Without a placement record the group-wide holder shows; with one, the
 * unit's own holder, term, time and a reason that says how it holds. */
static void fill(void **state)
{
    struct fixture *f = *state;
    struct vip_status_instance in;

    memset(&in, 0, sizeof in);
    ctl_unit_fill(f->fs, "VG", &in);
    assert_string_equal(in.unit, "VG");
    assert_int_equal(in.holder_id, 1);
    assert_int_equal(in.term, 4);
    assert_int_equal(in.since_ms, 1700000000000);
    assert_string_equal(in.reason, "elected");

    place(f->fs, "VI_1", 1, true);
    place(f->fs, "VG", 2, false);
    ctl_unit_fill(f->fs, "VG", &in);
    assert_int_equal(in.holder_id, 2);
    assert_int_equal(in.term, 9);
    assert_int_equal(in.since_ms, 1700000009002);
    assert_string_equal(in.reason, CTL_UNIT_REASON_GRANTED);
    ctl_unit_fill(f->fs, "VI_1", &in);
    assert_int_equal(in.holder_id, 1);
    assert_string_equal(in.reason, CTL_UNIT_REASON_LEADER);
    f->fs->units[1].holder = 0;
    ctl_unit_fill(f->fs, "VG", &in);
    assert_int_equal(in.holder_id, 0);
    assert_string_equal(in.reason, CTL_UNIT_REASON_NONE);
}

/* Units and their instances, from the configuration or, without one,
 * from a member's NODE record; a long list is cut with "...". */
static void instances(void **state)
{
    struct fixture *f = *state;
    char buf[64];

    assert_int_equal(ctl_unit_count(&f->cfg, f->fs), 2);
    assert_int_equal(ctl_unit_count(NULL, f->fs), 2);
    assert_int_equal(ctl_unit_instances(&f->cfg, f->fs, "VG", buf, sizeof buf),
                     2);
    assert_string_equal(buf, "VI_2, VI_3");
    assert_int_equal(ctl_unit_instances(NULL, f->fs, "VI_1", buf, sizeof buf),
                     1);
    assert_string_equal(buf, "VI_1");
    assert_int_equal(ctl_unit_instances(&f->cfg, f->fs, "VI_2", buf,
                                        sizeof buf),
                     0); /* VI_2 is no unit of its own */
    assert_string_equal(buf, "");
    assert_int_equal(ctl_unit_instances(&f->cfg, f->fs, "VG", buf, 8), 2);
    assert_string_equal(buf, "VI_2...");
    /* No instances anywhere. */
    f->fs->members[0].node.n_instances = 0;
    assert_int_equal(ctl_unit_count(NULL, f->fs), 0);
}

/* The unit `transfer INSTANCE NODE` proposes, and what it answers. */
static void transfer_plan(void **state)
{
    struct fixture *f = *state;
    char unit[ENTRY_NAME_MAX];
    char msg[256];
    char errmsg[VIP_ERRMSG_SIZE];

    assert_int_equal(ctl_unit_transfer_plan(&f->cfg, f->fs, "VI_9", unit, msg,
                                            sizeof msg, errmsg),
                     VIP_ENOENT);
    assert_string_equal(errmsg,
                        "no instance named 'VI_9' (instances: VI_1, VI_2, "
                        "VI_3)");
    /* Not placed yet: the FSM would refuse the TRANSFER. */
    assert_int_equal(ctl_unit_transfer_plan(&f->cfg, f->fs, "VI_2", unit, msg,
                                            sizeof msg, errmsg),
                     VIP_ENOENT);
    assert_non_null(strstr(errmsg, "VI_2 (unit VG) has not been placed yet"));

    place(f->fs, "VI_1", 1, true);
    place(f->fs, "VG", 2, false);
    assert_int_equal(ctl_unit_transfer_plan(&f->cfg, f->fs, "VI_1", unit, msg,
                                            sizeof msg, errmsg),
                     0);
    assert_string_equal(unit, "VI_1");
    assert_string_equal(msg, "switchover of VI_1 requested");
    assert_int_equal(ctl_unit_transfer_plan(&f->cfg, f->fs, "VI_3", unit, msg,
                                            sizeof msg, errmsg),
                     0);
    assert_string_equal(unit, "VG");
    assert_string_equal(msg, "switchover of VI_3 requested: sync group VG "
                             "moves as a whole (VI_2, VI_3)");
    /* The group by its own name; the same from a witness. */
    assert_int_equal(ctl_unit_transfer_plan(NULL, f->fs, "VG", unit, msg,
                                            sizeof msg, errmsg),
                     0);
    assert_string_equal(unit, "VG");

    /* A single unit: no unit named, leadership moves. */
    f->cfg.n_instances = 1;
    assert_int_equal(ctl_unit_transfer_plan(&f->cfg, f->fs, "VI_1", unit, msg,
                                            sizeof msg, errmsg),
                     0);
    assert_string_equal(unit, "");
    assert_string_equal(msg, "switchover requested (VI_1 is the only unit: "
                             "all the VIPs move)");
}

/* Holder and transfer events of a unit name it and its instances. */
static void event_text(void **state)
{
    struct fixture *f = *state;
    struct fsm_event e;
    char text[256];

    memset(&e, 0, sizeof e);
    e.type = FSM_EV_HOLDER;
    e.node = 2;
    assert_false(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    snprintf(e.name, sizeof e.name, "VG");
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "n2 holds VI_2, VI_3 (unit VG)");
    e.other = 1;
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "n2 holds VI_2, VI_3 (unit VG; was n1)");
    snprintf(e.name, sizeof e.name, "VI_1");
    assert_true(ctl_unit_event_text(NULL, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "n2 holds VI_1 (was n1)");
    e.node = 0;
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "nobody holds VI_1 (was n1)");
    e.other = 0;
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "nobody holds VI_1");
    snprintf(e.name, sizeof e.name, "OLD"); /* gone from the config */
    e.node = 3;
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text, "n3 holds unit OLD");

    e.type = FSM_EV_TRANSFER;
    e.node = 3;
    e.other = 1;
    snprintf(e.name, sizeof e.name, "VG");
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text,
                        "transfer of VI_2, VI_3 (unit VG) to n3 requested by "
                        "n1");
    e.node = 0;
    snprintf(e.name, sizeof e.name, "VI_1");
    assert_true(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
    assert_string_equal(text,
                        "transfer of VI_1 to the preferred node requested by "
                        "n1");
    e.type = FSM_EV_HEALTH; /* named, but not a unit's */
    assert_false(ctl_unit_event_text(&f->cfg, f->fs, &e, text, sizeof text));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fill, setup, teardown),
        cmocka_unit_test_setup_teardown(instances, setup, teardown),
        cmocka_unit_test_setup_teardown(transfer_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(event_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
