/* VRRP advertisements: encode and decode VRRPv2 (RFC 3768, with the simple
 * text password of RFC 2338) and VRRPv3 (RFC 5798, IPv4 and IPv6), checksums
 * included. Pure: no I/O, no clock; the IP header values the checksum and the
 * validation need arrive in a struct vrrp_ipinfo.
 *
 * The buffers handled here are the VRRP message only (the IP payload), except
 * for vrrp_decode_ipv4(), which takes a whole IPv4 datagram as a raw
 * AF_INET socket returns it. */
#ifndef VIPD_VIP_VRRP_H
#define VIPD_VIP_VRRP_H

#include <stddef.h>
#include <stdint.h>

#define VRRP_IPPROTO     112 /* IANA protocol number, both versions */
#define VRRP_TTL         255 /* RFC 3768 5.2.3 / RFC 5798 5.1.1.3 */
#define VRRP_TYPE_ADVERT 1   /* the only type defined */
#define VRRP_HDR_LEN     8   /* fixed part before the addresses */
#define VRRP_AUTH_LEN    8   /* v2 only: Authentication Data */
#define VRRP_MAX_ADDRS   255 /* Count IP Addrs is one byte */
#define VRRP_MAX_LEN     (VRRP_HDR_LEN + VRRP_MAX_ADDRS * 16 + VRRP_AUTH_LEN)

#define VRRP_AUTH_NONE 0 /* RFC 2338 5.3.6 */
#define VRRP_AUTH_PASS 1 /* simple text password, zero-padded to 8 bytes */
#define VRRP_AUTH_AH   2 /* IP Authentication Header: never sent by us */

/* 224.0.0.18 and ff02::12 (RFC 5798 5.1.1.2 / 5.1.2.2). */
extern const uint8_t vrrp_mcast4[4];
extern const uint8_t vrrp_mcast6[16];

/* One advertisement, decoded or to be encoded. */
struct vrrp_advert
{
    uint8_t version;        /* 2 or 3 */
    uint8_t vrid;           /* Virtual Rtr ID, 1..255 */
    uint8_t priority;       /* 0 = stop, 255 = address owner */
    int family;             /* AF_INET or AF_INET6 (v2: AF_INET only) */
    uint32_t advert_int_ms; /* v2: whole seconds up to 255 s on the wire;
                               v3: centiseconds up to 4095 */
    uint8_t auth_type;      /* v2 only: VRRP_AUTH_* (any value decodes) */
    uint8_t auth_data[VRRP_AUTH_LEN];  /* v2 only; zero-padded password */
    size_t n_addrs;                    /* 1..VRRP_MAX_ADDRS */
    uint8_t addrs[VRRP_MAX_ADDRS][16]; /* network order; 4 bytes for IPv4 */
    uint16_t checksum;                 /* decode: value found in the packet */
};

/* What the IP layer carried the message with. The addresses take part in
 * the v3 checksum (RFC 5798 5.2.8 pseudo-header); @ttl is checked on
 * receive (the IPv4 TTL or the IPv6 hop limit). */
struct vrrp_ipinfo
{
    int family;      /* AF_INET or AF_INET6 */
    uint8_t src[16]; /* network order; 4 bytes used for AF_INET */
    uint8_t dst[16];
    unsigned ttl;
};

/* Number of bytes vrrp_encode() writes for @a, or 0 if @a is invalid
 * (version, family or address count out of range). */
size_t vrrp_encoded_len(const struct vrrp_advert *a);

/* Encode @a into @buf (@size bytes) and store the length in @len. @ip gives
 * the source and destination of the IP packet that will carry it (v3
 * checksum); it is not used for v2. Returns 0, or VIP_EINVAL if @a cannot be
 * represented (bad version/family/count, interval not a whole number of
 * seconds (v2) or centiseconds (v3) or too large, or @ip->family differs
 * from @a->family), or VIP_ERANGE if @size is too small. */
int vrrp_encode(const struct vrrp_advert *a,
                const struct vrrp_ipinfo *ip,
                uint8_t *buf,
                size_t size,
                size_t *len);

/* Decode and validate the VRRP message @buf (@len bytes) received with IP
 * header values @ip (RFC 3768 7.1 / RFC 5798 7.1, the checks that need no
 * configuration): TTL/hop limit 255, version 2 or 3 (v2 over IPv4 only),
 * type ADVERTISEMENT, at least one address, a length that is exactly what
 * the address count implies, and the checksum. Fills @out on success.
 * Returns 0 or VIP_EPROTO, with the reason in @errmsg (VIP_ERRMSG_SIZE
 * bytes, may be NULL). Never reads outside @buf. */
int vrrp_decode(const uint8_t *buf,
                size_t len,
                const struct vrrp_ipinfo *ip,
                struct vrrp_advert *out,
                char *errmsg);

/* Decode a whole IPv4 datagram @pkt (@len bytes) as returned by a raw
 * IPPROTO_VRRP socket: validates the IPv4 header (version, header length,
 * total length, header checksum, no fragment, protocol 112), fills @ip from
 * it and decodes the payload with vrrp_decode(). Same returns. */
int vrrp_decode_ipv4(const uint8_t *pkt,
                     size_t len,
                     struct vrrp_ipinfo *ip,
                     struct vrrp_advert *out,
                     char *errmsg);

/* What one of our instances expects to receive (its own configuration). */
struct vrrp_expect
{
    uint8_t version;
    uint8_t vrid;
    int family;
    uint32_t advert_int_ms;
    uint8_t auth_type;                /* v2 */
    uint8_t auth_data[VRRP_AUTH_LEN]; /* v2 PASS, zero-padded */
    size_t n_addrs;
    const uint8_t (*addrs)[16];
};

/* Check a decoded @a against the instance's configuration @e (the
 * configuration-dependent checks of RFC 3768 7.1 / RFC 5798 7.1). Returns
 *  - 0: the advert is for our virtual router and consistent with it;
 *  - VIP_ENOENT: another VRID (or version/family): not for this instance;
 *  - VIP_EAUTH: v2 authentication type or password differs;
 *  - VIP_ECONFIG: same VRID but a different interval (v2, RFC 3768 7.1
 *    says discard) or a different address list from a non-owner.
 * The reason goes to @errmsg (may be NULL). */
int vrrp_match(const struct vrrp_advert *a,
               const struct vrrp_expect *e,
               char *errmsg);

#endif /* VIPD_VIP_VRRP_H */
