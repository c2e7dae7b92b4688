/* vrrp_track_process from the process events connector (see
 * src/check_process.h for the rules). */
#include "src/check_process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vipd/log.h"

#define CMDLINE_MAX 4096

/****** Matching ******/

/* Read /proc/PID/NAME into @buf; returns the length, or -1. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) {
        return -1;
    }
    buf[n] = '\0';
    return n;
}

/* A zombie has exited: it does not count (keepalived, unlike pgrep). */
static bool is_zombie(pid_t pid)
{
    char buf[512];
    if (read_proc(pid, "stat", buf, sizeof buf) < 0) {
        return true;
    }
    const char *close_paren = strrchr(buf, ')');
    return close_paren == NULL || close_paren[1] != ' ' ||
           close_paren[2] == 'Z' || close_paren[2] == 'X';
}

static bool match_cmdline(const struct cfg_track_process *tp, pid_t pid)
{
    char buf[CMDLINE_MAX];
    ssize_t n = read_proc(pid, "cmdline", buf, sizeof buf);
    if (n <= 0) {
        return false; /* kernel threads have none */
    }
    /* argv[] as NUL-separated words. */
    const char *argv[64];
    size_t argc = 0;
    for (ssize_t i = 0; i < n && argc < 64;) {
        argv[argc++] = buf + i;
        i += (ssize_t)strlen(buf + i) + 1;
    }
    if (tp->full_command && tp->argc == 1 && !tp->param_match_given) {
        /* pgrep -fx: the whole line, words joined by spaces. */
        size_t pos = 0;
        const char *want = tp->argv[0];
        for (size_t i = 0; i < argc; i++) {
            size_t len = strlen(argv[i]);
            if (i > 0 && want[pos++] != ' ') {
                return false;
            }
            if (strncmp(want + pos, argv[i], len) != 0) {
                return false;
            }
            pos += len;
        }
        return want[pos] == '\0';
    }
    const char *want = tp->argv[0];
    const char *base = strrchr(argv[0], '/');
    if (strcmp(argv[0], want) != 0 &&
        (strchr(want, '/') != NULL || base == NULL ||
         strcmp(base + 1, want) != 0)) {
        return false;
    }
    size_t n_params = tp->argc - 1, have = argc - 1;
    if (n_params == 0 && tp->param_match_given) {
        return have == 0; /* keepalived: param_match alone, no parameters */
    }
    if (have < n_params ||
        (have > n_params && tp->param_match == CFG_PARAM_EXACT)) {
        return false;
    }
    for (size_t i = 0; i < n_params; i++) {
        const char *param = tp->argv[i + 1];
        bool prefix = i + 1 == n_params && tp->param_match == CFG_PARAM_INITIAL;
        if (prefix ? strncmp(argv[i + 1], param, strlen(param)) != 0
                   : strcmp(argv[i + 1], param) != 0) {
            return false;
        }
    }
    return true;
}

bool proc_mon_matches(const struct cfg_track_process *tp, pid_t pid)
{
    bool match;
    if (tp->by_cmdline) {
        match = match_cmdline(tp, pid);
    } else {
        /* comm holds at most 15 characters (TASK_COMM_LEN - 1). */
        char comm[64];
        ssize_t n = read_proc(pid, "comm", comm, sizeof comm);
        if (n <= 0) {
            return false;
        }
        if (comm[n - 1] == '\n') {
            comm[n - 1] = '\0';
        }
        match = strncmp(comm, tp->argv[0], 15) == 0 &&
                (strlen(tp->argv[0]) >= 15 ? strlen(comm) == 15
                                           : comm[strlen(tp->argv[0])] == '\0');
    }
    return match && !is_zombie(pid);
}

/****** Counting and reporting ******/

static bool watch_ok(const struct proc_watch *w)
{
    return w->count >= w->cfg->quorum && w->count <= w->cfg->quorum_max;
}

static void report(struct proc_watch *w, bool ok)
{
    struct proc_mon *pm = w->pm;
    if (w->reported == (int)ok) {
        return;
    }
    w->reported = ok;
    if (pm->cb != NULL && pm->close_cb == NULL) {
        pm->cb(pm->data, (size_t)(w - pm->watches), ok);
    }
}

static void delay_cb(uv_timer_t *t)
{
    struct proc_watch *w = t->data;
    report(w, watch_ok(w));
}

/* The count of @w changed (@by_fork: a process was added by a fork). */
static void decide(struct proc_watch *w, bool by_fork)
{
    bool ok = watch_ok(w);
    if (w->reported == (int)ok) {
        uv_timer_stop(&w->timer); /* a bounce inside the delay */
        return;
    }
    uint32_t delay = w->reported < 0 ? 0
                     : ok            ? (by_fork ? w->cfg->fork_delay_ms : 0)
                                     : w->cfg->terminate_delay_ms;
    if (delay == 0) {
        uv_timer_stop(&w->timer);
        report(w, ok);
    } else if (!uv_is_active((uv_handle_t *)&w->timer)) {
        uv_timer_start(&w->timer, delay_cb, delay, 0);
    }
}

static bool match_add(struct proc_mon *pm, pid_t pid, size_t watch)
{
    for (size_t i = 0; i < pm->n_matches; i++) {
        if (pm->matches[i].pid == pid && pm->matches[i].watch == watch) {
            return false;
        }
    }
    if (pm->n_matches == pm->cap_matches) {
        size_t cap = pm->cap_matches ? pm->cap_matches * 2 : 16;
        struct proc_match *m = realloc(pm->matches, cap * sizeof *m);
        if (m == NULL) {
            return false; /* not counted: errs towards "not running" */
        }
        pm->matches = m;
        pm->cap_matches = cap;
    }
    pm->matches[pm->n_matches].pid = pid;
    pm->matches[pm->n_matches].watch = watch;
    pm->n_matches++;
    pm->watches[watch].count++;
    return true;
}

/* Forget @pid everywhere; mark the watches it counted in @touched. */
static void match_remove(struct proc_mon *pm, pid_t pid, bool *touched)
{
    for (size_t i = 0; i < pm->n_matches;) {
        if (pm->matches[i].pid == pid) {
            size_t w = pm->matches[i].watch;
            pm->watches[w].count--;
            touched[w] = true;
            pm->matches[i] = pm->matches[--pm->n_matches];
        } else {
            i++;
        }
    }
}

/* @pid is (now) this program: count it where it matches. */
static void classify(struct proc_mon *pm, pid_t pid, bool *touched)
{
    for (size_t w = 0; w < pm->n_watches; w++) {
        if (proc_mon_matches(pm->watches[w].cfg, pid) &&
            match_add(pm, pid, w)) {
            touched[w] = true;
        }
    }
}

static void scan_proc(struct proc_mon *pm)
{
    DIR *d = opendir("/proc");
    bool *touched = calloc(pm->n_watches, sizeof *touched);

    pm->n_matches = 0;
    for (size_t w = 0; w < pm->n_watches; w++) {
        pm->watches[w].count = 0;
    }
    if (d != NULL && touched != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (isdigit((unsigned char)e->d_name[0])) {
                classify(pm, (pid_t)atoi(e->d_name), touched);
            }
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    free(touched);
    for (size_t w = 0; w < pm->n_watches; w++) {
        decide(&pm->watches[w], false);
    }
}

/****** The connector ******/

static void handle_event(struct proc_mon *pm, const struct proc_event *ev)
{
    bool fixed[64];
    bool *touched = pm->n_watches <= 64 ? fixed
                                         : calloc(pm->n_watches, sizeof *touched);
    bool by_fork = false;

    if (touched == NULL) {
        return; /* out of memory: the next rescan repairs the counts */
    }
    memset(touched, 0, pm->n_watches * sizeof *touched);
    switch (ev->what) {
    case PROC_EVENT_FORK: {
        pid_t child = ev->event_data.fork.child_pid;
        if (child != ev->event_data.fork.child_tgid) {
            goto out; /* a new thread */
        }
        /* The child runs the parent's program until it execs. */
        pid_t parent = ev->event_data.fork.parent_tgid;
        for (size_t i = 0, n = pm->n_matches; i < n; i++) {
            size_t w = pm->matches[i].watch;
            if (pm->matches[i].pid == parent && match_add(pm, child, w)) {
                touched[w] = true;
            }
        }
        by_fork = true;
        break;
    }
    case PROC_EVENT_EXEC:
        match_remove(pm, ev->event_data.exec.process_pid, touched);
        classify(pm, ev->event_data.exec.process_pid, touched);
        break;
    case PROC_EVENT_COMM:
        if (ev->event_data.comm.process_pid !=
            ev->event_data.comm.process_tgid) {
            goto out;
        }
        match_remove(pm, ev->event_data.comm.process_pid, touched);
        classify(pm, ev->event_data.comm.process_pid, touched);
        break;
    case PROC_EVENT_EXIT:
        if (ev->event_data.exit.process_pid !=
            ev->event_data.exit.process_tgid) {
            goto out;
        }
        match_remove(pm, ev->event_data.exit.process_pid, touched);
        break;
    default:
        goto out;
    }
    for (size_t w = 0; w < pm->n_watches; w++) {
        if (touched[w]) {
            decide(&pm->watches[w], by_fork);
        }
    }
out:
    if (touched != fixed) {
        free(touched);
    }
}

static void poll_cb(uv_poll_t *poll, int status, int events)
{
    struct proc_mon *pm = poll->data;
    union
    {
        struct nlmsghdr align;
        uint8_t buf[8192];
    } u;
    (void)events;

    if (status < 0) {
        return;
    }
    for (int round = 0; round < 64; round++) {
        ssize_t n = recv(pm->fd, u.buf, sizeof u.buf, 0);
        if (n < 0) {
            if (errno == ENOBUFS) {
                /* Events were lost: count from scratch. */
                pm->n_rescans++;
                scan_proc(pm);
                continue;
            }
            return; /* EAGAIN: drained */
        }
        for (struct nlmsghdr *h = &u.align; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            const struct cn_msg *cn = NLMSG_DATA(h);
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof *cn) ||
                cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
                h->nlmsg_len <
                    NLMSG_LENGTH(sizeof *cn + sizeof(struct proc_event))) {
                continue;
            }
            /* cn->data sits at offset 36: copy to align the event. */
            struct proc_event ev;
            memset(&ev, 0, sizeof ev);
            memcpy(&ev, cn->data,
                   cn->len < sizeof ev ? cn->len : sizeof ev);
            pm->n_events++;
            handle_event(pm, &ev);
        }
    }
}

/* Socket, bind and PROC_CN_MCAST_LISTEN in the current network namespace;
 * returns the fd or -errno. */
static int connector_open_here(void)
{
    int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_CONNECTOR);
    if (fd < 0) {
        return -errno;
    }
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
                             .nl_groups = CN_IDX_PROC};
    struct
    {
        struct nlmsghdr nl;
        struct cn_msg cn;
        enum proc_cn_mcast_op op;
    } __attribute__((packed)) msg;
    memset(&msg, 0, sizeof msg);
    msg.nl.nlmsg_len = sizeof msg;
    msg.nl.nlmsg_type = NLMSG_DONE;
    msg.cn.id.idx = CN_IDX_PROC;
    msg.cn.id.val = CN_VAL_PROC;
    msg.cn.len = sizeof msg.op;
    msg.op = PROC_CN_MCAST_LISTEN;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, &msg, sizeof msg, 0) < 0) {
        int rv = -errno;
        close(fd);
        return rv;
    }
    return fd;
}

static int home_netns = -1;

void proc_mon_set_home_netns(int fd)
{
    home_netns = fd;
}

/* The connector lives in the initial network namespace only: open the
 * socket there (or in the namespace vipd started in, if it moved itself:
 * in a container the initial one is out of reach) and come back (this
 * thread only; vipd's loop thread). */
static int connector_open(char *errmsg)
{
    int fd = connector_open_here();
    if (fd >= 0 || fd != -ECONNREFUSED) {
        if (fd < 0) {
            errmsg_printf(errmsg, "process events connector: %s",
                          strerror(-fd));
        }
        return fd;
    }
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int init = home_netns >= 0 ? dup(home_netns)
                               : open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0 || init < 0 || setns(init, CLONE_NEWNET) != 0) {
        fd = -errno;
        errmsg_printf(errmsg,
                      "process events connector: not in this network "
                      "namespace, and the initial one is out of reach: %s",
                      strerror(errno));
    } else {
        fd = connector_open_here();
        if (setns(self, CLONE_NEWNET) != 0) {
            /* Staying in the wrong namespace would be far worse. */
            vip_err("check_process: cannot return to vipd's network "
                    "namespace: %s",
                    strerror(errno));
            abort();
        }
        if (fd < 0) {
            errmsg_printf(errmsg, "process events connector: %s",
                          strerror(-fd));
        }
    }
    if (self >= 0) {
        close(self);
    }
    if (init >= 0) {
        close(init);
    }
    return fd;
}

/****** Lifecycle ******/

int proc_mon_init(struct proc_mon *pm,
                  uv_loop_t *loop,
                  const struct cfg_track_process *const *tps,
                  size_t n,
                  proc_mon_cb cb,
                  void *data)
{
    memset(pm, 0, sizeof *pm);
    pm->loop = loop;
    pm->fd = -1;
    pm->cb = cb;
    pm->data = data;
    if (n == 0) {
        return 0;
    }
    pm->watches = calloc(n, sizeof *pm->watches);
    if (pm->watches == NULL) {
        return VIP_ENOMEM;
    }
    pm->n_watches = n;
    for (size_t i = 0; i < n; i++) {
        pm->watches[i].pm = pm;
        pm->watches[i].cfg = tps[i];
        pm->watches[i].reported = -1;
    }
    return 0;
}

int proc_mon_start(struct proc_mon *pm)
{
    if (pm->n_watches == 0) {
        return 0;
    }
    for (size_t i = 0; i < pm->n_watches; i++) {
        uv_timer_init(pm->loop, &pm->watches[i].timer);
        pm->watches[i].timer.data = &pm->watches[i];
        pm->watches[i].has_timer = true;
    }
    /* Subscribe first, then scan: a process started in between is seen
     * by both, and counted once (match_add ignores duplicates). */
    int fd = connector_open(pm->errmsg);
    if (fd < 0) {
        for (size_t i = 0; i < pm->n_watches; i++) {
            report(&pm->watches[i], false);
        }
        return fd;
    }
    pm->fd = fd;
    int rv = uv_poll_init_socket(pm->loop, &pm->poll, fd);
    if (rv == 0) {
        pm->has_poll = true;
        pm->poll.data = pm;
        rv = uv_poll_start(&pm->poll, UV_READABLE, poll_cb);
    }
    if (rv != 0) {
        errmsg_printf(pm->errmsg, "process events: uv_poll: %s",
                      uv_strerror(rv));
        for (size_t i = 0; i < pm->n_watches; i++) {
            report(&pm->watches[i], false);
        }
        return rv;
    }
    scan_proc(pm);
    return 0;
}

static void maybe_closed(struct proc_mon *pm)
{
    if (pm->n_closing > 0) {
        return;
    }
    if (pm->fd >= 0) {
        close(pm->fd);
        pm->fd = -1;
    }
    free(pm->watches);
    free(pm->matches);
    pm->watches = NULL;
    pm->matches = NULL;
    pm->n_watches = 0;
    pm->n_matches = 0;
    proc_mon_close_cb cb = pm->close_cb;
    if (cb != NULL) {
        cb(pm);
    }
}

static void handle_closed(uv_handle_t *h)
{
    struct proc_mon *pm = h->data;
    if (h->type == UV_TIMER) {
        pm = ((struct proc_watch *)h->data)->pm;
    }
    pm->n_closing--;
    maybe_closed(pm);
}

void proc_mon_close(struct proc_mon *pm, proc_mon_close_cb cb)
{
    pm->close_cb = cb;
    pm->n_closing = 1; /* held until every close is issued */
    for (size_t i = 0; i < pm->n_watches; i++) {
        if (pm->watches[i].has_timer) {
            pm->n_closing++;
            uv_close((uv_handle_t *)&pm->watches[i].timer, handle_closed);
        }
    }
    if (pm->has_poll) {
        pm->n_closing++;
        uv_close((uv_handle_t *)&pm->poll, handle_closed);
    }
    pm->n_closing--;
    maybe_closed(pm);
}
