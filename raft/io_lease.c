/* The lease raft_io decorator (see io_lease.h for the rules R1-R6 and the
 * proof that the bound never runs ahead of the acknowledged send). */
#include "raft/io_lease.h"

#include <stddef.h>
#include <string.h>

/* Decorators in use, to find one from the inner io its callbacks receive.
 * The inner io's `data` cannot carry it: the fixture's async_work hands
 * `data` to raft as its struct raft. One loop thread, a handful of nodes. */
static struct io_lease *io_lease_registry;

static void registry_remove(const struct io_lease *l,
                            const struct raft_io *inner)
{
    struct io_lease **p = &io_lease_registry;
    while (*p != NULL) {
        if (*p == l || (*p)->inner == inner) {
            *p = (*p)->next;
        } else {
            p = &(*p)->next;
        }
    }
}

static struct io_lease *registry_find(const struct raft_io *inner)
{
    for (struct io_lease *l = io_lease_registry; l != NULL; l = l->next) {
        if (l->inner == inner) {
            return l;
        }
    }
    return NULL;
}

static struct io_lease *outer_lease(struct raft_io *io)
{
    /* io is the first member of struct io_lease. */
    return (struct io_lease *)(void *)io;
}

/* now_fn, never going back: the proof needs a monotonic clock. */
static uint64_t lease_now(struct io_lease *l)
{
    uint64_t t = l->now_fn(l->now_data);
    if (t > l->last_now) {
        l->last_now = t;
    }
    return l->last_now;
}

static void quiet_extend(struct io_lease *l, uint64_t now)
{
    uint64_t until = now + l->election_timeout_ms;
    if (until > l->quiet_until_ms) {
        l->quiet_until_ms = until;
    }
}

static void copy_errmsg(struct io_lease *l)
{
    memcpy(l->io.errmsg, l->inner->errmsg, sizeof l->io.errmsg);
}

/****** Per-peer send FIFO (R4) ******/

static struct io_lease_peer *peer_find(struct io_lease *l, raft_id id)
{
    for (unsigned i = 0; i < IO_LEASE_MAX_PEERS && id != 0; i++) {
        if (l->peers[i].id == id) {
            return &l->peers[i];
        }
    }
    return NULL;
}

/* NULL when the table is full: such a peer never gets a bound (safe). */
static struct io_lease_peer *peer_get(struct io_lease *l, raft_id id)
{
    struct io_lease_peer *p = peer_find(l, id);
    for (unsigned i = 0; p == NULL && id != 0 && i < IO_LEASE_MAX_PEERS; i++) {
        if (l->peers[i].id == 0) {
            p = &l->peers[i];
            memset(p, 0, sizeof *p);
            p->id = id;
        }
    }
    return p;
}

static struct io_lease_slot *slot_at(struct io_lease_peer *p, unsigned i)
{
    return &p->slots[(p->head + i) % IO_LEASE_SLOTS];
}

/* Drop fully accounted slots from the front. */
static void peer_trim(struct io_lease_peer *p)
{
    while (p->n_slots > 0 && slot_at(p, 0)->live == 0) {
        p->head = (p->head + 1) % IO_LEASE_SLOTS;
        p->n_slots--;
    }
}

/* Start the queue of @term: units of older terms prove nothing now. */
static void peer_new_term(struct io_lease_peer *p, raft_term term)
{
    p->term = term;
    p->head = 0;
    p->n_slots = 0;
    p->has_bound = false;
    p->bound_ms = 0;
}

/* Queue a send at @t; returns its sequence number. */
static uint64_t peer_push(struct io_lease_peer *p, uint64_t t)
{
    struct io_lease_slot *s;

    if (p->n_slots == IO_LEASE_SLOTS) {
        /* Merge the two oldest runs under the older time: the merged units
         * can only yield older bounds. */
        struct io_lease_slot *a = slot_at(p, 0);
        struct io_lease_slot *b = slot_at(p, 1);
        b->first_seq = a->first_seq;
        b->t = a->t;
        b->n += a->n;
        b->live += a->live;
        p->head = (p->head + 1) % IO_LEASE_SLOTS;
        p->n_slots--;
        p->n_merged++;
    }
    s = slot_at(p, p->n_slots);
    s->first_seq = p->next_seq;
    s->t = t;
    s->n = 1;
    s->live = 1;
    p->n_slots++;
    p->n_sent++;
    return p->next_seq++;
}

/* Send @seq of @term failed: it never reached the peer. A unit already
 * consumed (or trimmed) stays counted, which only makes bounds older. */
static void peer_fail(struct io_lease_peer *p, raft_term term, uint64_t seq)
{
    if (p->term != term) {
        return;
    }
    p->n_failed++;
    for (unsigned i = 0; i < p->n_slots; i++) {
        struct io_lease_slot *s = slot_at(p, i);
        if (seq >= s->first_seq && seq - s->first_seq < s->n) {
            if (s->live > 0) {
                s->live--;
            }
            break;
        }
    }
    peer_trim(p);
}

/* A result of @term arrived: consume the oldest live unit. */
static void peer_result(struct io_lease_peer *p, raft_term term)
{
    struct io_lease_slot *s;

    if (p->term != term) {
        return;
    }
    p->n_results++;
    peer_trim(p);
    if (p->n_slots == 0) {
        return; /* more results than live sends: nothing left to claim */
    }
    s = slot_at(p, 0);
    s->live--;
    if (!p->has_bound || s->t > p->bound_ms) {
        p->has_bound = true;
        p->bound_ms = s->t; /* a probe echo may already be ahead */
    }
    peer_trim(p);
}

/****** Probes (R5) ******/

static void probe_send_cb(struct raft_io_send *req, int status)
{
    (void)status;
    raft_free(req);
}

/* Keep a copy of @p's address (raft's string may go with a configuration
 * change); "" (no probes) if it does not fit. */
static void probe_remember_address(struct io_lease_peer *p,
                                   const char *address)
{
    size_t n = address != NULL ? strlen(address) : 0;
    if (n >= sizeof p->address) {
        n = 0;
    }
    memcpy(p->address, address != NULL ? address : "", n);
    p->address[n] = '\0';
}

/* Send @p a probe if it lags and none went out lately. */
static void probe_maybe(struct io_lease *l, struct io_lease_peer *p,
                        raft_term term, uint64_t now)
{
    struct raft_message m;
    struct raft_io_send *req;
    struct io_lease_probe *pr;
    uint64_t live = 0;
    uint32_t gap = l->election_timeout_ms / 8u;

    for (unsigned i = 0; i < p->n_slots; i++) {
        live += slot_at(p, i)->live;
    }
    if (live < 2 || now < p->probe_next_ms || p->address[0] == '\0') {
        return;
    }
    req = raft_malloc(sizeof *req);
    if (req == NULL) {
        return;
    }
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE;
    m.server_id = p->id;
    m.server_address = p->address;
    m.request_vote.term = IO_LEASE_PROBE_BIT | (p->probe_seq + 1);
    m.request_vote.last_log_term = term;
    m.request_vote.pre_vote = true;
    req->data = l;
    if (l->inner->send(l->inner, req, &m, probe_send_cb) != 0) {
        raft_free(req);
        return;
    }
    p->probe_seq++;
    pr = &p->probes[p->probe_seq % IO_LEASE_PROBES];
    pr->seq = p->probe_seq;
    pr->term = term;
    pr->t = now;
    p->probe_next_ms = now + (gap > 0 ? gap : 1u);
}

/* Leader: an echo of probe @seq from @p. */
static void probe_echo(struct io_lease_peer *p, uint64_t seq)
{
    const struct io_lease_probe *pr = &p->probes[seq % IO_LEASE_PROBES];

    if (seq == 0 || pr->seq != seq || pr->term != p->term) {
        return; /* unknown, overwritten, or of another term */
    }
    p->n_probe_echoes++;
    if (!p->has_bound || pr->t > p->bound_ms) {
        p->has_bound = true;
        p->bound_ms = pr->t;
    }
}

/* Any node: a probe from m->server_id. Never shown to libraft. */
static void probe_answer(struct io_lease *l, const struct raft_message *m,
                         uint64_t now)
{
    struct raft_message r;
    struct raft_io_send *req;

    if (m->request_vote.last_log_term < l->term) {
        return; /* from a leader of an older term: no echo, no quiet */
    }
    quiet_extend(l, now); /* R3: the echo claims this receipt */
    req = raft_malloc(sizeof *req);
    if (req == NULL) {
        return;
    }
    memset(&r, 0, sizeof r);
    r.type = RAFT_IO_REQUEST_VOTE_RESULT;
    r.server_id = m->server_id;
    r.server_address = m->server_address;
    r.request_vote_result.term = m->request_vote.term;
    r.request_vote_result.vote_granted = false;
    r.request_vote_result.pre_vote = raft_tribool_true;
    req->data = l;
    if (l->inner->send(l->inner, req, &r, probe_send_cb) != 0) {
        raft_free(req);
    }
}

/****** send ******/

/* A tracked send: the request handed to the inner io. */
struct lease_send
{
    struct raft_io_send req;
    struct raft_io_send *orig;
    raft_io_send_cb cb;
    struct io_lease *l;
    raft_id peer;
    raft_term term;
    uint64_t seq;
};

static void lease_send_cb(struct raft_io_send *req, int status)
{
    struct lease_send *s = req->data;
    struct raft_io_send *orig = s->orig;
    raft_io_send_cb cb = s->cb;

    if (status != 0) {
        struct io_lease_peer *p = peer_find(s->l, s->peer);
        if (p != NULL) {
            peer_fail(p, s->term, s->seq);
        }
    }
    raft_free(s);
    if (cb != NULL) {
        cb(orig, status);
    }
}

/* Refuse a message as if it was lost. The callback runs at once: libraft
 * 0.15 turns a send error inside its recv handler into RAFT_UNAVAILABLE,
 * and none of its send callers touches the request after send returns. */
static int send_swallow(struct raft_io_send *req, raft_io_send_cb cb)
{
    req->cb = cb;
    if (cb != NULL) {
        cb(req, RAFT_NOCONNECTION);
    }
    return 0;
}

static int send_tracked(struct io_lease *l, struct raft_io_send *req,
                        const struct raft_message *m, raft_term term,
                        raft_io_send_cb cb)
{
    struct io_lease_peer *p = peer_get(l, m->server_id);
    struct lease_send *s;
    uint64_t seq;
    int rv;

    if (p == NULL || term < p->term) {
        /* Untracked peer (no bound ever) or an older term (its results
         * are not counted). */
        rv = l->inner->send(l->inner, req, m, cb);
        goto out;
    }
    if (term > p->term) {
        peer_new_term(p, term);
    }
    /* Queue the unit before anything can fail: an untracked request that
     * gets answered would let its result consume a newer unit. */
    seq = peer_push(p, lease_now(l));
    s = raft_malloc(sizeof *s);
    if (s == NULL) {
        /* No failure tracking for this one: its unit stays live (older
         * bounds, never newer). */
        rv = l->inner->send(l->inner, req, m, cb);
        goto out;
    }
    s->orig = req;
    s->cb = cb;
    s->l = l;
    s->peer = m->server_id;
    s->term = term;
    s->seq = seq;
    s->req.data = s;
    req->cb = cb;
    rv = l->inner->send(l->inner, &s->req, m, lease_send_cb);
    if (rv != 0) {
        peer_fail(p, term, seq);
        raft_free(s);
    } else {
        probe_remember_address(p, m->server_address);
        probe_maybe(l, p, term, lease_now(l));
    }
out:
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

/* R2: an AppendEntriesResult goes out only as the answer to the request
 * being processed, to its sender. One in the request's term passes as is;
 * one in a newer term (libraft answers with its own term: a stale request,
 * or a disk write that completed after a term change) passes marked, so
 * that the sender still learns the term but counts nothing. */
static int send_answer(struct io_lease *l, struct raft_io_send *req,
                       const struct raft_message *m, raft_io_send_cb cb)
{
    const struct raft_append_entries_result *r = &m->append_entries_result;
    struct raft_message marked;
    int rv;

    if (!l->answer.active || m->server_id != l->answer.from ||
        r->term < l->answer.term) {
        l->n_results_dropped++;
        return send_swallow(req, cb);
    }
    if (r->term == l->answer.term) {
        rv = l->inner->send(l->inner, req, m, cb);
    } else {
        marked = *m;
        marked.append_entries_result.rejected = IO_LEASE_STALE;
        marked.append_entries_result.last_log_index = 0;
        l->n_results_marked++;
        rv = l->inner->send(l->inner, req, &marked, cb);
    }
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_send(struct raft_io *io, struct raft_io_send *req,
                      const struct raft_message *m, raft_io_send_cb cb)
{
    struct io_lease *l = outer_lease(io);
    int rv;

    switch (m->type) {
    case RAFT_IO_APPEND_ENTRIES:
        return send_tracked(l, req, m, m->append_entries.term, cb);
    case RAFT_IO_INSTALL_SNAPSHOT:
        return send_tracked(l, req, m, m->install_snapshot.term, cb);
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        return send_answer(l, req, m, cb);
    case RAFT_IO_REQUEST_VOTE:
        if (!m->request_vote.disrupt_leader &&
            io_lease_is_quiet(l, lease_now(l))) {
            l->n_votes_withheld++;
            return send_swallow(req, cb);
        }
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        if (m->request_vote_result.pre_vote == raft_tribool_true &&
            !m->request_vote_result.vote_granted &&
            m->request_vote_result.term < l->term) {
            /* R6: libraft 0.15 answers a pre-vote with the request's term
             * even when its own is higher, so a candidate behind in term
             * never learns it (raft/prevote.h). Tell it ours: it adopts a
             * term more than one ahead and steps down. */
            struct raft_message told = *m;
            told.request_vote_result.term = l->term;
            l->n_prevotes_told++;
            rv = l->inner->send(l->inner, req, &told, cb);
            if (rv != 0) {
                copy_errmsg(l);
            }
            return rv;
        }
        break;
    default:
        break;
    }
    rv = l->inner->send(l->inner, req, m, cb);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

/****** recv and tick ******/

/* Free what libraft would have freed, for a message it never sees. */
static void message_drop(struct raft_message *m)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES) {
        struct raft_append_entries *a = &m->append_entries;
        if (a->n_entries > 0 && a->entries != NULL &&
            a->entries[0].batch != NULL) {
            raft_free(a->entries[0].batch);
        }
        if (a->entries != NULL) {
            raft_free(a->entries);
        }
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        raft_configuration_close(&m->install_snapshot.conf);
        raft_free(m->install_snapshot.data.base);
    }
}

/* An AppendEntries/InstallSnapshot of @term from m->server_id: quiet (R3)
 * unless it is stale (libraft rejects it then), and the answer context of
 * R2 while raft handles it. */
static void recv_request(struct io_lease *l, struct raft_message *m,
                         raft_term term, uint64_t now)
{
    struct io_lease_answer saved;

    if (term < l->term) {
        l->n_stale_requests++;
    } else {
        quiet_extend(l, now);
    }
    saved = l->answer;
    l->answer.active = true;
    l->answer.from = m->server_id;
    l->answer.term = term;
    l->recv_cb(&l->io, m);
    l->answer = saved;
}

/* Raft handled an event of @l (io_lease_set_event_cb()). */
static void event(struct io_lease *l)
{
    if (l->event_cb != NULL) {
        l->event_cb(l->event_data);
    }
}

static void recv_dispatch(struct io_lease *l, struct raft_message *m)
{
    uint64_t now = lease_now(l);
    struct io_lease_peer *from = peer_get(l, m->server_id);

    if (from != NULL) {
        from->has_heard = true;
        from->heard_ms = now;
    }
    switch (m->type) {
    case RAFT_IO_APPEND_ENTRIES:
        recv_request(l, m, m->append_entries.term, now);
        return;
    case RAFT_IO_INSTALL_SNAPSHOT:
        recv_request(l, m, m->install_snapshot.term, now);
        return;
    case RAFT_IO_REQUEST_VOTE:
        if ((m->request_vote.term & IO_LEASE_PROBE_BIT) != 0) {
            probe_answer(l, m, now);
            return;
        }
        if (!m->request_vote.disrupt_leader && io_lease_is_quiet(l, now)) {
            if (m->request_vote.pre_vote) {
                l->n_votes_dropped++; /* carries no term to learn */
                return;
            }
            /* R3: refused, but libraft still learns the candidate's term
             * (a node that does not know a leader adopts it): dropping it
             * let a cut-off node with a climbing term depose each new
             * leader through its AppendEntries answers, for ever. An
             * empty log term makes the candidate "not up to date": a
             * voter's log has the bootstrap entry or a snapshot (term >=
             * 1), and without either it has no configuration, so no vote
             * (election.c, electionVote()). */
            m->request_vote.last_log_index = 0;
            m->request_vote.last_log_term = 0;
            l->n_votes_refused++;
        }
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        if ((m->request_vote_result.term & IO_LEASE_PROBE_BIT) != 0) {
            struct io_lease_peer *p = peer_find(l, m->server_id);
            if (p != NULL) {
                probe_echo(p, m->request_vote_result.term &
                                  ~IO_LEASE_PROBE_BIT);
            }
            return;
        }
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
        const struct raft_append_entries_result *r = &m->append_entries_result;
        struct io_lease_peer *p = peer_find(l, m->server_id);
        if (r->rejected == IO_LEASE_STALE) {
            /* R1: a newer term tells raft to step down; otherwise its
             * content answers an older request: not for raft, not counted. */
            if (r->term <= l->term) {
                l->n_marked_dropped++;
                return;
            }
            break;
        }
        if (p != NULL) {
            peer_result(p, r->term);
        }
        break;
    }
    default:
        break;
    }
    l->recv_cb(&l->io, m);
}

static void lease_recv(struct raft_io *inner, struct raft_message *m)
{
    struct io_lease *l = registry_find(inner);

    if (l == NULL || l->recv_cb == NULL) {
        message_drop(m); /* not reachable: start() registered us */
        return;
    }
    recv_dispatch(l, m);
    /* Also for what raft never saw: a probe echo moves the lease on. */
    event(l);
}

static void lease_tick(struct raft_io *inner)
{
    struct io_lease *l = registry_find(inner);
    if (l != NULL && l->tick_cb != NULL) {
        l->tick_cb(&l->io);
        event(l);
    }
}

/****** Disk requests started by a request (R2's asynchronous answers) ******/

struct lease_append
{
    struct raft_io_append req;
    struct raft_io_append *orig;
    raft_io_append_cb cb;
    struct io_lease *l;
    struct io_lease_answer answer;
};

static void lease_append_cb(struct raft_io_append *req, int status)
{
    struct lease_append *a = req->data;
    struct io_lease *l = a->l;
    struct io_lease_answer saved = l->answer;

    l->answer = a->answer;
    a->cb(a->orig, status);
    l->answer = saved;
    raft_free(a);
    event(l);
}

static int lease_append(struct raft_io *io, struct raft_io_append *req,
                        const struct raft_entry entries[], unsigned n,
                        raft_io_append_cb cb)
{
    struct io_lease *l = outer_lease(io);
    struct lease_append *a;
    int rv;

    if (!l->answer.active) {
        /* Leader appends: their callbacks send no results. */
        rv = l->inner->append(l->inner, req, entries, n, cb);
        goto out;
    }
    a = raft_malloc(sizeof *a);
    if (a == NULL) {
        return RAFT_NOMEM;
    }
    a->orig = req;
    a->cb = cb;
    a->l = l;
    a->answer = l->answer;
    a->req.data = a;
    req->cb = cb;
    rv = l->inner->append(l->inner, &a->req, entries, n, lease_append_cb);
    if (rv != 0) {
        raft_free(a);
    }
out:
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

struct lease_snapshot_put
{
    struct raft_io_snapshot_put req;
    struct raft_io_snapshot_put *orig;
    raft_io_snapshot_put_cb cb;
    struct io_lease *l;
    struct io_lease_answer answer;
};

static void lease_snapshot_put_cb(struct raft_io_snapshot_put *req, int status)
{
    struct lease_snapshot_put *s = req->data;
    struct io_lease *l = s->l;
    struct io_lease_answer saved = l->answer;

    l->answer = s->answer;
    s->cb(s->orig, status);
    l->answer = saved;
    raft_free(s);
    event(l);
}

static int lease_snapshot_put(struct raft_io *io, unsigned trailing,
                              struct raft_io_snapshot_put *req,
                              const struct raft_snapshot *snapshot,
                              raft_io_snapshot_put_cb cb)
{
    struct io_lease *l = outer_lease(io);
    struct lease_snapshot_put *s;
    int rv;

    if (!l->answer.active) {
        /* This node's own snapshots (trailing > 0): no results follow. */
        rv = l->inner->snapshot_put(l->inner, trailing, req, snapshot, cb);
        goto out;
    }
    s = raft_malloc(sizeof *s);
    if (s == NULL) {
        return RAFT_NOMEM;
    }
    s->orig = req;
    s->cb = cb;
    s->l = l;
    s->answer = l->answer;
    s->req.data = s;
    req->cb = cb;
    rv = l->inner->snapshot_put(l->inner, trailing, &s->req, snapshot,
                                lease_snapshot_put_cb);
    if (rv != 0) {
        raft_free(s);
    }
out:
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

/****** Plain forwarding ******/

static int lease_init_m(struct raft_io *io, raft_id id, const char *address)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->init(l->inner, id, address);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static void lease_close_cb(struct raft_io *inner)
{
    struct io_lease *l = registry_find(inner);
    raft_io_close_cb cb;

    if (l == NULL) {
        return;
    }
    cb = l->close_cb;
    registry_remove(l, inner);
    if (cb != NULL) {
        cb(&l->io);
    }
}

static void lease_close(struct raft_io *io, raft_io_close_cb cb)
{
    struct io_lease *l = outer_lease(io);
    l->close_cb = cb;
    l->inner->close(l->inner, lease_close_cb);
}

static int lease_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                      struct raft_snapshot **snapshot, raft_index *start_index,
                      struct raft_entry *entries[], size_t *n_entries)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->load(l->inner, term, voted_for, snapshot, start_index,
                            entries, n_entries);
    if (rv != 0) {
        copy_errmsg(l);
        return rv;
    }
    l->term = *term; /* R1 knows the persisted term from the start */
    return 0;
}

static int lease_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                       raft_io_recv_cb recv)
{
    struct io_lease *l = outer_lease(io);
    int rv;

    l->tick_cb = tick;
    l->recv_cb = recv;
    /* The fixture's async_work passes inner->data to raft as its struct
     * raft; raft_init() set it on the outer io only. */
    l->inner->data = l->io.data;
    /* R3, restart rule: no vote for T after (re)start. */
    quiet_extend(l, lease_now(l));
    rv = l->inner->start(l->inner, msecs, lease_tick, lease_recv);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_bootstrap(struct raft_io *io,
                           const struct raft_configuration *conf)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->bootstrap(l->inner, conf);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_recover(struct raft_io *io,
                         const struct raft_configuration *conf)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->recover(l->inner, conf);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_set_term(struct raft_io *io, raft_term term)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->set_term(l->inner, term);
    if (rv != 0) {
        copy_errmsg(l);
        return rv;
    }
    /* libraft adopts a term only after set_term succeeded. */
    if (term > l->term) {
        l->term = term;
    }
    return 0;
}

static int lease_set_vote(struct raft_io *io, raft_id server_id)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->set_vote(l->inner, server_id);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_truncate(struct raft_io *io, raft_index index)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->truncate(l->inner, index);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static int lease_snapshot_get(struct raft_io *io,
                              struct raft_io_snapshot_get *req,
                              raft_io_snapshot_get_cb cb)
{
    struct io_lease *l = outer_lease(io);
    int rv = l->inner->snapshot_get(l->inner, req, cb);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

static raft_time lease_time(struct raft_io *io)
{
    struct io_lease *l = outer_lease(io);
    return l->inner->time(l->inner);
}

static int lease_random(struct raft_io *io, int min, int max)
{
    struct io_lease *l = outer_lease(io);
    return l->inner->random(l->inner, min, max);
}

static int lease_async_work(struct raft_io *io, struct raft_io_async_work *req,
                            raft_io_async_work_cb cb)
{
    struct io_lease *l = outer_lease(io);
    int rv;

    l->inner->data = l->io.data;
    rv = l->inner->async_work(l->inner, req, cb);
    if (rv != 0) {
        copy_errmsg(l);
    }
    return rv;
}

/****** Public ******/

int io_lease_init(struct io_lease *l, struct raft_io *inner,
                  uint32_t election_timeout_ms, io_lease_now_fn now_fn,
                  void *now_data)
{
    if (l == NULL || inner == NULL || now_fn == NULL ||
        election_timeout_ms == 0) {
        return RAFT_INVALID;
    }
    registry_remove(l, inner);
    memset(l, 0, sizeof *l);
    l->inner = inner;
    l->now_fn = now_fn;
    l->now_data = now_data;
    l->election_timeout_ms = election_timeout_ms;

    /* Every method of libraft 0.15's struct raft_io (version 1 and 2). */
    l->io.version = inner->version;
    l->io.data = inner->data;
    l->io.impl = l;
    l->io.init = lease_init_m;
    l->io.close = lease_close;
    l->io.load = lease_load;
    l->io.start = lease_start;
    l->io.bootstrap = lease_bootstrap;
    l->io.recover = lease_recover;
    l->io.set_term = lease_set_term;
    l->io.set_vote = lease_set_vote;
    l->io.send = lease_send;
    l->io.append = lease_append;
    l->io.truncate = lease_truncate;
    l->io.snapshot_put = lease_snapshot_put;
    l->io.snapshot_get = lease_snapshot_get;
    l->io.time = lease_time;
    l->io.random = lease_random;
    l->io.async_work = inner->async_work != NULL ? lease_async_work : NULL;

    quiet_extend(l, lease_now(l));
    l->next = io_lease_registry;
    io_lease_registry = l;
    return 0;
}

void io_lease_restart(struct io_lease *l)
{
    memset(l->peers, 0, sizeof l->peers);
    memset(&l->answer, 0, sizeof l->answer);
    l->quiet_until_ms = 0; /* a new process remembers no window */
    quiet_extend(l, lease_now(l));
}

void io_lease_set_event_cb(struct io_lease *l, void (*cb)(void *data),
                           void *data)
{
    l->event_cb = cb;
    l->event_data = data;
}

void io_lease_detach(struct io_lease *l)
{
    registry_remove(l, l->inner);
}

bool io_lease_majority_since(struct io_lease *l, raft_term term,
                             const raft_id *voters, unsigned n, raft_id self,
                             uint64_t *since)
{
    uint64_t vals[IO_LEASE_MAX_PEERS + 1];
    unsigned n_vals = 0, n_voters = 0, need;
    uint64_t now = lease_now(l);

    if (term == 0 || term != l->term) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        bool dup = voters[i] == 0;
        for (unsigned j = 0; j < i && !dup; j++) {
            dup = voters[j] == voters[i];
        }
        if (dup) {
            continue;
        }
        n_voters++;
        if (voters[i] == self) {
            /* R3 keeps this node quiet for T from now: its own "ack". */
            quiet_extend(l, now);
            vals[n_vals++] = now;
        } else {
            const struct io_lease_peer *p = peer_find(l, voters[i]);
            if (p != NULL && p->term == term && p->has_bound &&
                n_vals < IO_LEASE_MAX_PEERS + 1) {
                vals[n_vals++] = p->bound_ms;
            }
        }
    }
    need = n_voters / 2 + 1;
    if (n_voters == 0 || n_vals < need) {
        return false;
    }
    /* The need-th largest value: a small insertion sort, descending. */
    for (unsigned i = 1; i < n_vals; i++) {
        uint64_t v = vals[i];
        unsigned j = i;
        while (j > 0 && vals[j - 1] < v) {
            vals[j] = vals[j - 1];
            j--;
        }
        vals[j] = v;
    }
    *since = vals[need - 1];
    return true;
}

bool io_lease_hears_majority(struct io_lease *l, const raft_id *voters,
                             unsigned n, raft_id self, uint64_t within_ms)
{
    uint64_t now = lease_now(l);
    unsigned n_voters = 0, heard = 0;

    for (unsigned i = 0; i < n; i++) {
        const struct io_lease_peer *p;
        bool dup = voters[i] == 0;
        for (unsigned j = 0; j < i && !dup; j++) {
            dup = voters[j] == voters[i];
        }
        if (dup) {
            continue;
        }
        n_voters++;
        p = voters[i] == self ? NULL : peer_find(l, voters[i]);
        if (voters[i] == self ||
            (p != NULL && p->has_heard && now - p->heard_ms <= within_ms)) {
            heard++;
        }
    }
    return n_voters > 0 && heard >= n_voters / 2 + 1;
}

bool io_lease_is_quiet(const struct io_lease *l, uint64_t now)
{
    return now < l->quiet_until_ms;
}

uint64_t io_lease_quiet_until(const struct io_lease *l)
{
    return l->quiet_until_ms;
}

const struct io_lease_peer *io_lease_peer_stats(const struct io_lease *l,
                                                raft_id id)
{
    for (unsigned i = 0; i < IO_LEASE_MAX_PEERS && id != 0; i++) {
        if (l->peers[i].id == id) {
            return &l->peers[i];
        }
    }
    return NULL;
}

uint64_t io_lease_peer_live(const struct io_lease *l, raft_id id)
{
    const struct io_lease_peer *p = io_lease_peer_stats(l, id);
    uint64_t live = 0;

    for (unsigned i = 0; p != NULL && i < p->n_slots; i++) {
        live += p->slots[(p->head + i) % IO_LEASE_SLOTS].live;
    }
    return live;
}
