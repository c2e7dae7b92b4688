/* Encrypted frames (see raft/frame_crypt.h). */
#include <string.h>

#include <sodium.h>

#include "raft/frame_crypt.h"

static void nonce_put(uint8_t n[crypto_aead_chacha20poly1305_IETF_NPUBBYTES],
                      uint64_t counter)
{
    memset(n, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
    for (unsigned i = 0; i < 8; i++) {
        n[4 + i] = (uint8_t)(counter >> (8 * i));
    }
}

void fc_init(struct fc_dir *d, const uint8_t key[FC_KEY_SIZE])
{
    memcpy(d->key, key, FC_KEY_SIZE);
    d->counter = 0;
}

void fc_close(struct fc_dir *d)
{
    sodium_memzero(d->key, sizeof d->key);
}

long fc_seal(struct fc_dir *d, const uint8_t *plain, size_t len, uint8_t *out)
{
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    unsigned long long clen = 0;

    if (len == 0 || len > FC_PLAIN_MAX) {
        return VIP_EINVAL;
    }
    if (d->counter == UINT64_MAX) {
        return VIP_ERANGE;
    }
    out[0] = (uint8_t)(len & 0xff);
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 24);
    nonce_put(nonce, d->counter++);
    crypto_aead_chacha20poly1305_ietf_encrypt(out + FC_HEADER, &clen, plain,
                                              len, out, FC_HEADER, NULL,
                                              nonce, d->key);
    return (long)(FC_HEADER + clen);
}

long fc_open(struct fc_dir *d, const uint8_t *in, size_t len, uint8_t *plain,
             size_t *plain_len, size_t *used)
{
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    unsigned long long plen = 0;
    size_t n;

    *used = 0;
    if (len < FC_HEADER) {
        return 0;
    }
    n = (size_t)in[0] | ((size_t)in[1] << 8) | ((size_t)in[2] << 16) |
        ((size_t)in[3] << 24);
    if (n == 0 || n > FC_PLAIN_MAX) {
        return VIP_EPROTO;
    }
    if (len < FC_HEADER + n + FC_TAG) {
        return 0;
    }
    if (d->counter == UINT64_MAX) {
        return VIP_ERANGE;
    }
    nonce_put(nonce, d->counter);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(
            plain, &plen, NULL, in + FC_HEADER, n + FC_TAG, in, FC_HEADER,
            nonce, d->key) != 0) {
        return VIP_EAUTH;
    }
    d->counter++;
    *plain_len = (size_t)plen;
    *used = FC_HEADER + n + FC_TAG;
    return (long)*used;
}
