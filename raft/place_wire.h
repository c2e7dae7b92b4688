/* Wire format of the placement messages (raft/place.h), carried as peer
 * RPC bodies (raft/peer_rpc.h: VR_RPC_PLACE, VR_RPC_PLACE_REPLY). Pure.
 *
 * All integers little-endian; names as u8 length + bytes (1 to
 * ENTRY_NAME_MAX - 1 printable ASCII bytes, no terminator); at most
 * PLACE_MAX_UNITS names per list, each at most once.
 *
 *   request: u8 version (1), u64 term, u64 seq, u64 acked,
 *            u8 n_claims, claims
 *   reply:   u8 version (1), u64 term, u64 seq, u32 grant_ms,
 *            i32 status, u8 n_granted, granted, u8 n_revoked, revoked
 *
 * Decoding validates every length, count and name and rejects trailing
 * bytes: VIP_EPROTO, never a crash (tests/fuzz/fuzz_place_wire.c). A reply
 * also needs seq > 0, grant_ms at most PLACE_WIRE_GRANT_MAX, and a status
 * that is 0 or negative; a request needs seq > 0 and acked < seq. */
#ifndef VIPD_RAFT_PLACE_WIRE_H
#define VIPD_RAFT_PLACE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "raft/place.h"

#define PLACE_WIRE_VERSION   1
#define PLACE_WIRE_MAX       (1 + 8 * 3 + 4 + 4 + 2 + \
                              2 * PLACE_MAX_UNITS * ENTRY_NAME_MAX)
#define PLACE_WIRE_GRANT_MAX 600000u /* 10 min: no sane T gives more */

/* Encode into @out (@size >= PLACE_WIRE_MAX is always enough). Returns the
 * length, or 0 if @size is too small or the message is invalid. */
size_t place_request_encode(const struct place_request *req, uint8_t *out,
                            size_t size);
size_t place_reply_encode(const struct place_reply *rep, uint8_t *out,
                          size_t size);

/* Decode @len bytes; 0 or VIP_EPROTO. */
int place_request_decode(const uint8_t *buf, size_t len,
                         struct place_request *req);
int place_reply_decode(const uint8_t *buf, size_t len,
                       struct place_reply *rep);

#endif /* VIPD_RAFT_PLACE_WIRE_H */
