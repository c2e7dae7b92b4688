/* libFuzzer driver for the channel's parsers: the encrypted framing
 * (raft/frame_crypt.h) and the raft_uv stream validator
 * (raft/raft_wire.h). Not part of make check: tests/fuzz/run.sh channel.
 *
 * Input: byte 0 picks the target.
 *   even: the rest is a raft_uv stream, fed to the validator in chunks
 *         whose sizes come from byte 1; after a failure it must stay
 *         failed; it never reads out of bounds.
 *   odd:  the rest is sealed as frames (chunks of up to 255 bytes, sizes
 *         from the data), optionally tampered with at a position taken
 *         from byte 1, and opened again: untampered frames must give back
 *         the same bytes; a tampered stream must never open the tampered
 *         frame. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/frame_crypt.h"
#include "raft/raft_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct raft_wire wire; /* 64 KiB: not on the stack */
static uint8_t frames[8 * FC_FRAME_MAX];
static uint8_t plain[FC_PLAIN_MAX];

static void fuzz_wire(const uint8_t *data, size_t size)
{
    size_t chunk = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
    int rv = 0;

    raft_wire_init(&wire);
    for (size_t off = 1; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        int before = wire.stage == RW_FAILED;
        rv = raft_wire_feed(&wire, data + off, n);
        if (rv != 0 && rv != VIP_EPROTO) {
            abort();
        }
        if (before && rv == 0) {
            abort(); /* a failed validator accepted more */
        }
    }
}

static void fuzz_frames(const uint8_t *data, size_t size)
{
    static const uint8_t key[FC_KEY_SIZE] = "fuzz-frame-key-fuzz-frame-key-k";
    struct fc_dir tx, rx;
    size_t n_out = 0, off = 1, flip = size > 0 ? data[0] : 0;
    size_t starts[64], lens[64];
    unsigned n_frames = 0;
    uint8_t tamper = size > 1 ? data[1] : 0;

    fc_init(&tx, key);
    fc_init(&rx, key);
    while (off < size && n_frames < 64) {
        size_t n = data[off] == 0 ? 1 : data[off];
        long rv;
        if (n > size - off) {
            n = size - off;
        }
        rv = fc_seal(&tx, data + off, n, frames + n_out);
        if (rv <= 0) {
            abort();
        }
        starts[n_frames] = off;
        lens[n_frames++] = n;
        n_out += (size_t)rv;
        off += n;
    }
    if (tamper & 1 && n_out > 0) {
        frames[(flip * 7) % n_out] ^= (uint8_t)(tamper | 1);
    }
    off = 0;
    unsigned opened = 0;
    for (unsigned i = 0; i < n_frames; i++) {
        size_t plen = 0, used = 0;
        long rv = fc_open(&rx, frames + off, n_out - off, plain, &plen, &used);
        if (rv <= 0) {
            if (!(tamper & 1)) {
                abort(); /* an intact frame must open */
            }
            break;
        }
        if (!(tamper & 1) &&
            (plen != lens[i] || memcmp(plain, data + starts[i], plen) != 0)) {
            abort();
        }
        off += used;
        opened++;
    }
    if ((tamper & 1) && n_out > 0 && opened == n_frames) {
        abort(); /* a changed byte went unnoticed */
    }
    fc_close(&tx);
    fc_close(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_frames(data + 1, size - 1);
    } else {
        fuzz_wire(data + 1, size - 1);
    }
    return 0;
}
