/* The fence (vip/fence.h): the shared-page protocol (record, read, decide,
 * wake-up), including a writer in another process racing the reader; then
 * the real fence process against the kernel inside a private user+network
 * namespace (those cases skip where unprivileged namespaces are not
 * allowed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/private_netns.h"

#include "vip/fence.h"
#include "vip/ifaddr.h"
#include "vipd/clock.h"
#include "vipd/log.h"

static struct fence_page *page_new(void)
{
    struct fence_page *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    fence_page_init(p);
    return p;
}

static void page_free(struct fence_page *p)
{
    munmap(p, sizeof *p);
}

static struct ifaddr_spec v4(const char *ip, unsigned prefix, int ifindex)
{
    struct ifaddr_spec s;
    memset(&s, 0, sizeof s);
    s.family = AF_INET;
    s.prefix = (uint8_t)prefix;
    s.ifindex = ifindex;
    assert_int_equal(inet_pton(AF_INET, ip, s.addr), 1);
    return s;
}

static struct ifaddr_spec v6(const char *ip, unsigned prefix, int ifindex)
{
    struct ifaddr_spec s;
    memset(&s, 0, sizeof s);
    s.family = AF_INET6;
    s.prefix = (uint8_t)prefix;
    s.ifindex = ifindex;
    assert_int_equal(inet_pton(AF_INET6, ip, s.addr), 1);
    return s;
}

static struct fence_set snap; /* large: not on the stack */

/* An empty page: nothing held, nothing to do, sleep until woken. */
static void test_empty(void **state)
{
    struct fence_page *p = page_new();
    struct fence_progress pr;
    uint64_t wake;
    (void)state;

    fence_progress_init(&pr);
    assert_int_equal(fence_page_read(p, &snap), 0);
    assert_int_equal(snap.until_ms, 0);
    assert_int_equal(snap.n_addrs, 0);
    assert_false(fence_decide(&snap, 0, &pr, 5000, &wake));
    assert_true(wake == UINT64_MAX);
    page_free(p);
}

/* A committed record reads back exactly: each address's deadline, family,
 * address, prefix, interface, and the earliest deadline of the set. */
static void test_record(void **state)
{
    struct fence_page *p = page_new();
    struct fence_set *set = fence_page_begin(p);
    struct ifaddr_spec a = v4("10.1.2.3", 24, 7);
    struct ifaddr_spec b = v6("fd00::5", 64, 9);
    (void)state;

    assert_int_equal(fence_set_add(set, &a, 23456), 0);
    assert_int_equal(fence_set_add(set, &b, 12345), 0);
    fence_page_commit(p);
    assert_int_equal(fence_page_read(p, &snap), 1);
    assert_int_equal(snap.until_ms, 12345);
    assert_int_equal(snap.n_addrs, 2);
    assert_int_equal(snap.addrs[0].until_ms, 23456);
    assert_int_equal(snap.addrs[1].until_ms, 12345);
    assert_int_equal(snap.addrs[0].family, AF_INET);
    assert_int_equal(snap.addrs[0].prefix, 24);
    assert_int_equal(snap.addrs[0].ifindex, 7);
    assert_memory_equal(snap.addrs[0].addr, a.addr, 4);
    assert_int_equal(snap.addrs[1].family, AF_INET6);
    assert_int_equal(snap.addrs[1].prefix, 64);
    assert_int_equal(snap.addrs[1].ifindex, 9);
    assert_memory_equal(snap.addrs[1].addr, b.addr, 16);

    /* Release: an empty record replaces it. */
    fence_page_begin(p);
    fence_page_commit(p);
    assert_int_equal(fence_page_read(p, &snap), 2);
    assert_int_equal(snap.until_ms, 0);
    assert_int_equal(snap.n_addrs, 0);
    page_free(p);
}

/* Bad entries are refused, and so is one more than the page holds. */
static void test_add_invalid(void **state)
{
    struct fence_page *p = page_new();
    struct fence_set *set = fence_page_begin(p);
    struct ifaddr_spec s = v4("10.1.2.3", 33, 1);
    (void)state;

    assert_int_equal(fence_set_add(set, &s, 1), VIP_EINVAL);
    s = v6("fd00::1", 129, 1);
    assert_int_equal(fence_set_add(set, &s, 1), VIP_EINVAL);
    s = v4("10.1.2.3", 32, 0); /* interface not resolved */
    assert_int_equal(fence_set_add(set, &s, 1), VIP_EINVAL);
    s = v4("10.1.2.3", 32, 1);
    s.family = AF_UNIX;
    assert_int_equal(fence_set_add(set, &s, 1), VIP_EINVAL);
    s = v4("10.1.2.3", 32, 1);
    assert_int_equal(fence_set_add(set, &s, 0), VIP_EINVAL); /* no deadline */
    assert_int_equal(set->n_addrs, 0);
    for (int i = 0; i < FENCE_MAX_ADDRS; i++) {
        assert_int_equal(fence_set_add(set, &s, 1 + (uint64_t)i), 0);
    }
    assert_int_equal(fence_set_add(set, &s, 1), VIP_ERANGE);
    assert_int_equal(set->n_addrs, FENCE_MAX_ADDRS);
    page_free(p);
}

/* A writer frozen (or killed) in the middle of an update leaves the
 * published record intact: the reader neither waits nor sees a mix. */
static void test_frozen_writer(void **state)
{
    struct fence_page *p = page_new();
    struct fence_set *set = fence_page_begin(p);
    struct ifaddr_spec a = v4("10.1.2.3", 24, 7);
    struct ifaddr_spec b = v4("10.9.9.9", 32, 8);
    (void)state;

    assert_int_equal(fence_set_add(set, &a, 1000), 0);
    fence_page_commit(p);
    /* The next update stops half-way: one address in, no commit, and
     * garbage where the set's deadline goes. */
    set = fence_page_begin(p);
    assert_int_equal(fence_set_add(set, &b, 2000), 0);
    set->until_ms = 77;
    assert_int_equal(fence_page_read(p, &snap), 1);
    assert_int_equal(snap.until_ms, 1000);
    assert_int_equal(snap.n_addrs, 1);
    assert_memory_equal(snap.addrs[0].addr, a.addr, 4);
    page_free(p);
}

/* The decision, per address: sleep toward the earliest deadline, remove
 * each address once its own deadline passed (the others stay), then sleep
 * toward the next; a new record (new sequence) is enforced afresh. */
static void test_decide(void **state)
{
    struct fence_progress pr;
    struct fence_set set;
    uint64_t wake;
    (void)state;

    fence_progress_init(&pr);
    memset(&set, 0, sizeof set);
    set.n_addrs = 2;
    set.addrs[0].until_ms = 2000; /* unit B */
    set.addrs[1].until_ms = 1000; /* unit A */
    set.until_ms = 1000;
    assert_false(fence_decide(&set, 4, &pr, 999, &wake));
    assert_int_equal(wake, 1000);
    /* A's deadline: A is due, B not; then sleep toward B's. */
    assert_true(fence_decide(&set, 4, &pr, 1000, &wake));
    assert_true(fence_addr_due(&set.addrs[1], &pr, 1000));
    assert_false(fence_addr_due(&set.addrs[0], &pr, 1000));
    assert_int_equal(wake, 2000);
    fence_progress_done(&pr, 1000);
    assert_false(fence_decide(&set, 4, &pr, 1500, &wake));
    assert_int_equal(wake, 2000);
    /* A removal that failed (no done): still due at the retry. */
    assert_true(fence_decide(&set, 4, &pr, 2000, &wake));
    assert_true(fence_decide(&set, 4, &pr, 2020, &wake));
    assert_false(fence_addr_due(&set.addrs[1], &pr, 2020)); /* A: done */
    assert_true(fence_addr_due(&set.addrs[0], &pr, 2020));
    assert_true(wake == UINT64_MAX);
    fence_progress_done(&pr, 2020);
    assert_false(fence_decide(&set, 4, &pr, 2500, &wake));
    assert_true(wake == UINT64_MAX);
    /* A new record with the same past deadlines: enforced again. */
    assert_true(fence_decide(&set, 5, &pr, 2500, &wake));
    assert_true(fence_addr_due(&set.addrs[0], &pr, 2500));
    assert_true(fence_addr_due(&set.addrs[1], &pr, 2500));
    /* Nothing recorded: nothing to do. */
    set.n_addrs = 0;
    set.until_ms = 0;
    assert_false(fence_decide(&set, 6, &pr, 2500, &wake));
    assert_true(wake == UINT64_MAX);
}

/* Begin a record on @p holding one address until @until (none if 0). */
static void record_until(struct fence_page *p, uint64_t until)
{
    struct fence_set *set = fence_page_begin(p);
    struct ifaddr_spec s = v4("10.1.2.3", 32, 1);
    if (until != 0) {
        assert_int_equal(fence_set_add(set, &s, until), 0);
    }
}

/* Wake-ups: a renewal that moves the deadline later needs none; an earlier
 * deadline, or a hold while the fence sleeps without one, does; and a
 * commit racing the fence's sleep is never lost. */
static void test_wake(void **state)
{
    struct fence_page *p = page_new();
    uint64_t seq;
    (void)state;

    /* Idle fence: the first hold wakes it. */
    seq = fence_page_read(p, &snap);
    assert_true(fence_page_sleep_ok(p, seq, UINT64_MAX));
    record_until(p, 1000);
    assert_true(fence_page_commit(p));
    /* It sleeps toward 1000 now: renewals to later deadlines are silent. */
    seq = fence_page_read(p, &snap);
    assert_true(fence_page_sleep_ok(p, seq, 1000));
    record_until(p, 1300);
    assert_false(fence_page_commit(p));
    record_until(p, 1600);
    assert_false(fence_page_commit(p));
    /* An earlier deadline of any address wakes; releasing does not need
     * to. */
    record_until(p, 1600);
    {
        struct fence_set *set = &p->sets[(atomic_load(&p->seq) + 1) & 1];
        struct ifaddr_spec s = v4("10.1.2.4", 32, 1);
        assert_int_equal(fence_set_add(set, &s, 900), 0);
    }
    assert_true(fence_page_commit(p));
    record_until(p, 0);
    assert_false(fence_page_commit(p));
    /* The race: the fence read seq, then a commit happened before it
     * announced its sleep. Its re-check fails, so it re-reads. */
    seq = fence_page_read(p, &snap);
    record_until(p, 5000);
    fence_page_commit(p);
    assert_false(fence_page_sleep_ok(p, seq, UINT64_MAX));
    page_free(p);
}

/* A writer in another process publishing thousands of times a second:
 * every record the reader gets is whole (all its addresses carry its own
 * deadline), and deadlines never go back. */
static void test_concurrent(void **state)
{
    struct fence_page *p = page_new();
    pid_t pid;
    int status;
    unsigned n_changes = 0;
    uint64_t last = 0;
    (void)state;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint64_t end = vip_now_ms() + 300;
        for (uint64_t k = 1; vip_now_ms() < end; k++) {
            struct fence_set *set = fence_page_begin(p);
            struct ifaddr_spec s = v4("10.0.0.0", 32, 1);
            unsigned n = 1 + (unsigned)(k % 200);
            for (unsigned i = 0; i < n; i++) {
                memcpy(s.addr, &k, 4);
                s.prefix = (uint8_t)(k % 33);
                fence_set_add(set, &s, k + i);
            }
            fence_page_commit(p);
            /* Paced like a (very) busy daemon, so that the reader, which
             * retries whenever a commit lands during its copy, gets
             * through often enough to count. */
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, WNOHANG) == 0) {
        fence_page_read(p, &snap);
        if (snap.until_ms == 0) {
            continue;
        }
        assert_int_equal(snap.n_addrs, 1 + snap.until_ms % 200);
        for (uint32_t i = 0; i < snap.n_addrs; i++) {
            uint32_t k32 = (uint32_t)snap.until_ms;
            assert_memory_equal(snap.addrs[i].addr, &k32, 4);
            assert_int_equal(snap.addrs[i].prefix, snap.until_ms % 33);
            assert_int_equal(snap.addrs[i].until_ms, snap.until_ms + i);
        }
        assert_true(snap.until_ms >= last);
        n_changes += snap.until_ms != last;
        last = snap.until_ms;
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(n_changes > 10);
    page_free(p);
}

/****** The fence process, in a private user + network namespace ******/

static bool has_netns;

static bool enter_namespaces(void)
{
    return private_netns_enter() &&
           system("ip link set lo up >/dev/null 2>&1") == 0;
}

struct proc_fixture
{
    struct fence f;
    struct ifaddr_ctl ia;
    struct ifaddr_spec vip;
    struct ifaddr_spec vip_b; /* a second unit's */
};

static int proc_setup(void **state)
{
    static struct proc_fixture fx;

    if (!has_netns) {
        skip();
    }
    memset(&fx, 0, sizeof fx);
    assert_int_equal(ifaddr_init(&fx.ia), 0);
    fx.vip = v4("10.66.0.100", 32, 1); /* lo is ifindex 1 */
    fx.vip_b = v4("10.66.0.101", 32, 1);
    assert_int_equal(fence_start(&fx.f), 0);
    *state = &fx;
    return 0;
}

static int proc_teardown(void **state)
{
    struct proc_fixture *fx = *state;
    int status;

    if (fx == NULL) {
        return 0;
    }
    fence_stop(&fx->f);
    if (fx->f.pid > 0) {
        kill(fx->f.pid, SIGKILL);
        waitpid(fx->f.pid, &status, 0);
    }
    ifaddr_del(&fx->ia, &fx->vip);
    ifaddr_del(&fx->ia, &fx->vip_b);
    ifaddr_close(&fx->ia);
    return 0;
}

/* Record our VIP until @until, then add it (long kernel lifetime: only the
 * fence can remove it within the test). */
static void hold(struct proc_fixture *fx, uint64_t until)
{
    struct fence_set *set = fence_page_begin(fx->f.page);
    assert_int_equal(fence_set_add(set, &fx->vip, until), 0);
    fence_commit(&fx->f);
    assert_int_equal(ifaddr_add(&fx->ia, &fx->vip, 60), 0);
    assert_int_equal(ifaddr_present(&fx->ia, &fx->vip), 1);
}

/* Poll (1 ms) until @vip is gone or @limit_ms passed; returns when. */
static uint64_t wait_vip_gone(struct proc_fixture *fx,
                              const struct ifaddr_spec *vip,
                              uint64_t limit_ms)
{
    uint64_t end = vip_now_ms() + limit_ms;
    struct timespec ts = {0, 1000000};

    while (vip_now_ms() < end) {
        if (ifaddr_present(&fx->ia, vip) == 0) {
            return vip_now_ms();
        }
        nanosleep(&ts, NULL);
    }
    return 0;
}

static uint64_t wait_gone(struct proc_fixture *fx, uint64_t limit_ms)
{
    return wait_vip_gone(fx, &fx->vip, limit_ms);
}

/* The lease deadline passes with no renewal (this process "stopped"): the
 * fence removes the VIP, not before the deadline. Renewals before it keep
 * the VIP. */
static void test_proc_deadline(void **state)
{
    struct proc_fixture *fx = *state;
    uint64_t until = vip_now_ms() + 150;
    uint64_t gone;

    hold(fx, until);
    /* Renew twice to later deadlines: no wake-up needed, VIP kept. */
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        until = vip_now_ms() + 150;
        hold(fx, until);
    }
    gone = wait_gone(fx, 5000);
    assert_true(gone != 0);
    assert_true(gone >= until);
    assert_true(fence_alive(&fx->f));
}

/* Idle fence, then a short hold: the commit wakes it, so it removes the
 * VIP at this deadline, not at some later wake-up. */
static void test_proc_wakeup(void **state)
{
    struct proc_fixture *fx = *state;
    uint64_t until;
    struct timespec ts = {0, 50 * 1000000L};

    nanosleep(&ts, NULL); /* the fence is asleep with no deadline */
    until = vip_now_ms() + 100;
    hold(fx, until);
    assert_true(wait_gone(fx, 5000) >= until);
}

/* The daemon's end closes (it died): the fence removes the VIP long before
 * its deadline and exits. */
static void test_proc_death(void **state)
{
    struct proc_fixture *fx = *state;
    int status;

    hold(fx, vip_now_ms() + 60000);
    fence_stop(&fx->f);
    assert_true(wait_gone(fx, 5000) != 0);
    assert_int_equal(waitpid(fx->f.pid, &status, 0), fx->f.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fx->f.pid = -1;
}

/* A released VIP (empty record) is not touched at the old deadline. */
static void test_proc_release(void **state)
{
    struct proc_fixture *fx = *state;
    struct timespec ts = {0, 200 * 1000000L};

    hold(fx, vip_now_ms() + 50);
    fence_page_begin(fx->f.page);
    fence_commit(&fx->f);
    /* Left configured on purpose: the fence removes only what is
     * recorded, and the record is empty now. */
    nanosleep(&ts, NULL);
    assert_int_equal(ifaddr_present(&fx->ia, &fx->vip), 1);
}

/* Two units with different deadlines: unit A's address goes at A's
 * deadline while unit B's stays (its deadline is far); then the daemon's
 * end closes and B's goes at once. */
static void test_proc_two_units(void **state)
{
    struct proc_fixture *fx = *state;
    uint64_t until_a = vip_now_ms() + 150;
    uint64_t until_b = vip_now_ms() + 60000;
    struct fence_set *set = fence_page_begin(fx->f.page);
    uint64_t gone;
    int status;

    assert_int_equal(fence_set_add(set, &fx->vip, until_a), 0);
    assert_int_equal(fence_set_add(set, &fx->vip_b, until_b), 0);
    fence_commit(&fx->f);
    assert_int_equal(ifaddr_add(&fx->ia, &fx->vip, 60), 0);
    assert_int_equal(ifaddr_add(&fx->ia, &fx->vip_b, 60), 0);
    gone = wait_vip_gone(fx, &fx->vip, 5000);
    assert_true(gone != 0);
    assert_true(gone >= until_a);
    /* The fence acted on A and went back to sleep toward B's deadline:
     * B is still configured, and stays. */
    assert_int_equal(ifaddr_present(&fx->ia, &fx->vip_b), 1);
    while (atomic_load(&fx->f.page->wait_until) != until_b) {
        struct timespec ts = {0, 1000000};
        assert_true(vip_now_ms() < until_a + 5000);
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ifaddr_present(&fx->ia, &fx->vip_b), 1);
    /* The daemon dies: B goes long before its deadline. */
    fence_stop(&fx->f);
    gone = wait_vip_gone(fx, &fx->vip_b, 5000);
    assert_true(gone != 0 && gone < until_b);
    assert_int_equal(waitpid(fx->f.pid, &status, 0), fx->f.pid);
    fx->f.pid = -1;
}

/* The fence killed: the daemon's side sees it at once. */
static void test_proc_fence_killed(void **state)
{
    struct proc_fixture *fx = *state;
    int status;

    assert_true(fence_alive(&fx->f));
    kill(fx->f.pid, SIGKILL);
    waitpid(fx->f.pid, &status, 0);
    fx->f.pid = -1;
    assert_false(fence_alive(&fx->f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_add_invalid),
        cmocka_unit_test(test_frozen_writer),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_wake),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test_setup_teardown(test_proc_deadline, proc_setup,
                                        proc_teardown),
        cmocka_unit_test_setup_teardown(test_proc_wakeup, proc_setup,
                                        proc_teardown),
        cmocka_unit_test_setup_teardown(test_proc_death, proc_setup,
                                        proc_teardown),
        cmocka_unit_test_setup_teardown(test_proc_release, proc_setup,
                                        proc_teardown),
        cmocka_unit_test_setup_teardown(test_proc_fence_killed, proc_setup,
                                        proc_teardown),
        cmocka_unit_test_setup_teardown(test_proc_two_units, proc_setup,
                                        proc_teardown),
    };

    vip_log_level = LOG_ERR;
    has_netns = enter_namespaces();
    if (!has_netns) {
        printf("note: no private user+network namespace: process cases "
               "skipped\n");
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
