/* Lab checker: samples, every 10 ms, which node namespaces have the VIP
 * configured on an interface with carrier, and which node the client's ARP
 * entry for the VIP points at; writes a timeline of changes and, on SIGTERM
 * or SIGINT (or after -d ms), prints key=value figures (see acct.h).
 *
 *   checker -a VIP[,VIP...] -n NS1,NS2,... [-c CLIENT_NS] [-o TIMELINE] [-r
 * READY]
 *           [-i INTERVAL_MS] [-d DURATION_MS]
 *
 * With several VIPs a node counts as a holder when it has any of them,
 * overlap is one VIP on two nodes, and markN_complete_ms is the time until a
 * new node has all of them (moving many VIPs). The client's ARP view
 * follows the first VIP.
 *
 * SIGUSR1 marks a fault, SIGUSR2 a heal, at the time the signal arrives.
 *
 * Two holders count only when confirmed by a re-read (checker_confirm).
 *
 * One NETLINK_ROUTE socket per namespace, all opened up front: a netlink
 * socket stays bound to the namespace it was created in, so the process
 * enters each namespace once (setns), opens the socket, and returns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/lab/acct.h"

#define CHECKER_MAX_IFS  16
#define CHECKER_BUF      32768
#define CHECKER_MAX_VIPS 64

struct checker_ns
{
    char name[64];
    int fd; /* NETLINK_ROUTE socket */
    uint32_t seq;
    int n_ifs; /* links seen in the last dump */
    int ifindex[CHECKER_MAX_IFS];
    unsigned ifflags[CHECKER_MAX_IFS];
    unsigned char mac[CHECKER_MAX_IFS][ETH_ALEN];
};

struct checker
{
    struct in_addr vips[CHECKER_MAX_VIPS]; /* vips[0]: the client's view */
    int n_vips;
    int n_nodes;
    struct checker_ns nodes[ACCT_MAX_NODES];
    bool has_client;
    struct checker_ns client;
    struct acct acct;
    FILE *timeline;
    char buf[CHECKER_BUF];
};

/* Written by the signal handlers, read by the loop. */
static volatile sig_atomic_t checker_stop;
static volatile sig_atomic_t checker_n_marks;
static int64_t checker_mark_t[ACCT_MAX_MARKS];
static char checker_mark_kind[ACCT_MAX_MARKS];

static int64_t checker_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void checker_on_signal(int sig)
{
    int i = checker_n_marks;

    if (sig == SIGTERM || sig == SIGINT) {
        checker_stop = 1;
        return;
    }
    if (i < ACCT_MAX_MARKS) {
        checker_mark_t[i] = checker_now_ms();
        checker_mark_kind[i] = sig == SIGUSR1 ? 'f' : 'h';
        checker_n_marks = i + 1;
    }
}

/* Open a netlink socket inside namespace @name (a name under /var/run/netns
 * or a path), then return to the original namespace. */
static int checker_ns_open(struct checker_ns *ns, const char *name, int self)
{
    char path[256];
    int nsfd;
    int saved;

    snprintf(ns->name, sizeof(ns->name), "%s", name);
    if (strchr(name, '/') != NULL) {
        snprintf(path, sizeof(path), "%s", name);
    } else {
        snprintf(path, sizeof(path), "/var/run/netns/%s", name);
    }
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
        fprintf(stderr, "checker: open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (setns(nsfd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "checker: setns %s: %s\n", path, strerror(errno));
        close(nsfd);
        return -1;
    }
    close(nsfd);
    ns->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    saved = errno;
    if (setns(self, CLONE_NEWNET) != 0) {
        fprintf(stderr, "checker: setns back: %s\n", strerror(errno));
        return -1;
    }
    if (ns->fd < 0) {
        fprintf(stderr, "checker: netlink socket in %s: %s\n", name,
                strerror(saved));
        return -1;
    }
    return 0;
}

/* Send a dump request of @type for @family. */
static int checker_dump_send(struct checker_ns *ns, int type, int family)
{
    struct
    {
        struct nlmsghdr nh;
        union
        {
            struct ifinfomsg ifi;
            struct ifaddrmsg ifa;
            struct ndmsg ndm;
        } u;
    } req;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u));
    req.nh.nlmsg_type = (unsigned short)type;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = ++ns->seq;
    req.u.ifa.ifa_family = (unsigned char)family; /* first byte of all three */
    if (sendto(ns->fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
               sizeof(sa)) < 0) {
        return -errno;
    }
    return 0;
}

/* Read one dump's replies and hand every message to @fn. */
static int checker_dump_recv(struct checker *c,
                             struct checker_ns *ns,
                             void (*fn)(struct checker *,
                                        struct checker_ns *,
                                        const struct nlmsghdr *,
                                        void *),
                             void *arg)
{
    for (;;) {
        ssize_t len = recv(ns->fd, c->buf, sizeof(c->buf), 0);
        struct nlmsghdr *nh;

        if (len < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        for (nh = (struct nlmsghdr *)c->buf; NLMSG_OK(nh, (size_t)len);
             nh = NLMSG_NEXT(nh, len)) {
            if (nh->nlmsg_seq != ns->seq) {
                continue; /* a late reply to an earlier dump */
            }
            if (nh->nlmsg_type == NLMSG_DONE) {
                return 0;
            }
            if (nh->nlmsg_type == NLMSG_ERROR) {
                return -EIO;
            }
            fn(c, ns, nh, arg);
        }
    }
}

static int checker_dump(struct checker *c,
                        struct checker_ns *ns,
                        int type,
                        void (*fn)(struct checker *,
                                   struct checker_ns *,
                                   const struct nlmsghdr *,
                                   void *),
                        void *arg)
{
    int family = type == RTM_GETLINK ? AF_UNSPEC : AF_INET;
    int rv = checker_dump_send(ns, type, family);

    if (rv != 0) {
        return rv;
    }
    return checker_dump_recv(c, ns, fn, arg);
}

static void checker_on_link(struct checker *c,
                            struct checker_ns *ns,
                            const struct nlmsghdr *nh,
                            void *arg)
{
    const struct ifinfomsg *ifi = NLMSG_DATA(nh);
    int len = (int)IFLA_PAYLOAD(nh);
    const struct rtattr *rta;
    int i = ns->n_ifs;

    (void)c;
    (void)arg;
    if (nh->nlmsg_type != RTM_NEWLINK || i >= CHECKER_MAX_IFS) {
        return;
    }
    ns->ifindex[i] = ifi->ifi_index;
    ns->ifflags[i] = ifi->ifi_flags;
    memset(ns->mac[i], 0, ETH_ALEN);
    for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (rta->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(rta) == ETH_ALEN) {
            memcpy(ns->mac[i], RTA_DATA(rta), ETH_ALEN);
        }
    }
    ns->n_ifs = i + 1;
}

/* Sets ((int *)arg)[v] to the ifindex carrying VIP v, if any. */
static void checker_on_addr(struct checker *c,
                            struct checker_ns *ns,
                            const struct nlmsghdr *nh,
                            void *arg)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
    int len = (int)IFA_PAYLOAD(nh);
    const struct rtattr *rta;

    (void)ns;
    if (nh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET) {
        return;
    }
    for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if ((rta->rta_type != IFA_LOCAL && rta->rta_type != IFA_ADDRESS) ||
            RTA_PAYLOAD(rta) != 4) {
            continue;
        }
        for (int v = 0; v < c->n_vips; v++) {
            if (memcmp(RTA_DATA(rta), &c->vips[v], 4) == 0) {
                ((int *)arg)[v] = (int)ifa->ifa_index;
            }
        }
    }
}

/* The client's neighbour entry for the (first) VIP. */
struct checker_neigh
{
    bool found;
    unsigned char mac[ETH_ALEN];
};

static void checker_on_neigh(struct checker *c,
                             struct checker_ns *ns,
                             const struct nlmsghdr *nh,
                             void *arg)
{
    const struct ndmsg *ndm = NLMSG_DATA(nh);
    int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm)));
    const struct rtattr *rta;
    struct checker_neigh *out = arg;
    bool is_vip = false;
    const unsigned char *mac = NULL;

    (void)ns;
    if (nh->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != AF_INET ||
        (ndm->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE)) != 0) {
        return;
    }
    for (rta = (const struct rtattr *)((const char *)ndm +
                                       NLMSG_ALIGN(sizeof(*ndm)));
         RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (rta->rta_type == NDA_DST && RTA_PAYLOAD(rta) == 4 &&
            memcmp(RTA_DATA(rta), &c->vips[0], 4) == 0) {
            is_vip = true;
        } else if (rta->rta_type == NDA_LLADDR &&
                   RTA_PAYLOAD(rta) == ETH_ALEN) {
            mac = RTA_DATA(rta);
        }
    }
    if (is_vip && mac != NULL) {
        out->found = true;
        memcpy(out->mac, mac, ETH_ALEN);
    }
}

/* Which VIPs node @ns holds (bit v: VIP v), each configured on a link that
 * is up with carrier. */
static int checker_node_holds(struct checker *c,
                              struct checker_ns *ns,
                              uint64_t *held)
{
    int ifindex[CHECKER_MAX_VIPS] = {0};
    int rv;

    ns->n_ifs = 0;
    rv = checker_dump(c, ns, RTM_GETLINK, checker_on_link, NULL);
    if (rv == 0) {
        rv = checker_dump(c, ns, RTM_GETADDR, checker_on_addr, ifindex);
    }
    if (rv != 0) {
        return rv;
    }
    *held = 0;
    for (int v = 0; v < c->n_vips; v++) {
        for (int i = 0; i < ns->n_ifs; i++) {
            if (ifindex[v] != 0 && ns->ifindex[i] == ifindex[v] &&
                (ns->ifflags[i] & (IFF_UP | IFF_LOWER_UP)) ==
                    (IFF_UP | IFF_LOWER_UP)) {
                *held |= (uint64_t)1 << v;
            }
        }
    }
    return 0;
}

/* Is some VIP held by two or more nodes in @held? */
static bool checker_is_overlap(const struct checker *c, const uint64_t *held)
{
    uint64_t seen = 0;

    for (int k = 0; k < c->n_nodes; k++) {
        if ((seen & held[k]) != 0) {
            return true;
        }
        seen |= held[k];
    }
    return false;
}

/* The nodes are read one after the other, so a handover between two reads
 * can look like two holders: the old holder read before it let go, the new
 * one read after it took over. Re-read every holder but the last one read:
 * a VIP it still holds was held when the last one was read (a remove and
 * re-add within the sweep aside), so that overlap is real; a VIP it no
 * longer holds is dropped from @held. */
static int checker_confirm(struct checker *c, uint64_t *held)
{
    int last = -1;

    for (int k = 0; k < c->n_nodes; k++) {
        if (held[k] != 0) {
            last = k;
        }
    }
    for (int k = 0; k < last; k++) {
        uint64_t now = 0;
        int rv;

        if (held[k] == 0) {
            continue;
        }
        rv = checker_node_holds(c, &c->nodes[k], &now);
        if (rv != 0) {
            fprintf(stderr, "checker: %s: netlink dump: %s\n", c->nodes[k].name,
                    strerror(-rv));
            return rv;
        }
        held[k] &= now;
    }
    return 0;
}

static int checker_client_node(struct checker *c)
{
    struct checker_neigh n = {.found = false};

    if (!c->has_client ||
        checker_dump(c, &c->client, RTM_GETNEIGH, checker_on_neigh, &n) != 0 ||
        !n.found) {
        return ACCT_NO_NODE;
    }
    for (int k = 0; k < c->n_nodes; k++) {
        const struct checker_ns *ns = &c->nodes[k];

        for (int i = 0; i < ns->n_ifs; i++) {
            if (memcmp(ns->mac[i], n.mac, ETH_ALEN) == 0) {
                return k;
            }
        }
    }
    return ACCT_NO_NODE;
}

static void checker_timeline_mask(FILE *f, uint32_t mask)
{
    bool first = true;

    if (mask == 0) {
        fputs("-", f);
    }
    for (int k = 0; k < ACCT_MAX_NODES; k++) {
        if (mask & (1u << k)) {
            fprintf(f, "%s%d", first ? "" : ",", k + 1);
            first = false;
        }
    }
}

static void checker_report(const struct checker *c)
{
    const struct acct *a = &c->acct;

    printf("vips=%d\n", c->n_vips);
    printf("samples=%lld\n", (long long)a->n_samples);
    printf("duration_ms=%lld\n", (long long)a->total_ms);
    printf("max_gap_ms=%lld\n", (long long)a->max_gap_ms);
    printf("overlap_ms=%lld\n", (long long)a->overlap_ms);
    printf("zero_ms=%lld\n", (long long)a->zero_ms);
    printf("changes=%d\n", a->changes);
    printf("max_holders=%d\n", a->max_holders);
    printf("client_changes=%d\n", a->client_changes);
    printf("client_wrong_ms=%lld\n", (long long)a->client_wrong_ms);
    printf("final_holders=");
    checker_timeline_mask(stdout, a->last_mask);
    printf("\nmarks=%d\n", a->n_marks);
    for (int i = 0; i < a->n_marks; i++) {
        const struct acct_segment *s = &a->marks[i];

        printf("mark%d_kind=%s\n", i + 1, s->kind == 'f' ? "fault" : "heal");
        printf("mark%d_t=%lld\n", i + 1, (long long)s->t);
        printf("mark%d_holders=", i + 1);
        checker_timeline_mask(stdout, s->holders_at);
        printf("\nmark%d_new_holder_ms=%lld\n", i + 1,
               (long long)s->new_holder_ms);
        printf("mark%d_single_ms=%lld\n", i + 1, (long long)s->single_ms);
        printf("mark%d_client_ms=%lld\n", i + 1, (long long)s->client_ms);
        printf("mark%d_complete_ms=%lld\n", i + 1, (long long)s->complete_ms);
        printf("mark%d_overlap_ms=%lld\n", i + 1, (long long)s->overlap_ms);
        printf("mark%d_zero_ms=%lld\n", i + 1, (long long)s->zero_ms);
        printf("mark%d_changes=%d\n", i + 1, s->changes);
    }
    fflush(stdout);
}

/* -a VIP[,VIP...] */
static int checker_parse_vips(struct checker *c, char *list)
{
    char *save = NULL;

    for (char *tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (c->n_vips >= CHECKER_MAX_VIPS) {
            fprintf(stderr, "checker: at most %d VIPs\n", CHECKER_MAX_VIPS);
            return -1;
        }
        if (inet_pton(AF_INET, tok, &c->vips[c->n_vips]) != 1) {
            fprintf(stderr, "checker: bad VIP '%s'\n", tok);
            return -1;
        }
        c->n_vips++;
    }
    return 0;
}

static void usage(void)
{
    fprintf(
        stderr,
        "Usage: checker -a VIP[,VIP...] -n NS1,NS2,... [-c CLIENT_NS] "
        "[-o TIMELINE] [-r READY_FILE] [-i INTERVAL_MS] [-d DURATION_MS]\n");
}

static int checker_open_all(struct checker *c, char *list, const char *client)
{
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    char *save = NULL;
    int rv = 0;

    if (self < 0) {
        perror("checker: /proc/self/ns/net");
        return -1;
    }
    for (char *tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (c->n_nodes >= ACCT_MAX_NODES) {
            fprintf(stderr, "checker: at most %d nodes\n", ACCT_MAX_NODES);
            rv = -1;
            break;
        }
        if (checker_ns_open(&c->nodes[c->n_nodes], tok, self) != 0) {
            rv = -1;
            break;
        }
        c->n_nodes++;
    }
    if (rv == 0 && client != NULL) {
        rv = checker_ns_open(&c->client, client, self);
        c->has_client = rv == 0;
    }
    close(self);
    return rv;
}

int main(int argc, char **argv)
{
    static struct checker c;
    const char *client = NULL, *out = NULL, *ready = NULL;
    char *nodes = NULL;
    long interval = 10, duration = -1;
    int opt, marks_done = 0;
    uint32_t prev_mask = UINT32_MAX;
    int prev_client = -2;
    struct sigaction sa;
    struct timespec next;
    int64_t start;

    while ((opt = getopt(argc, argv, "a:n:c:o:r:i:d:")) != -1) {
        switch (opt) {
        case 'a':
            if (checker_parse_vips(&c, optarg) != 0) {
                return 2;
            }
            break;
        case 'n':
            nodes = optarg;
            break;
        case 'c':
            client = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'r':
            ready = optarg;
            break;
        case 'i':
            interval = strtol(optarg, NULL, 10);
            break;
        case 'd':
            duration = strtol(optarg, NULL, 10);
            break;
        default:
            usage();
            return 2;
        }
    }
    if (nodes == NULL || c.n_vips == 0 || interval < 1 || interval > 1000) {
        usage();
        return 2;
    }
    if (checker_open_all(&c, nodes, client) != 0 ||
        acct_init(&c.acct, c.n_nodes) != 0) {
        return 1;
    }
    if (out != NULL && (c.timeline = fopen(out, "w")) == NULL) {
        perror(out);
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = checker_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    start = checker_now_ms();
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!checker_stop) {
        uint32_t mask = 0;
        int64_t t = checker_now_ms();
        int client_node;

        /* Marks that arrived before this sample. */
        while (marks_done < checker_n_marks) {
            acct_mark(&c.acct, checker_mark_t[marks_done],
                      checker_mark_kind[marks_done]);
            if (c.timeline != NULL) {
                fprintf(
                    c.timeline, "%lld mark %s\n",
                    (long long)(checker_mark_t[marks_done] - start),
                    checker_mark_kind[marks_done] == 'f' ? "fault" : "heal");
                /* Readers wait for the mark before acting. */
                fflush(c.timeline);
            }
            marks_done++;
        }
        uint64_t held[ACCT_MAX_NODES] = {0};
        uint64_t all =
            c.n_vips == 64 ? UINT64_MAX : ((uint64_t)1 << c.n_vips) - 1;
        uint32_t full = 0;
        bool is_overlap;

        for (int k = 0; k < c.n_nodes; k++) {
            int rv = checker_node_holds(&c, &c.nodes[k], &held[k]);

            if (rv != 0) {
                fprintf(stderr, "checker: %s: netlink dump: %s\n",
                        c.nodes[k].name, strerror(-rv));
                return 1;
            }
        }
        if (checker_is_overlap(&c, held) && checker_confirm(&c, held) != 0) {
            return 1;
        }
        is_overlap = checker_is_overlap(&c, held);
        for (int k = 0; k < c.n_nodes; k++) {
            mask |= held[k] != 0 ? 1u << k : 0;
            full |= held[k] == all ? 1u << k : 0;
        }
        client_node = checker_client_node(&c);
        acct_sample_multi(&c.acct, t, mask, full, is_overlap, client_node);
        if (c.timeline != NULL &&
            (mask != prev_mask || client_node != prev_client)) {
            fprintf(c.timeline, "%lld holders=", (long long)(t - start));
            checker_timeline_mask(c.timeline, mask);
            fprintf(c.timeline, " client=");
            if (client_node == ACCT_NO_NODE) {
                fputs("-", c.timeline);
            } else {
                fprintf(c.timeline, "%d", client_node + 1);
            }
            fputc('\n', c.timeline);
            fflush(c.timeline);
        }
        prev_mask = mask;
        prev_client = client_node;
        if (ready != NULL) {
            FILE *f = fopen(ready, "w");

            if (f != NULL) {
                fclose(f);
            }
            ready = NULL;
        }
        if (duration >= 0 && t - start >= duration) {
            break;
        }
        next.tv_nsec += interval * 1000000L;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
                   EINTR &&
               !checker_stop) {
        }
    }
    while (marks_done < checker_n_marks) {
        acct_mark(&c.acct, checker_mark_t[marks_done],
                  checker_mark_kind[marks_done]);
        marks_done++;
    }
    /* A last sample closes the accounting at the stop time. */
    acct_sample(&c.acct, checker_now_ms(), c.acct.last_mask,
                c.acct.last_client);
    if (c.timeline != NULL) {
        fclose(c.timeline);
    }
    checker_report(&c);
    return 0;
}
