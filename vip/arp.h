/* Announcement frames: gratuitous ARP (RFC 5227 section 3, as an ARP
 * request, the form Linux and keepalived use) for IPv4 and unsolicited
 * Neighbor Advertisement (RFC 4861 7.2.6) for IPv6. Pure: no I/O. */
#ifndef VIPD_VIP_ARP_H
#define VIPD_VIP_ARP_H

#include <stddef.h>
#include <stdint.h>

#define ARP_GARP_LEN 60 /* Ethernet minimum frame without FCS, zero padded */
#define ARP_NA_LEN   32 /* ICMPv6 NA + one target link-layer address option */

/* Write a broadcast Ethernet frame carrying a gratuitous ARP request for
 * @ip (4 bytes, network order) from @mac into @buf (@size bytes): sender
 * and target protocol address both @ip, sender hardware address @mac,
 * target hardware address ff:ff:ff:ff:ff:ff. Stores ARP_GARP_LEN in @len.
 * Returns 0 or VIP_ERANGE if @size is too small. */
int arp_garp_encode(const uint8_t mac[6],
                    const uint8_t ip[4],
                    uint8_t *buf,
                    size_t size,
                    size_t *len);

/* Write the ICMPv6 part of an unsolicited Neighbor Advertisement for
 * @target with Override set and a target link-layer address option @mac.
 * If @src and @dst (16 bytes each) are given, the ICMPv6 checksum is
 * computed over the RFC 8200 pseudo-header; else it is left 0 (a raw
 * ICMPv6 socket has the kernel fill it in). Stores ARP_NA_LEN in @len.
 * Returns 0 or VIP_ERANGE. */
int arp_na_encode(const uint8_t mac[6],
                  const uint8_t target[16],
                  const uint8_t *src,
                  const uint8_t *dst,
                  uint8_t *buf,
                  size_t size,
                  size_t *len);

#endif /* VIPD_VIP_ARP_H */
