/* vrrp_track_process (src/check_process.c): the config block, the matcher
 * against real processes, and the monitor's counting from the kernel's
 * process events (skipped where the connector cannot be reached). */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "src/check_process.h"
#include "tests/unit/config_helper.h"
#include "tests/unit/health_util.h"

/* A child `sleep SECONDS` (a unique SECONDS tags it); returns its pid
 * once it has exec'd. */
static pid_t spawn_sleep(const char *secs)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies with the test, even when a failed assert skips the reap. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Not holding the test's output open if it fails before reaping. */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/bin/sleep", "/bin/sleep", secs, (char *)NULL);
        _exit(127);
    }
    /* Until exec, the child is a copy of us. */
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    for (int i = 0; i < 2000 && strcmp(comm, "sleep\n") != 0; i++) {
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(comm, sizeof comm, f) == NULL) {
                comm[0] = '\0';
            }
            fclose(f);
        }
        usleep(1000);
    }
    assert_string_equal(comm, "sleep\n");
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_config(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_track_process p {\n process haproxy -f \"/etc/a b.cfg\"\n"
        " param_match initial\n weight -20 reverse\n quorum 2\n"
        " quorum_max 4\n delay 0.5\n fork_delay 0.25\n}\n"
        "vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.0.1 }\n track_process {\n  p weight 7\n }\n}\n");
    ASSERT_CLEAN(l);
    const struct cfg_track_process *tp = vip_config_track_process(&l->cfg, "p");
    assert_non_null(tp);
    assert_int_equal(tp->argc, 3);
    assert_string_equal(tp->argv[2], "/etc/a b.cfg");
    assert_true(tp->by_cmdline);
    assert_int_equal(tp->param_match, CFG_PARAM_INITIAL);
    assert_int_equal(tp->weight, -20);
    assert_true(tp->weight_reverse);
    assert_int_equal(tp->quorum, 2);
    assert_int_equal(tp->quorum_max, 4);
    assert_int_equal(tp->terminate_delay_ms, 500); /* from delay */
    assert_int_equal(tp->fork_delay_ms, 250);      /* its own, later */
    assert_int_equal(l->cfg.instances[0].n_track_processes, 1);
    assert_int_equal(l->cfg.instances[0].track_processes[0].weight, 7);
    loaded_free(l);

    /* keepalived's defaults: weight 1, quorum 1, by name. */
    l = load_text("vrrp_track_process q {\n process nginx\n}\n");
    tp = vip_config_track_process(&l->cfg, "q");
    assert_int_equal(tp->weight, 1);
    assert_int_equal(tp->quorum, 1);
    assert_int_equal(tp->quorum_max, UINT32_MAX);
    assert_false(tp->by_cmdline);
    loaded_free(l);

    static const struct
    {
        const char *text, *line;
    } bad[] = {
        {"vrrp_track_process p {\n weight 1\n}\n",
         "t.conf:1: error: vrrp_track_process 'p' has no 'process'"},
        {"vrrp_track_process p {\n process x\n quorum 3\n quorum_max 2\n}\n",
         "t.conf:1: error: vrrp_track_process 'p': quorum_max 2 is below "
         "quorum 3"},
        {"vrrp_track_process p {\n process x\n param_match some\n}\n",
         "t.conf:3: error: param_match: 'some' is not 'partial' or 'initial'"},
        {"vrrp_script p { script /bin/true }\n"
         "vrrp_track_process p {\n process x\n}\n",
         "t.conf:2: error: vrrp_track_process 'p' has the name of the "
         "vrrp_script at line 1; rename one"},
        {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
         " track_process {\n  nope\n }\n}\n",
         "t.conf:5: error: track_process: no vrrp_track_process named 'nope'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = load_text(bad[i].text);
        if (l->rv != VIP_ECONFIG || !has_line(l, bad[i].line)) {
            fprintf(stderr, "case %zu: want %s\n", i, bad[i].line);
            dump_lines(l);
            fail();
        }
        loaded_free(l);
    }
}

/* Matching a live `sleep 30 vh-tag-...` by name, parameters, full line. */
static void test_matcher(void **state)
{
    (void)state;
    pid_t pid = spawn_sleep("3000.125");
    static const struct
    {
        const char *conf;
        bool want;
    } cases[] = {
        {"process sleep", true},
        {"process slee", false},
        {"process sleeping", false},
        {"process sleep 3000.125", true}, /* argv[0]'s base name */
        {"process /bin/sleep 3000.125", true},
        {"process /usr/bin/sleep 3000.125", false},
        {"process sleep 3000.12", false},
        {"process sleep 3000.125 x", false},
        {"process sleep\n param_match partial", false}, /* no parameters */
        {"process sleep 3000\n param_match initial", true},
        {"process sleep 3000\n param_match partial", false},
        {"process \"/bin/sleep 3000.125\"\n full_command", true},
        {"process \"sleep 3000.125\"\n full_command", false}, /* whole */
        {"process \"/bin/sleep 3000\"\n full_command", false},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "vrrp_track_process p {\n %s\n}\n",
                 cases[i].conf);
        struct loaded *l = load_text(text);
        bool got = l->rv == 0 &&
                   proc_mon_matches(&l->cfg.track_processes[0], pid);
        if (got != cases[i].want) {
            fprintf(stderr, "case %zu (%s): got %d\n", i, cases[i].conf, got);
            ok = false;
        }
        loaded_free(l);
    }
    reap(pid);
    assert_true(ok);
    /* Gone (and reaped): no match. */
    struct loaded *l = load_text("vrrp_track_process p {\n process sleep\n}\n");
    assert_false(proc_mon_matches(&l->cfg.track_processes[0], pid));
    loaded_free(l);
}

struct mon_fixture
{
    int last; /* -1 none */
    unsigned n_reports;
    bool closed;
};

static void mon_cb(void *data, size_t index, bool ok)
{
    struct mon_fixture *f = data;
    assert_int_equal(index, 0);
    f->last = ok;
    f->n_reports++;
}

static void mon_closed(struct proc_mon *pm)
{
    struct mon_fixture *f = pm->data;
    f->closed = true;
}

static bool reported(struct mon_fixture *f, int want, unsigned n)
{
    return f->last == want && f->n_reports == n;
}

/* Run until @f has @n reports with the last @want, or 3 s. */
static void await(uv_loop_t *loop, struct mon_fixture *f, int want, unsigned n)
{
    uint64_t end = vip_now_ms() + 3000;
    while (!reported(f, want, n) && vip_now_ms() < end) {
        hu_run_for(loop, 5);
    }
    if (!reported(f, want, n)) {
        fprintf(stderr, "want %u reports ending %d, have %u ending %d\n", n,
                want, f->n_reports, f->last);
        fail();
    }
}

/* Counting from process events: quorum 2, a restart inside
 * terminate_delay is not reported, an exit past it is. */
static void test_monitor(void **state)
{
    (void)state;
    uv_loop_t loop;
    struct proc_mon pm;
    struct mon_fixture f = {.last = -1};
    char tag[64];
    char text[256];

    snprintf(tag, sizeof tag, "3000.%d", (int)getpid());
    snprintf(text, sizeof text,
             "vrrp_track_process p {\n process sleep %s\n quorum 2\n"
             " terminate_delay 0.3\n}\n",
             tag);
    struct loaded *l = load_text(text);
    assert_int_equal(l->rv, 0);
    const struct cfg_track_process *tp = &l->cfg.track_processes[0];
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(proc_mon_init(&pm, &loop, &tp, 1, mon_cb, &f), 0);
    pid_t a = spawn_sleep(tag); /* running before the start: scan */
    int rv = proc_mon_start(&pm);
    if (rv != 0) {
        fprintf(stderr, "no process events here (%s): skipped\n",
                pm.errmsg);
        assert_int_equal(f.last, 0); /* reported failed, not silent */
        proc_mon_close(&pm, mon_closed);
        assert_true(hu_run_until(&loop, &f.closed, 3000));
        reap(a);
        hu_loop_close(&loop);
        loaded_free(l);
        skip();
    }
    assert_true(reported(&f, 0, 1)); /* 1 of 2: failed, at once */
    pid_t b = spawn_sleep(tag);
    await(&loop, &f, 1, 2);          /* exec seen: ok at once */
    reap(b);
    b = spawn_sleep(tag);      /* back within terminate_delay */
    hu_run_for(&loop, 500);
    assert_int_equal(f.n_reports, 2); /* the bounce was not reported */
    assert_int_equal(pm.watches[0].count, 2);
    reap(b);
    await(&loop, &f, 0, 3);          /* gone for good: failed */
    reap(a);
    assert_true(pm.n_events > 0);
    proc_mon_close(&pm, mon_closed);
    assert_true(hu_run_until(&loop, &f.closed, 3000));
    hu_loop_close(&loop);
    loaded_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_matcher),
        cmocka_unit_test(test_monitor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
