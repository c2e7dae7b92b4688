/* Gratuitous ARP and unsolicited NA builders. Pure: no I/O. */
#include "vip/arp.h"

#include <string.h>

#include "vip/csum.h"
#include "vipd/error.h"

int arp_garp_encode(const uint8_t mac[6],
                    const uint8_t ip[4],
                    uint8_t *buf,
                    size_t size,
                    size_t *len)
{
    /* clang-format off */
    static const uint8_t arp_head[8] = {
        0x00, 0x01, /* hardware type: Ethernet */
        0x08, 0x00, /* protocol type: IPv4 */
        6,    4,    /* address lengths */
        0x00, 0x01, /* operation: request (RFC 5227 3: either works; a
                       request also refreshes caches of hosts that
                       ignore unsolicited replies) */
    };
    /* clang-format on */
    uint8_t *p = buf;

    if (size < ARP_GARP_LEN) {
        return VIP_ERANGE;
    }
    memset(buf, 0, ARP_GARP_LEN);
    memset(p, 0xff, 6); /* destination: broadcast */
    memcpy(p + 6, mac, 6);
    p[12] = 0x08; /* EtherType ARP */
    p[13] = 0x06;
    p += 14;
    memcpy(p, arp_head, sizeof arp_head);
    p += sizeof arp_head;
    memcpy(p, mac, 6); /* sender hardware address */
    memcpy(p + 6, ip, 4);
    memset(p + 10, 0xff, 6); /* target hardware address */
    memcpy(p + 16, ip, 4);   /* target protocol address = sender's */
    *len = ARP_GARP_LEN;
    return 0;
}

int arp_na_encode(const uint8_t mac[6],
                  const uint8_t target[16],
                  const uint8_t *src,
                  const uint8_t *dst,
                  uint8_t *buf,
                  size_t size,
                  size_t *len)
{
    if (size < ARP_NA_LEN) {
        return VIP_ERANGE;
    }
    memset(buf, 0, ARP_NA_LEN);
    buf[0] = 136;  /* ICMPv6 type: Neighbor Advertisement */
    buf[1] = 0;    /* code */
    buf[4] = 0x20; /* R=0 S=0 O=1: unsolicited, override caches */
    memcpy(buf + 8, target, 16);
    buf[24] = 2; /* option: Target Link-Layer Address */
    buf[25] = 1; /* length in units of 8 bytes */
    memcpy(buf + 26, mac, 6);
    if (src != NULL && dst != NULL) {
        uint64_t sum = 0;
        uint16_t csum;

        sum = csum_add(sum, src, 16);
        sum = csum_add(sum, dst, 16);
        sum = csum_add16(sum, ARP_NA_LEN); /* 32-bit length, high half 0 */
        sum = csum_add16(sum, 58);         /* next header: ICMPv6 */
        csum = csum_fold(csum_add(sum, buf, ARP_NA_LEN));
        buf[2] = (uint8_t)(csum >> 8);
        buf[3] = (uint8_t)(csum & 0xff);
    }
    *len = ARP_NA_LEN;
    return 0;
}
