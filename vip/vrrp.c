/* VRRPv2/v3 advertisement encode/decode. Pure: no I/O. */
#include "vip/vrrp.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vip/csum.h"
#include "vipd/error.h"

const uint8_t vrrp_mcast4[4] = {224, 0, 0, 18};
const uint8_t vrrp_mcast6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                 0,    0,    0, 0, 0, 0, 0, 0x12};

static size_t addr_len(int family)
{
    return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

static size_t message_len(uint8_t version, int family, size_t n_addrs)
{
    size_t len = VRRP_HDR_LEN + n_addrs * addr_len(family);
    return version == 2 ? len + VRRP_AUTH_LEN : len;
}

/* The pseudo-header of RFC 5798 5.2.8: the IPv4 one of RFC 768 (src, dst,
 * zero, protocol, length) or the IPv6 one of RFC 8200 8.1 (src, dst, 32-bit
 * upper-layer length, three zero bytes, next header). */
static uint64_t pseudo_sum(const struct vrrp_ipinfo *ip, size_t len)
{
    uint64_t sum = 0;
    size_t alen = addr_len(ip->family);

    sum = csum_add(sum, ip->src, alen);
    sum = csum_add(sum, ip->dst, alen);
    if (ip->family == AF_INET6) {
        sum = csum_add16(sum, (uint16_t)(len >> 16));
    }
    sum = csum_add16(sum, (uint16_t)(len & 0xffff));
    sum = csum_add16(sum, VRRP_IPPROTO);
    return sum;
}

/* v2: the checksum covers the VRRP message alone (RFC 3768 5.3.8);
 * v3: the message plus the pseudo-header (RFC 5798 5.2.8), IPv4 too. */
static uint16_t message_csum(uint8_t version,
                             const struct vrrp_ipinfo *ip,
                             const uint8_t *buf,
                             size_t len)
{
    uint64_t sum = version == 3 ? pseudo_sum(ip, len) : 0;
    return csum_fold(csum_add(sum, buf, len));
}

size_t vrrp_encoded_len(const struct vrrp_advert *a)
{
    if (a->version != 2 && a->version != 3) {
        return 0;
    }
    if (addr_len(a->family) == 0 || (a->version == 2 && a->family != AF_INET)) {
        return 0;
    }
    if (a->n_addrs < 1 || a->n_addrs > VRRP_MAX_ADDRS) {
        return 0;
    }
    return message_len(a->version, a->family, a->n_addrs);
}

int vrrp_encode(const struct vrrp_advert *a,
                const struct vrrp_ipinfo *ip,
                uint8_t *buf,
                size_t size,
                size_t *len)
{
    size_t need = vrrp_encoded_len(a);
    size_t alen = addr_len(a->family);
    uint8_t *p;
    uint16_t csum;
    unsigned interval;

    if (need == 0) {
        return VIP_EINVAL;
    }
    if (a->version == 2) {
        /* Adver Int: 8 bits of seconds (RFC 3768 5.3.7). */
        if (a->advert_int_ms % 1000 != 0 || a->advert_int_ms > 255000) {
            return VIP_EINVAL;
        }
        interval = a->advert_int_ms / 1000;
    } else {
        /* Max Adver Int: 12 bits of centiseconds (RFC 5798 5.2.7). */
        if (ip == NULL || ip->family != a->family ||
            a->advert_int_ms % 10 != 0 || a->advert_int_ms > 40950) {
            return VIP_EINVAL;
        }
        interval = a->advert_int_ms / 10;
    }
    if (size < need) {
        return VIP_ERANGE;
    }

    buf[0] = (uint8_t)(a->version << 4 | VRRP_TYPE_ADVERT);
    buf[1] = a->vrid;
    buf[2] = a->priority;
    buf[3] = (uint8_t)a->n_addrs;
    if (a->version == 2) {
        buf[4] = a->auth_type;
        buf[5] = (uint8_t)interval;
    } else {
        buf[4] = (uint8_t)(interval >> 8); /* upper 4 bits: rsvd = 0 */
        buf[5] = (uint8_t)(interval & 0xff);
    }
    buf[6] = 0;
    buf[7] = 0;
    p = buf + VRRP_HDR_LEN;
    for (size_t i = 0; i < a->n_addrs; i++) {
        memcpy(p, a->addrs[i], alen);
        p += alen;
    }
    if (a->version == 2) {
        memcpy(p, a->auth_data, VRRP_AUTH_LEN);
    }
    csum = message_csum(a->version, ip, buf, need);
    buf[6] = (uint8_t)(csum >> 8);
    buf[7] = (uint8_t)(csum & 0xff);
    *len = need;
    return 0;
}

static int fail(char *errmsg, const char *what)
{
    if (errmsg != NULL) {
        errmsg_printf(errmsg, "%s", what);
    }
    return VIP_EPROTO;
}

int vrrp_decode(const uint8_t *buf,
                size_t len,
                const struct vrrp_ipinfo *ip,
                struct vrrp_advert *out,
                char *errmsg)
{
    uint8_t version;
    size_t alen;
    size_t count;
    size_t want;
    const uint8_t *p;

    if (ip == NULL || addr_len(ip->family) == 0) {
        return fail(errmsg, "unknown address family");
    }
    /* RFC 3768 7.1 / RFC 5798 7.1: a packet that did not come from the
     * link itself (TTL/hop limit below 255) is discarded first. */
    if (ip->ttl != VRRP_TTL) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "TTL %u, not 255", ip->ttl);
        }
        return VIP_EPROTO;
    }
    if (len < VRRP_HDR_LEN) {
        return fail(errmsg, "truncated header");
    }
    version = buf[0] >> 4;
    if (version != 2 && version != 3) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "version %u", version);
        }
        return VIP_EPROTO;
    }
    if (version == 2 && ip->family != AF_INET) {
        return fail(errmsg, "VRRPv2 over IPv6");
    }
    if ((buf[0] & 0x0f) != VRRP_TYPE_ADVERT) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "type %u", buf[0] & 0x0f);
        }
        return VIP_EPROTO;
    }
    count = buf[3];
    if (count == 0) {
        return fail(errmsg, "no address");
    }
    alen = addr_len(ip->family);
    want = message_len(version, ip->family, count);
    if (len != want) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "length %zu, %zu expected for %zu addresses",
                          len, want, count);
        }
        return VIP_EPROTO;
    }
    if (message_csum(version, ip, buf, len) != 0) {
        return fail(errmsg, "bad checksum");
    }

    memset(out, 0, sizeof *out);
    out->version = version;
    out->vrid = buf[1];
    out->priority = buf[2];
    out->family = ip->family;
    out->n_addrs = count;
    out->checksum = (uint16_t)(buf[6] << 8 | buf[7]);
    if (version == 2) {
        out->auth_type = buf[4];
        out->advert_int_ms = (uint32_t)buf[5] * 1000u;
    } else {
        /* The top 4 bits are reserved: ignored on reception. */
        out->advert_int_ms = (uint32_t)(((buf[4] & 0x0f) << 8) | buf[5]) * 10u;
    }
    p = buf + VRRP_HDR_LEN;
    for (size_t i = 0; i < count; i++) {
        memcpy(out->addrs[i], p, alen);
        p += alen;
    }
    if (version == 2) {
        memcpy(out->auth_data, p, VRRP_AUTH_LEN);
    }
    return 0;
}

int vrrp_decode_ipv4(const uint8_t *pkt,
                     size_t len,
                     struct vrrp_ipinfo *ip,
                     struct vrrp_advert *out,
                     char *errmsg)
{
    size_t ihl;
    size_t total;

    if (len < 20) {
        return fail(errmsg, "truncated IPv4 header");
    }
    if (pkt[0] >> 4 != 4) {
        return fail(errmsg, "not IPv4");
    }
    ihl = (size_t)(pkt[0] & 0x0f) * 4;
    total = (size_t)(pkt[2] << 8 | pkt[3]);
    if (ihl < 20 || ihl > len) {
        return fail(errmsg, "bad IPv4 header length");
    }
    /* Linux raw sockets hand over the datagram with the total length as
     * sent; anything shorter than it is truncated. */
    if (total < ihl || total > len) {
        return fail(errmsg, "bad IPv4 total length");
    }
    if (csum_fold(csum_add(0, pkt, ihl)) != 0) {
        return fail(errmsg, "bad IPv4 header checksum");
    }
    /* More-fragments set or a fragment offset: adverts are never
     * fragmented, and reassembly is the kernel's job. */
    if ((pkt[6] & 0x3f) != 0 || pkt[7] != 0) {
        return fail(errmsg, "IPv4 fragment");
    }
    if (pkt[9] != VRRP_IPPROTO) {
        return fail(errmsg, "not protocol 112");
    }
    memset(ip, 0, sizeof *ip);
    ip->family = AF_INET;
    ip->ttl = pkt[8];
    memcpy(ip->src, pkt + 12, 4);
    memcpy(ip->dst, pkt + 16, 4);
    return vrrp_decode(pkt + ihl, total - ihl, ip, out, errmsg);
}

static bool addrs_equal(const struct vrrp_advert *a,
                        const struct vrrp_expect *e)
{
    size_t alen = addr_len(a->family);

    if (a->n_addrs != e->n_addrs) {
        return false;
    }
    /* Order-insensitive: every received address must be configured. */
    for (size_t i = 0; i < a->n_addrs; i++) {
        bool found = false;
        for (size_t j = 0; j < e->n_addrs && !found; j++) {
            found = memcmp(a->addrs[i], e->addrs[j], alen) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

int vrrp_match(const struct vrrp_advert *a,
               const struct vrrp_expect *e,
               char *errmsg)
{
    if (a->vrid != e->vrid || a->version != e->version ||
        a->family != e->family) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg, "VRRPv%u VRID %u: not this instance",
                          a->version, a->vrid);
        }
        return VIP_ENOENT;
    }
    if (a->version == 2) {
        /* RFC 2338 7.1: the auth type must match; with a simple text
         * password, the 8 bytes must match too. */
        if (a->auth_type != e->auth_type) {
            if (errmsg != NULL) {
                errmsg_printf(errmsg, "auth type %u, %u configured",
                              a->auth_type, e->auth_type);
            }
            return VIP_EAUTH;
        }
        if (a->auth_type == VRRP_AUTH_PASS &&
            memcmp(a->auth_data, e->auth_data, VRRP_AUTH_LEN) != 0) {
            if (errmsg != NULL) {
                errmsg_printf(errmsg, "wrong password");
            }
            return VIP_EAUTH;
        }
        /* RFC 3768 7.1: a different Adver Int is discarded (v3 learns the
         * master's interval instead). */
        if (a->advert_int_ms != e->advert_int_ms) {
            if (errmsg != NULL) {
                errmsg_printf(errmsg, "advert_int %u ms, %u ms configured",
                              a->advert_int_ms, e->advert_int_ms);
            }
            return VIP_ECONFIG;
        }
    }
    /* RFC 3768 7.1 / RFC 5798 7.1: an address list that differs is dropped
     * unless it comes from the address owner (priority 255). */
    if (a->priority != 255 && !addrs_equal(a, e)) {
        if (errmsg != NULL) {
            errmsg_printf(errmsg,
                          "address list differs (%zu received, "
                          "%zu configured)",
                          a->n_addrs, e->n_addrs);
        }
        return VIP_ECONFIG;
    }
    return 0;
}
