/* `vipd -t` warnings about health tracking (health_check_config). */
#include "src/health.h"
#include "tests/unit/health_util.h"

struct fixture
{
    struct vip_config cfg;
    struct cfg_script scripts[3];
    struct cfg_instance inst;
    struct cfg_track tscripts[2];
    struct cfg_track tifs[1];
    struct cfg_track_file files[1];
    struct cfg_track tfiles[1];
    struct cfg_report report;
    char lines[16][700];
    int n_lines;
};

static void collect(void *data, bool is_error, const char *line)
{
    struct fixture *f = data;
    (void)is_error;
    assert_true(f->n_lines < 16);
    snprintf(f->lines[f->n_lines++], sizeof f->lines[0], "%s", line);
}

/* Does any collected line contain both @a and @b? */
static bool has_line(struct fixture *f, const char *a, const char *b)
{
    for (int i = 0; i < f->n_lines; i++) {
        if (strstr(f->lines[i], a) && (b == NULL || strstr(f->lines[i], b))) {
            return true;
        }
    }
    return false;
}

/* One instance VI_1 (priority 100, BACKUP) tracking script chk (weight
 * -20, command /bin/true). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct cfg_script *s = &f->scripts[0];
    snprintf(s->name, sizeof s->name, "chk");
    s->kind = CFG_CHECK_SCRIPT;
    s->command = "/bin/true";
    s->weight = -20;
    s->fall = s->rise = 1;
    s->where.file = "vipd.conf";
    s->where.line = 3;
    snprintf(f->inst.name, sizeof f->inst.name, "VI_1");
    f->inst.priority = 100;
    f->inst.where.file = "vipd.conf";
    f->inst.where.line = 10;
    snprintf(f->tscripts[0].name, sizeof f->tscripts[0].name, "chk");
    f->tscripts[0].where.file = "vipd.conf";
    f->tscripts[0].where.line = 12;
    f->inst.track_scripts = f->tscripts;
    f->inst.n_track_scripts = 1;
    f->cfg.scripts = f->scripts;
    f->cfg.n_scripts = 1;
    f->cfg.instances = &f->inst;
    f->cfg.n_instances = 1;
    f->report.emit = collect;
    f->report.data = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* A normal config is quiet. */
static void test_quiet(void **state)
{
    struct fixture *f = *state;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 0);
    assert_int_equal(f->report.n_errors, 0);
    assert_int_equal(f->n_lines, 0);
}

/* Weight 0 never warns, at any priority. */
static void test_weight_zero(void **state)
{
    struct fixture *f = *state;
    f->scripts[0].weight = 0;
    f->inst.priority = 255;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 0);
}

/* Priority 254 with +10: the clamp makes the script ineffective. */
static void test_clamped_positive(void **state)
{
    struct fixture *f = *state;
    f->scripts[0].weight = 10;
    f->inst.priority = 254;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 1);
    assert_true(has_line(f, "vipd.conf:12: warning:", "can never move"));
}

/* The address owner (255) is never adjusted. */
static void test_owner(void **state)
{
    struct fixture *f = *state;
    f->inst.priority = 255;
    snprintf(f->tifs[0].name, sizeof f->tifs[0].name, "eth1");
    f->tifs[0].has_weight = true;
    f->tifs[0].weight = -30;
    f->inst.track_interfaces = f->tifs;
    f->inst.n_track_interfaces = 1;
    snprintf(f->files[0].name, sizeof f->files[0].name, "f1");
    f->files[0].weight = 5;
    f->cfg.track_files = f->files;
    f->cfg.n_track_files = 1;
    snprintf(f->tfiles[0].name, sizeof f->tfiles[0].name, "f1");
    f->inst.track_files = f->tfiles;
    f->inst.n_track_files = 1;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 3);
    assert_true(has_line(f, "track_script chk", "never"));
    assert_true(has_line(f, "track_interface eth1", "never"));
    assert_true(has_line(f, "track_file f1", "255"));
}

/* The per-use weight override is what counts. */
static void test_override(void **state)
{
    struct fixture *f = *state;
    f->inst.priority = 1;
    health_check_config(&f->cfg, &f->report); /* -20 at 1: clamped */
    assert_int_equal(f->report.n_warnings, 1);
    f->tscripts[0].has_weight = true;
    f->tscripts[0].weight = 20; /* 21 when ok, 1 when failing: fine */
    f->report.n_warnings = 0;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 0);
}

/* Weight 1 on a MASTER can only move the VIP to an equal priority. */
static void test_weight_one(void **state)
{
    struct fixture *f = *state;
    f->inst.state = CFG_STATE_MASTER;
    f->scripts[0].weight = -1;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 1);
    assert_true(has_line(f, "weight -1", "gap"));
}

/* Unused scripts are reported (keepalived drops them). */
static void test_unused(void **state)
{
    struct fixture *f = *state;
    snprintf(f->scripts[1].name, sizeof f->scripts[1].name, "lonely");
    f->scripts[1].command = "/bin/true";
    f->scripts[1].where.file = "vipd.conf";
    f->scripts[1].where.line = 5;
    f->cfg.n_scripts = 2;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_warnings, 1);
    assert_true(
        has_line(f, "vipd.conf:5: warning: vrrp_script lonely", "not used"));
}

/* Commands: bad quoting is an error; a missing program (as root) is a
 * warning; an unsafe one under enable_script_security is an error. */
static void test_commands(void **state)
{
    struct fixture *f = *state;
    f->inst.notify.master = "/bin/echo 'unterminated";
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_errors, 1);
    assert_true(has_line(f, "error: VI_1 notify_master", "terminating"));
    if (geteuid() != 0) {
        return;
    }
    f->inst.notify.master = NULL;
    f->scripts[0].command = "/nonexistent/vh-x";
    f->report.n_errors = f->report.n_warnings = 0;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_errors, 0);
    assert_int_equal(f->report.n_warnings, 1);

    char *dir = hu_tmpdir();
    char *path = hu_write(dir, "x.sh", "#!/bin/sh\n", 0755);
    assert_int_equal(chmod(dir, 0777), 0);
    f->scripts[0].command = path;
    f->cfg.global.enable_script_security = true;
    snprintf(f->cfg.global.script_user, sizeof f->cfg.global.script_user,
             "root");
    f->report.n_errors = f->report.n_warnings = 0;
    health_check_config(&f->cfg, &f->report);
    assert_int_equal(f->report.n_errors, 1);
    assert_true(has_line(f, "vipd.conf:3: error: chk script", "refusing"));
    free(path);
    hu_rmrf(dir);
}

/* The real parser's output feeds the checks: a keepalived config text
 * with a clamped weight, an unused script and a tcp/http check. */
static void test_from_parsed_config(void **state)
{
    struct fixture *f = *state;
    static const char text[] =
        "vrrp_script chk { script \"/bin/true\" weight 10 }\n"
        "vrrp_script lonely { script \"/bin/true\" }\n"
        "vrrp_script web { http_check http://127.0.0.1:8080/ status 200 }\n"
        "vrrp_instance VI_1 {\n"
        "  interface lo\n"
        "  virtual_router_id 51\n"
        "  priority 254\n"
        "  virtual_ipaddress { 10.9.9.9/24 }\n"
        "  track_script { chk\n web }\n"
        "}\n";
    struct vip_config cfg;
    struct cfg_report quiet = {0};
    int rv = vip_config_load_string(&cfg, "t.conf", text, strlen(text), &quiet);
    if (rv != 0) {
        print_error("parser: %d (%u errors)\n", rv, quiet.n_errors);
    }
    assert_int_equal(rv, 0);
    health_check_config(&cfg, &f->report);
    assert_true(has_line(f, "t.conf:9: warning: VI_1: track_script chk",
                         "can never move"));
    assert_true(
        has_line(f, "t.conf:2: warning: vrrp_script lonely", "not used"));
    assert_false(has_line(f, "web", NULL));
    vip_config_free(&cfg);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_quiet),  T(test_weight_zero), T(test_clamped_positive),
        T(test_owner),  T(test_override),    T(test_weight_one),
        T(test_unused), T(test_commands),    T(test_from_parsed_config),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
