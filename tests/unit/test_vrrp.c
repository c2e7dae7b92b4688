/* VRRPv2/v3 codec: hand-derived vectors, every field's validation,
 * truncation, single-bit corruption and a deterministic mutation fuzz loop
 * with an encode(decode(x)) == x property. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "vip/csum.h"
#include "vip/vrrp.h"
#include "vipd/error.h"

/****** Vectors, derived by hand from the RFCs ******/

/* V1: VRRPv2 (RFC 3768 5.1), VRID 51, priority 100, one address 10.0.0.100,
 * auth type 1 (simple text password "1111", zero-padded to 8 bytes),
 * Adver Int 1 s. Checksum (RFC 3768 5.3.8: the VRRP message only), as
 * 16-bit big-endian words with the checksum field taken as 0:
 *   0x2133 (ver 2, type 1, VRID 0x33)   + 0x6401 (prio 100, count 1)
 *   = 0x8534; + 0x0101 (auth 1, int 1)  = 0x8635
 *   + 0x0a00 + 0x0064 (10.0.0.100)     = 0x9099
 *   + 0x3131 + 0x3131 ("1111")         = 0xf2fb; + 0 + 0 (padding)
 * no carry; ~0xf2fb = 0x0d04. */
static const uint8_t v1[] = {
    0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x0d, 0x04, /* header */
    0x0a, 0x00, 0x00, 0x64,                         /* 10.0.0.100 */
    0x31, 0x31, 0x31, 0x31, 0x00, 0x00, 0x00, 0x00, /* "1111" */
};

/* V2: VRRPv3 over IPv4 (RFC 5798 5.1), VRID 51, priority 100, 10.0.0.100,
 * Max Adver Int 100 cs, sent 10.0.0.1 -> 224.0.0.18. The checksum covers
 * the IPv4 pseudo-header too (RFC 5798 5.2.8):
 *   pseudo: 0x0a00 + 0x0001 (src) + 0xe000 + 0x0012 (dst)
 *         + 0x0070 (zero, proto 112) + 0x000c (length 12)  = 0xea8f
 *   VRRP:   0x3133 + 0x6401 + 0x0064 (rsvd 0, int 100)
 *         + 0x0a00 + 0x0064                                = 0x9ffc
 *   0xea8f + 0x9ffc = 0x18a8b -> fold 0x8a8b + 0x1 = 0x8a8c;
 *   ~0x8a8c = 0x7573. */
static const uint8_t v2[] = {
    0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x75, 0x73, /* header */
    0x0a, 0x00, 0x00, 0x64,                         /* 10.0.0.100 */
};

/* V3: VRRPv3 over IPv6, VRID 1, priority 255, one address 2001:db8::1,
 * Max Adver Int 100 cs, sent fe80::1 -> ff02::12. IPv6 pseudo-header
 * (RFC 8200 8.1: src, dst, 32-bit length 24, 3 zero bytes, next header):
 *   pseudo: 0xfe80 + 0x0001 + 0xff02 + 0x0012 + 0x0018 + 0x0070 = 0x1fe1d
 *   VRRP:   0x3101 + 0xff01 + 0x0064 + 0x2001 + 0x0db8 + 0x0001 = 0x15e20
 *   0x1fe1d + 0x15e20 = 0x35c3d -> fold 0x5c3d + 0x3 = 0x5c40;
 *   ~0x5c40 = 0xa3bf. */
static const uint8_t v3[] = {
    0x31, 0x01, 0xff, 0x01, 0x00, 0x64, 0xa3, 0xbf, /* header */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

static const uint8_t ll1[16] = {0xfe, 0x80, [15] = 0x01};
static const uint8_t doc1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};

static struct vrrp_ipinfo ip4(void)
{
    struct vrrp_ipinfo ip = {.family = AF_INET, .ttl = 255};
    memcpy(ip.src, (uint8_t[]){10, 0, 0, 1}, 4);
    memcpy(ip.dst, vrrp_mcast4, 4);
    return ip;
}

static struct vrrp_ipinfo ip6(void)
{
    struct vrrp_ipinfo ip = {.family = AF_INET6, .ttl = 255};
    memcpy(ip.src, ll1, 16);
    memcpy(ip.dst, vrrp_mcast6, 16);
    return ip;
}

static struct vrrp_advert *advert_v1(void)
{
    static struct vrrp_advert a;
    memset(&a, 0, sizeof a);
    a.version = 2;
    a.vrid = 51;
    a.priority = 100;
    a.family = AF_INET;
    a.advert_int_ms = 1000;
    a.auth_type = VRRP_AUTH_PASS;
    memcpy(a.auth_data, "1111", 4);
    a.n_addrs = 1;
    memcpy(a.addrs[0], (uint8_t[]){10, 0, 0, 100}, 4);
    return &a;
}

static struct vrrp_advert *advert_v2(void)
{
    struct vrrp_advert *a = advert_v1();
    a->version = 3;
    a->auth_type = 0;
    memset(a->auth_data, 0, sizeof a->auth_data);
    return a;
}

static struct vrrp_advert *advert_v3(void)
{
    struct vrrp_advert *a = advert_v2();
    a->vrid = 1;
    a->priority = 255;
    a->family = AF_INET6;
    memcpy(a->addrs[0], doc1, 16);
    return a;
}

/* Recompute the checksum of a (possibly modified) message in place, so
 * that a test reaches the check after the checksum. */
static void fix_csum(uint8_t *buf, size_t len, const struct vrrp_ipinfo *ip)
{
    uint64_t sum = 0;
    uint16_t c;
    size_t alen = ip->family == AF_INET6 ? 16 : 4;

    buf[6] = buf[7] = 0;
    if (buf[0] >> 4 == 3) {
        sum = csum_add(sum, ip->src, alen);
        sum = csum_add(sum, ip->dst, alen);
        sum = csum_add16(sum, (uint16_t)(len >> 16));
        sum = csum_add16(sum, (uint16_t)len);
        sum = csum_add16(sum, VRRP_IPPROTO);
    }
    c = csum_fold(csum_add(sum, buf, len));
    buf[6] = (uint8_t)(c >> 8);
    buf[7] = (uint8_t)c;
}

/****** Known vectors ******/

/* Encoding the three adverts gives exactly the hand-derived bytes. */
static void test_encode_vectors(void **state)
{
    uint8_t buf[VRRP_MAX_LEN];
    size_t len = 0;
    struct vrrp_ipinfo i4 = ip4(), i6 = ip6();
    (void)state;

    assert_int_equal(vrrp_encode(advert_v1(), NULL, buf, sizeof buf, &len), 0);
    assert_int_equal(len, sizeof v1);
    assert_memory_equal(buf, v1, sizeof v1);

    assert_int_equal(vrrp_encode(advert_v2(), &i4, buf, sizeof buf, &len), 0);
    assert_int_equal(len, sizeof v2);
    assert_memory_equal(buf, v2, sizeof v2);

    assert_int_equal(vrrp_encode(advert_v3(), &i6, buf, sizeof buf, &len), 0);
    assert_int_equal(len, sizeof v3);
    assert_memory_equal(buf, v3, sizeof v3);
}

/* Decoding the vectors gives back every field. */
static void test_decode_vectors(void **state)
{
    struct vrrp_advert a;
    struct vrrp_ipinfo i4 = ip4(), i6 = ip6();
    char err[VIP_ERRMSG_SIZE] = "";
    (void)state;

    assert_int_equal(vrrp_decode(v1, sizeof v1, &i4, &a, err), 0);
    assert_int_equal(a.version, 2);
    assert_int_equal(a.vrid, 51);
    assert_int_equal(a.priority, 100);
    assert_int_equal(a.advert_int_ms, 1000);
    assert_int_equal(a.auth_type, VRRP_AUTH_PASS);
    assert_memory_equal(a.auth_data, "1111\0\0\0\0", 8);
    assert_int_equal(a.n_addrs, 1);
    assert_memory_equal(a.addrs[0], ((uint8_t[]){10, 0, 0, 100}), 4);
    assert_int_equal(a.checksum, 0x0d04);

    assert_int_equal(vrrp_decode(v2, sizeof v2, &i4, &a, err), 0);
    assert_int_equal(a.version, 3);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.advert_int_ms, 1000);
    assert_int_equal(a.checksum, 0x7573);

    assert_int_equal(vrrp_decode(v3, sizeof v3, &i6, &a, err), 0);
    assert_int_equal(a.version, 3);
    assert_int_equal(a.vrid, 1);
    assert_int_equal(a.priority, 255);
    assert_int_equal(a.family, AF_INET6);
    assert_memory_equal(a.addrs[0], doc1, 16);
    assert_int_equal(a.checksum, 0xa3bf);
}

/****** Validation of every field ******/

static void expect_reject(const uint8_t *buf,
                          size_t len,
                          const struct vrrp_ipinfo *ip,
                          const char *reason)
{
    struct vrrp_advert a;
    char err[VIP_ERRMSG_SIZE] = "";

    assert_int_equal(vrrp_decode(buf, len, ip, &a, err), VIP_EPROTO);
    if (strstr(err, reason) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", err, reason);
    }
}

/* Every shorter prefix and one extra byte are rejected, for all vectors. */
static void test_truncation(void **state)
{
    const uint8_t *vec[] = {v1, v2, v3};
    size_t lens[] = {sizeof v1, sizeof v2, sizeof v3};
    struct vrrp_ipinfo ips[] = {ip4(), ip4(), ip6()};
    uint8_t buf[64];
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        for (size_t len = 0; len < lens[k]; len++) {
            expect_reject(vec[k], len, &ips[k],
                          len < VRRP_HDR_LEN ? "truncated" : "length");
        }
        memcpy(buf, vec[k], lens[k]);
        buf[lens[k]] = 0;
        expect_reject(buf, lens[k] + 1, &ips[k], "length");
    }
}

/* Flipping any single bit of any vector is detected (the checksum covers
 * every byte), and so is any bit of the v3 pseudo-header addresses. */
static void test_single_bit_corruption(void **state)
{
    const uint8_t *vec[] = {v1, v2, v3};
    size_t lens[] = {sizeof v1, sizeof v2, sizeof v3};
    struct vrrp_ipinfo ips[] = {ip4(), ip4(), ip6()};
    uint8_t buf[64];
    struct vrrp_advert a;
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < lens[k] * 8; i++) {
            memcpy(buf, vec[k], lens[k]);
            buf[i / 8] ^= (uint8_t)(1u << (i % 8));
            assert_int_equal(vrrp_decode(buf, lens[k], &ips[k], &a, NULL),
                             VIP_EPROTO);
        }
    }
    for (size_t k = 1; k < 3; k++) {
        size_t alen = ips[k].family == AF_INET6 ? 16 : 4;
        for (size_t i = 0; i < alen * 8; i++) {
            struct vrrp_ipinfo ip = ips[k];
            ip.src[i / 8] ^= (uint8_t)(1u << (i % 8));
            expect_reject(vec[k], lens[k], &ip, "checksum");
            ip = ips[k];
            ip.dst[i / 8] ^= (uint8_t)(1u << (i % 8));
            expect_reject(vec[k], lens[k], &ip, "checksum");
        }
    }
    /* v2 has no pseudo-header: another source still decodes. */
    {
        struct vrrp_ipinfo ip = ip4();
        ip.src[3] = 99;
        assert_int_equal(vrrp_decode(v1, sizeof v1, &ip, &a, NULL), 0);
    }
}

/* With a correct checksum, each header field is still checked on its own:
 * TTL, version, type, count, family. */
static void test_field_checks(void **state)
{
    struct vrrp_ipinfo i4 = ip4(), i6 = ip6();
    uint8_t buf[64];
    (void)state;

    for (unsigned ttl = 0; ttl < 255; ttl += 17) {
        struct vrrp_ipinfo ip = i4;
        ip.ttl = ttl;
        expect_reject(v1, sizeof v1, &ip, "TTL");
    }
    i6.ttl = 64;
    expect_reject(v3, sizeof v3, &i6, "TTL");
    i6.ttl = 255;

    for (unsigned ver = 0; ver < 16; ver++) {
        if (ver == 2 || ver == 3) {
            continue;
        }
        memcpy(buf, v2, sizeof v2);
        buf[0] = (uint8_t)(ver << 4 | 1);
        fix_csum(buf, sizeof v2, &i4);
        expect_reject(buf, sizeof v2, &i4, "version");
    }
    for (unsigned type = 0; type < 16; type++) {
        if (type == 1) {
            continue;
        }
        memcpy(buf, v1, sizeof v1);
        buf[0] = (uint8_t)(0x20 | type);
        fix_csum(buf, sizeof v1, &i4);
        expect_reject(buf, sizeof v1, &i4, "type");
    }
    /* Count 0, and counts that disagree with the length. */
    memcpy(buf, v1, sizeof v1);
    buf[3] = 0;
    fix_csum(buf, sizeof v1, &i4);
    expect_reject(buf, sizeof v1, &i4, "no address");
    memcpy(buf, v1, sizeof v1);
    buf[3] = 2;
    fix_csum(buf, sizeof v1, &i4);
    expect_reject(buf, sizeof v1, &i4, "length");
    memcpy(buf, v3, sizeof v3);
    buf[3] = 2;
    fix_csum(buf, sizeof v3, &i6);
    expect_reject(buf, sizeof v3, &i6, "length");
    /* VRRPv2 is IPv4 only; a v3 IPv4 message read as IPv6 has the wrong
     * length for 16-byte addresses. */
    expect_reject(v1, sizeof v1, &i6, "IPv6");
    expect_reject(v2, sizeof v2, &i6, "length");
    /* Unknown family and missing IP information. */
    {
        struct vrrp_advert a;
        struct vrrp_ipinfo ip = i4;
        ip.family = AF_UNIX;
        assert_int_equal(vrrp_decode(v1, sizeof v1, &ip, &a, NULL), VIP_EPROTO);
        assert_int_equal(vrrp_decode(v1, sizeof v1, NULL, &a, NULL),
                         VIP_EPROTO);
    }
}

/* v3's reserved nibble is ignored on receive (RFC 5798 5.2.7). */
static void test_v3_reserved_ignored(void **state)
{
    struct vrrp_ipinfo i4 = ip4();
    struct vrrp_advert a;
    uint8_t buf[sizeof v2];
    (void)state;

    memcpy(buf, v2, sizeof v2);
    buf[4] |= 0xf0;
    fix_csum(buf, sizeof buf, &i4);
    assert_int_equal(vrrp_decode(buf, sizeof buf, &i4, &a, NULL), 0);
    assert_int_equal(a.advert_int_ms, 1000);
}

/****** IPv4 header ******/

static size_t wrap_ipv4(uint8_t *pkt, const uint8_t *msg, size_t len)
{
    uint16_t c;
    /* clang-format off */
    uint8_t hdr[20] = {0x45, 0xc0, 0, 0, 0x12, 0x34, 0x00, 0, 255,
                       VRRP_IPPROTO, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18};
    /* clang-format on */

    hdr[2] = (uint8_t)((20 + len) >> 8);
    hdr[3] = (uint8_t)(20 + len);
    c = csum_fold(csum_add(0, hdr, 20));
    hdr[10] = (uint8_t)(c >> 8);
    hdr[11] = (uint8_t)c;
    memcpy(pkt, hdr, 20);
    memcpy(pkt + 20, msg, len);
    return 20 + len;
}

static void expect_ipv4_reject(uint8_t *pkt,
                               size_t len,
                               bool fix,
                               const char *reason)
{
    struct vrrp_ipinfo ip;
    struct vrrp_advert a;
    char err[VIP_ERRMSG_SIZE] = "";

    if (fix) {
        uint16_t c;
        size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > len) {
            ihl = 20;
        }
        pkt[10] = pkt[11] = 0;
        c = csum_fold(csum_add(0, pkt, ihl));
        pkt[10] = (uint8_t)(c >> 8);
        pkt[11] = (uint8_t)c;
    }
    assert_int_equal(vrrp_decode_ipv4(pkt, len, &ip, &a, err), VIP_EPROTO);
    if (strstr(err, reason) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", err, reason);
    }
}

/* A whole datagram decodes; each IPv4 header field is checked. */
static void test_ipv4_header(void **state)
{
    uint8_t pkt[64], bad[64];
    size_t len = wrap_ipv4(pkt, v1, sizeof v1);
    struct vrrp_ipinfo ip;
    struct vrrp_advert a;
    (void)state;

    assert_int_equal(vrrp_decode_ipv4(pkt, len, &ip, &a, NULL), 0);
    assert_int_equal(ip.ttl, 255);
    assert_memory_equal(ip.src, ((uint8_t[]){10, 0, 0, 1}), 4);
    assert_memory_equal(ip.dst, vrrp_mcast4, 4);
    assert_int_equal(a.vrid, 51);

    for (size_t n = 0; n < 20; n++) {
        expect_ipv4_reject(pkt, n, false, "truncated IPv4");
    }
    memcpy(bad, pkt, len);
    bad[0] = 0x65;
    expect_ipv4_reject(bad, len, true, "not IPv4");
    memcpy(bad, pkt, len);
    bad[0] = 0x44;
    expect_ipv4_reject(bad, len, true, "header length");
    memcpy(bad, pkt, len);
    bad[0] = 0x4f; /* 60 bytes of header > 40 bytes of packet */
    expect_ipv4_reject(bad, len, true, "header length");
    memcpy(bad, pkt, len);
    bad[3] = (uint8_t)(len + 1);
    expect_ipv4_reject(bad, len, true, "total length");
    memcpy(bad, pkt, len);
    bad[3] = 19;
    expect_ipv4_reject(bad, len, true, "total length");
    memcpy(bad, pkt, len);
    bad[11] ^= 1;
    expect_ipv4_reject(bad, len, false, "header checksum");
    memcpy(bad, pkt, len);
    bad[6] = 0x20; /* more fragments */
    expect_ipv4_reject(bad, len, true, "fragment");
    memcpy(bad, pkt, len);
    bad[7] = 0x01; /* offset */
    expect_ipv4_reject(bad, len, true, "fragment");
    memcpy(bad, pkt, len);
    bad[9] = 17;
    expect_ipv4_reject(bad, len, true, "protocol");
    memcpy(bad, pkt, len);
    bad[8] = 254;
    expect_ipv4_reject(bad, len, true, "TTL");
    /* DF set is fine; trailing bytes beyond total length are ignored. */
    memcpy(bad, pkt, len);
    bad[6] = 0x40;
    {
        uint16_t c;
        bad[10] = bad[11] = 0;
        c = csum_fold(csum_add(0, bad, 20));
        bad[10] = (uint8_t)(c >> 8);
        bad[11] = (uint8_t)c;
    }
    assert_int_equal(vrrp_decode_ipv4(bad, len + 4, &ip, &a, NULL), 0);
}

/****** Encoder limits ******/

/* Values that cannot be represented are refused, never truncated. */
static void test_encode_invalid(void **state)
{
    uint8_t buf[VRRP_MAX_LEN];
    size_t len;
    struct vrrp_ipinfo i4 = ip4(), i6 = ip6();
    struct vrrp_advert *a;
    (void)state;

    a = advert_v1();
    a->advert_int_ms = 1500;
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    a->advert_int_ms = 256000;
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    a = advert_v1();
    a->family = AF_INET6;
    assert_int_equal(vrrp_encode(a, &i6, buf, sizeof buf, &len), VIP_EINVAL);
    a = advert_v1();
    a->version = 4;
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    a = advert_v1();
    a->n_addrs = 0;
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    a->n_addrs = 256;
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    a = advert_v1();
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof v1 - 1, &len),
                     VIP_ERANGE);

    a = advert_v2();
    a->advert_int_ms = 1005;
    assert_int_equal(vrrp_encode(a, &i4, buf, sizeof buf, &len), VIP_EINVAL);
    a->advert_int_ms = 40960;
    assert_int_equal(vrrp_encode(a, &i4, buf, sizeof buf, &len), VIP_EINVAL);
    a->advert_int_ms = 40950;
    assert_int_equal(vrrp_encode(a, &i4, buf, sizeof buf, &len), 0);
    assert_int_equal(buf[4], 0x0f); /* 4095 cs, reserved nibble clear */
    assert_int_equal(buf[5], 0xff);
    assert_int_equal(vrrp_encode(a, NULL, buf, sizeof buf, &len), VIP_EINVAL);
    assert_int_equal(vrrp_encode(a, &i6, buf, sizeof buf, &len), VIP_EINVAL);
}

/* The largest message (255 IPv6 addresses) round-trips. */
static void test_max_addresses(void **state)
{
    static struct vrrp_advert back;
    uint8_t buf[VRRP_MAX_LEN];
    size_t len;
    struct vrrp_ipinfo i6 = ip6();
    struct vrrp_advert *a = advert_v3();
    (void)state;

    a->n_addrs = VRRP_MAX_ADDRS;
    for (size_t i = 0; i < a->n_addrs; i++) {
        memcpy(a->addrs[i], doc1, 16);
        a->addrs[i][15] = (uint8_t)i;
    }
    assert_int_equal(vrrp_encode(a, &i6, buf, sizeof buf, &len), 0);
    assert_int_equal(len, VRRP_HDR_LEN + 255 * 16);
    assert_int_equal(vrrp_decode(buf, len, &i6, &back, NULL), 0);
    assert_int_equal(back.n_addrs, 255);
    assert_memory_equal(back.addrs, a->addrs, 255 * 16);
}

/****** Matching against the configuration ******/

/* VRID, auth type, password, interval and address list are each
 * reported with their own code; the owner may announce other addresses. */
static void test_match(void **state)
{
    static struct vrrp_advert a;
    uint8_t addrs[2][16] = {{10, 0, 0, 100}, {10, 0, 0, 101}};
    struct vrrp_expect e = {
        .version = 2,
        .vrid = 51,
        .family = AF_INET,
        .advert_int_ms = 1000,
        .auth_type = VRRP_AUTH_PASS,
        .auth_data = "1111",
        .n_addrs = 1,
        .addrs = (const uint8_t(*)[16])addrs,
    };
    char err[VIP_ERRMSG_SIZE];
    (void)state;

    a = *advert_v1();
    assert_int_equal(vrrp_match(&a, &e, err), 0);
    a.vrid = 52;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_ENOENT);
    a = *advert_v1();
    a.version = 3;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_ENOENT);
    a = *advert_v1();
    a.auth_type = VRRP_AUTH_NONE;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_EAUTH);
    a = *advert_v1();
    a.auth_data[3] = '2';
    assert_int_equal(vrrp_match(&a, &e, err), VIP_EAUTH);
    assert_non_null(strstr(err, "password"));
    a = *advert_v1();
    a.advert_int_ms = 2000;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_ECONFIG);
    a = *advert_v1();
    a.addrs[0][3] = 99;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_ECONFIG);
    a.priority = 255;
    assert_int_equal(vrrp_match(&a, &e, err), 0);
    /* Order does not matter; count does. */
    e.n_addrs = 2;
    a = *advert_v1();
    a.n_addrs = 2;
    memcpy(a.addrs[0], addrs[1], 4);
    memcpy(a.addrs[1], addrs[0], 4);
    assert_int_equal(vrrp_match(&a, &e, err), 0);
    a.n_addrs = 1;
    assert_int_equal(vrrp_match(&a, &e, err), VIP_ECONFIG);
    /* v3 ignores auth and interval (the backup learns the master's). */
    a = *advert_v2();
    e.version = 3;
    e.n_addrs = 1;
    a.advert_int_ms = 50;
    assert_int_equal(vrrp_match(&a, &e, err), 0);
}

/****** Fuzz ******/

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, seeded below, no libc rand(). */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Random mutations of the vectors (byte changes, truncation, extension,
 * half of them with a repaired checksum so the later checks are reached)
 * never crash, and whatever decodes re-encodes to the same bytes
 * (masking v3's reserved nibble, which is ignored on receive). */
static void test_fuzz(void **state)
{
    const uint8_t *vec[] = {v1, v2, v3};
    size_t lens[] = {sizeof v1, sizeof v2, sizeof v3};
    struct vrrp_ipinfo ips[] = {ip4(), ip4(), ip6()};
    static struct vrrp_advert a;
    uint8_t buf[128], out[VRRP_MAX_LEN];
    uint64_t seed = 0x5eed5eed1234ull;
    unsigned n_ok = 0, n_rejected = 0;
    (void)state;

    for (unsigned iter = 0; iter < 200000; iter++) {
        uint64_t r = rng_next(&seed);
        size_t k = r % 3;
        size_t len = lens[k];
        struct vrrp_ipinfo ip = ips[k];
        unsigned n_mut = 1 + (unsigned)((r >> 8) % 4);
        size_t olen;

        memset(buf, 0, sizeof buf);
        memcpy(buf, vec[k], len);
        for (unsigned m = 0; m < n_mut; m++) {
            uint64_t q = rng_next(&seed);
            switch (q % 8) {
            case 0: /* truncate */
                len = (size_t)((q >> 8) % (len + 1));
                break;
            case 1: /* extend with random bytes */
                if (len < sizeof buf - 16) {
                    size_t add = (size_t)((q >> 8) % 16);
                    for (size_t i = 0; i < add; i++) {
                        buf[len + i] = (uint8_t)(rng_next(&seed));
                    }
                    len += add;
                }
                break;
            case 2: /* header byte set to a boundary value */
                buf[(q >> 8) % VRRP_HDR_LEN] = (uint8_t[]){
                    0, 1, 2, 3, 0x7f, 0x80, 0xfe, 0xff}[(q >> 16) % 8];
                break;
            case 3: /* TTL */
                ip.ttl = (unsigned)((q >> 8) % 300);
                break;
            default: /* random byte anywhere */
                if (len > 0) {
                    buf[(q >> 8) % len] = (uint8_t)(q >> 32);
                }
                break;
            }
        }
        if (len >= VRRP_HDR_LEN && (r >> 20) % 2 == 0) {
            fix_csum(buf, len, &ip);
        }
        if (vrrp_decode(buf, len, &ip, &a, NULL) != 0) {
            n_rejected++;
            continue;
        }
        n_ok++;
        assert_int_equal(vrrp_encode(&a, &ip, out, sizeof out, &olen), 0);
        assert_int_equal(olen, len);
        if (a.version == 3 && (buf[4] & 0xf0) != 0) {
            buf[4] &= 0x0f;
            fix_csum(buf, len, &ip);
        }
        /* 0x0000 and 0xffff are both one's complement zero (RFC 1071). */
        if (buf[6] == 0xff && buf[7] == 0xff && out[6] == 0 && out[7] == 0) {
            out[6] = out[7] = 0xff;
        }
        assert_memory_equal(out, buf, len);
    }
    /* Both outcomes must have been exercised for the loop to mean much. */
    assert_true(n_ok > 1000);
    assert_true(n_rejected > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_vectors),
        cmocka_unit_test(test_decode_vectors),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_single_bit_corruption),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_v3_reserved_ignored),
        cmocka_unit_test(test_ipv4_header),
        cmocka_unit_test(test_encode_invalid),
        cmocka_unit_test(test_max_addresses),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
