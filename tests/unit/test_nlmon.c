/* Parsing of rtnetlink events: crafted RTM_DELADDR / RTM_NEWLINK /
 * RTM_DELLINK messages, attribute and message truncation, and a seeded
 * mutation loop (no read outside the buffer under ASan, names always
 * terminated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vip/nlmon.h"

struct seen
{
    unsigned n_addr;
    int family;
    int ifindex;
    uint8_t addr[16];
    unsigned prefix;
    unsigned n_link;
    char ifname[IF_NAMESIZE];
    bool is_up;
};

static void on_addr(void *data,
                    int family,
                    int ifindex,
                    const uint8_t *addr,
                    unsigned prefix)
{
    struct seen *s = data;
    s->n_addr++;
    s->family = family;
    s->ifindex = ifindex;
    memcpy(s->addr, addr, family == AF_INET6 ? 16 : 4);
    s->prefix = prefix;
}

static void on_link(void *data, int ifindex, const char *ifname, bool is_up)
{
    struct seen *s = data;
    (void)ifindex;
    s->n_link++;
    /* The name must be terminated within IF_NAMESIZE bytes. */
    assert_true(memchr(ifname, '\0', IF_NAMESIZE) != NULL);
    snprintf(s->ifname, sizeof s->ifname, "%s", ifname);
    s->is_up = is_up;
}

static void init(struct nlmon *mon, struct seen *s)
{
    memset(mon, 0, sizeof *mon);
    memset(s, 0, sizeof *s);
    mon->cbs.data = s;
    mon->cbs.addr_deleted = on_addr;
    mon->cbs.link_changed = on_link;
}

/* Message builder over an aligned buffer. */
struct msg
{
    uint32_t words[512];
    size_t len; /* bytes used */
};

static struct nlmsghdr *msg_start(struct msg *m,
                                  uint16_t type,
                                  const void *fixed,
                                  size_t fixed_len)
{
    struct nlmsghdr *h = (struct nlmsghdr *)((uint8_t *)m->words + m->len);

    memset(h, 0, NLMSG_SPACE(fixed_len));
    h->nlmsg_type = type;
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(fixed_len);
    memcpy(NLMSG_DATA(h), fixed, fixed_len);
    return h;
}

static void msg_attr(struct nlmsghdr *h,
                     uint16_t type,
                     const void *data,
                     size_t len)
{
    struct rtattr *rta =
        (struct rtattr *)((uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len));

    rta->rta_type = type;
    rta->rta_len = (uint16_t)RTA_LENGTH(len);
    memset(RTA_DATA(rta), 0, RTA_ALIGN(rta->rta_len) - RTA_LENGTH(0));
    memcpy(RTA_DATA(rta), data, len);
    h->nlmsg_len =
        (uint32_t)(NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len));
}

static void msg_end(struct msg *m, struct nlmsghdr *h)
{
    m->len += NLMSG_ALIGN(h->nlmsg_len);
}

static void add_deladdr4(struct msg *m, int ifindex)
{
    struct ifaddrmsg ifa = {.ifa_family = AF_INET,
                            .ifa_prefixlen = 24,
                            .ifa_index = (uint32_t)ifindex};
    uint8_t peer[4] = {10, 0, 0, 255}, local[4] = {10, 0, 0, 100};
    struct nlmsghdr *h = msg_start(m, RTM_DELADDR, &ifa, sizeof ifa);

    msg_attr(h, IFA_ADDRESS, peer, 4);
    msg_attr(h, IFA_LOCAL, local, 4);
    msg_attr(h, IFA_LABEL, "eth0:vip", 9);
    msg_end(m, h);
}

static void add_link(struct msg *m,
                     uint16_t type,
                     unsigned flags,
                     const char *name,
                     size_t name_len)
{
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC, .ifi_index = 3, .ifi_flags = flags};
    struct nlmsghdr *h = msg_start(m, type, &ifi, sizeof ifi);

    msg_attr(h, IFLA_IFNAME, name, name_len);
    msg_end(m, h);
}

/* An IPv4 RTM_DELADDR reports IFA_LOCAL (not the peer address). */
static void test_deladdrIpv4(void **state)
{
    struct nlmon mon;
    struct seen s;
    struct msg m = {.len = 0};
    (void)state;

    init(&mon, &s);
    add_deladdr4(&m, 7);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_addr, 1);
    assert_int_equal(s.family, AF_INET);
    assert_int_equal(s.ifindex, 7);
    assert_int_equal(s.prefix, 24);
    assert_memory_equal(s.addr, ((uint8_t[]){10, 0, 0, 100}), 4);
}

/* IPv6 sends IFA_ADDRESS only; attributes of the wrong size are skipped. */
static void test_deladdrIpv6(void **state)
{
    struct nlmon mon;
    struct seen s;
    struct msg m = {.len = 0};
    struct ifaddrmsg ifa = {
        .ifa_family = AF_INET6, .ifa_prefixlen = 64, .ifa_index = 2};
    uint8_t a6[16] = {0xfd, 0, [15] = 1};
    struct nlmsghdr *h;
    (void)state;

    init(&mon, &s);
    h = msg_start(&m, RTM_DELADDR, &ifa, sizeof ifa);
    msg_attr(h, IFA_LOCAL, a6, 4); /* wrong size for IPv6: ignored */
    msg_attr(h, IFA_ADDRESS, a6, 16);
    msg_end(&m, h);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_addr, 1);
    assert_int_equal(s.family, AF_INET6);
    assert_memory_equal(s.addr, a6, 16);

    /* Only wrong-sized attributes: no event at all. */
    init(&mon, &s);
    m.len = 0;
    h = msg_start(&m, RTM_DELADDR, &ifa, sizeof ifa);
    msg_attr(h, IFA_ADDRESS, a6, 15);
    msg_end(&m, h);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_addr, 0);

    /* Unknown family: ignored. */
    init(&mon, &s);
    m.len = 0;
    ifa.ifa_family = AF_UNIX;
    h = msg_start(&m, RTM_DELADDR, &ifa, sizeof ifa);
    msg_attr(h, IFA_ADDRESS, a6, 16);
    msg_end(&m, h);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_addr, 0);
}

/* Link state: up needs IFF_UP and IFF_RUNNING; DELLINK is down; an
 * unterminated, overlong name is cut, never overread. */
static void test_link(void **state)
{
    struct nlmon mon;
    struct seen s;
    struct msg m = {.len = 0};
    (void)state;

    init(&mon, &s);
    add_link(&m, RTM_NEWLINK, IFF_UP | IFF_RUNNING, "eth0", 5);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_link, 1);
    assert_string_equal(s.ifname, "eth0");
    assert_true(s.is_up);

    m.len = 0;
    add_link(&m, RTM_NEWLINK, IFF_UP, "eth0", 5);
    add_link(&m, RTM_NEWLINK, IFF_UP | IFF_RUNNING, "eth1", 5);
    add_link(&m, RTM_DELLINK, IFF_UP | IFF_RUNNING, "eth2", 5);
    init(&mon, &s);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_link, 3);
    assert_string_equal(s.ifname, "eth2");
    assert_false(s.is_up);

    m.len = 0;
    add_link(&m, RTM_NEWLINK, IFF_UP | IFF_RUNNING,
             "abcdefghijklmnopqrstuvwxyz", 26);
    init(&mon, &s);
    nlmon_handle(&mon, (uint8_t *)m.words, m.len);
    assert_int_equal(s.n_link, 1);
    assert_int_equal(strlen(s.ifname), IF_NAMESIZE - 1);

    /* No name: nothing to report. */
    {
        struct ifinfomsg ifi = {.ifi_flags = IFF_UP};
        struct nlmsghdr *h;
        m.len = 0;
        h = msg_start(&m, RTM_NEWLINK, &ifi, sizeof ifi);
        msg_end(&m, h);
        init(&mon, &s);
        nlmon_handle(&mon, (uint8_t *)m.words, m.len);
        assert_int_equal(s.n_link, 0);
    }
}

/* Every truncation of a three-message buffer is handled: only complete
 * messages produce events, and never more than the full buffer does. */
static void test_truncation(void **state)
{
    struct nlmon mon;
    struct seen s;
    struct msg m = {.len = 0};
    (void)state;

    add_deladdr4(&m, 4);
    add_link(&m, RTM_NEWLINK, IFF_UP | IFF_RUNNING, "eth0", 5);
    add_deladdr4(&m, 5);
    for (size_t n = 0; n <= m.len; n++) {
        /* Exactly n bytes on the heap: ASan catches any overread. */
        uint8_t *b = malloc(n + 1);
        assert_non_null(b);
        init(&mon, &s);
        memcpy(b, m.words, n);
        nlmon_handle(&mon, b, n);
        free(b);
        assert_true(s.n_addr + s.n_link <= 3);
        if (n == m.len) {
            assert_int_equal(s.n_addr, 2);
            assert_int_equal(s.n_link, 1);
        }
    }
}

static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ull;
}

/* Random byte changes (lengths included) never make the parser read out
 * of bounds (ASan) or report an unterminated name. */
static void test_fuzz(void **state)
{
    struct nlmon mon;
    struct seen s;
    struct msg m = {.len = 0};
    uint64_t seed = 0x6e6c6d6f6eull;
    (void)state;

    add_deladdr4(&m, 4);
    add_link(&m, RTM_NEWLINK, IFF_UP | IFF_RUNNING, "eth0", 5);
    add_deladdr4(&m, 5);
    for (unsigned iter = 0; iter < 100000; iter++) {
        uint64_t r = rng_next(&seed);
        size_t n = m.len - (size_t)(r % 8 == 0 ? (r >> 8) % m.len : 0);
        /* Exactly n bytes on the heap: ASan catches any overread. */
        uint8_t *b = malloc(n + 1);

        assert_non_null(b);
        memcpy(b, m.words, n);
        for (unsigned k = 0; n > 0 && k < 1 + (r >> 16) % 4; k++) {
            uint64_t q = rng_next(&seed);
            b[(q >> 8) % n] = (uint8_t)(q >> 32);
        }
        init(&mon, &s);
        nlmon_handle(&mon, b, n);
        free(b);
        assert_true(s.n_addr + s.n_link <= m.len / NLMSG_HDRLEN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deladdrIpv4), cmocka_unit_test(test_deladdrIpv6),
        cmocka_unit_test(test_link),        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
