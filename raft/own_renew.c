/* The lease renewal carrier (see raft/own_renew.h). */
#include "raft/own_renew.h"

#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"

struct own_renewal
{
    struct raft_apply req;
    const struct own_renew_ctx *ctx;
    uint64_t t_send;
    uint64_t term;
};

static void renewal_cb(struct raft_apply *req, int status, void *result)
{
    struct own_renewal *rn = req->data;
    const struct own_renew_ctx *ctx = rn->ctx;
    (void)result;

    if (status == 0 &&
        ctx->clock(ctx->clock_data) - rn->t_send >= ctx->own->lease.p.lease_ms) {
        /* Committed too late to extend the lease: slow disk or network. */
        ctx->own->n_slow_renewals++;
    }
    /* The lease runs from the send time: the followers that acknowledged
     * the entry reset their election timers when they received it, at or
     * after t_send, however late the commit is known here. */
    own_renewal_done(ctx->own, rn->t_send, rn->term, status == 0);
    free(rn);
    if (ctx->done != NULL) {
        ctx->done(ctx->done_data, status == 0);
    }
}

int own_renew_submit(struct raft *r, const struct own_renew_ctx *ctx,
                     uint64_t self, uint64_t term, uint64_t now,
                     uint64_t wall_ms, const struct own_out *out)
{
    struct own_renewal *rn;
    struct entry e;
    struct raft_buffer buf;
    size_t len, size;
    int rv;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_TICK;
    e.u.tick.leader = self;
    e.u.tick.term = term;
    e.u.tick.wall_ms = wall_ms;
    e.u.tick.holder = out->renew_holder;
    e.u.tick.reason = out->renew_reason;
    len = entry_encoded_size(&e);
    if (len == 0) {
        return RAFT_INVALID;
    }
    size = ctx->pad8 ? (len + 7u) & ~(size_t)7u : len;
    rn = malloc(sizeof *rn);
    buf.base = raft_calloc(1, size);
    if (rn == NULL || buf.base == NULL) {
        free(rn);
        raft_free(buf.base);
        return RAFT_NOMEM;
    }
    buf.len = size;
    if (entry_encode(&e, buf.base, size, &len, NULL) != 0) {
        free(rn);
        raft_free(buf.base);
        return RAFT_INVALID;
    }
    if (!ctx->pad8) {
        buf.len = len;
    }
    rn->ctx = ctx;
    rn->t_send = now;
    rn->term = term;
    rn->req.data = rn;
    rv = raft_apply(r, &rn->req, &buf, 1, renewal_cb);
    if (rv != 0) {
        raft_free(buf.base);
        free(rn);
        return rv;
    }
    own_renewal_sent(ctx->own, now, term);
    return 0;
}
