/* libFuzzer driver for the log entry codec (raft/entry.h) and the
 * snapshot codec (raft/fsm.h), both versions of each. Not part of make
 * check: tests/fuzz/run.sh entry (tests/unit/test_entry.c and test_fsm.c
 * run shorter deterministic mutations in make check).
 *
 * Input: byte 0 bit 0 picks the decoder (0: entry, 1: snapshot); the rest
 * is the record. Nothing may crash or read out of bounds; an accepted
 * entry is valid and encodes to a record that decodes to the same
 * encoding; an accepted snapshot encodes to one that decodes again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/fsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const uint8_t *p, size_t n)
{
    static struct entry e, again;
    static uint8_t a[ENTRY_HEADER_SIZE + ENTRY_MAX_SIZE];
    static uint8_t b[ENTRY_HEADER_SIZE + ENTRY_MAX_SIZE];
    size_t la, lb;

    if (entry_decode(p, n, &e, NULL) != 0) {
        return;
    }
    if (entry_validate(&e, NULL) != 0 ||
        entry_encode(&e, a, sizeof a, &la, NULL) != 0 ||
        entry_decode(a, la, &again, NULL) != 0 ||
        entry_encode(&again, b, sizeof b, &lb, NULL) != 0 || la != lb ||
        memcmp(a, b, la) != 0) {
        abort();
    }
}

static void check_snapshot(const uint8_t *p, size_t n)
{
    static struct fsm_state st, again;
    void *buf;
    size_t len;

    if (fsm_snapshot_decode(p, n, &st, NULL) != 0) {
        return;
    }
    if (fsm_snapshot_encode(&st, &buf, &len) != 0) {
        abort();
    }
    if (fsm_snapshot_decode(buf, len, &again, NULL) != 0) {
        abort();
    }
    raft_free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        check_snapshot(data + 1, size - 1);
    } else {
        check_entry(data + 1, size - 1);
    }
    return 0;
}
