/* The encrypted framing of every cluster connection after the handshake
 * (raft/handshake.h). Pure: no I/O; raft/channel.c moves the bytes.
 *
 * Each direction has its own 32-byte key (handshake_session_keys()) and its
 * own frame counter, starting at 0. A frame is
 *   0  4  plaintext length L, little-endian, 1..FC_PLAIN_MAX
 *   4  L+16  ChaCha20-Poly1305 (IETF) of the plaintext, with the 4 length
 *            bytes as associated data and the nonce 0x00000000 || counter
 *            (8 bytes little-endian)
 * libsodium's crypto_aead_chacha20poly1305_ietf does the work. The counter
 * is never sent: the receiver uses the number of frames it has opened, so a
 * replayed, dropped, reordered or altered frame fails to open, and the
 * connection is closed. A key is used for one connection and one direction
 * only, so a counter value never repeats under the same key. */
#ifndef VIPD_RAFT_FRAME_CRYPT_H
#define VIPD_RAFT_FRAME_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

#define FC_KEY_SIZE   32
#define FC_HEADER     4
#define FC_TAG        16
#define FC_PLAIN_MAX  65536
#define FC_FRAME_MAX  (FC_HEADER + FC_PLAIN_MAX + FC_TAG)

/* One direction of a connection. */
struct fc_dir
{
    uint8_t key[FC_KEY_SIZE];
    uint64_t counter; /* frames sealed / opened so far */
};

/* Set @d up with @key (copied) and counter 0. */
void fc_init(struct fc_dir *d, const uint8_t key[FC_KEY_SIZE]);

/* Wipe the key. */
void fc_close(struct fc_dir *d);

/* Seal @len (1..FC_PLAIN_MAX) bytes of @plain into @out (room for
 * FC_HEADER + @len + FC_TAG bytes). Returns the frame length, or
 * VIP_EINVAL for a bad length or VIP_ERANGE once the counter is used up. */
long fc_seal(struct fc_dir *d, const uint8_t *plain, size_t len, uint8_t *out);

/* Try to open the frame at the start of @in (@len bytes available).
 * Returns 0 when more bytes are needed (*@used = 0); the frame's length
 * (> 0) after success, with the plaintext in @plain (room for FC_PLAIN_MAX
 * bytes), its length in *@plain_len and *@used the frame's length; or
 * VIP_EPROTO (bad length field) / VIP_EAUTH (does not authenticate: altered,
 * replayed, reordered, or another key). Never reads past @len; @plain is
 * only written for a frame that authenticates. */
long fc_open(struct fc_dir *d, const uint8_t *in, size_t len, uint8_t *plain,
             size_t *plain_len, size_t *used);

#endif /* VIPD_RAFT_FRAME_CRYPT_H */
