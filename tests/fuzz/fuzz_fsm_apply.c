/* libFuzzer driver for the replicated state machine (raft/fsm.h) fed
 * through the log entry codec (raft/entry.h), placement records included.
 * Not part of make check: tests/fuzz/run.sh fsm_apply.
 *
 * Input: a sequence of records, each u16 length (little-endian) + bytes,
 * applied in order to a fresh FSM at increasing log indexes. Nothing may
 * crash; every record decoded must encode back to the same bytes; and the
 * state reached, whatever the records, must snapshot to bytes that decode
 * (the decoder's rules hold for every reachable state) and encode again to
 * the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "raft/fsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct entry ent; /* ~10 KB */
static uint8_t again[ENTRY_HEADER_SIZE + ENTRY_MAX_SIZE];
static struct fsm_state back; /* ~700 KB: not on the stack */

static void check_record(const uint8_t *p, size_t n)
{
    size_t len = 0;

    if (entry_decode(p, n, &ent, NULL) != 0) {
        return;
    }
    if (entry_validate(&ent, NULL) != 0 ||
        entry_encode(&ent, again, sizeof again, &len, NULL) != 0 ||
        len != n || memcmp(again, p, n) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fsm f;
    uint64_t index = 0;
    size_t pos = 0;
    void *b1, *b2;
    size_t l1, l2;

    if (fsm_init(&f) != 0) {
        abort();
    }
    while (size - pos >= 2) {
        size_t n = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
        pos += 2;
        if (n > size - pos) {
            n = size - pos;
        }
        check_record(data + pos, n);
        int rv = fsm_apply_buf(&f, data + pos, n, ++index);
        if (rv != 0 && rv != 1 && rv != 2 && rv != VIP_EPROTO &&
            rv != VIP_EINVAL && rv != VIP_ERANGE) {
            abort();
        }
        pos += n;
    }
    if (fsm_snapshot_encode(f.st, &b1, &l1) != 0 ||
        fsm_snapshot_decode(b1, l1, &back, NULL) != 0 ||
        fsm_snapshot_encode(&back, &b2, &l2) != 0 || l1 != l2 ||
        memcmp(b1, b2, l1) != 0) {
        abort();
    }
    raft_free(b1);
    raft_free(b2);
    fsm_close(&f);
    return 0;
}
