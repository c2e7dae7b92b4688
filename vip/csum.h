/* The Internet checksum (RFC 1071), shared by the VRRP and NA encoders.
 * Pure: no I/O. Data is summed as big-endian 16-bit words; callers add
 * even-length pieces first and at most one odd-length piece last. */
#ifndef VIPD_VIP_CSUM_H
#define VIPD_VIP_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add @len bytes at @p to the running 32-bit+ sum @sum and return it. An odd
 * trailing byte is padded with a zero byte, as RFC 1071 prescribes. */
static inline uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    while (len > 1) {
        sum += (uint64_t)((unsigned)p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len == 1) {
        sum += (uint64_t)((unsigned)p[0] << 8);
    }
    return sum;
}

/* Add one 16-bit value (host order) to @sum. */
static inline uint64_t csum_add16(uint64_t sum, uint16_t v)
{
    return sum + v;
}

/* Fold the carries back in (end-around carry) and return the one's
 * complement, ready to be stored big-endian. A buffer whose stored checksum
 * is correct sums, checksum included, to a fold of 0. */
static inline uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

#endif /* VIPD_VIP_CSUM_H */
