/* libFuzzer driver for the connection handshake parser (raft/handshake.h)
 * and the key file parser (raft/keyfile.h). Not part of make check:
 * tests/fuzz/run.sh handshake.
 *
 * Input: byte 0 picks the role (bit 0: initiator) and whether the rest is
 * also tried as key file content (bit 1); then chunks, each a length byte
 * followed by up to that many bytes, fed to handshake_input(). A real
 * initiator's or responder's messages are produced too, so the fuzzer can
 * splice valid headers. Nothing may crash, read out of bounds, or succeed
 * without the key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/handshake.h"
#include "raft/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[HS_KEY_SIZE] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
    static const uint8_t nonce[HS_NONCE_SIZE] = "fuzz-nonce-fuzz-nonce-fuzz-nonc";
    struct handshake h;
    size_t off = 1;
    int rv = 0;

    if (size < 1) {
        return 0;
    }
    if (data[0] & 2) {
        uint8_t k[KEYFILE_KEY_SIZE];
        char errmsg[VIP_ERRMSG_SIZE];
        (void)keyfile_parse(data + 1, size - 1, k, errmsg);
    }
    handshake_init(&h, key, (data[0] & 1) != 0, nonce,
                   (const uint8_t *)"ident", 5);
    while (off < size && rv >= 0) {
        const uint8_t *msg;
        size_t n = data[off++];
        if (n > size - off) {
            n = size - off;
        }
        /* Any amount must be taken or refused cleanly, never overflow
         * (ASan); "need more" always means a message is unfinished. */
        rv = handshake_input(&h, data + off, n);
        if (rv == 0 && n > 0 && handshake_want(&h) == 0) {
            abort();
        }
        if (rv != 0 && rv != 1 && rv != VIP_EPROTO && rv != VIP_EAUTH) {
            abort();
        }
        (void)handshake_take_output(&h, &msg);
        off += n;
    }
    /* A REPLY or PROOF made without the key never verifies. */
    if (h.state == HS_DONE) {
        abort();
    }
    handshake_close(&h);
    return 0;
}
