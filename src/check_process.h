/* vrrp_track_process: count the running processes that match each
 * configured pattern, from the kernel's process events connector
 * (netlink, NETLINK_CONNECTOR / CN_IDX_PROC: fork, exec, comm change,
 * exit), after one scan of /proc at start. No polling, no fork.
 *
 * A watch is healthy while its count is within [quorum, quorum_max]; a
 * change of state is reported at once, except that a quorum lost waits
 * terminate_delay and a quorum gained by a fork waits fork_delay (the
 * state is decided again when the delay ends, so a restart within it is
 * not reported at all).
 *
 * The connector exists only in the initial network namespace: when vipd
 * runs in another one, the socket is opened there (through
 * /proc/1/ns/net, which needs CAP_SYS_ADMIN) and used from here. If it
 * cannot be opened, every watch is reported failed once: vipd does not
 * vouch for what it cannot observe. Threads are ignored (only thread
 * group leaders are processes); zombies do not count. If the kernel drops
 * events (ENOBUFS), /proc is scanned again. */
#ifndef VIPD_SRC_CHECK_PROCESS_H
#define VIPD_SRC_CHECK_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "vipd/config.h"
#include "vipd/error.h"

struct proc_mon;

/* Watch @index became healthy (@ok) or not; also the first state. */
typedef void (*proc_mon_cb)(void *data, size_t index, bool ok);
typedef void (*proc_mon_close_cb)(struct proc_mon *pm);

struct proc_watch
{
    struct proc_mon *pm;
    const struct cfg_track_process *cfg;
    uint32_t count;   /* matching live processes */
    int reported;     /* -1 none yet, else 0 / 1 */
    bool has_timer;
    uv_timer_t timer; /* a delayed decision */
};

struct proc_match
{
    pid_t pid;
    size_t watch;
};

struct proc_mon
{
    uv_loop_t *loop;
    struct proc_watch *watches;
    size_t n_watches;
    struct proc_match *matches; /* (pid, watch) pairs currently counted */
    size_t n_matches, cap_matches;
    int fd;
    bool has_poll;
    uv_poll_t poll;
    proc_mon_cb cb;
    void *data;
    unsigned n_closing;
    proc_mon_close_cb close_cb;
    uint64_t n_events;  /* connector messages handled */
    uint64_t n_rescans; /* full /proc scans after lost events */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* One watch per entry of @tps (which must outlive @pm). No I/O. */
int proc_mon_init(struct proc_mon *pm,
                  uv_loop_t *loop,
                  const struct cfg_track_process *const *tps,
                  size_t n,
                  proc_mon_cb cb,
                  void *data);

/* Subscribe to process events, scan /proc, report every watch's first
 * state. Returns 0, or an error (message in @pm->errmsg) after reporting
 * every watch failed. */
int proc_mon_start(struct proc_mon *pm);

/* Does process @pid match @tp now? (Reads /proc/PID/comm or cmdline.) */
bool proc_mon_matches(const struct cfg_track_process *tp, pid_t pid);

/* The network namespace vipd was started in, when it moved itself into
 * another (global_defs net_namespace; src/vipd.c): an fd of it, used
 * (not owned) to reach the connector there. -1: none. Process-wide,
 * because the namespace is. */
void proc_mon_set_home_netns(int fd);

/* Close the socket and timers; @cb runs once all are closed. */
void proc_mon_close(struct proc_mon *pm, proc_mon_close_cb cb);

#endif /* VIPD_SRC_CHECK_PROCESS_H */
