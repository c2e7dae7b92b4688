/* Interface addresses through rtnetlink (libnl-route-3): add or refresh a
 * VIP with a finite lifetime, remove it, remove crash leftovers, and find
 * the address adverts are sent from.
 *
 * The requests are synchronous: the kernel handles an RTM_NEWADDR or
 * RTM_DELADDR inside the sendmsg() call and queues the acknowledgement at
 * once, so each call costs a few microseconds and never waits on the
 * network. libnl's NLE_* codes are translated here, and only here. */
#ifndef VIPD_VIP_IFADDR_H
#define VIPD_VIP_IFADDR_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

struct nl_sock;

/* One address as the kernel sees it. */
struct ifaddr_spec
{
    int ifindex;
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network order */
    uint8_t prefix;
    bool has_brd; /* IPv4 only */
    uint8_t brd[4];
    char label[IF_NAMESIZE]; /* IPv4 only; empty: none */
    int scope;               /* RT_SCOPE_* */
};

/* An rtnetlink request socket. (Not "struct ifaddr": <net/if.h> has one.) */
struct ifaddr_ctl
{
    struct nl_sock *sock;
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Open a NETLINK_ROUTE socket. Returns 0, VIP_ENOMEM or VIP_ENETLINK (with
 * @ia->errmsg). On success release with ifaddr_close(). */
int ifaddr_init(struct ifaddr_ctl *ia);

/* Close the socket. */
void ifaddr_close(struct ifaddr_ctl *ia);

/* Add @s, or refresh it if it is present: valid_lft = preferred_lft =
 * @lifetime_s (>= 1) seconds, IFA_F_NODAD for IPv6 (usable at once, no
 * duplicate detection delay; VRRP guarantees uniqueness). Idempotent.
 * Returns 0, VIP_EINVAL, VIP_ENOMEM or VIP_ENETLINK (@ia->errmsg). */
int ifaddr_add(struct ifaddr_ctl *ia,
               const struct ifaddr_spec *s,
               uint32_t lifetime_s);

/* Remove @s. An address or interface that is already gone counts as
 * removed (returns 0). Else VIP_ENOMEM or VIP_ENETLINK (@ia->errmsg). */
int ifaddr_del(struct ifaddr_ctl *ia, const struct ifaddr_spec *s);

/* Whether @s (same interface, family and address, any prefix) is present.
 * Returns 1, 0, or VIP_ENOMEM / VIP_ENETLINK. */
int ifaddr_present(struct ifaddr_ctl *ia, const struct ifaddr_spec *s);

/* Remove every address on the interface of each @specs entry whose address
 * equals that entry's, whatever its prefix, label or lifetime (the
 * leftovers of a crashed or differently configured vipd). Stores how many
 * were removed in @n_removed (may be NULL). Returns 0 or an error; it tries
 * every address before returning the first error. */
int ifaddr_flush(struct ifaddr_ctl *ia,
                 const struct ifaddr_spec *specs,
                 size_t n_specs,
                 size_t *n_removed);

/* Pick the source address for adverts on @ifindex: for AF_INET the first
 * primary (not secondary) address that is none of @exclude; for AF_INET6
 * the first link-local address (RFC 5798 5.1.2.1). Stores it in @out
 * (network order). Returns 0, VIP_ENOENT if there is none, or an error. */
int ifaddr_source(struct ifaddr_ctl *ia,
                  int ifindex,
                  int family,
                  const struct ifaddr_spec *exclude,
                  size_t n_exclude,
                  uint8_t out[16]);

/* Format @family/@addr (network order) into @buf (INET6_ADDRSTRLEN). */
const char *ifaddr_str(int family, const uint8_t *addr, char *buf, size_t size);

#endif /* VIPD_VIP_IFADDR_H */
