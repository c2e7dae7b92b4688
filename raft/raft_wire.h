/* A validator for the raft_uv message stream (canonical raft 0.15's
 * src/uv_encoding.c), run on every byte a peer sends to our raft_uv before
 * raft_uv sees it (raft/channel.c). libraft 0.15 trusts every length and
 * count on the wire (an AppendEntries claiming one entry of an unknown type
 * makes it read freed memory; a header length of 2^60 is malloc()ed), so
 * whatever this validator does not accept is never delivered: the
 * connection is closed instead.
 *
 * A message is: type (u64), header length H (u64), H header bytes, then a
 * payload whose length the header implies (all little-endian). Accepted:
 *   type 1 AppendEntries:  H = 48 + 16 n with n (at offset 32) equal to
 *       (H - 48) / 16 and at most RW_ENTRIES_MAX (the last 8 header bytes
 *       are slack libraft never writes nor reads); each entry header (term
 *       u64, type u8, 3 bytes, length u32) of type COMMAND, BARRIER or
 *       CHANGE, length a multiple of 8 (libraft assumes 8-byte padding when
 *       it splits the payload); payload = sum of lengths <= RW_PAYLOAD_MAX
 *   type 2 AppendEntriesResult, 4 RequestVoteResult, 6 TimeoutNow: H = 24
 *   type 3 RequestVote: H = 40
 *   type 5 InstallSnapshot: H = 48 + C, C (at offset 32) in 9..RW_CONF_MAX,
 *       the configuration (format 1, server count <= RW_SERVERS_MAX, each
 *       id != 0, a NUL-terminated address, role 0..2) inside its C bytes;
 *       payload = data length (at offset 40 + C), 1..RW_PAYLOAD_MAX
 * Pure: no I/O. Bytes may arrive in any split. */
#ifndef VIPD_RAFT_RAFT_WIRE_H
#define VIPD_RAFT_RAFT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

/* libraft 0.15 sends a lagging follower every entry it has in one message
 * (threshold + trailing of the snapshot settings), hence the generous
 * count; entry headers are checked one by one as they arrive. */
#define RW_ENTRIES_MAX  (1u << 20)
#define RW_SERVERS_MAX  256
#define RW_CONF_MAX     65536
#define RW_PAYLOAD_MAX  (256u << 20)
#define RW_BUF_SIZE     (48 + RW_CONF_MAX)

enum rw_stage {
    RW_PREAMBLE, /* reading type and header length */
    RW_HEADER,
    RW_PAYLOAD,
    RW_FAILED,
};

struct raft_wire
{
    enum rw_stage stage;
    uint8_t buf[RW_BUF_SIZE];   /* preamble, then header (AppendEntries:
                                 * its first 40 bytes, then one entry
                                 * header at a time) */
    size_t have;                /* bytes of the current part in buf */
    uint64_t header_done;       /* header bytes checked so far */
    uint64_t entries_left;      /* AppendEntries: entry headers to come */
    uint64_t type;
    uint64_t header_len;
    uint64_t payload_left;
    uint64_t n_messages;        /* complete messages seen */
    const char *error;          /* why it failed (static text) */
};

void raft_wire_init(struct raft_wire *w);

/* Check @len more bytes of the stream. Returns 0 when every byte so far
 * belongs to valid messages (complete or not), or VIP_EPROTO with the
 * reason in w->error; after a failure every call fails. Whatever the
 * split, a message's last header byte is checked before 0 is returned, so
 * a caller that forwards a chunk only after 0 never delivers a bad
 * header. */
int raft_wire_feed(struct raft_wire *w, const uint8_t *data, size_t len);

#endif /* VIPD_RAFT_RAFT_WIRE_H */
