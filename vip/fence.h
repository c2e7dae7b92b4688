/* The fence: a small process of its own that removes the VIPs when the
 * daemon can no longer be trusted to, whatever state its event loop is in.
 *
 * Why: the lease (raft/lease.h) ends at until_ms = t_send + L, before any
 * successor can be elected (t_send + T, L < T). The manager enforces it
 * with a timer in the daemon's loop, which does nothing while the daemon
 * is killed, stopped or blocked (libraft's io_submit on a frozen file
 * system blocks the loop thread for seconds). The kernel address lifetime
 * is whole seconds and expired after the successor took over (overlaps of
 * 110-314 ms measured). The fence closes that gap.
 *
 * How: fence_start() forks the fence before the daemon opens anything. The
 * two share one anonymous MAP_SHARED mapping (struct fence_page) and a
 * socket pair. The daemon's manager records, through fence_page_begin/
 * fence_set_add/fence_page_commit, every address it may have configured,
 * each with its own deadline (CLOCK_MONOTONIC ms, vip_now_ms()): the lease
 * end of the unit it belongs to (vip/manager.h: units are held and
 * released apart, each under its own lease). It records BEFORE adding an
 * address and AFTER removing one, so the record always covers what is on
 * the interfaces. The fence sleeps (ppoll on its end of the socket pair)
 * until the earliest deadline it has not enforced yet, re-reads the
 * record, and removes through its own rtnetlink socket every address whose
 * deadline has passed (fence_decide(), fence_addr_due()); the others stay
 * until theirs. So one unit's lease running out takes only that unit's
 * addresses. When the daemon's end closes (the daemon died, however) it
 * removes every recorded address at once, whatever its deadline, and
 * exits. A renewal only moves deadlines later, so it needs no wake-up: the
 * fence wakes at the old deadline, sees the new one and sleeps again (one
 * wake-up per deadline it finds, 3.6/s measured at L = 350 ms while
 * holding one unit; none otherwise); the daemon sends a byte only when the
 * earliest deadline of the new record is earlier than the one the fence
 * sleeps toward (fence_page_commit() says when).
 *
 * The page is a double-buffered sequence latch: the daemon (sole writer)
 * fills the set that is not published, then publishes it by bumping
 * `seq`; the fence copies the published set and keeps the copy only if
 * `seq` did not move meanwhile. A daemon frozen or killed in the middle of
 * an update leaves the published set intact, so the fence never waits for
 * the writer and never acts on a torn record.
 *
 * The daemon watches its end of the socket pair (manager_set_fence()): a
 * dead fence makes the manager remove the VIPs and refuse every later hold,
 * and the daemon shuts down cleanly with exit status 1 (hand-over, then
 * systemd's Restart=on-failure starts a new daemon with a new fence). We do
 * not respawn: a fork of the running daemon would copy its whole heap and
 * descriptors, and a fence that died once (OOM, a bug) is better not
 * trusted silently.
 *
 * The fence calls setsid(): a signal to the daemon's process group (a
 * terminal's Ctrl-Z, `kill -STOP -- -PGID`) does not reach it. It ignores
 * SIGTERM/SIGINT/SIGHUP (systemd signals the whole cgroup on stop: the
 * fence must outlive the daemon's own clean release), and lowers its OOM
 * score to -1000 where allowed (CAP_SYS_RESOURCE; else it stays tiny and is
 * the last candidate anyway).
 *
 * What each fault leaves (T = election timeout, L = 0.8 T - heartbeat):
 *   SIGKILL of the daemon: the kernel closes its socket end; the fence
 *     wakes at once and removes the VIPs (well before T), then exits.
 *   OOM kill of the daemon: the same as SIGKILL.
 *   OOM kill (or SIGKILL) of the fence: the daemon's loop sees the socket
 *     close, removes the VIPs, refuses to hold and shuts down (exit 1). If
 *     the daemon is itself frozen at that moment, the kernel lifetime is
 *     the last line (two faults).
 *   SIGSTOP of the daemon: the fence runs on and removes each unit's
 *     VIPs at that unit's lease deadline; on SIGCONT the manager finds
 *     the lease over and drops too (raft/lease.h) before it sends
 *     anything.
 *   SIGSTOP of the whole process group: the fence is in its own session,
 *     so this is the case above. A cgroup freeze (systemctl freeze,
 *     `docker pause`) stops both: then only the kernel lifetime remains.
 *   SIGSTOP of the fence alone: nothing while the daemon runs (it cannot
 *     tell a stopped fence from a sleeping one); a second fault meanwhile
 *     falls back to the kernel lifetime.
 *   Blocked loop / disk stall (a write or fsync that blocks the loop
 *     thread): the fence touches no disk and runs on: VIPs removed at the
 *     lease deadline; the daemon drops them too once its loop runs again.
 *   Host crash: nothing is left; the addresses die with the host.
 *   SIGTERM: the daemon releases (removes, then records the empty set),
 *     hands over and exits; the fence finds nothing to remove and exits.
 *   Memory pressure / a fence scheduled late: the fence acts late by that
 *     much; the margin is T - L (>= 20 % of T) plus the election itself.
 * The kernel lifetime (vip/ifaddr.h) stays as the last line in every case.
 */
#ifndef VIPD_VIP_FENCE_H
#define VIPD_VIP_FENCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vip/ifaddr.h"
#include "vipd/error.h"

/* More VIPs than this (over all units) cannot be fenced:
 * manager_set_fence() refuses. */
#define FENCE_MAX_ADDRS 1024

/* One recorded address: what rtnetlink needs to delete it, and when. */
struct fence_addr
{
    uint64_t until_ms; /* its deadline (its unit's lease end), > 0 */
    int32_t ifindex;
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t prefix;
    uint8_t pad[2];
    uint8_t addr[16]; /* network order */
};

/* One record: the addresses that may be configured, each until its own
 * deadline. */
struct fence_set
{
    uint64_t until_ms; /* the earliest deadline of addrs; 0: none (empty) */
    uint32_t n_addrs;
    uint32_t pad;
    struct fence_addr addrs[FENCE_MAX_ADDRS];
};

/* The shared page(s). Written by the daemon, read by the fence, except
 * wait_until, written by the fence. */
struct fence_page
{
    _Atomic uint64_t seq;        /* the published set is sets[seq & 1] */
    _Atomic uint64_t wait_until; /* the deadline the fence sleeps toward;
                                    UINT64_MAX: none (it sleeps until woken) */
    struct fence_set sets[2];
};

/****** The shared-page protocol (no I/O; tests/unit/test_fence.c) ******/

/* Make @p empty: nothing held, the fence not waiting for anything. */
void fence_page_init(struct fence_page *p);

/* Writer: start a new record. Returns the unpublished set, emptied; fill
 * it with fence_set_add(), then fence_page_commit(). */
struct fence_set *fence_page_begin(struct fence_page *p);

/* Writer: append @s, configured until @until_ms, to @set. Returns 0,
 * VIP_EINVAL (not IPv4/IPv6, prefix too long, no interface, deadline 0) or
 * VIP_ERANGE (FENCE_MAX_ADDRS reached). */
int fence_set_add(struct fence_set *set,
                  const struct ifaddr_spec *s,
                  uint64_t until_ms);

/* Writer: publish the set of fence_page_begin() (empty: nothing held).
 * Returns true when the fence must be woken: the set's earliest deadline
 * is earlier than the one the fence sleeps toward. */
bool fence_page_commit(struct fence_page *p);

/* Reader: copy the published set into @out (consistent, never torn; does
 * not wait for a writer frozen mid-update). Returns its sequence number. */
uint64_t fence_page_read(struct fence_page *p, struct fence_set *out);

/* Reader: what the fence has enforced of the record it read last. */
struct fence_progress
{
    uint64_t seq;     /* that record's sequence; UINT64_MAX: none yet */
    uint64_t done_ms; /* its addresses with a deadline <= done_ms were
                         removed */
};

/* Reader: nothing read, nothing enforced yet. */
void fence_progress_init(struct fence_progress *pr);

/* Reader: what the fence does with a record read at sequence @seq, at
 * @now_ms. A record with a new sequence starts with nothing enforced
 * (@pr reset). Returns true if some of @set's addresses are due now (see
 * fence_addr_due()); stores in @wake_ms the earliest deadline after
 * @now_ms of the others (UINT64_MAX: none, sleep until woken). */
bool fence_decide(const struct fence_set *set,
                  uint64_t seq,
                  struct fence_progress *pr,
                  uint64_t now_ms,
                  uint64_t *wake_ms);

/* Reader: whether @a must be removed at @now_ms: its deadline passed and
 * @pr does not say it was removed already. */
bool fence_addr_due(const struct fence_addr *a,
                    const struct fence_progress *pr,
                    uint64_t now_ms);

/* Reader: every address due at @now_ms was removed. (After a failed
 * removal, do not call it: they stay due and are retried.) */
void fence_progress_done(struct fence_progress *pr, uint64_t now_ms);

/* Reader: announce the deadline the fence is about to sleep toward, then
 * return whether @seq is still the published sequence (if not, re-read:
 * a commit raced with us and may not have woken us). */
bool fence_page_sleep_ok(struct fence_page *p, uint64_t seq, uint64_t wake_ms);

/****** The process ******/

struct fence
{
    struct fence_page *page; /* NULL: no fence */
    pid_t pid;
    int fd; /* the daemon's end of the socket pair; -1: none */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Fork the fence process (prctl name "vipd-fence"). Call once, before the
 * daemon opens sockets or starts threads: the child keeps only its socket
 * end and stderr. Returns 0, or VIP_ENOMEM / VIP_EINVAL with @f->errmsg;
 * on success the fence runs until fence_stop() or the caller's death. */
int fence_start(struct fence *f);

/* Whether the fence is still there (its socket end open). Non-blocking;
 * call before recording a hold. */
bool fence_alive(struct fence *f);

/* Record: the writer calls fence_page_begin()/fence_set_add() on
 * @f->page, then this, which publishes and wakes the fence if needed. */
void fence_commit(struct fence *f);

/* Close our end (the fence removes what is still recorded and exits) and
 * unmap the page. Does not wait for the fence. Idempotent. */
void fence_stop(struct fence *f);

#endif /* VIPD_VIP_FENCE_H */
