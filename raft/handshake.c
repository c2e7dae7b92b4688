/* The connection handshake state machine (see raft/handshake.h). */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "raft/handshake.h"

#define LABEL_LEN     (sizeof HS_LABEL - 1)
#define MAC_INPUT_LEN (LABEL_LEN + 1 + 2 * HS_NONCE_SIZE)
#define SESSION_LABEL "vipd-session-v1"

static void header_put(uint8_t *out, uint8_t type)
{
    memcpy(out, HS_MAGIC, 4);
    out[4] = HS_VERSION;
    out[5] = type;
    out[6] = 0;
    out[7] = 0;
}

/* Check the header bytes received so far (@n of them, possibly fewer than
 * HS_HEADER_SIZE), so a stranger is rejected at its first wrong byte. */
static bool header_ok(const uint8_t *in, size_t n, uint8_t type)
{
    uint8_t want[HS_HEADER_SIZE];
    header_put(want, type);
    if (n > HS_HEADER_SIZE) {
        n = HS_HEADER_SIZE;
    }
    return memcmp(in, want, n) == 0;
}

/* The MAC a side with @role ('I' or 'R') sends, over both nonces. */
static void mac_compute(const struct handshake *h,
                        uint8_t role,
                        uint8_t out[HS_MAC_SIZE])
{
    uint8_t msg[MAC_INPUT_LEN];
    memcpy(msg, HS_LABEL, LABEL_LEN);
    msg[LABEL_LEN] = role;
    memcpy(msg + LABEL_LEN + 1, h->nonce_i, HS_NONCE_SIZE);
    memcpy(msg + LABEL_LEN + 1 + HS_NONCE_SIZE, h->nonce_r, HS_NONCE_SIZE);
    crypto_auth(out, msg, sizeof msg, h->key);
}

static bool mac_verify(const struct handshake *h,
                       uint8_t role,
                       const uint8_t mac[HS_MAC_SIZE])
{
    uint8_t msg[MAC_INPUT_LEN];
    memcpy(msg, HS_LABEL, LABEL_LEN);
    msg[LABEL_LEN] = role;
    memcpy(msg + LABEL_LEN + 1, h->nonce_i, HS_NONCE_SIZE);
    memcpy(msg + LABEL_LEN + 1 + HS_NONCE_SIZE, h->nonce_r, HS_NONCE_SIZE);
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

static size_t want_total(const struct handshake *h)
{
    switch (h->state) {
    case HS_WAIT_HELLO:
        return HS_HELLO_SIZE;
    case HS_WAIT_REPLY:
        return HS_REPLY_SIZE;
    case HS_WAIT_PROOF:
        return HS_PROOF_SIZE;
    default:
        return 0;
    }
}

void handshake_init(struct handshake *h,
                    const uint8_t key[HS_KEY_SIZE],
                    bool is_initiator,
                    const uint8_t nonce[HS_NONCE_SIZE])
{
    memset(h, 0, sizeof *h);
    h->is_initiator = is_initiator;
    memcpy(h->key, key, HS_KEY_SIZE);
    if (is_initiator) {
        memcpy(h->nonce_i, nonce, HS_NONCE_SIZE);
        header_put(h->hello, HS_HELLO);
        memcpy(h->hello + HS_HEADER_SIZE, h->nonce_i, HS_NONCE_SIZE);
        h->out = h->hello;
        h->out_len = sizeof h->hello;
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
    return total > h->in_len ? total - h->in_len : 0;
}

/* A complete message is in h->in: act on it. */
static int message_complete(struct handshake *h)
{
    const uint8_t *body = h->in + HS_HEADER_SIZE;

    h->in_len = 0;
    switch (h->state) {
    case HS_WAIT_HELLO:
        memcpy(h->nonce_i, body, HS_NONCE_SIZE);
        /* A peer echoing our own nonce back is not possible here (ours is
         * not sent yet); a reflected HELLO of another connection only gets
         * a REPLY bound to a fresh nonce_r. */
        header_put(h->reply, HS_REPLY);
        memcpy(h->reply + HS_HEADER_SIZE, h->nonce_r, HS_NONCE_SIZE);
        mac_compute(h, 'R', h->reply + HS_HEADER_SIZE + HS_NONCE_SIZE);
        h->out = h->reply;
        h->out_len = sizeof h->reply;
        h->state = HS_WAIT_PROOF;
        return 0;
    case HS_WAIT_REPLY:
        memcpy(h->nonce_r, body, HS_NONCE_SIZE);
        /* A responder that reflects our nonce as its own could reuse our
         * MAC material; refuse it outright. */
        if (sodium_memcmp(h->nonce_r, h->nonce_i, HS_NONCE_SIZE) == 0) {
            return fail(h, VIP_EAUTH);
        }
        if (!mac_verify(h, 'R', body + HS_NONCE_SIZE)) {
            return fail(h, VIP_EAUTH);
        }
        header_put(h->proof, HS_PROOF);
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
    size_t total;

    if (h->state == HS_FAILED) {
        return h->error;
    }
    if (h->state == HS_DONE) {
        return len == 0 ? 1 : fail(h, VIP_EPROTO);
    }
    total = want_total(h);
    if (len > total - h->in_len) {
        return fail(h, VIP_EPROTO);
    }
    memcpy(h->in + h->in_len, buf, len);
    h->in_len += len;
    if (!header_ok(h->in, h->in_len, types[h->state])) {
        return fail(h, VIP_EPROTO);
    }
    if (h->in_len < total) {
        return 0;
    }
    return message_complete(h);
}

size_t handshake_take_output(struct handshake *h, const uint8_t **msg)
{
    size_t len = h->out_len;
    *msg = h->out;
    h->out = NULL;
    h->out_len = 0;
    return len;
}

int handshake_session_key(const struct handshake *h, uint8_t out[HS_KEY_SIZE])
{
    crypto_generichash_state st;

    if (h->state != HS_DONE) {
        return VIP_EINVAL;
    }
    crypto_generichash_init(&st, h->key, HS_KEY_SIZE, HS_KEY_SIZE);
    crypto_generichash_update(&st, (const uint8_t *)SESSION_LABEL,
                              sizeof SESSION_LABEL - 1);
    crypto_generichash_update(&st, h->nonce_i, HS_NONCE_SIZE);
    crypto_generichash_update(&st, h->nonce_r, HS_NONCE_SIZE);
    crypto_generichash_final(&st, out, HS_KEY_SIZE);
    return 0;
}
