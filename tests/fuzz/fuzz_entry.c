/* libFuzzer driver for the replicated records: the log entry codec
 * (raft/entry.h) and the FSM snapshot codec (raft/fsm.h). Not part of
 * make check: tests/fuzz/run.sh entry.
 *
 * Input: byte 0 picks the target.
 *   even: the rest is a log entry. Whatever decodes must be valid, encode
 *         back to the same bytes (one encoding per record) and apply to an
 *         FSM without a crash.
 *   odd:  the rest is a snapshot. Whatever decodes must encode and decode
 *         again to a snapshot of the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "raft/fsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct entry ent;       /* ~10 KB */
static uint8_t again[ENTRY_HEADER_SIZE + ENTRY_MAX_SIZE];
static struct fsm_state st1, st2; /* ~700 KB each: not on the stack */
static struct fsm fsm;
static bool fsm_ready;

static void fuzz_entry(const uint8_t *data, size_t size)
{
    size_t len = 0;

    if (entry_decode(data, size, &ent, NULL) != 0) {
        return;
    }
    if (entry_validate(&ent, NULL) != 0 ||
        entry_encode(&ent, again, sizeof again, &len, NULL) != 0 ||
        len != size || memcmp(again, data, size) != 0) {
        abort();
    }
    if (!fsm_ready) {
        if (fsm_init(&fsm) != 0) {
            abort();
        }
        fsm_ready = true;
    }
    /* The state carries over between inputs, as a log does. */
    int rv = fsm_apply_buf(&fsm, data, size, 1);
    if (rv != 0 && rv != 1 && rv != 2 && rv != VIP_EINVAL &&
        rv != VIP_ERANGE) {
        abort();
    }
}

static void fuzz_snapshot(const uint8_t *data, size_t size)
{
    void *b1, *b2;
    size_t l1, l2;

    if (fsm_snapshot_decode(data, size, &st1, NULL) != 0) {
        return;
    }
    if (fsm_snapshot_encode(&st1, &b1, &l1) != 0) {
        abort();
    }
    if (fsm_snapshot_decode(b1, l1, &st2, NULL) != 0 ||
        fsm_snapshot_encode(&st2, &b2, &l2) != 0) {
        abort();
    }
    if (l1 != l2 || memcmp(b1, b2, l1) != 0) {
        abort();
    }
    raft_free(b1);
    raft_free(b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_snapshot(data + 1, size - 1);
    } else {
        fuzz_entry(data + 1, size - 1);
    }
    return 0;
}
