/* The connection handshake state machine (see raft/handshake.h). */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "raft/handshake.h"

#define LABEL_LEN     (sizeof HS_LABEL - 1)
#define SESSION_LABEL "vipd-session-v2"

static void header_put(uint8_t *out, uint8_t type, size_t ident_len)
{
    memcpy(out, HS_MAGIC, 4);
    out[4] = HS_VERSION;
    out[5] = type;
    out[6] = (uint8_t)(ident_len & 0xff);
    out[7] = (uint8_t)(ident_len >> 8);
}

/* Check the header bytes received so far (@n of them, possibly fewer than
 * HS_HEADER_SIZE), so a stranger is rejected at its first wrong byte. */
static bool header_ok(const uint8_t *in, size_t n, uint8_t type)
{
    uint8_t want[HS_HEADER_SIZE];
    size_t len;

    header_put(want, type, 0);
    if (memcmp(in, want, n < 6 ? n : 6) != 0) {
        return false;
    }
    if (n < HS_HEADER_SIZE) {
        return true;
    }
    len = (size_t)in[6] | ((size_t)in[7] << 8);
    /* PROOF carries no identity. */
    return type == HS_PROOF ? len == 0 : len <= HS_IDENT_MAX;
}

/* The transcript hash T (raft/handshake.h), once both identities and both
 * nonces are known. */
static void transcript(const struct handshake *h, uint8_t out[32])
{
    const uint8_t *id_i = h->is_initiator ? h->ident : h->peer_ident;
    const uint8_t *id_r = h->is_initiator ? h->peer_ident : h->ident;
    size_t n_i = h->is_initiator ? h->ident_len : h->peer_ident_len;
    size_t n_r = h->is_initiator ? h->peer_ident_len : h->ident_len;
    crypto_generichash_state st;
    uint8_t len[2];

    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)HS_LABEL, LABEL_LEN);
    len[0] = (uint8_t)(n_i & 0xff);
    len[1] = (uint8_t)(n_i >> 8);
    crypto_generichash_update(&st, len, 2);
    crypto_generichash_update(&st, id_i, n_i);
    len[0] = (uint8_t)(n_r & 0xff);
    len[1] = (uint8_t)(n_r >> 8);
    crypto_generichash_update(&st, len, 2);
    crypto_generichash_update(&st, id_r, n_r);
    crypto_generichash_update(&st, h->nonce_i, HS_NONCE_SIZE);
    crypto_generichash_update(&st, h->nonce_r, HS_NONCE_SIZE);
    crypto_generichash_final(&st, out, 32);
}

/* The MAC a side with @role ('I' or 'R') sends, over the transcript. */
static void mac_compute(const struct handshake *h,
                        uint8_t role,
                        uint8_t out[HS_MAC_SIZE])
{
    uint8_t msg[1 + 32];
    msg[0] = role;
    transcript(h, msg + 1);
    crypto_auth(out, msg, sizeof msg, h->key);
}

static bool mac_verify(const struct handshake *h,
                       uint8_t role,
                       const uint8_t mac[HS_MAC_SIZE])
{
    uint8_t msg[1 + 32];
    msg[0] = role;
    transcript(h, msg + 1);
    /* Constant time: crypto_auth_verify() uses crypto_verify_32(). */
    return crypto_auth_verify(mac, msg, sizeof msg, h->key) == 0;
}

static int fail(struct handshake *h, int error)
{
    h->state = HS_FAILED;
    h->error = error;
    h->out = NULL;
    h->out_len = 0;
    return error;
}

/* The full length of the message being received: its fixed part, plus the
 * identity once the header says how long that is. */
static size_t want_total(const struct handshake *h)
{
    size_t fixed, ident = 0;

    switch (h->state) {
    case HS_WAIT_HELLO:
        fixed = HS_HELLO_SIZE;
        break;
    case HS_WAIT_REPLY:
        fixed = HS_REPLY_SIZE;
        break;
    case HS_WAIT_PROOF:
        fixed = HS_PROOF_SIZE;
        break;
    default:
        return 0;
    }
    if (h->in_len >= HS_HEADER_SIZE) {
        ident = (size_t)h->in[6] | ((size_t)h->in[7] << 8);
    }
    return fixed + ident;
}

void handshake_init(struct handshake *h,
                    const uint8_t key[HS_KEY_SIZE],
                    bool is_initiator,
                    const uint8_t nonce[HS_NONCE_SIZE],
                    const uint8_t *ident,
                    size_t ident_len)
{
    memset(h, 0, sizeof *h);
    h->is_initiator = is_initiator;
    memcpy(h->key, key, HS_KEY_SIZE);
    if (ident == NULL) {
        ident_len = 0;
    }
    if (ident_len > HS_IDENT_MAX) {
        ident_len = HS_IDENT_MAX;
    }
    if (ident_len > 0) {
        memcpy(h->ident, ident, ident_len);
    }
    h->ident_len = ident_len;
    if (is_initiator) {
        memcpy(h->nonce_i, nonce, HS_NONCE_SIZE);
        header_put(h->hello, HS_HELLO, ident_len);
        memcpy(h->hello + HS_HEADER_SIZE, h->nonce_i, HS_NONCE_SIZE);
        if (ident_len > 0) {
            memcpy(h->hello + HS_HELLO_SIZE, h->ident, ident_len);
        }
        h->out = h->hello;
        h->out_len = HS_HELLO_SIZE + ident_len;
        h->state = HS_WAIT_REPLY;
    } else {
        memcpy(h->nonce_r, nonce, HS_NONCE_SIZE);
        h->state = HS_WAIT_HELLO;
    }
}

void handshake_close(struct handshake *h)
{
    sodium_memzero(h->key, sizeof h->key);
    sodium_memzero(h->nonce_i, sizeof h->nonce_i);
    sodium_memzero(h->nonce_r, sizeof h->nonce_r);
}

size_t handshake_want(const struct handshake *h)
{
    size_t total = want_total(h);
    if (total == 0) {
        return 0;
    }
    /* The header first, alone: it says how long the rest is. */
    if (h->in_len < HS_HEADER_SIZE) {
        return HS_HEADER_SIZE - h->in_len;
    }
    return total > h->in_len ? total - h->in_len : 0;
}

/* A complete message is in h->in: act on it. */
static int message_complete(struct handshake *h)
{
    const uint8_t *body = h->in + HS_HEADER_SIZE;
    size_t n = (size_t)h->in[6] | ((size_t)h->in[7] << 8);

    h->in_len = 0;
    switch (h->state) {
    case HS_WAIT_HELLO:
        memcpy(h->nonce_i, body, HS_NONCE_SIZE);
        memcpy(h->peer_ident, body + HS_NONCE_SIZE, n);
        h->peer_ident_len = n;
        /* A reflected HELLO of another connection only gets a REPLY bound
         * to a fresh nonce_r. */
        header_put(h->reply, HS_REPLY, h->ident_len);
        memcpy(h->reply + HS_HEADER_SIZE, h->nonce_r, HS_NONCE_SIZE);
        mac_compute(h, 'R', h->reply + HS_HEADER_SIZE + HS_NONCE_SIZE);
        if (h->ident_len > 0) {
            memcpy(h->reply + HS_REPLY_SIZE, h->ident, h->ident_len);
        }
        h->out = h->reply;
        h->out_len = HS_REPLY_SIZE + h->ident_len;
        h->state = HS_WAIT_PROOF;
        return 0;
    case HS_WAIT_REPLY:
        memcpy(h->nonce_r, body, HS_NONCE_SIZE);
        memcpy(h->peer_ident, body + HS_NONCE_SIZE + HS_MAC_SIZE, n);
        h->peer_ident_len = n;
        /* A responder that reflects our nonce as its own could reuse our
         * MAC material; refuse it outright. */
        if (sodium_memcmp(h->nonce_r, h->nonce_i, HS_NONCE_SIZE) == 0) {
            return fail(h, VIP_EAUTH);
        }
        if (!mac_verify(h, 'R', body + HS_NONCE_SIZE)) {
            return fail(h, VIP_EAUTH);
        }
        header_put(h->proof, HS_PROOF, 0);
        mac_compute(h, 'I', h->proof + HS_HEADER_SIZE);
        h->out = h->proof;
        h->out_len = sizeof h->proof;
        h->state = HS_DONE;
        return 1;
    case HS_WAIT_PROOF:
        if (!mac_verify(h, 'I', body)) {
            return fail(h, VIP_EAUTH);
        }
        h->state = HS_DONE;
        return 1;
    default:
        assert(0);
        return fail(h, VIP_EPROTO);
    }
}

int handshake_input(struct handshake *h, const uint8_t *buf, size_t len)
{
    static const uint8_t types[] = {
        [HS_WAIT_HELLO] = HS_HELLO,
        [HS_WAIT_REPLY] = HS_REPLY,
        [HS_WAIT_PROOF] = HS_PROOF,
    };

    if (h->state == HS_FAILED) {
        return h->error;
    }
    if (h->state == HS_DONE) {
        return len == 0 ? 1 : fail(h, VIP_EPROTO);
    }
    /* Byte by byte through the header (it says how long the rest is), then
     * no more than the message's remainder. */
    while (len > 0) {
        size_t want = handshake_want(h);
        size_t n = len < want ? len : want;
        if (want == 0) {
            return fail(h, VIP_EPROTO);
        }
        memcpy(h->in + h->in_len, buf, n);
        h->in_len += n;
        buf += n;
        len -= n;
        if (!header_ok(h->in, h->in_len < HS_HEADER_SIZE ? h->in_len
                                                         : HS_HEADER_SIZE,
                       types[h->state])) {
            return fail(h, VIP_EPROTO);
        }
        if (h->in_len >= HS_HEADER_SIZE && h->in_len == want_total(h)) {
            int rv = message_complete(h);
            if (rv != 0 || len > 0) {
                /* Done or failed: anything more is too much. */
                return len > 0 && rv >= 0 ? fail(h, VIP_EPROTO) : rv;
            }
        }
    }
    return 0;
}

size_t handshake_take_output(struct handshake *h, const uint8_t **msg)
{
    size_t len = h->out_len;
    *msg = h->out;
    h->out = NULL;
    h->out_len = 0;
    return len;
}

int handshake_session_keys(const struct handshake *h,
                           uint8_t tx[HS_KEY_SIZE],
                           uint8_t rx[HS_KEY_SIZE])
{
    crypto_generichash_state st;
    uint8_t t[32];
    uint8_t out[2 * HS_KEY_SIZE];

    if (h->state != HS_DONE) {
        return VIP_EINVAL;
    }
    transcript(h, t);
    crypto_generichash_init(&st, h->key, HS_KEY_SIZE, sizeof out);
    crypto_generichash_update(&st, (const uint8_t *)SESSION_LABEL,
                              sizeof SESSION_LABEL - 1);
    crypto_generichash_update(&st, t, sizeof t);
    crypto_generichash_final(&st, out, sizeof out);
    /* First half: initiator to responder; second: the other way. */
    memcpy(tx, out + (h->is_initiator ? 0 : HS_KEY_SIZE), HS_KEY_SIZE);
    memcpy(rx, out + (h->is_initiator ? HS_KEY_SIZE : 0), HS_KEY_SIZE);
    sodium_memzero(out, sizeof out);
    sodium_memzero(t, sizeof t);
    return 0;
}
