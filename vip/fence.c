/* The fence process: fork, its loop, and the daemon's side of the socket
 * pair (see vip/fence.h for the design and the faults it covers). */
#include "vip/fence.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vipd/clock.h"
#include "vipd/log.h"

/* A removal that failed (netlink buffer full, kernel busy) is retried
 * this often until it succeeds. */
#define FENCE_RETRY_MS 20

/****** The fence's side (runs in the child only) ******/

/* Remove the addresses of @set that are due at @now_ms per @pr (every
 * one if @pr is NULL); returns how many could not be removed, and in
 * *@n_due how many were due and in *@first_ms the earliest deadline among
 * them. */
static unsigned remove_set(struct ifaddr_ctl *ia,
                           const struct fence_set *set,
                           const struct fence_progress *pr,
                           uint64_t now_ms,
                           unsigned *n_due,
                           uint64_t *first_ms)
{
    unsigned n_failed = 0;

    *n_due = 0;
    *first_ms = UINT64_MAX;
    for (uint32_t i = 0; i < set->n_addrs; i++) {
        const struct fence_addr *a = &set->addrs[i];
        struct ifaddr_spec s;
        if (pr != NULL && !fence_addr_due(a, pr, now_ms)) {
            continue;
        }
        (*n_due)++;
        if (a->until_ms < *first_ms) {
            *first_ms = a->until_ms;
        }
        memset(&s, 0, sizeof s);
        s.ifindex = a->ifindex;
        s.family = a->family;
        s.prefix = a->prefix;
        memcpy(s.addr, a->addr, sizeof s.addr);
        if (ifaddr_del(ia, &s) != 0) {
            n_failed++;
        }
    }
    return n_failed;
}

/* Sleep until @wake_ms (UINT64_MAX: no deadline) or an event on @fd.
 * Returns 1 if the daemon's end is closed, else 0. */
static int wait_event(int fd, uint64_t wake_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    struct timespec ts, *tp = NULL;
    char buf[64];

    if (wake_ms != UINT64_MAX) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left_ns = (int64_t)(wake_ms * 1000000u) -
                          ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
        if (left_ns < 0) {
            left_ns = 0;
        }
        ts.tv_sec = left_ns / 1000000000;
        ts.tv_nsec = left_ns % 1000000000;
        tp = &ts;
    }
    if (ppoll(&pfd, 1, tp, NULL) <= 0) {
        return 0; /* timeout or EINTR: the caller re-reads the page */
    }
    if (pfd.revents & (POLLHUP | POLLERR)) {
        return 1;
    }
    /* Drain the wake-up bytes; 0 bytes is end of file. */
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) {
            return 1;
        }
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR ? 0 : 1;
        }
    }
}

static void fence_child_setup(void)
{
    int fd;

    prctl(PR_SET_NAME, "vipd-fence", 0, 0, 0);
    /* Out of the daemon's process group: a group SIGSTOP or SIGKILL (a
     * terminal's job control, `kill -- -PGID`) must not reach the fence. */
    setsid();
    /* Only the daemon's end closing ends the fence: systemd signals the
     * whole cgroup on stop, and the daemon releases by itself then. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* The OOM killer must take the daemon (which the fence covers), not
     * the fence. Needs CAP_SYS_RESOURCE; without it, the fence's tiny size
     * makes it the last candidate anyway. */
    fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "-1000", 5) != 5) {
            vip_debug("fence: oom_score_adj: %s", strerror(errno));
        }
        close(fd);
    }
}

/* The fence's loop; returns the exit status. */
static int fence_child_run(struct fence_page *p, int fd)
{
    struct ifaddr_ctl ia;
    static struct fence_set snap; /* 32 kB: not on the stack */
    struct fence_progress pr;
    unsigned n_due, n_failed;
    uint64_t first_ms;
    int rv;

    rv = ifaddr_init(&ia);
    if (rv != 0) {
        vip_err("fence: %s: exiting (the daemon will stop)", ia.errmsg);
        return 1;
    }
    fence_progress_init(&pr);
    for (;;) {
        uint64_t seq = fence_page_read(p, &snap);
        uint64_t now = vip_now_ms();
        uint64_t wake_ms;

        if (fence_decide(&snap, seq, &pr, now, &wake_ms)) {
            n_failed = remove_set(&ia, &snap, &pr, now, &n_due, &first_ms);
            if (n_failed == 0) {
                fence_progress_done(&pr, now);
                vip_warn("fence: lease over: %u VIPs removed (%llu ms after "
                         "the deadline)",
                         n_due, (unsigned long long)(now - first_ms));
            } else {
                /* Still due: the next pass retries them. */
                uint64_t retry_ms = vip_now_ms() + FENCE_RETRY_MS;
                if (retry_ms < wake_ms) {
                    wake_ms = retry_ms;
                }
                vip_err("fence: lease over: %u of %u VIPs not removed: %s; "
                        "retrying",
                        n_failed, n_due, ia.errmsg);
            }
        }
        if (!fence_page_sleep_ok(p, seq, wake_ms)) {
            continue;
        }
        if (wait_event(fd, wake_ms)) {
            break;
        }
    }
    /* The daemon is gone: whatever it recorded may still be configured,
     * whatever its deadline. */
    fence_page_read(p, &snap);
    if (snap.n_addrs > 0) {
        int tries = 0;
        while ((n_failed = remove_set(&ia, &snap, NULL, 0, &n_due,
                                      &first_ms)) != 0 &&
               ++tries < 50) {
            struct timespec ts = {0, FENCE_RETRY_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (n_failed == 0) {
            vip_warn("fence: the daemon is gone: %u VIPs removed",
                     snap.n_addrs);
        } else {
            vip_err("fence: the daemon is gone: %u of %u VIPs not removed: "
                    "%s",
                    n_failed, snap.n_addrs, ia.errmsg);
        }
    }
    ifaddr_close(&ia);
    return 0;
}

/****** The daemon's side ******/

int fence_start(struct fence *f)
{
    int sv[2];
    pid_t pid;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->page = mmap(NULL, sizeof *f->page, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (f->page == MAP_FAILED) {
        f->page = NULL;
        errmsg_printf(f->errmsg, "fence: mmap: %s", strerror(errno));
        return VIP_ENOMEM;
    }
    fence_page_init(f->page);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        errmsg_printf(f->errmsg, "fence: socketpair: %s", strerror(errno));
        goto err_after_mmap;
    }
    /* Buffered log lines must not be written twice. */
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        errmsg_printf(f->errmsg, "fence: fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        goto err_after_mmap;
    }
    if (pid == 0) {
        close(sv[0]);
        /* Nothing else of the daemon's: its descriptors would keep files
         * and sockets open for as long as the fence lives. */
        if (sv[1] != 3) {
            dup2(sv[1], 3);
            close(sv[1]);
        }
        close_range(4, ~0U, 0);
        fence_child_setup();
        _exit(fence_child_run(f->page, 3));
    }
    close(sv[1]);
    f->pid = pid;
    f->fd = sv[0];
    vip_info("fence: process %d watches the lease", (int)pid);
    return 0;
err_after_mmap:
    munmap(f->page, sizeof *f->page);
    f->page = NULL;
    return VIP_EINVAL;
}

bool fence_alive(struct fence *f)
{
    struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
    char c;

    if (f->fd < 0) {
        return false;
    }
    if (poll(&pfd, 1, 0) <= 0) {
        return true; /* nothing to read: the fence's end is open */
    }
    /* The fence never writes: readable means closed (or an error). */
    return recv(f->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) > 0;
}

void fence_commit(struct fence *f)
{
    if (fence_page_commit(f->page) && f->fd >= 0) {
        /* Non-blocking: a full buffer means a wake-up is pending anyway. */
        (void)send(f->fd, "w", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
}

void fence_stop(struct fence *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->page != NULL) {
        munmap(f->page, sizeof *f->page);
        f->page = NULL;
    }
}
