/* The VIP manager in a real libuv loop against the real kernel, inside a
 * private user + network namespace that the test creates for itself (no
 * root needed; skipped where unprivileged namespaces are disabled). A veth
 * pair vv0/vv1 is the link; one manager may sit on each end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/private_netns.h"
#include <uv.h>

#include "vip/fence.h"
#include "vip/ifaddr.h"
#include "vip/manager.h"
#include "vipd/clock.h"
#include "vipd/config.h"
#include "vipd/log.h"

/****** Namespace ******/

static void sh(const char *cmd)
{
    char full[512];

    snprintf(full, sizeof full, "%s >/dev/null 2>&1", cmd);
    if (system(full) != 0) {
        fail_msg("command failed: %s", cmd);
    }
}

/****** Fixture ******/

#define MAX_VIPS 4

struct side
{
    struct vip_config cfg;
    struct cfg_instance inst;
    struct cfg_vip vips[MAX_VIPS];
    /* side_units(): three instances in two units */
    struct cfg_instance insts[3];
    struct cfg_vip unit_vips[3];
    struct cfg_sync_group group;
    char members[2][CFG_NAME_MAX];
    struct manager m;
    bool is_open;
    unsigned n_expired;
    unsigned n_link_events;
    char last_link[IF_NAMESIZE];
    bool last_link_up;
};

struct fixture
{
    uv_loop_t loop;
    uv_timer_t tick; /* wakes the loop while polling the kernel */
    struct side a;
    struct side b;
    struct ifaddr_ctl ia;
    pid_t daemon_pid; /* test_unitsFenced's child, killed at teardown */
};

static void on_link(void *data, const char *ifname, bool is_up)
{
    struct side *s = data;
    s->n_link_events++;
    snprintf(s->last_link, sizeof s->last_link, "%s", ifname);
    s->last_link_up = is_up;
}

static void on_expired(void *data)
{
    struct side *s = data;
    s->n_expired++;
}

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

static void side_config(struct side *s, const char *ifname, uint8_t prio)
{
    memset(s, 0, sizeof *s);
    snprintf(s->inst.name, sizeof s->inst.name, "VI_%s", ifname);
    snprintf(s->inst.interface, sizeof s->inst.interface, "%s", ifname);
    s->inst.vrid = 51;
    s->inst.priority = prio;
    s->inst.version = 3;
    s->inst.family = AF_INET;
    s->inst.advert_int_ms = 100;
    s->inst.garp_master_repeat = 1;
    s->inst.vips = s->vips;
    s->cfg.instances = &s->inst;
    s->cfg.n_instances = 1;
}

static void side_vip(struct side *s, const char *ip, const char *dev)
{
    struct cfg_vip *v = &s->vips[s->inst.n_vips++];

    v->addr.family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, ip, v->addr.bytes), 1);
    v->prefix = 24;
    if (dev != NULL) {
        snprintf(v->dev, sizeof v->dev, "%s", dev);
    }
}

/* Two units on vv0: sync group VG = {VI_B1 10.77.0.101, VI_B2 10.77.0.102}
 * and the lone VI_A 10.77.0.100, in the order VI_B1, VI_A, VI_B2 (so VG is
 * the first unit and its first address is recorded before VI_A's). */
static void side_units(struct side *s)
{
    static const char *names[3] = {"VI_B1", "VI_A", "VI_B2"};
    static const char *ips[3] = {"10.77.0.101", "10.77.0.100", "10.77.0.102"};

    for (unsigned i = 0; i < 3; i++) {
        struct cfg_instance *in = &s->insts[i];
        struct cfg_vip *v = &s->unit_vips[i];
        *in = s->inst;
        snprintf(in->name, sizeof in->name, "%s", names[i]);
        in->vrid = (uint8_t)(51 + i);
        v->addr.family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ips[i], v->addr.bytes), 1);
        v->prefix = 24;
        in->vips = v;
        in->n_vips = 1;
    }
    snprintf(s->group.name, sizeof s->group.name, "VG");
    snprintf(s->members[0], CFG_NAME_MAX, "VI_B1");
    snprintf(s->members[1], CFG_NAME_MAX, "VI_B2");
    s->group.instances = s->members;
    s->group.n_instances = 2;
    s->cfg.instances = s->insts;
    s->cfg.n_instances = 3;
    s->cfg.groups = &s->group;
    s->cfg.n_groups = 1;
}

static void side_start(struct fixture *f, struct side *s)
{
    struct manager_callbacks cbs = {
        .data = s,
        .link_changed = on_link,
        .lease_expired = on_expired,
    };
    int rv = manager_init(&s->m, &f->loop, &s->cfg, &cbs);

    assert_int_equal(rv, 0);
    s->is_open = true;
    rv = manager_start(&s->m);
    if (rv != 0) {
        fail_msg("manager_start: %s", s->m.errmsg);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    sh("ip link set lo up");
    sh("ip link add vv0 type veth peer name vv1");
    sh("ip link set vv0 up");
    sh("ip link set vv1 up");
    sh("ip addr add 10.77.0.11/24 dev vv0");
    sh("ip addr add 10.77.0.12/24 dev vv1");
    /* Both ends are in one namespace: let vv1 accept packets whose
     * source is local (vv0's address) instead of dropping them as
     * martians. */
    sh("sysctl -qw net.ipv4.conf.all.accept_local=1 "
       "net.ipv4.conf.vv1.accept_local=1 net.ipv4.conf.all.rp_filter=0 "
       "net.ipv4.conf.vv1.rp_filter=0");
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, tick_cb, 10, 10);
    assert_int_equal(ifaddr_init(&f->ia), 0);
    side_config(&f->a, "vv0", 150);
    side_config(&f->b, "vv1", 100);
    *state = f;
    return 0;
}

static void closed_cb(struct manager *m)
{
    (void)m;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    if (f->daemon_pid > 0) {
        int status;
        kill(f->daemon_pid, SIGKILL);
        waitpid(f->daemon_pid, &status, 0);
    }
    if (f->a.is_open) {
        manager_close(&f->a.m, closed_cb);
    }
    if (f->b.is_open) {
        manager_close(&f->b.m, closed_cb);
    }
    uv_close((uv_handle_t *)&f->tick, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    /* Every handle closed: libuv's MAKE_VALGRIND_HAPPY check. */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    ifaddr_close(&f->ia);
    /* vv2 exists only in some tests: failures here are expected. */
    if (system("ip link del vv0 >/dev/null 2>&1; "
               "ip link del vv2 >/dev/null 2>&1") == -1) {
        fail_msg("system() failed");
    }
    free(f);
    return 0;
}

/* Run the loop until *@flag is true or @ms pass; returns *@flag. */
static bool run_until(struct fixture *f,
                      bool (*pred)(struct fixture *f),
                      unsigned ms)
{
    uint64_t end = vip_now_ms() + ms;

    while (!pred(f) && vip_now_ms() < end) {
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    return pred(f);
}

static bool has_vip(struct fixture *f, const char *ip, const char *dev)
{
    struct ifaddr_spec s = {.family = AF_INET};

    s.ifindex = (int)if_nametoindex(dev);
    inet_pton(AF_INET, ip, s.addr);
    return ifaddr_present(&f->ia, &s) == 1;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/****** Tests ******/

static bool a_expired(struct fixture *f)
{
    return f->a.n_expired > 0;
}

/* A hold adds the VIP; without renewal the manager removes it at until_ms
 * on its own and says so. */
static void test_holdExpires(void **state)
{
    struct fixture *f = *state;
    uint64_t t0;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    t0 = vip_now_ms();
    assert_int_equal(manager_hold(&f->a.m, t0 + 300), 0);
    assert_true(manager_holds(&f->a.m));
    assert_true(has_vip(f, "10.77.0.100", "vv0"));
    assert_true(run_until(f, a_expired, 3000));
    assert_true(vip_now_ms() >= t0 + 300);
    assert_false(manager_holds(&f->a.m));
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
}

/* Release removes at once and is idempotent; a past deadline is refused. */
static void test_releaseAndPastHold(void **state)
{
    struct fixture *f = *state;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 5000), 0);
    assert_int_equal(manager_release(&f->a.m), 0);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    assert_int_equal(manager_release(&f->a.m), 0);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms()), VIP_ETIMEDOUT);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    assert_int_equal(f->a.n_expired, 0);
}

/* If adding the second of three VIPs fails, the first is removed again and
 * the third never added. */
static void test_rollback(void **state)
{
    struct fixture *f = *state;
    int rv;

    sh("ip link add vv2 type veth peer name vv3");
    side_vip(&f->a, "10.77.0.100", NULL);
    side_vip(&f->a, "10.88.0.1", "vv2");
    side_vip(&f->a, "10.77.0.102", NULL);
    side_start(f, &f->a);
    sh("ip link del vv2");
    rv = manager_hold(&f->a.m, vip_now_ms() + 5000);
    assert_int_equal(rv, VIP_ENETLINK);
    assert_non_null(strstr(f->a.m.errmsg, "all VIPs removed"));
    assert_false(manager_holds(&f->a.m));
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    assert_false(has_vip(f, "10.77.0.102", "vv0"));
}

/* A process frozen past its lease (as by SIGSTOP: the loop does not run)
 * drops the VIP when it runs again, before its first advert goes out. */
static void test_frozenPastLease(void **state)
{
    struct fixture *f = *state;
    struct manager_stats st;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 150), 0);
    sleep_ms(300); /* the freeze itself */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->a.n_expired, 1);
    assert_int_equal(manager_stats(&f->a.m, 0, &st), 0);
    assert_int_equal(st.advert.n_sent, 0);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
}

static bool a_readded(struct fixture *f)
{
    return f->a.m.n_readded > 0 && has_vip(f, "10.77.0.100", "vv0");
}

/* A VIP deleted by someone else while held is re-added. */
static void test_readd(void **state)
{
    struct fixture *f = *state;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 5000), 0);
    sh("ip addr del 10.77.0.100/24 dev vv0");
    assert_true(run_until(f, a_readded, 3000));
    assert_int_equal(f->a.m.n_readded, 1);
}

/* A leftover of a crashed run (even with another prefix) goes at start. */
static void test_leftover(void **state)
{
    struct fixture *f = *state;

    sh("ip addr add 10.77.0.100/16 dev vv0");
    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
}

static bool a_link_down(struct fixture *f)
{
    return strcmp(f->a.last_link, "vv0") == 0 && !f->a.last_link_up;
}

/* Links are reported at start, and when the carrier goes. */
static void test_linkChanged(void **state)
{
    struct fixture *f = *state;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_start(f, &f->a);
    assert_int_equal(f->a.n_link_events, 1);
    assert_string_equal(f->a.last_link, "vv0");
    assert_true(f->a.last_link_up);
    sh("ip link set vv1 down"); /* vv0 loses its carrier */
    assert_true(run_until(f, a_link_down, 3000));
}

static bool b_saw_foreign(struct fixture *f)
{
    struct manager_stats st;
    manager_stats(&f->b.m, 0, &st);
    return st.n_foreign >= 3;
}

/* Adverts cross the link and are validated on the other side, which only
 * counts them (it holds nothing and changes nothing). */
static void test_foreignObserved(void **state)
{
    struct fixture *f = *state;
    struct manager_stats st;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_vip(&f->b, "10.77.0.100", NULL);
    side_start(f, &f->a);
    side_start(f, &f->b);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 5000), 0);
    assert_true(run_until(f, b_saw_foreign, 3000));
    manager_stats(&f->b.m, 0, &st);
    assert_int_equal(st.foreign_family, AF_INET);
    assert_memory_equal(st.foreign_src, ((uint8_t[]){10, 77, 0, 11}), 4);
    assert_int_equal(st.foreign_priority, 150);
    assert_int_equal(st.advert.n_rx_malformed, 0);
    assert_false(manager_holds(&f->b.m));
    assert_int_equal(f->b.n_expired, 0);
    manager_stats(&f->a.m, 0, &st);
    assert_true(st.advert.n_sent >= 3);
    assert_int_equal(st.n_foreign, 0);
}

static bool b_saw_peer(struct fixture *f)
{
    struct manager_stats st;
    manager_stats(&f->b.m, 0, &st);
    return st.n_peer >= 3;
}

/* Adverts from a cluster member (here: a unicast_peer) are counted apart
 * from foreign masters. */
static void test_peerAdvertsNotForeign(void **state)
{
    struct fixture *f = *state;
    struct cfg_ip peer = {.family = AF_INET, .bytes = {10, 77, 0, 11}};
    struct manager_stats st;

    side_vip(&f->a, "10.77.0.100", NULL);
    side_vip(&f->b, "10.77.0.100", NULL);
    f->b.inst.unicast_peers = &peer;
    f->b.inst.n_unicast_peers = 1;
    side_start(f, &f->a);
    side_start(f, &f->b);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 5000), 0);
    assert_true(run_until(f, b_saw_peer, 3000));
    manager_stats(&f->b.m, 0, &st);
    assert_int_equal(st.n_foreign, 0);
    assert_int_equal(st.foreign_family, 0);
}

/* An instance with only virtual_ipaddress_excluded holds its VIP but sends
 * no advert (nothing to advertise). */
static void test_silentInstance(void **state)
{
    struct fixture *f = *state;
    struct cfg_vip ex;
    struct manager_stats st;

    memset(&ex, 0, sizeof ex);
    ex.addr.family = AF_INET;
    inet_pton(AF_INET, "10.77.0.100", ex.addr.bytes);
    ex.prefix = 24;
    f->a.inst.vips_excluded = &ex;
    f->a.inst.n_vips_excluded = 1;
    side_start(f, &f->a);
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 300), 0);
    assert_true(has_vip(f, "10.77.0.100", "vv0"));
    assert_true(run_until(f, a_expired, 3000));
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    manager_stats(&f->a.m, 0, &st);
    assert_int_equal(st.advert.n_sent, 0);
    assert_int_equal(st.advert.n_send_errors, 0);
    assert_int_equal(st.n_garp, 1);
}

/****** Units ******/

static bool a_sent_advert(struct fixture *f)
{
    struct manager_stats st;
    return manager_stats(&f->a.m, 1, &st) == 0 && st.advert.n_sent > 0 &&
           st.n_garp > 0;
}

/* Units are held apart: each its own VIPs, adverts and GARPs, and its own
 * lease; one unit's lease running out leaves the other's VIPs in place;
 * the all-units calls act on both. */
static void test_unitsApart(void **state)
{
    struct fixture *f = *state;
    struct manager_stats st;
    uint64_t t0;

    side_units(&f->a);
    side_start(f, &f->a);
    t0 = vip_now_ms();
    assert_int_equal(manager_hold_unit(&f->a.m, "VI_A", t0 + 300), 0);
    assert_true(manager_holds_unit(&f->a.m, "VI_A"));
    assert_false(manager_holds_unit(&f->a.m, "VG"));
    assert_false(manager_holds(&f->a.m)); /* not every unit */
    assert_true(has_vip(f, "10.77.0.100", "vv0"));
    assert_false(has_vip(f, "10.77.0.101", "vv0"));
    assert_false(has_vip(f, "10.77.0.102", "vv0"));
    /* VI_A advertises and announces; VG's instances stay silent. */
    assert_true(run_until(f, a_sent_advert, 3000));
    for (size_t i = 0; i < 3; i += 2) {
        assert_int_equal(manager_stats(&f->a.m, i, &st), 0);
        assert_int_equal(st.advert.n_sent, 0);
        assert_int_equal(st.n_garp, 0);
    }
    assert_int_equal(manager_hold_unit(&f->a.m, "VG", t0 + 60000), 0);
    assert_true(manager_holds(&f->a.m));
    assert_true(has_vip(f, "10.77.0.101", "vv0"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    /* VI_A's lease ends on its own; VG's VIPs stay. */
    assert_true(run_until(f, a_expired, 3000));
    assert_true(vip_now_ms() >= t0 + 300);
    assert_int_equal(f->a.n_expired, 1);
    assert_false(manager_holds_unit(&f->a.m, "VI_A"));
    assert_true(manager_holds_unit(&f->a.m, "VG"));
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    assert_true(has_vip(f, "10.77.0.101", "vv0"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    /* Releasing VG removes both of its VIPs; unknown units are refused. */
    assert_int_equal(manager_release_unit(&f->a.m, "VG"), 0);
    assert_false(has_vip(f, "10.77.0.101", "vv0"));
    assert_false(has_vip(f, "10.77.0.102", "vv0"));
    assert_false(manager_holds_unit(&f->a.m, "VG"));
    assert_int_equal(manager_hold_unit(&f->a.m, "VI_B1", t0 + 60000),
                     VIP_EINVAL); /* an instance of VG is not a unit */
    assert_int_equal(manager_release_unit(&f->a.m, "nope"), VIP_EINVAL);
    assert_false(manager_holds_unit(&f->a.m, "nope"));
    /* The all-units calls: every VIP, then none. */
    assert_int_equal(manager_hold(&f->a.m, vip_now_ms() + 60000), 0);
    assert_true(manager_holds_unit(&f->a.m, "VI_A"));
    assert_true(manager_holds_unit(&f->a.m, "VG"));
    assert_true(has_vip(f, "10.77.0.100", "vv0"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    assert_int_equal(manager_release(&f->a.m), 0);
    assert_false(has_vip(f, "10.77.0.100", "vv0"));
    assert_false(has_vip(f, "10.77.0.101", "vv0"));
    assert_false(manager_holds_unit(&f->a.m, "VG"));
}

/* Reload: the same units go on (held ones stay held, now named from the
 * new configuration); an instance moving between units is refused with
 * nothing changed. */
static void test_unitsReload(void **state)
{
    struct fixture *f = *state;
    struct side *next = calloc(1, sizeof *next);

    side_units(&f->a);
    side_start(f, &f->a);
    assert_int_equal(manager_hold_unit(&f->a.m, "VG", vip_now_ms() + 60000),
                     0);
    next->inst = f->a.inst;
    side_units(next);
    assert_int_equal(manager_reconfigure(&f->a.m, &next->cfg), 0);
    assert_true(manager_holds_unit(&f->a.m, "VG"));
    assert_false(manager_holds_unit(&f->a.m, "VI_A"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    /* VI_B2 leaves VG: a unit of its own now. */
    next->group.n_instances = 1;
    assert_int_equal(manager_reconfigure(&f->a.m, &next->cfg), VIP_EINVAL);
    assert_non_null(strstr(f->a.m.errmsg, "unit"));
    assert_true(manager_holds_unit(&f->a.m, "VG"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    /* Back to a configuration that outlives the manager (teardown). */
    assert_int_equal(manager_reconfigure(&f->a.m, &f->a.cfg), 0);
    free(next);
}

/* Poll (2 ms) until @ip is gone from vv0 or @limit_ms passed; returns
 * when, 0 on timeout. */
static uint64_t wait_vip_gone(struct fixture *f, const char *ip, unsigned ms)
{
    uint64_t end = vip_now_ms() + ms;

    while (vip_now_ms() < end) {
        if (!has_vip(f, ip, "vv0")) {
            return vip_now_ms();
        }
        sleep_ms(2);
    }
    return 0;
}

/* The daemon of test_unitsFenced: holds both units under a fence, reports
 * the deadlines through @wfd, then never runs its loop again (frozen). */
static void frozen_daemon(struct side *s, int wfd)
{
    static struct fence fence;
    struct manager_callbacks cbs = {.data = s};
    uv_loop_t loop;
    uint64_t until[2];

    if (uv_loop_init(&loop) != 0 || fence_start(&fence) != 0 ||
        manager_init(&s->m, &loop, &s->cfg, &cbs) != 0 ||
        manager_start(&s->m) != 0 || manager_set_fence(&s->m, &fence) != 0) {
        _exit(2);
    }
    until[0] = vip_now_ms() + 300;   /* VI_A */
    until[1] = vip_now_ms() + 60000; /* VG */
    if (manager_hold_unit(&s->m, "VI_A", until[0]) != 0 ||
        manager_hold_unit(&s->m, "VG", until[1]) != 0) {
        _exit(3);
    }
    if (write(wfd, until, sizeof until) != (ssize_t)sizeof until) {
        _exit(4);
    }
    for (;;) {
        pause();
    }
}

/* Through the fence, with the daemon frozen: VI_A's address goes at VI_A's
 * deadline while VG's stay; killing the daemon removes VG's at once. */
static void test_unitsFenced(void **state)
{
    struct fixture *f = *state;
    uint64_t until[2], gone;
    int fds[2], status;
    pid_t pid;

    side_units(&f->a);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        frozen_daemon(&f->a, fds[1]);
    }
    f->daemon_pid = pid;
    close(fds[1]);
    assert_int_equal(read(fds[0], until, sizeof until), sizeof until);
    close(fds[0]);
    assert_true(has_vip(f, "10.77.0.100", "vv0"));
    assert_true(has_vip(f, "10.77.0.101", "vv0"));
    gone = wait_vip_gone(f, "10.77.0.100", 5000);
    assert_true(gone != 0);
    assert_true(gone >= until[0]);
    /* VG's first address was recorded before VI_A's: a fence removing
     * everything at the first deadline would have taken it already. */
    assert_true(has_vip(f, "10.77.0.101", "vv0"));
    assert_true(has_vip(f, "10.77.0.102", "vv0"));
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    f->daemon_pid = 0;
    gone = wait_vip_gone(f, "10.77.0.101", 5000);
    assert_true(gone != 0 && gone < until[1]);
    assert_true(wait_vip_gone(f, "10.77.0.102", 5000) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_holdExpires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_releaseAndPastHold, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frozenPastLease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linkChanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreignObserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peerAdvertsNotForeign, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_silentInstance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unitsApart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unitsFenced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unitsReload, setup, teardown),
    };

    if (!private_netns_enter() || system("ip link show lo >/dev/null 2>&1")) {
        printf("SKIP: no private user+network namespace here\n");
        return 77;
    }
    vip_log_level = LOG_ERR;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
