/* The mutual challenge-response that opens every cluster connection, before
 * the transport preamble (raft/transport.h). Pure: no I/O, no clock; the
 * caller supplies the random nonce, feeds received bytes and sends what the
 * state machine produces.
 *
 * Both sides hold the same 32-byte auth key (derived from the cluster key
 * file, raft/keyfile.h). The initiator is the connecting side.
 *
 * Messages (every one starts with the same 8-byte header):
 *   header:  0 4 magic "VIPA"
 *            4 1 version (HS_VERSION)
 *            5 1 type (enum hs_type)
 *            6 2 identity length N, little-endian (HELLO and REPLY,
 *                0..HS_IDENT_MAX); zero in PROOF (anything else is rejected)
 *   HELLO  (initiator -> responder, 40 + N bytes): header, nonce_i[32],
 *          ident_i[N]
 *   REPLY  (responder -> initiator, 72 + N bytes): header, nonce_r[32],
 *          mac_r[32], ident_r[N]
 *   PROOF  (initiator -> responder, 40 bytes): header, mac_i[32]
 *
 *   An identity is an opaque byte string to this module; the transport
 *   puts its preamble there (connection kind, node id, listen address:
 *   raft/transport.h), so who a side claims to be is part of what both
 *   MACs prove.
 *
 *   T     = BLAKE2b-256("vipd-handshake-v2" || u16 N_i || ident_i ||
 *                       u16 N_r || ident_r || nonce_i || nonce_r)
 *   mac_x = HMAC-SHA-512-256(auth_key, role || T)
 *   with role the single byte 'R' for mac_r and 'I' for mac_i.
 *
 * Each side's MAC covers the other side's fresh nonce, so a recorded
 * exchange cannot be replayed; the role byte makes a responder's MAC useless
 * as an initiator's proof (reflection); both identities are in T, so a relay
 * cannot change who either side says it is. MACs are checked in constant
 * time (crypto_auth_verify). The initiator checks mac_r before it proves
 * anything itself, and sends nothing more on failure; the responder hands
 * nothing on until mac_i is verified. After success both sides derive the
 * same two per-connection keys (handshake_session_keys), one per direction,
 * for the encrypted channel (raft/channel.h).
 *
 * The parser takes exactly the bytes of the message it expects
 * (handshake_want()), never more, so whatever follows on the stream (the
 * preamble) is left for the next reader. The header of the first message is
 * checked byte by byte as it arrives, so a stranger speaking another
 * protocol is dropped after its first wrong byte. */
#ifndef VIPD_RAFT_HANDSHAKE_H
#define VIPD_RAFT_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

#define HS_MAGIC       "VIPA"
#define HS_VERSION     2
#define HS_HEADER_SIZE 8
#define HS_KEY_SIZE    32
#define HS_NONCE_SIZE  32
#define HS_MAC_SIZE    32
#define HS_HELLO_SIZE  (HS_HEADER_SIZE + HS_NONCE_SIZE)               /* 40 */
#define HS_REPLY_SIZE  (HS_HEADER_SIZE + HS_NONCE_SIZE + HS_MAC_SIZE) /* 72 */
#define HS_PROOF_SIZE  (HS_HEADER_SIZE + HS_MAC_SIZE)                 /* 40 */
#define HS_IDENT_MAX   320 /* room for the transport preamble */
#define HS_MSG_MAX     (HS_REPLY_SIZE + HS_IDENT_MAX)
#define HS_LABEL       "vipd-handshake-v2"

enum hs_type {
    HS_HELLO = 1,
    HS_REPLY = 2,
    HS_PROOF = 3,
};

enum hs_state {
    HS_WAIT_HELLO, /* responder */
    HS_WAIT_REPLY, /* initiator */
    HS_WAIT_PROOF, /* responder */
    HS_DONE,
    HS_FAILED,
};

struct handshake
{
    bool is_initiator;
    enum hs_state state;
    uint8_t key[HS_KEY_SIZE]; /* auth key, wiped by _close() */
    uint8_t nonce_i[HS_NONCE_SIZE];
    uint8_t nonce_r[HS_NONCE_SIZE];
    uint8_t in[HS_MSG_MAX]; /* the message being received */
    size_t in_len;
    uint8_t ident[HS_IDENT_MAX];      /* this side's identity */
    size_t ident_len;
    uint8_t peer_ident[HS_IDENT_MAX]; /* the other side's, once received */
    size_t peer_ident_len;
    /* Outgoing messages, each in its own buffer so an earlier one may still
     * be in flight while the next is produced. */
    uint8_t hello[HS_HELLO_SIZE + HS_IDENT_MAX];
    uint8_t reply[HS_REPLY_SIZE + HS_IDENT_MAX];
    uint8_t proof[HS_PROOF_SIZE];
    const uint8_t *out; /* the next message to send, or NULL */
    size_t out_len;
    int error; /* why it failed (HS_FAILED) */
};

/* Start a handshake as initiator (@is_initiator) or responder with the
 * 32-byte auth @key, this side's fresh random @nonce (the transport uses
 * randombytes_buf(); tests pass fixed ones) and this side's identity
 * (@ident_len bytes, at most HS_IDENT_MAX, more are cut; NULL for none).
 * An initiator has its HELLO ready to send at once
 * (handshake_take_output()). */
void handshake_init(struct handshake *h,
                    const uint8_t key[HS_KEY_SIZE],
                    bool is_initiator,
                    const uint8_t nonce[HS_NONCE_SIZE],
                    const uint8_t *ident,
                    size_t ident_len);

/* Wipe the key and nonces. Safe to call more than once. */
void handshake_close(struct handshake *h);

/* How many more bytes the current message needs (0 once done or failed).
 * Read at most this many, so nothing past the handshake is consumed. */
size_t handshake_want(const struct handshake *h);

/* Feed @len received bytes: handshake_want() is always a safe amount; up
 * to the end of the current message is accepted too (the header is taken
 * first and says how long the rest is). Returns 0 while more bytes are
 * needed (check handshake_take_output() after every call: a message may be
 * ready to send), 1 when the handshake succeeded, or VIP_EPROTO
 * (malformed: wrong magic, version, type or identity length, or bytes past
 * the end of the message) or VIP_EAUTH (wrong MAC: the peer does not hold
 * our key). After a failure every further call returns the same error. */
int handshake_input(struct handshake *h, const uint8_t *buf, size_t len);

/* The message to send next, if any: returns its length and sets *@msg (the
 * bytes stay valid until handshake_close()), or 0 when nothing is due.
 * Each message is returned once. */
size_t handshake_take_output(struct handshake *h, const uint8_t **msg);

/* After success: two 32-byte keys for this connection only, the same pair
 * on both sides (BLAKE2b-512 keyed with the auth key over a label and T):
 * @tx for what this side sends, @rx for what it receives (the initiator's
 * tx is the responder's rx). Returns 0, or VIP_EINVAL before success. */
int handshake_session_keys(const struct handshake *h,
                           uint8_t tx[HS_KEY_SIZE],
                           uint8_t rx[HS_KEY_SIZE]);

#endif /* VIPD_RAFT_HANDSHAKE_H */
