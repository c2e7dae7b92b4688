/* Placement messages on the wire (format in raft/place_wire.h). */
#include "raft/place_wire.h"

#include <string.h>

#include "vipd/error.h"

struct writer
{
    uint8_t *p;
    size_t size, len;
    bool bad;
};

struct reader
{
    const uint8_t *p;
    size_t len, off;
    bool bad;
};

static void put(struct writer *w, uint64_t v, unsigned bytes)
{
    if (w->bad || w->size - w->len < bytes) {
        w->bad = true;
        return;
    }
    for (unsigned i = 0; i < bytes; i++) {
        w->p[w->len++] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get(struct reader *r, unsigned bytes)
{
    uint64_t v = 0;
    if (r->bad || r->len - r->off < bytes) {
        r->bad = true;
        return 0;
    }
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)r->p[r->off++] << (8 * i);
    }
    return v;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= ENTRY_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static void put_names(struct writer *w, const char (*names)[ENTRY_NAME_MAX],
                      unsigned n)
{
    if (n > PLACE_MAX_UNITS) {
        w->bad = true;
        return;
    }
    put(w, n, 1);
    for (unsigned i = 0; i < n; i++) {
        size_t len = strnlen(names[i], ENTRY_NAME_MAX);
        if (!name_ok(names[i], len) || w->bad || w->size - w->len < len + 1) {
            w->bad = true;
            return;
        }
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(names[j], names[i]) == 0) {
                w->bad = true; /* each unit at most once */
                return;
            }
        }
        put(w, len, 1);
        memcpy(w->p + w->len, names[i], len);
        w->len += len;
    }
}

static void get_names(struct reader *r, char (*names)[ENTRY_NAME_MAX],
                      unsigned *n)
{
    unsigned count = (unsigned)get(r, 1);

    *n = 0;
    if (count > PLACE_MAX_UNITS) {
        r->bad = true;
        return;
    }
    for (unsigned i = 0; i < count && !r->bad; i++) {
        size_t len = (size_t)get(r, 1);
        if (r->bad || r->len - r->off < len ||
            !name_ok((const char *)r->p + r->off, len)) {
            r->bad = true;
            return;
        }
        memcpy(names[i], r->p + r->off, len);
        names[i][len] = '\0';
        r->off += len;
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(names[j], names[i]) == 0) {
                r->bad = true; /* each unit at most once */
                return;
            }
        }
        *n = i + 1;
    }
}

size_t place_request_encode(const struct place_request *req, uint8_t *out,
                            size_t size)
{
    struct writer w = {out, size, 0, false};

    if (req->seq == 0 || req->acked >= req->seq) {
        return 0;
    }
    put(&w, PLACE_WIRE_VERSION, 1);
    put(&w, req->term, 8);
    put(&w, req->seq, 8);
    put(&w, req->acked, 8);
    put_names(&w, req->claims, req->n_claims);
    return w.bad ? 0 : w.len;
}

size_t place_reply_encode(const struct place_reply *rep, uint8_t *out,
                          size_t size)
{
    struct writer w = {out, size, 0, false};

    if (rep->seq == 0 || rep->grant_ms > PLACE_WIRE_GRANT_MAX ||
        rep->status > 0) {
        return 0;
    }
    put(&w, PLACE_WIRE_VERSION, 1);
    put(&w, rep->term, 8);
    put(&w, rep->seq, 8);
    put(&w, rep->grant_ms, 4);
    put(&w, (uint32_t)rep->status, 4);
    put_names(&w, rep->granted, rep->n_granted);
    put_names(&w, rep->revoked, rep->n_revoked);
    return w.bad ? 0 : w.len;
}

int place_request_decode(const uint8_t *buf, size_t len,
                         struct place_request *req)
{
    struct reader r = {buf, len, 0, false};

    memset(req, 0, sizeof *req);
    if (get(&r, 1) != PLACE_WIRE_VERSION) {
        return VIP_EPROTO;
    }
    req->term = get(&r, 8);
    req->seq = get(&r, 8);
    req->acked = get(&r, 8);
    get_names(&r, req->claims, &req->n_claims);
    if (r.bad || r.off != len || req->seq == 0 || req->acked >= req->seq) {
        return VIP_EPROTO;
    }
    return 0;
}

int place_reply_decode(const uint8_t *buf, size_t len,
                       struct place_reply *rep)
{
    struct reader r = {buf, len, 0, false};

    memset(rep, 0, sizeof *rep);
    if (get(&r, 1) != PLACE_WIRE_VERSION) {
        return VIP_EPROTO;
    }
    rep->term = get(&r, 8);
    rep->seq = get(&r, 8);
    rep->grant_ms = (uint32_t)get(&r, 4);
    rep->status = (int32_t)(uint32_t)get(&r, 4);
    get_names(&r, rep->granted, &rep->n_granted);
    get_names(&r, rep->revoked, &rep->n_revoked);
    if (r.bad || r.off != len || rep->seq == 0 ||
        rep->grant_ms > PLACE_WIRE_GRANT_MAX || rep->status > 0) {
        return VIP_EPROTO;
    }
    return 0;
}
