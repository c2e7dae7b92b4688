/* libFuzzer driver for the placement messages (raft/place_wire.h). Not
 * part of make check: tests/fuzz/run.sh place_wire. Byte 0 picks request
 * or reply; whatever decodes must encode back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft/place_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t again[PLACE_WIRE_MAX];
    struct place_request q;
    struct place_reply r;

    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        if (place_request_decode(data + 1, size - 1, &q) == 0 &&
            (place_request_encode(&q, again, sizeof again) != size - 1 ||
             memcmp(again, data + 1, size - 1) != 0)) {
            abort();
        }
    } else if (place_reply_decode(data + 1, size - 1, &r) == 0 &&
               (place_reply_encode(&r, again, sizeof again) != size - 1 ||
                memcmp(again, data + 1, size - 1) != 0)) {
        abort();
    }
    return 0;
}
