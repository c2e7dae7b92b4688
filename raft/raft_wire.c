/* The raft_uv stream validator (see raft/raft_wire.h). */
#include <string.h>

#include "raft/raft_wire.h"

/* libraft's message and entry types (raft.h), spelled out here so the
 * validator stays pure and its numbers are the wire's. */
enum {
    T_APPEND_ENTRIES = 1,
    T_APPEND_ENTRIES_RESULT = 2,
    T_REQUEST_VOTE = 3,
    T_REQUEST_VOTE_RESULT = 4,
    T_INSTALL_SNAPSHOT = 5,
    T_TIMEOUT_NOW = 6,
    E_COMMAND = 1,
    E_BARRIER = 2,
    E_CHANGE = 3,
};

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static int fail(struct raft_wire *w, const char *why)
{
    w->stage = RW_FAILED;
    w->error = why;
    return VIP_EPROTO;
}

void raft_wire_init(struct raft_wire *w)
{
    memset(w, 0, sizeof *w);
    w->stage = RW_PREAMBLE;
}

/* The preamble is complete: is the header length right for the type? */
static int check_preamble(struct raft_wire *w)
{
    uint64_t h = w->header_len;

    switch (w->type) {
    case T_APPEND_ENTRIES:
        if (h < 48 || (h - 48) % 16 != 0 ||
            (h - 48) / 16 > RW_ENTRIES_MAX) {
            return fail(w, "AppendEntries header length");
        }
        return 0;
    case T_APPEND_ENTRIES_RESULT:
    case T_REQUEST_VOTE_RESULT:
    case T_TIMEOUT_NOW:
        return h == 24 ? 0 : fail(w, "header length for the message type");
    case T_REQUEST_VOTE:
        return h == 40 ? 0 : fail(w, "RequestVote header length");
    case T_INSTALL_SNAPSHOT:
        if (h < 48 + 9 || h > 48 + RW_CONF_MAX) {
            return fail(w, "InstallSnapshot header length");
        }
        return 0;
    default:
        return fail(w, "unknown message type");
    }
}

/* libraft's configuration encoding (src/configuration.c) in @n bytes. */
static int check_conf(struct raft_wire *w, const uint8_t *p, size_t n)
{
    size_t off = 9;
    uint64_t count;

    if (n < 9 || p[0] != 1) {
        return fail(w, "snapshot configuration format");
    }
    count = get64(p + 1);
    if (count == 0 || count > RW_SERVERS_MAX) {
        return fail(w, "snapshot configuration server count");
    }
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *nul;
        if (n - off < 8 || get64(p + off) == 0) {
            return fail(w, "snapshot configuration server id");
        }
        off += 8;
        nul = memchr(p + off, '\0', n - off);
        if (nul == NULL || nul == p + off) {
            return fail(w, "snapshot configuration address");
        }
        off = (size_t)(nul - p) + 1;
        if (off >= n || p[off] > 2) {
            return fail(w, "snapshot configuration role");
        }
        off++;
    }
    return 0;
}

/* Finish a message part: the next one is the payload or a new message. */
static void header_complete(struct raft_wire *w, uint64_t payload)
{
    w->payload_left = payload;
    if (payload == 0) {
        w->n_messages++;
        w->stage = RW_PREAMBLE;
    } else {
        w->stage = RW_PAYLOAD;
    }
    w->have = 0;
}

/* How many header bytes to collect in buf before the next check. */
static size_t header_chunk(const struct raft_wire *w)
{
    if (w->type != T_APPEND_ENTRIES) {
        return (size_t)w->header_len;
    }
    if (w->header_done == 0) {
        return 40; /* term, prev index/term, commit, n */
    }
    return w->entries_left > 0 ? 16 : 8; /* an entry header, the slack */
}

/* A header chunk is in buf: check it. */
static int check_header_chunk(struct raft_wire *w)
{
    const uint8_t *h = w->buf;
    size_t chunk = header_chunk(w);

    w->header_done += chunk;
    if (w->type == T_APPEND_ENTRIES) {
        if (w->header_done == 40) {
            uint64_t n = get64(h + 32);
            if (n != (w->header_len - 48) / 16) {
                return fail(w, "AppendEntries entry count against its "
                               "header");
            }
            w->entries_left = n;
            w->payload_left = 0;
        } else if (chunk == 16) {
            uint32_t elen = get32(h + 12);
            if (h[8] != E_COMMAND && h[8] != E_BARRIER && h[8] != E_CHANGE) {
                return fail(w, "AppendEntries entry type");
            }
            if (elen % 8 != 0) {
                return fail(w, "AppendEntries entry length not padded");
            }
            w->payload_left += elen;
            if (w->payload_left > RW_PAYLOAD_MAX) {
                return fail(w, "AppendEntries payload too big");
            }
            w->entries_left--;
        }
        if (w->header_done == w->header_len) {
            header_complete(w, w->payload_left);
        }
        return 0;
    }
    if (w->type == T_INSTALL_SNAPSHOT) {
        uint64_t c = get64(h + 32);
        uint64_t payload;
        int rv;
        if (c + 48 != w->header_len) {
            return fail(w, "InstallSnapshot configuration length");
        }
        rv = check_conf(w, h + 40, (size_t)c);
        if (rv != 0) {
            return rv;
        }
        payload = get64(h + 40 + c);
        if (payload == 0 || payload > RW_PAYLOAD_MAX) {
            return fail(w, "InstallSnapshot data length");
        }
        header_complete(w, payload);
        return 0;
    }
    header_complete(w, 0);
    return 0;
}

int raft_wire_feed(struct raft_wire *w, const uint8_t *data, size_t len)
{
    while (len > 0) {
        size_t want, n;
        int rv;
        switch (w->stage) {
        case RW_FAILED:
            return VIP_EPROTO;
        case RW_PREAMBLE:
        case RW_HEADER:
            want = (w->stage == RW_PREAMBLE ? 16 : header_chunk(w)) - w->have;
            n = len < want ? len : want;
            memcpy(w->buf + w->have, data, n);
            w->have += n;
            data += n;
            len -= n;
            if (n < want) {
                return 0;
            }
            w->have = 0;
            if (w->stage == RW_PREAMBLE) {
                w->type = get64(w->buf);
                w->header_len = get64(w->buf + 8);
                w->header_done = 0;
                w->entries_left = 0;
                w->payload_left = 0;
                rv = check_preamble(w);
                if (rv == 0) {
                    w->stage = RW_HEADER;
                }
            } else {
                rv = check_header_chunk(w);
            }
            if (rv != 0) {
                return rv;
            }
            break;
        case RW_PAYLOAD:
            n = len < w->payload_left ? len : (size_t)w->payload_left;
            w->payload_left -= n;
            data += n;
            len -= n;
            if (w->payload_left == 0) {
                w->n_messages++;
                w->stage = RW_PREAMBLE;
            }
            break;
        }
    }
    return w->stage == RW_FAILED ? VIP_EPROTO : 0;
}
