/* Interface addresses through libnl-route-3. */
#include "vip/ifaddr.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static size_t family_len(int family)
{
    return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

const char *ifaddr_str(int family, const uint8_t *addr, char *buf, size_t size)
{
    if (inet_ntop(family, addr, buf, (socklen_t)size) == NULL) {
        snprintf(buf, size, "?");
    }
    return buf;
}

/* Translate a libnl error for the caller, with @what as context. */
static int nl_fail(struct ifaddr_ctl *ia,
                   int rv,
                   const char *what,
                   const struct ifaddr_spec *s)
{
    char ip[INET6_ADDRSTRLEN] = "";
    char dev[IF_NAMESIZE] = "?";

    if (rv == -NLE_NOMEM) {
        return VIP_ENOMEM;
    }
    if (s != NULL) {
        ifaddr_str(s->family, s->addr, ip, sizeof ip);
        if (if_indextoname((unsigned)s->ifindex, dev) == NULL) {
            snprintf(dev, sizeof dev, "#%d", s->ifindex);
        }
        errmsg_printf(ia->errmsg, "%s %s/%u dev %s: %s", what, ip, s->prefix,
                      dev, nl_geterror(rv));
    } else {
        errmsg_printf(ia->errmsg, "%s: %s", what, nl_geterror(rv));
    }
    return VIP_ENETLINK;
}

int ifaddr_init(struct ifaddr_ctl *ia)
{
    int rv;

    memset(ia, 0, sizeof *ia);
    ia->sock = nl_socket_alloc();
    if (ia->sock == NULL) {
        return VIP_ENOMEM;
    }
    rv = nl_connect(ia->sock, NETLINK_ROUTE);
    if (rv < 0) {
        rv = nl_fail(ia, rv, "netlink connect", NULL);
        goto err_after_alloc;
    }
    return 0;
err_after_alloc:
    nl_socket_free(ia->sock);
    ia->sock = NULL;
    return rv;
}

void ifaddr_close(struct ifaddr_ctl *ia)
{
    if (ia->sock != NULL) {
        nl_socket_free(ia->sock);
        ia->sock = NULL;
    }
}

/* Build the libnl object for @s; NULL on allocation failure. */
static struct rtnl_addr *spec_to_obj(const struct ifaddr_spec *s)
{
    struct rtnl_addr *obj = rtnl_addr_alloc();
    struct nl_addr *local;

    if (obj == NULL) {
        return NULL;
    }
    local = nl_addr_build(s->family, s->addr, family_len(s->family));
    if (local == NULL) {
        rtnl_addr_put(obj);
        return NULL;
    }
    nl_addr_set_prefixlen(local, s->prefix);
    rtnl_addr_set_ifindex(obj, s->ifindex);
    rtnl_addr_set_family(obj, s->family);
    if (rtnl_addr_set_local(obj, local) < 0) {
        nl_addr_put(local);
        rtnl_addr_put(obj);
        return NULL;
    }
    nl_addr_put(local);
    rtnl_addr_set_prefixlen(obj, s->prefix);
    return obj;
}

int ifaddr_add(struct ifaddr_ctl *ia,
               const struct ifaddr_spec *s,
               uint32_t lifetime_s)
{
    struct rtnl_addr *obj;
    int rv;

    if (family_len(s->family) == 0 || lifetime_s == 0 ||
        s->prefix > family_len(s->family) * 8) {
        return VIP_EINVAL;
    }
    obj = spec_to_obj(s);
    if (obj == NULL) {
        return VIP_ENOMEM;
    }
    rtnl_addr_set_scope(obj, s->scope);
    if (s->family == AF_INET) {
        if (s->has_brd) {
            struct nl_addr *brd = nl_addr_build(AF_INET, s->brd, 4);
            if (brd == NULL) {
                rv = VIP_ENOMEM;
                goto out;
            }
            rv = rtnl_addr_set_broadcast(obj, brd);
            nl_addr_put(brd);
            if (rv < 0) {
                rv = nl_fail(ia, rv, "set broadcast", s);
                goto out;
            }
        }
        if (s->label[0] != '\0') {
            rv = rtnl_addr_set_label(obj, s->label);
            if (rv < 0) {
                rv = nl_fail(ia, rv, "set label", s);
                goto out;
            }
        }
    } else {
        /* IFA_F_NODAD: usable at once; a tentative address could neither
         * source traffic nor answer neighbour solicitations for ~1 s. */
        rtnl_addr_set_flags(obj, IFA_F_NODAD);
    }
    /* Finite lifetimes: if this process dies or stops, the kernel removes
     * the VIP by itself once they run out (docs/DESIGN.md 4.4). */
    rtnl_addr_set_valid_lifetime(obj, lifetime_s);
    rtnl_addr_set_preferred_lifetime(obj, lifetime_s);

    /* NLM_F_CREATE|NLM_F_REPLACE (libnl adds NLM_F_CREATE): a present
     * address gets the new lifetimes instead of failing with EEXIST. */
    rv = rtnl_addr_add(ia->sock, obj, NLM_F_REPLACE);
    if (rv == -NLE_EXIST) {
        rv = 0; /* already present: adding a VIP is idempotent */
    } else if (rv < 0) {
        rv = nl_fail(ia, rv, "add", s);
    }
out:
    rtnl_addr_put(obj);
    return rv;
}

static int delete_obj(struct ifaddr_ctl *ia,
                      struct rtnl_addr *obj,
                      const struct ifaddr_spec *s)
{
    int rv = rtnl_addr_delete(ia->sock, obj, 0);

    /* Gone already, or its interface is: removed either way. */
    if (rv == -NLE_NOADDR || rv == -NLE_OBJ_NOTFOUND || rv == -NLE_NODEV) {
        return 0;
    }
    if (rv < 0) {
        return nl_fail(ia, rv, "delete", s);
    }
    return 0;
}

int ifaddr_del(struct ifaddr_ctl *ia, const struct ifaddr_spec *s)
{
    struct rtnl_addr *obj;
    int rv;

    if (family_len(s->family) == 0) {
        return VIP_EINVAL;
    }
    obj = spec_to_obj(s);
    if (obj == NULL) {
        return VIP_ENOMEM;
    }
    rv = delete_obj(ia, obj, s);
    rtnl_addr_put(obj);
    return rv;
}

/* Whether cached @obj carries @s's address on @s's interface. */
static bool obj_matches(struct rtnl_addr *obj, const struct ifaddr_spec *s)
{
    struct nl_addr *local = rtnl_addr_get_local(obj);

    return local != NULL && rtnl_addr_get_ifindex(obj) == s->ifindex &&
           rtnl_addr_get_family(obj) == s->family &&
           nl_addr_get_len(local) == family_len(s->family) &&
           memcmp(nl_addr_get_binary_addr(local), s->addr,
                  family_len(s->family)) == 0;
}

static int dump(struct ifaddr_ctl *ia, struct nl_cache **cache)
{
    int rv = rtnl_addr_alloc_cache(ia->sock, cache);

    if (rv < 0) {
        return nl_fail(ia, rv, "list addresses", NULL);
    }
    return 0;
}

int ifaddr_present(struct ifaddr_ctl *ia, const struct ifaddr_spec *s)
{
    struct nl_cache *cache;
    struct nl_object *o;
    int found = 0;
    int rv = dump(ia, &cache);

    if (rv != 0) {
        return rv;
    }
    for (o = nl_cache_get_first(cache); o != NULL && !found;
         o = nl_cache_get_next(o)) {
        found = obj_matches((struct rtnl_addr *)o, s);
    }
    nl_cache_free(cache);
    return found;
}

int ifaddr_flush(struct ifaddr_ctl *ia,
                 const struct ifaddr_spec *specs,
                 size_t n_specs,
                 size_t *n_removed)
{
    struct nl_cache *cache;
    struct nl_object *o;
    size_t n = 0;
    int first_err = 0;
    int rv = dump(ia, &cache);

    if (rv != 0) {
        return rv;
    }
    for (o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o)) {
        for (size_t i = 0; i < n_specs; i++) {
            if (!obj_matches((struct rtnl_addr *)o, &specs[i])) {
                continue;
            }
            /* Delete the object as found, so that its own prefix and
             * label select it in the kernel. */
            rv = delete_obj(ia, (struct rtnl_addr *)o, &specs[i]);
            if (rv == 0) {
                n++;
            } else if (first_err == 0) {
                first_err = rv;
            }
            break;
        }
    }
    nl_cache_free(cache);
    if (n_removed != NULL) {
        *n_removed = n;
    }
    return first_err;
}

int ifaddr_source(struct ifaddr_ctl *ia,
                  int ifindex,
                  int family,
                  const struct ifaddr_spec *exclude,
                  size_t n_exclude,
                  uint8_t out[16])
{
    struct nl_cache *cache;
    struct nl_object *o;
    int rv = dump(ia, &cache);

    if (rv != 0) {
        return rv;
    }
    rv = VIP_ENOENT;
    for (o = nl_cache_get_first(cache); o != NULL && rv != 0;
         o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(a);
        const uint8_t *bin;
        bool excluded = false;

        if (local == NULL || rtnl_addr_get_ifindex(a) != ifindex ||
            rtnl_addr_get_family(a) != family ||
            nl_addr_get_len(local) != family_len(family)) {
            continue;
        }
        bin = nl_addr_get_binary_addr(local);
        if (family == AF_INET6) {
            /* fe80::/10 only; tentative ones cannot be bound yet. */
            if (bin[0] != 0xfe || (bin[1] & 0xc0) != 0x80 ||
                (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE) != 0) {
                continue;
            }
        } else if ((rtnl_addr_get_flags(a) & IFA_F_SECONDARY) != 0) {
            continue;
        }
        for (size_t i = 0; i < n_exclude && !excluded; i++) {
            excluded = exclude[i].family == family &&
                       memcmp(exclude[i].addr, bin, family_len(family)) == 0;
        }
        if (!excluded) {
            memset(out, 0, 16);
            memcpy(out, bin, family_len(family));
            rv = 0;
        }
    }
    nl_cache_free(cache);
    return rv;
}
