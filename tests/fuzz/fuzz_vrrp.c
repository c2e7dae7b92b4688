/* libFuzzer driver for the VRRP decoder (not part of make check):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I . \
 *       -include build/check/config.h tests/fuzz/fuzz_vrrp.c vip/vrrp.c \
 *       src/error.c -o fuzz_vrrp && ./fuzz_vrrp -max_total_time=60
 *
 * The first input byte picks the carrier (IPv4 datagram, or a bare message
 * with IPv4 or IPv6 pseudo-header values); whatever decodes must re-encode
 * to the same bytes (v3's ignored reserved nibble and the two forms of a
 * zero checksum aside). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vip/vrrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vrrp_advert a;
    struct vrrp_ipinfo ip;
    uint8_t out[VRRP_MAX_LEN];
    const uint8_t *msg;
    size_t len, olen;
    int rv;

    if (size < 1) {
        return 0;
    }
    memset(&ip, 0, sizeof ip);
    switch (data[0] % 3) {
    case 0:
        rv = vrrp_decode_ipv4(data + 1, size - 1, &ip, &a, NULL);
        if (rv != 0) {
            return 0;
        }
        /* Re-find the payload the decoder used. */
        msg = data + 1 + (size_t)(data[1] & 0x0f) * 4;
        len = (size_t)(data[3] << 8 | data[4]) - (size_t)(data[1] & 0x0f) * 4;
        break;
    default:
        if (size < 34) {
            return 0;
        }
        ip.family = data[0] % 3 == 1 ? AF_INET : AF_INET6;
        memcpy(ip.src, data + 1, 16);
        memcpy(ip.dst, data + 17, 16);
        ip.ttl = data[33];
        msg = data + 34;
        len = size - 34;
        if (vrrp_decode(msg, len, &ip, &a, NULL) != 0) {
            return 0;
        }
        break;
    }
    if (vrrp_encode(&a, &ip, out, sizeof out, &olen) != 0 || olen != len) {
        abort();
    }
    /* Byte 4's top nibble (v3 reserved) and so the checksum may differ. */
    if (a.version == 3 && (msg[4] & 0xf0) != 0) {
        return 0;
    }
    /* 0x0000 and 0xffff are both one's complement zero (RFC 1071): a
     * sender may use either; we always write 0x0000. */
    if (msg[6] == 0xff && msg[7] == 0xff && out[6] == 0 && out[7] == 0) {
        out[6] = out[7] = 0xff;
    }
    if (memcmp(out, msg, len) != 0) {
        abort();
    }
    return 0;
}
