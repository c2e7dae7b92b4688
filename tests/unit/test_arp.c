/* Gratuitous ARP and unsolicited NA frames, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vip/arp.h"
#include "vipd/error.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* A GARP for 10.0.0.100 from 02:00:00:00:00:01 (RFC 826 layout, RFC 5227
 * section 3 gratuitous form): broadcast, ARP request, SPA = TPA. */
static void test_garp(void **state)
{
    /* clang-format off */
    static const uint8_t want[ARP_GARP_LEN] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* Ethernet destination */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* Ethernet source */
        0x08, 0x06,                         /* EtherType ARP */
        0x00, 0x01, 0x08, 0x00, 6,    4,    /* Ethernet/IPv4, 6, 4 */
        0x00, 0x01,                         /* request */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* SHA */
        10,   0,    0,    100,              /* SPA */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* THA */
        10,   0,    0,    100,              /* TPA */
        /* 18 bytes of zero padding up to 60 */
    };
    /* clang-format on */
    uint8_t buf[ARP_GARP_LEN + 4];
    size_t len = 0;
    (void)state;

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(
        arp_garp_encode(mac, (uint8_t[]){10, 0, 0, 100}, buf, sizeof buf, &len),
        0);
    assert_int_equal(len, ARP_GARP_LEN);
    assert_memory_equal(buf, want, ARP_GARP_LEN);
    assert_int_equal(buf[ARP_GARP_LEN], 0xaa); /* nothing written past */
    assert_int_equal(arp_garp_encode(mac, (uint8_t[]){10, 0, 0, 100}, buf,
                                     ARP_GARP_LEN - 1, &len),
                     VIP_ERANGE);
}

/* An unsolicited NA for 2001:db8::1 from fe80::1 to ff02::1 (RFC 4861
 * 4.4 and 7.2.6). ICMPv6 checksum over the RFC 8200 pseudo-header:
 *   pseudo: 0xfe80 + 0x0001 (src) + 0xff02 + 0x0001 (dst)
 *         + 0x0020 (length 32) + 0x003a (next header 58)     = 0x1fdde
 *   NA:     0x8800 (type 136, code 0) + 0x2000 (O flag)
 *         + 0x2001 + 0x0db8 + 0x0001 (target)
 *         + 0x0201 (option 2, len 1) + 0x0200 + 0x0000 + 0x0001 (MAC)
 *                                                             = 0xd9bc
 *   0x1fdde + 0xd9bc = 0x2d79a -> fold 0xd79a + 0x2 = 0xd79c;
 *   ~0xd79c = 0x2863. */
static void test_na(void **state)
{
    static const uint8_t target[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t src[16] = {0xfe, 0x80, [15] = 1};
    static const uint8_t dst[16] = {0xff, 0x02, [15] = 1};
    /* clang-format off */
    static const uint8_t want[ARP_NA_LEN] = {
        136,  0,    0x28, 0x63, 0x20, 0, 0, 0, /* type, code, csum, flags */
        0x20, 0x01, 0x0d, 0xb8, 0,    0, 0, 0, /* target */
        0,    0,    0,    0,    0,    0, 0, 1,
        2,    1,    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* TLLA option */
    };
    /* clang-format on */
    uint8_t buf[ARP_NA_LEN];
    size_t len = 0;
    (void)state;

    assert_int_equal(
        arp_na_encode(mac, target, src, dst, buf, sizeof buf, &len), 0);
    assert_int_equal(len, ARP_NA_LEN);
    assert_memory_equal(buf, want, ARP_NA_LEN);

    /* Without addresses the checksum is left to the kernel. */
    assert_int_equal(
        arp_na_encode(mac, target, NULL, NULL, buf, sizeof buf, &len), 0);
    assert_int_equal(buf[2], 0);
    assert_int_equal(buf[3], 0);
    assert_memory_equal(buf + 4, want + 4, ARP_NA_LEN - 4);
    assert_int_equal(
        arp_na_encode(mac, target, src, dst, buf, ARP_NA_LEN - 1, &len),
        VIP_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garp),
        cmocka_unit_test(test_na),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
