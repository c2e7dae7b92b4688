/* Unit tests of the lease raft_io decorator (raft/io_lease.c), on a fake
 * inner io: the test plays libraft above it and the network below. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "raft/io_lease.h"

#define T_MS 1000u
#define MAX_SENDS 8192

/****** Clock ******/

static uint64_t now_ms;

static uint64_t test_now(void *data)
{
    (void)data;
    return now_ms;
}

/****** The fake inner io ******/

enum { M_INIT, M_CLOSE, M_LOAD, M_START, M_BOOTSTRAP, M_RECOVER, M_SET_TERM,
       M_SET_VOTE, M_SEND, M_APPEND, M_TRUNCATE, M_SNAP_PUT, M_SNAP_GET,
       M_TIME, M_RANDOM, M_ASYNC, M_N };

struct fake_send
{
    struct raft_io_send *req;
    raft_io_send_cb cb;
    struct raft_message m;
    bool done;
};

struct fake_io
{
    struct raft_io io;
    raft_io_tick_cb tick;
    raft_io_recv_cb recv;
    unsigned calls[M_N];
    int fail; /* returned by the next call, then reset */
    raft_term load_term;
    struct fake_send sends[MAX_SENDS];
    unsigned n_sends;
    struct raft_io_append *append_req;
    raft_io_append_cb append_cb;
    struct raft_io_snapshot_put *put_req;
    raft_io_snapshot_put_cb put_cb;
};

static struct fake_io *fake_of(struct raft_io *io)
{
    return io->impl;
}

static int fake_ret(struct raft_io *io, int method)
{
    struct fake_io *f = fake_of(io);
    int rv = f->fail;
    f->calls[method]++;
    f->fail = 0;
    if (rv != 0) {
        strcpy(io->errmsg, "fake failure");
    }
    return rv;
}

static int fake_init(struct raft_io *io, raft_id id, const char *address)
{
    (void)id;
    (void)address;
    return fake_ret(io, M_INIT);
}

static void fake_close(struct raft_io *io, raft_io_close_cb cb)
{
    fake_of(io)->calls[M_CLOSE]++;
    cb(io);
}

static int fake_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                     struct raft_snapshot **snapshot, raft_index *start_index,
                     struct raft_entry *entries[], size_t *n_entries)
{
    *term = fake_of(io)->load_term;
    *voted_for = 0;
    *snapshot = NULL;
    *start_index = 1;
    *entries = NULL;
    *n_entries = 0;
    return fake_ret(io, M_LOAD);
}

static int fake_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                      raft_io_recv_cb recv)
{
    (void)msecs;
    fake_of(io)->tick = tick;
    fake_of(io)->recv = recv;
    return fake_ret(io, M_START);
}

static int fake_bootstrap(struct raft_io *io,
                          const struct raft_configuration *conf)
{
    (void)conf;
    return fake_ret(io, M_BOOTSTRAP);
}

static int fake_recover(struct raft_io *io,
                        const struct raft_configuration *conf)
{
    (void)conf;
    return fake_ret(io, M_RECOVER);
}

static int fake_set_term(struct raft_io *io, raft_term term)
{
    (void)term;
    return fake_ret(io, M_SET_TERM);
}

static int fake_set_vote(struct raft_io *io, raft_id id)
{
    (void)id;
    return fake_ret(io, M_SET_VOTE);
}

static int fake_send(struct raft_io *io, struct raft_io_send *req,
                     const struct raft_message *m, raft_io_send_cb cb)
{
    struct fake_io *f = fake_of(io);
    int rv = fake_ret(io, M_SEND);
    if (rv != 0) {
        return rv;
    }
    assert_true(f->n_sends < MAX_SENDS);
    req->cb = cb;
    f->sends[f->n_sends].req = req;
    f->sends[f->n_sends].cb = cb;
    f->sends[f->n_sends].m = *m;
    f->sends[f->n_sends].done = false;
    f->n_sends++;
    return 0;
}

static int fake_append(struct raft_io *io, struct raft_io_append *req,
                       const struct raft_entry entries[], unsigned n,
                       raft_io_append_cb cb)
{
    (void)entries;
    (void)n;
    fake_of(io)->append_req = req;
    fake_of(io)->append_cb = cb;
    return fake_ret(io, M_APPEND);
}

static int fake_truncate(struct raft_io *io, raft_index index)
{
    (void)index;
    return fake_ret(io, M_TRUNCATE);
}

static int fake_snapshot_put(struct raft_io *io, unsigned trailing,
                             struct raft_io_snapshot_put *req,
                             const struct raft_snapshot *snapshot,
                             raft_io_snapshot_put_cb cb)
{
    (void)trailing;
    (void)snapshot;
    fake_of(io)->put_req = req;
    fake_of(io)->put_cb = cb;
    return fake_ret(io, M_SNAP_PUT);
}

static int fake_snapshot_get(struct raft_io *io,
                             struct raft_io_snapshot_get *req,
                             raft_io_snapshot_get_cb cb)
{
    (void)req;
    (void)cb;
    return fake_ret(io, M_SNAP_GET);
}

static raft_time fake_time(struct raft_io *io)
{
    fake_of(io)->calls[M_TIME]++;
    return 4242;
}

static int fake_random(struct raft_io *io, int min, int max)
{
    (void)max;
    fake_of(io)->calls[M_RANDOM]++;
    return min;
}

static int fake_async_work(struct raft_io *io, struct raft_io_async_work *req,
                           raft_io_async_work_cb cb)
{
    (void)req;
    (void)cb;
    return fake_ret(io, M_ASYNC);
}

static void fake_setup(struct fake_io *f)
{
    memset(f, 0, sizeof *f);
    f->io.version = 2;
    f->io.impl = f;
    f->io.init = fake_init;
    f->io.close = fake_close;
    f->io.load = fake_load;
    f->io.start = fake_start;
    f->io.bootstrap = fake_bootstrap;
    f->io.recover = fake_recover;
    f->io.set_term = fake_set_term;
    f->io.set_vote = fake_set_vote;
    f->io.send = fake_send;
    f->io.append = fake_append;
    f->io.truncate = fake_truncate;
    f->io.snapshot_put = fake_snapshot_put;
    f->io.snapshot_get = fake_snapshot_get;
    f->io.time = fake_time;
    f->io.random = fake_random;
    f->io.async_work = fake_async_work;
}

/****** The "raft" above the decorator ******/

struct upper
{
    unsigned n_recv[8];     /* messages forwarded, by type */
    struct raft_message last;
    unsigned n_ticks;
    unsigned n_send_cb;
    int last_send_status;
    unsigned n_closed;
    /* Called inside the recv callback, as raft answers synchronously. */
    void (*on_recv)(struct io_lease *l, struct raft_message *m);
};

static struct upper up;
static struct io_lease *cur_lease;

static void upper_recv(struct raft_io *io, struct raft_message *m)
{
    assert_ptr_equal(io, &cur_lease->io);
    up.n_recv[m->type]++;
    up.last = *m;
    if (up.on_recv != NULL) {
        up.on_recv(cur_lease, m);
    }
    /* Free what raft frees. */
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries) {
        raft_free(m->append_entries.entries[0].batch);
        raft_free(m->append_entries.entries);
    }
}

static void upper_tick(struct raft_io *io)
{
    assert_ptr_equal(io, &cur_lease->io);
    up.n_ticks++;
}

static void upper_send_cb(struct raft_io_send *req, int status)
{
    up.n_send_cb++;
    up.last_send_status = status;
    free(req);
}

static void upper_close_cb(struct raft_io *io)
{
    assert_ptr_equal(io, &cur_lease->io);
    up.n_closed++;
}

struct ctx
{
    struct fake_io f;
    struct io_lease l;
};

/* A decorator whose node is in @term, initialised at @t_init and started
 * at @t. */
static struct ctx *ctx_new2(raft_term term, uint64_t t_init, uint64_t t)
{
    struct ctx *c = calloc(1, sizeof *c);
    struct raft_snapshot *snap;
    struct raft_entry *entries;
    raft_term lt;
    raft_id vf;
    raft_index si;
    size_t n;

    assert_non_null(c);
    memset(&up, 0, sizeof up);
    now_ms = t_init;
    fake_setup(&c->f);
    c->f.load_term = term;
    assert_int_equal(io_lease_init(&c->l, &c->f.io, T_MS, test_now, NULL), 0);
    cur_lease = &c->l;
    assert_int_equal(c->l.io.init(&c->l.io, 1, "n1"), 0);
    assert_int_equal(c->l.io.load(&c->l.io, &lt, &vf, &snap, &si, &entries,
                                  &n),
                     0);
    assert_int_equal(lt, term);
    now_ms = t;
    assert_int_equal(c->l.io.start(&c->l.io, 100, upper_tick, upper_recv), 0);
    return c;
}

static struct ctx *ctx_new(raft_term term, uint64_t t)
{
    return ctx_new2(term, t, t);
}

static void ctx_free(struct ctx *c)
{
    /* A closing io completes its pending sends (raft_uv: cancelled). */
    for (unsigned i = 0; i < c->f.n_sends; i++) {
        if (!c->f.sends[i].done) {
            c->f.sends[i].done = true;
            c->f.sends[i].cb(c->f.sends[i].req, RAFT_CANCELED);
        }
    }
    c->l.io.close(&c->l.io, upper_close_cb);
    assert_int_equal(up.n_closed, 1);
    free(c);
}

/* Leader: send an AppendEntries of @term to @to at @t; returns the index of
 * the send in the fake (or -1 if send failed synchronously). */
static int send_ae(struct ctx *c, raft_id to, raft_term term, uint64_t t)
{
    struct raft_message m;
    struct raft_io_send *req = malloc(sizeof *req);
    unsigned idx = c->f.n_sends; /* a probe may follow it */
    int rv;

    assert_non_null(req);
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES;
    m.server_id = to;
    m.server_address = "peer";
    m.append_entries.term = term;
    now_ms = t;
    rv = c->l.io.send(&c->l.io, req, &m, upper_send_cb);
    if (rv != 0) {
        free(req);
        return -1;
    }
    assert_int_equal(c->f.sends[idx].m.type, RAFT_IO_APPEND_ENTRIES);
    return (int)idx;
}

/* Complete send @i (the inner io's callback) with @status. */
static void send_done(struct ctx *c, int i, int status)
{
    struct fake_send *s = &c->f.sends[i];
    assert_false(s->done);
    s->done = true;
    s->cb(s->req, status);
}

/* Network: an AppendEntriesResult of @term from @from arrives at @t. */
static void result_in(struct ctx *c, raft_id from, raft_term term,
                      raft_index rejected, uint64_t t)
{
    struct raft_message m;
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    m.server_id = from;
    m.server_address = "peer";
    m.append_entries_result.term = term;
    m.append_entries_result.rejected = rejected;
    now_ms = t;
    c->f.recv(&c->f.io, &m);
}

/* Network: an AppendEntries of @term from @from arrives at @t, with one
 * entry if @with_entry. */
static void ae_in(struct ctx *c, raft_id from, raft_term term, bool with_entry,
                  uint64_t t)
{
    struct raft_message m;
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES;
    m.server_id = from;
    m.server_address = "peer";
    m.append_entries.term = term;
    if (with_entry) {
        m.append_entries.entries = raft_malloc(sizeof(struct raft_entry));
        assert_non_null(m.append_entries.entries);
        memset(m.append_entries.entries, 0, sizeof(struct raft_entry));
        m.append_entries.entries[0].batch = raft_malloc(64);
        m.append_entries.n_entries = 1;
    }
    now_ms = t;
    c->f.recv(&c->f.io, &m);
}

/* Network: a RequestVote arrives at @t. */
static void rv_in(struct ctx *c, raft_id from, raft_term term, bool pre_vote,
                  bool disrupt, uint64_t t)
{
    struct raft_message m;
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE;
    m.server_id = from;
    m.server_address = "peer";
    m.request_vote.term = term;
    m.request_vote.candidate_id = from;
    m.request_vote.last_log_index = 7;
    m.request_vote.last_log_term = 3;
    m.request_vote.pre_vote = pre_vote;
    m.request_vote.disrupt_leader = disrupt;
    now_ms = t;
    c->f.recv(&c->f.io, &m);
}

/* The last RequestVote raft saw came with the candidate's log (R3 lets it
 * through as is), not as "not up to date" (R3 refuses it). */
static bool vote_intact(void)
{
    return up.last.type == RAFT_IO_REQUEST_VOTE &&
           up.last.request_vote.last_log_index == 7 &&
           up.last.request_vote.last_log_term == 3;
}

static bool vote_refused(raft_term term)
{
    return up.last.type == RAFT_IO_REQUEST_VOTE &&
           up.last.request_vote.term == term &&
           up.last.request_vote.last_log_index == 0 &&
           up.last.request_vote.last_log_term == 0;
}

/* Upper raft sends a message of @type to @to with @term; returns the send
 * rv; up.last_send_status tells a swallowed one. */
static int upper_send(struct io_lease *l, unsigned short type, raft_id to,
                      raft_term term, bool disrupt)
{
    struct raft_message m;
    struct raft_io_send *req = malloc(sizeof *req);
    int rv;

    assert_non_null(req);
    memset(&m, 0, sizeof m);
    m.type = type;
    m.server_id = to;
    m.server_address = "peer";
    if (type == RAFT_IO_APPEND_ENTRIES_RESULT) {
        m.append_entries_result.term = term;
    } else if (type == RAFT_IO_REQUEST_VOTE) {
        m.request_vote.term = term;
        m.request_vote.disrupt_leader = disrupt;
    }
    rv = l->io.send(&l->io, req, &m, upper_send_cb);
    if (rv != 0) {
        free(req);
    }
    return rv;
}

static bool since_of(struct ctx *c, raft_term term, const raft_id *v,
                     unsigned n, uint64_t *since)
{
    return io_lease_majority_since(&c->l, term, v, n, 1, since);
}

/****** Tests ******/

/* Every method of struct raft_io reaches the inner io, errors carry the
 * inner message, callbacks come back with the outer io. */
static void test_forwards_everything(void **state)
{
    struct ctx *c = ctx_new(3, 0);
    struct raft_configuration conf;
    struct raft_io_snapshot_get get;
    struct raft_io_snapshot_put put;
    struct raft_io_append app;
    struct raft_io_async_work work;
    struct raft_snapshot snap;
    (void)state;

    memset(&snap, 0, sizeof snap);
    raft_configuration_init(&conf);
    assert_int_equal(c->l.io.version, 2);
    assert_int_equal(c->l.io.bootstrap(&c->l.io, &conf), 0);
    assert_int_equal(c->l.io.recover(&c->l.io, &conf), 0);
    assert_int_equal(c->l.io.set_term(&c->l.io, 4), 0);
    assert_int_equal(c->l.io.set_vote(&c->l.io, 2), 0);
    assert_int_equal(c->l.io.truncate(&c->l.io, 9), 0);
    assert_int_equal(c->l.io.snapshot_get(&c->l.io, &get, NULL), 0);
    assert_int_equal(c->l.io.snapshot_put(&c->l.io, 8, &put, &snap, NULL), 0);
    assert_int_equal(c->l.io.append(&c->l.io, &app, NULL, 0, NULL), 0);
    assert_int_equal(c->l.io.async_work(&c->l.io, &work, NULL), 0);
    assert_int_equal(c->l.io.time(&c->l.io), 4242);
    assert_int_equal(c->l.io.random(&c->l.io, 7, 9), 7);
    assert_int_equal(upper_send(&c->l, RAFT_IO_TIMEOUT_NOW, 2, 4, false), 0);
    for (int m = 0; m < M_N; m++) {
        assert_int_equal(c->f.calls[m], m == M_CLOSE ? 0 : 1);
    }
    /* Errors pass through with the inner io's message. */
    c->f.fail = RAFT_IOERR;
    assert_int_equal(c->l.io.set_term(&c->l.io, 5), RAFT_IOERR);
    assert_string_equal(c->l.io.errmsg, "fake failure");
    assert_int_equal(c->l.term, 4); /* a failed set_term is not adopted */
    c->f.fail = RAFT_IOERR;
    assert_int_equal(send_ae(c, 2, 4, 10), -1);
    assert_int_equal(io_lease_peer_live(&c->l, 2), 0);
    /* Ticks come back with the outer io. */
    c->f.tick(&c->f.io);
    assert_int_equal(up.n_ticks, 1);
    raft_configuration_close(&conf);
    ctx_free(c);
}

/* One AppendEntries answered: the bound is its send time; 3 voters need
 * one peer besides this node. */
static void test_basic_ack(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    (void)state;

    assert_false(since_of(c, 2, v, 3, &since));
    send_ae(c, 2, 2, 100);
    send_ae(c, 3, 2, 100);
    assert_false(since_of(c, 2, v, 3, &since));
    result_in(c, 2, 2, 0, 130);
    assert_int_equal(up.n_recv[RAFT_IO_APPEND_ENTRIES_RESULT], 1);
    now_ms = 140;
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 100);
    /* Another term, or a term this node is not in, gives nothing. */
    assert_false(since_of(c, 3, v, 3, &since));
    assert_false(since_of(c, 1, v, 3, &since));
    ctx_free(c);
}

/* Lost requests: a result is attributed to the oldest outstanding send,
 * never to the newest. */
static void test_lost_messages(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    (void)state;

    send_ae(c, 2, 2, 100); /* lost silently */
    send_ae(c, 2, 2, 200); /* lost silently */
    send_ae(c, 2, 2, 300); /* answered */
    result_in(c, 2, 2, 0, 320);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 100);
    assert_int_equal(io_lease_peer_live(&c->l, 2), 2); /* the lag */
    send_ae(c, 2, 2, 400);
    result_in(c, 2, 2, 0, 420);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    ctx_free(c);
}

/* A failed send is removed, before or after later results. */
static void test_failed_sends(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    int a, b, d;
    (void)state;

    a = send_ae(c, 2, 2, 100);
    b = send_ae(c, 2, 2, 200);
    send_done(c, a, RAFT_NOCONNECTION);
    assert_int_equal(up.last_send_status, RAFT_NOCONNECTION);
    send_done(c, b, 0);
    result_in(c, 2, 2, 0, 230);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    /* Synchronous failure: the unit never counts. */
    c->f.fail = RAFT_NOCONNECTION;
    assert_int_equal(send_ae(c, 2, 2, 300), -1);
    d = send_ae(c, 2, 2, 400);
    result_in(c, 2, 2, 0, 430);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 400);
    /* A failure reported after a result consumed a unit only makes the
     * next bound older, never newer. */
    a = send_ae(c, 2, 2, 500);
    b = send_ae(c, 2, 2, 600);
    result_in(c, 2, 2, 0, 650); /* answers 600 in truth; 500 is lost */
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 500);
    send_done(c, a, RAFT_NOCONNECTION);
    assert_int_equal(io_lease_peer_live(&c->l, 2), 1); /* 600 stays: lag */
    (void)d;
    ctx_free(c);
}

/* Results travel on another connection: answers may overtake each other
 * and requests; counting keeps the bound at the k-th send. */
static void test_reordered_results(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    (void)state;

    send_ae(c, 2, 2, 100); /* with entries: answered after the disk write */
    send_ae(c, 2, 2, 200); /* heartbeat: answered at once */
    result_in(c, 2, 2, 0, 210); /* answers 200 */
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 100);
    result_in(c, 2, 2, 0, 260); /* answers 100, but 200 was received */
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    /* A result with no live send left claims nothing new. */
    result_in(c, 2, 2, 0, 270);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    ctx_free(c);
}

/* A new term starts from nothing; results of other terms are ignored. */
static void test_term_change(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    (void)state;

    send_ae(c, 2, 2, 100);
    result_in(c, 2, 2, 0, 110);
    assert_true(since_of(c, 2, v, 3, &since));
    send_ae(c, 2, 2, 150); /* in flight when the term changes */
    assert_int_equal(c->l.io.set_term(&c->l.io, 3), 0);
    assert_false(since_of(c, 2, v, 3, &since));
    assert_false(since_of(c, 3, v, 3, &since));
    send_ae(c, 2, 3, 300);
    result_in(c, 2, 2, 0, 310); /* the old term's answer */
    result_in(c, 2, 4, 0, 311); /* a newer term: a deposed leader */
    assert_false(since_of(c, 3, v, 3, &since));
    result_in(c, 2, 3, 7, 320); /* rejected, still an answer of term 3 */
    assert_true(since_of(c, 3, v, 3, &since));
    assert_int_equal(since, 300);
    /* A send of an older term after the new one is not tracked. */
    send_ae(c, 2, 2, 400);
    assert_int_equal(io_lease_peer_stats(&c->l, 2)->term, 3);
    ctx_free(c);
}

/* Overflow merges the oldest runs under the oldest time. */
static void test_overflow(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    enum { n = 5 * IO_LEASE_SLOTS };
    int idx[n];
    (void)state;

    for (unsigned i = 0; i < n; i++) {
        send_ae(c, 2, 2, 1000 + 10 * i);
    }
    assert_true(io_lease_peer_stats(&c->l, 2)->n_merged > 0);
    assert_int_equal(io_lease_peer_live(&c->l, 2), n);
    for (unsigned i = 0; i < n; i++) {
        result_in(c, 2, 2, 0, 5000 + i);
        assert_true(since_of(c, 2, v, 3, &since));
        /* Never newer than the i-th send. */
        assert_true(since <= 1000 + 10 * i);
    }
    assert_int_equal(since, 1000 + 10 * (n - 1)); /* the unmerged tail */
    assert_int_equal(io_lease_peer_live(&c->l, 2), 0);
    /* Failures of merged units are still removed. */
    for (unsigned i = 0; i < n; i++) {
        idx[i] = send_ae(c, 2, 2, 9000 + i);
    }
    for (unsigned i = 0; i < n; i++) {
        send_done(c, idx[i], RAFT_NOCONNECTION);
    }
    assert_int_equal(io_lease_peer_live(&c->l, 2), 0);
    ctx_free(c);
}

/* Majorities of 3 and 5 voters; duplicates and unknown ids. */
static void test_majority(void **state)
{
    struct ctx *c = ctx_new(5, 0);
    raft_id v3[] = {1, 2, 3};
    raft_id v5[] = {1, 2, 3, 4, 5};
    raft_id dup[] = {1, 2, 2, 2, 3};
    raft_id other[] = {2, 3, 4}; /* this node not a voter */
    uint64_t since = 0;
    (void)state;

    send_ae(c, 2, 5, 100);
    send_ae(c, 3, 5, 200);
    send_ae(c, 4, 5, 300);
    send_ae(c, 5, 5, 400);
    result_in(c, 2, 5, 0, 500);
    now_ms = 1000;
    assert_true(since_of(c, 5, v3, 3, &since));
    assert_int_equal(since, 100);
    assert_false(since_of(c, 5, v5, 5, &since)); /* 2 of 5 */
    result_in(c, 4, 5, 0, 510);
    assert_true(since_of(c, 5, v5, 5, &since)); /* 1000, 300, 100 */
    assert_int_equal(since, 100);
    result_in(c, 5, 5, 0, 520);
    assert_true(since_of(c, 5, v5, 5, &since)); /* 1000, 400, 300 */
    assert_int_equal(since, 300);
    result_in(c, 3, 5, 0, 530);
    assert_true(since_of(c, 5, v3, 3, &since)); /* 1000, 200, 100 */
    assert_int_equal(since, 200);
    /* A repeated id counts once: {1, 2, 3} again. */
    assert_true(since_of(c, 5, dup, 5, &since));
    assert_int_equal(since, 200);
    /* Not a voter: peers only (2 of 3 needed: 200 and 100). */
    assert_true(since_of(c, 5, other, 3, &since));
    assert_int_equal(since, 200);
    assert_false(since_of(c, 5, v3, 0, &since));
    /* Even sizes: 2 of 2, 3 of 4. */
    assert_false(since_of(c, 5, (raft_id[]){1, 6}, 2, &since));
    assert_true(since_of(c, 5, (raft_id[]){1, 2}, 2, &since));
    assert_int_equal(since, 100);
    assert_false(since_of(c, 5, (raft_id[]){1, 2, 6, 7}, 4, &since));
    assert_true(since_of(c, 5, (raft_id[]){1, 2, 3, 6}, 4, &since));
    assert_int_equal(since, 100);
    /* A single voter: this node alone. */
    assert_true(since_of(c, 5, v3, 1, &since));
    assert_int_equal(since, 1000);
    ctx_free(c);
}

/* R3 restart rule: for T after start, no vote is granted or asked for;
 * a transfer's election passes. */
static void test_restart_window(void **state)
{
    /* raft_init() (and io_lease_init()) long before raft_start(). */
    struct ctx *c = ctx_new2(2, 1000, 10000);
    (void)state;

    assert_true(io_lease_is_quiet(&c->l, 10000));
    assert_int_equal(io_lease_quiet_until(&c->l), 10000 + T_MS);
    /* A vote reaches raft as "not up to date": refused, but the term is
     * learnt. A pre-vote (no term to learn) is dropped. */
    rv_in(c, 2, 3, false, false, 10500);
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 1);
    assert_true(vote_refused(3));
    assert_int_equal(up.last.request_vote.candidate_id, 2);
    assert_int_equal(c->l.n_votes_refused, 1);
    rv_in(c, 2, 3, true, false, 10999); /* pre-vote */
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 1);
    assert_int_equal(c->l.n_votes_dropped, 1);
    rv_in(c, 2, 3, false, true, 10999); /* disrupt_leader: transfer */
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 2);
    assert_true(vote_intact());
    /* Outgoing requests fail while quiet (the callback reports it). */
    now_ms = 10999;
    assert_int_equal(upper_send(&c->l, RAFT_IO_REQUEST_VOTE, 2, 3, false), 0);
    assert_int_equal(up.last_send_status, RAFT_NOCONNECTION);
    assert_int_equal(c->f.n_sends, 0);
    assert_int_equal(upper_send(&c->l, RAFT_IO_REQUEST_VOTE, 2, 3, true), 0);
    assert_int_equal(c->f.n_sends, 1);
    rv_in(c, 2, 3, false, false, 11000);
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 3);
    assert_true(vote_intact());
    rv_in(c, 2, 3, true, false, 11000);
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 4);
    assert_true(vote_intact());
    now_ms = 11000;
    assert_int_equal(upper_send(&c->l, RAFT_IO_REQUEST_VOTE, 2, 3, false), 0);
    assert_int_equal(c->f.n_sends, 2);
    ctx_free(c);
}

/* R3 after contact: an accepted AppendEntries keeps the node quiet for T
 * (votes reach raft only as "not up to date" meanwhile). A self count in
 * io_lease_majority_since() keeps this node quiet for T too. */
static void test_quiet_after_contact_and_claim(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    (void)state;

    assert_false(io_lease_is_quiet(&c->l, 5000));
    ae_in(c, 2, 2, false, 5000);
    assert_int_equal(up.n_recv[RAFT_IO_APPEND_ENTRIES], 1);
    rv_in(c, 3, 3, false, false, 5000 + T_MS - 1);
    assert_true(vote_refused(3));
    rv_in(c, 3, 3, false, false, 5000 + T_MS);
    assert_true(vote_intact());
    /* This node as leader counts itself at 9000: quiet until 9000 + T. */
    now_ms = 9000;
    send_ae(c, 2, 2, 9000);
    result_in(c, 2, 2, 0, 9000);
    assert_true(since_of(c, 2, v, 3, &since));
    rv_in(c, 3, 3, false, false, 9000 + T_MS - 1);
    assert_true(vote_refused(3));
    rv_in(c, 3, 3, false, false, 9000 + T_MS);
    assert_true(vote_intact());
    /* A clock going back does not shorten anything. */
    now_ms = 5;
    assert_true(io_lease_is_quiet(&c->l, io_lease_quiet_until(&c->l) - 1));
    ctx_free(c);
}

/* R1: a request of an older term reaches raft (so its sender learns the
 * newer term) but gives no quiet; raft's answer goes out
 * marked. */
static raft_term answer_term;
static raft_id answer_to;
static void answer_at_once(struct io_lease *l, struct raft_message *m)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES) {
        assert_int_equal(upper_send(l, RAFT_IO_APPEND_ENTRIES_RESULT,
                                    answer_to, answer_term, false),
                         0);
    }
}

static void test_stale_request_answer_marked(void **state)
{
    struct ctx *c = ctx_new(5, 0);
    const struct raft_append_entries_result *r;
    (void)state;

    up.on_recv = answer_at_once;
    answer_to = 2;
    answer_term = 5; /* libraft answers with its own, newer term */
    ae_in(c, 2, 4, true, 3000);
    assert_int_equal(up.n_recv[RAFT_IO_APPEND_ENTRIES], 1);
    assert_int_equal(c->l.n_stale_requests, 1);
    assert_false(io_lease_is_quiet(&c->l, 3000));
    assert_int_equal(c->f.n_sends, 1);
    r = &c->f.sends[0].m.append_entries_result;
    assert_int_equal(r->term, 5);
    assert_true(r->rejected == IO_LEASE_STALE);
    assert_int_equal(r->last_log_index, 0);
    /* Requests of the current or a newer term: quiet, answers
     * unmarked. */
    ae_in(c, 2, 5, false, 3002);
    assert_int_equal(c->f.sends[1].m.append_entries_result.rejected, 0);
    assert_true(io_lease_is_quiet(&c->l, 3002 + T_MS - 1));
    assert_false(io_lease_is_quiet(&c->l, 3002 + T_MS));
    ctx_free(c);
}

/* R1, leader side: a marked answer is never counted; raft gets it only
 * when its term is newer (to step down). */
static void test_marked_answer_not_counted(void **state)
{
    struct ctx *c = ctx_new(5, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since;
    (void)state;

    send_ae(c, 2, 5, 100);
    result_in(c, 2, 5, IO_LEASE_STALE, 110);
    assert_int_equal(up.n_recv[RAFT_IO_APPEND_ENTRIES_RESULT], 0);
    assert_int_equal(c->l.n_marked_dropped, 1);
    assert_false(since_of(c, 5, v, 3, &since));
    result_in(c, 2, 6, IO_LEASE_STALE, 120);
    assert_int_equal(up.n_recv[RAFT_IO_APPEND_ENTRIES_RESULT], 1);
    assert_int_equal(up.last.append_entries_result.term, 6);
    assert_false(since_of(c, 5, v, 3, &since));
    assert_int_equal(io_lease_peer_live(&c->l, 2), 1);
    ctx_free(c);
}

/* R2: a synchronous answer to the request's sender passes; one to another
 * node or in an older term is dropped; one in a newer term goes marked. */
static void test_answer_sync(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    (void)state;

    up.on_recv = answer_at_once;
    answer_to = 2;
    answer_term = 3;
    ae_in(c, 2, 3, false, 100);
    assert_int_equal(c->f.n_sends, 1);
    assert_int_equal(c->f.sends[0].m.append_entries_result.rejected, 0);
    answer_term = 4; /* newer than the request's: marked */
    ae_in(c, 2, 3, false, 200);
    assert_int_equal(c->f.n_sends, 2);
    assert_true(c->f.sends[1].m.append_entries_result.rejected ==
                IO_LEASE_STALE);
    answer_term = 2; /* older than the request's: impossible, dropped */
    ae_in(c, 2, 3, false, 250);
    answer_to = 3; /* not the request's sender */
    answer_term = 3;
    ae_in(c, 2, 3, false, 300);
    assert_int_equal(c->f.n_sends, 2);
    assert_int_equal(c->l.n_results_dropped, 2);
    assert_int_equal(up.last_send_status, RAFT_NOCONNECTION);
    /* Outside any request: dropped too. */
    up.on_recv = NULL;
    assert_int_equal(
        upper_send(&c->l, RAFT_IO_APPEND_ENTRIES_RESULT, 2, 3, false), 0);
    assert_int_equal(c->f.n_sends, 2);
    ctx_free(c);
}

/* R2, asynchronous: libraft 0.15 answers after the disk write with its
 * term and leader of that moment; only the request's own pass. */
static struct raft_io_append upper_append;
static unsigned n_upper_append_cb;
static void upper_append_cb(struct raft_io_append *req, int status)
{
    (void)status;
    assert_ptr_equal(req, &upper_append);
    n_upper_append_cb++;
    assert_int_equal(upper_send(cur_lease, RAFT_IO_APPEND_ENTRIES_RESULT,
                                answer_to, answer_term, false),
                     0);
}

static void start_append(struct io_lease *l, struct raft_message *m)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES) {
        assert_int_equal(
            l->io.append(&l->io, &upper_append, NULL, 1, upper_append_cb), 0);
    }
}

static void test_answer_async(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    (void)state;

    up.on_recv = start_append;
    n_upper_append_cb = 0;
    ae_in(c, 2, 3, true, 100);
    up.on_recv = NULL;
    /* Meanwhile node 3 won term 4 and this node follows it. */
    assert_int_equal(c->l.io.set_term(&c->l.io, 4), 0);
    answer_to = 3;
    answer_term = 4;
    c->f.append_cb(c->f.append_req, 0);
    assert_int_equal(n_upper_append_cb, 1);
    assert_int_equal(c->f.n_sends, 0);
    assert_int_equal(c->l.n_results_dropped, 1);
    /* Had the term moved with node 2 still its leader: marked. */
    up.on_recv = start_append;
    ae_in(c, 2, 4, true, 150);
    up.on_recv = NULL;
    assert_int_equal(c->l.io.set_term(&c->l.io, 5), 0);
    answer_to = 2;
    answer_term = 5;
    c->f.append_cb(c->f.append_req, 0);
    assert_int_equal(c->f.n_sends, 1);
    assert_true(c->f.sends[0].m.append_entries_result.rejected ==
                IO_LEASE_STALE);
    answer_to = 3;
    answer_term = 4;
    /* The same write answering its own request passes. */
    up.on_recv = start_append;
    assert_int_equal(c->l.io.set_term(&c->l.io, 4), 0); /* no-op: older */
    ae_in(c, 3, 5, true, 200);
    up.on_recv = NULL;
    answer_term = 5;
    c->f.append_cb(c->f.append_req, RAFT_IOERR);
    assert_int_equal(n_upper_append_cb, 3);
    assert_int_equal(c->f.n_sends, 2);
    assert_int_equal(c->f.sends[1].m.append_entries_result.rejected, 0);
    /* A leader's own append is passed through untouched. */
    assert_int_equal(
        c->l.io.append(&c->l.io, &upper_append, NULL, 1, upper_append_cb), 0);
    assert_ptr_equal(c->f.append_req, &upper_append);
    ctx_free(c);
}

/* The probe of fake send @i, or -1. */
static int probe_at(struct ctx *c, unsigned from)
{
    for (unsigned i = from; i < c->f.n_sends; i++) {
        const struct raft_message *m = &c->f.sends[i].m;
        if (m->type == RAFT_IO_REQUEST_VOTE &&
            (m->request_vote.term & IO_LEASE_PROBE_BIT) != 0) {
            return (int)i;
        }
    }
    return -1;
}

static void echo_in(struct ctx *c, raft_id from, raft_term probe_term,
                    uint64_t t)
{
    struct raft_message m;
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE_RESULT;
    m.server_id = from;
    m.server_address = "peer";
    m.request_vote_result.term = probe_term;
    m.request_vote_result.pre_vote = raft_tribool_true;
    now_ms = t;
    c->f.recv(&c->f.io, &m);
}

/* R5, leader: a lagging peer gets a probe (at most one per T/8); the
 * echo of a probe of this term raises the bound to its send time. */
static void test_probe_echo(void **state)
{
    struct ctx *c = ctx_new(2, 0);
    raft_id v[] = {1, 2, 3};
    uint64_t since = 0;
    int i1, i2;
    raft_term pt;
    (void)state;

    send_ae(c, 2, 2, 100);
    assert_int_equal(probe_at(c, 0), -1); /* one in flight: no probe */
    send_ae(c, 2, 2, 200);
    i1 = probe_at(c, 0);
    assert_true(i1 >= 0);
    pt = c->f.sends[i1].m.request_vote.term;
    assert_int_equal(c->f.sends[i1].m.request_vote.last_log_term, 2);
    assert_true(c->f.sends[i1].m.request_vote.pre_vote);
    assert_string_equal(c->f.sends[i1].m.server_address, "peer");
    send_ae(c, 2, 2, 200 + T_MS / 8 - 1);
    assert_int_equal(probe_at(c, (unsigned)i1 + 1), -1); /* rate limit */
    send_ae(c, 2, 2, 200 + T_MS / 8);
    i2 = probe_at(c, (unsigned)i1 + 1);
    assert_true(i2 > i1);
    /* An unknown sequence number proves nothing. */
    echo_in(c, 2, IO_LEASE_PROBE_BIT | 99, 300);
    assert_false(since_of(c, 2, v, 3, &since));
    echo_in(c, 2, pt, 400);
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE_RESULT], 0);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    /* A counted result with an older unit does not lower it. */
    result_in(c, 2, 2, 0, 410);
    assert_true(since_of(c, 2, v, 3, &since));
    assert_int_equal(since, 200);
    /* After a term change, an echo of the old term's probe is ignored. */
    assert_int_equal(c->l.io.set_term(&c->l.io, 3), 0);
    send_ae(c, 2, 3, 1000);
    echo_in(c, 2, c->f.sends[i2].m.request_vote.term, 1010);
    assert_false(since_of(c, 3, v, 3, &since));
    ctx_free(c);
}

/* R5, any node: a probe of a leader not older than this node is echoed,
 * keeps this node quiet for T, and never reaches raft; an older one gets
 * nothing. */
static void test_probe_answer(void **state)
{
    struct ctx *c = ctx_new(3, 0);
    struct raft_message m;
    (void)state;

    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE;
    m.server_id = 2;
    m.server_address = "n2";
    m.request_vote.term = IO_LEASE_PROBE_BIT | 5;
    m.request_vote.last_log_term = 2; /* older than ours */
    m.request_vote.pre_vote = true;
    now_ms = 5000;
    c->f.recv(&c->f.io, &m);
    assert_int_equal(c->f.n_sends, 0);
    assert_false(io_lease_is_quiet(&c->l, 5000));
    m.request_vote.last_log_term = 3;
    c->f.recv(&c->f.io, &m);
    assert_int_equal(up.n_recv[RAFT_IO_REQUEST_VOTE], 0);
    assert_int_equal(c->f.n_sends, 1);
    assert_int_equal(c->f.sends[0].m.type, RAFT_IO_REQUEST_VOTE_RESULT);
    assert_int_equal(c->f.sends[0].m.server_id, 2);
    assert_true(c->f.sends[0].m.request_vote_result.term ==
                (IO_LEASE_PROBE_BIT | 5));
    assert_false(c->f.sends[0].m.request_vote_result.vote_granted);
    assert_true(io_lease_is_quiet(&c->l, 5000 + T_MS - 1));
    assert_false(io_lease_is_quiet(&c->l, 5000 + T_MS));
    ctx_free(c);
}

/* R6: a pre-vote refused by a node of a newer term goes out with that
 * term (libraft 0.15 answers with the request's), so the candidate learns
 * it; granted answers, real votes and answers of our term pass as is. */
static void rvr_out(struct ctx *c, raft_term term, bool pre_vote,
                    bool granted)
{
    struct raft_message m;
    struct raft_io_send *req = malloc(sizeof *req);

    assert_non_null(req);
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE_RESULT;
    m.server_id = 2;
    m.server_address = "peer";
    m.request_vote_result.term = term;
    m.request_vote_result.vote_granted = granted;
    m.request_vote_result.pre_vote = pre_vote ? raft_tribool_true
                                              : raft_tribool_false;
    assert_int_equal(c->l.io.send(&c->l.io, req, &m, upper_send_cb), 0);
}

static void test_prevote_refusal_tells_term(void **state)
{
    struct ctx *c = ctx_new(5, 0);
    (void)state;

    rvr_out(c, 3, true, false);
    assert_int_equal(c->f.n_sends, 1);
    assert_int_equal(c->f.sends[0].m.request_vote_result.term, 5);
    assert_false(c->f.sends[0].m.request_vote_result.vote_granted);
    assert_int_equal(c->l.n_prevotes_told, 1);
    rvr_out(c, 6, true, false); /* asked for a newer term */
    assert_int_equal(c->f.sends[1].m.request_vote_result.term, 6);
    rvr_out(c, 5, true, true);
    assert_int_equal(c->f.sends[2].m.request_vote_result.term, 5);
    rvr_out(c, 3, false, false); /* a real vote carries our term already */
    assert_int_equal(c->f.sends[3].m.request_vote_result.term, 3);
    assert_int_equal(c->l.n_prevotes_told, 1);
    ctx_free(c);
}

/* Who this node heard from: any message counts (a stale one too), this
 * node itself counts, a majority of the distinct voters within the window. */
static void test_hears_majority(void **state)
{
    struct ctx *c = ctx_new(3, 0);
    raft_id v3[] = {1, 2, 3};
    raft_id v5[] = {1, 2, 3, 4, 5};
    (void)state;

    now_ms = 1000;
    assert_false(io_lease_hears_majority(&c->l, v3, 3, 1, 2 * T_MS));
    rv_in(c, 2, 4, true, false, 1000); /* a pre-vote request */
    assert_true(io_lease_hears_majority(&c->l, v3, 3, 1, 2 * T_MS));
    assert_false(io_lease_hears_majority(&c->l, v5, 5, 1, 2 * T_MS));
    /* A repeated id counts once: {1, 2, 5}. */
    assert_true(io_lease_hears_majority(&c->l, (raft_id[]){1, 2, 2, 2, 5},
                                        5, 1, 2 * T_MS));
    ae_in(c, 4, 1, false, 1500); /* stale, still a sign of a link */
    assert_true(io_lease_hears_majority(&c->l, v5, 5, 1, 2 * T_MS));
    now_ms = 1000 + 2 * T_MS;
    assert_true(io_lease_hears_majority(&c->l, v3, 3, 1, 2 * T_MS));
    now_ms = 1001 + 2 * T_MS;
    assert_false(io_lease_hears_majority(&c->l, v3, 3, 1, 2 * T_MS));
    assert_true(io_lease_hears_majority(&c->l, v3, 1, 1, 2 * T_MS));
    ctx_free(c);
}

/****** Randomised check of the bound ******/

struct flight
{
    uint64_t at;      /* delivery time */
    uint64_t sent;    /* leader's send time */
    raft_term term;
    int send_idx;     /* fake send index (for the callback) */
    uint64_t seq;     /* creation order, to break ties */
    bool live;
    bool probe;       /* a probe (R5), echoed with @echo */
    raft_term echo;
};

struct answer_msg
{
    uint64_t at;          /* arrival time at the leader */
    uint64_t seq;         /* creation order, to break ties */
    raft_term term;
    bool marked;          /* R1 */
    bool probe;           /* an echo of a probe (R5) */
    raft_term echo;
    uint64_t answered;    /* send time of the request it answers */
    bool live;
};

#define FZ_N 256

static uint64_t rnd_state;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}
static bool chance(unsigned pct)
{
    return rnd() % 100 < pct;
}

/* One random schedule between this leader and peer 2: requests and answers
 * delayed, reordered and lost, sends failing, no answer for some requests,
 * term changes. The bound must never be later than the newest request
 * answered by the results counted so far (the claim of io_lease.h); with
 * @fifo (order kept on both ways, every request answered) never later than
 * the send time of the very request the last result answers. Returns the
 * number of checks made. */
static unsigned fuzz_one(uint64_t seed, bool fifo)
{
    struct ctx *c = ctx_new(2, 0);
    struct flight req[FZ_N];
    struct answer_msg ans[FZ_N];
    struct { uint64_t at; int idx; int status; bool live; } cbs[FZ_N];
    raft_id v[] = {1, 2, 3};
    raft_term term = 2;
    uint64_t newest_recv = 0; /* per current term, follower side */
    raft_term newest_recv_term = 0;
    uint64_t last_req_at = 0, last_ans_at = 0, seq = 0;
    uint64_t max_answered = 0; /* newest request answered in @term */
    unsigned n_probes = 0;
    raft_term answered_term = 0;
    unsigned checks = 0;

    rnd_state = seed * 2654435761u + 1;
    memset(req, 0, sizeof req);
    memset(ans, 0, sizeof ans);
    memset(cbs, 0, sizeof cbs);
    for (unsigned step = 0; step < 3000; step++) {
        uint64_t now = now_ms + rnd() % 15;
        /* Deliver due requests in time order (a request of an older term
         * than the follower's is dropped, R1; answers carry the request's
         * term, R2). */
        for (;;) {
            struct flight *r = NULL;
            bool stale;
            for (unsigned i = 0; i < FZ_N; i++) {
                if (req[i].live && req[i].at <= now &&
                    (r == NULL || req[i].at < r->at ||
                     (req[i].at == r->at && req[i].seq < r->seq))) {
                    r = &req[i];
                }
            }
            if (r == NULL) {
                break;
            }
            r->live = false;
            if (r->probe) {
                /* The peer's decorator echoes a probe of a leader not
                 * older than itself. */
                if (r->term < newest_recv_term) {
                    continue;
                }
                for (unsigned j = 0; j < FZ_N; j++) {
                    if (!ans[j].live) {
                        ans[j].live = !chance(8);
                        ans[j].seq = seq++;
                        ans[j].at = r->at + rnd() % 80;
                        ans[j].term = r->term;
                        ans[j].marked = false;
                        ans[j].probe = true;
                        ans[j].echo = r->echo;
                        ans[j].answered = r->sent;
                        break;
                    }
                }
                continue;
            }
            stale = r->term < newest_recv_term;
            if (r->term > newest_recv_term) {
                newest_recv_term = r->term;
                newest_recv = 0;
            }
            if (!stale && r->sent > newest_recv) {
                newest_recv = r->sent;
            }
            if (chance(fifo ? 0 : 10)) {
                continue; /* no answer (ignored during a snapshot...) */
            }
            for (unsigned j = 0; j < FZ_N; j++) {
                if (!ans[j].live) {
                    uint64_t at = r->at + rnd() % (fifo ? 5 : 80);
                    if (fifo && at < last_ans_at) {
                        at = last_ans_at;
                    }
                    last_ans_at = at;
                    ans[j].live = !chance(8); /* lost answer */
                    ans[j].seq = seq++;
                    ans[j].at = at;
                    /* A stale request is answered marked, with the
                     * follower's newer term (R1). */
                    ans[j].term = stale ? newest_recv_term : r->term;
                    ans[j].marked = stale;
                    ans[j].probe = false;
                    ans[j].answered = r->sent;
                    break;
                }
            }
        }
        /* Failure callbacks due now. */
        for (unsigned i = 0; i < FZ_N; i++) {
            if (cbs[i].live && cbs[i].at <= now) {
                cbs[i].live = false;
                now_ms = now;
                send_done(c, cbs[i].idx, cbs[i].status);
            }
        }
        /* Answers arriving now, in time order: check the bound. */
        for (;;) {
            struct answer_msg *a = NULL;
            uint64_t since = 0, live_before;
            for (unsigned i = 0; i < FZ_N; i++) {
                if (ans[i].live && ans[i].at <= now &&
                    (a == NULL || ans[i].at < a->at ||
                     (ans[i].at == a->at && ans[i].seq < a->seq))) {
                    a = &ans[i];
                }
            }
            if (a == NULL) {
                break;
            }
            a->live = false;
            live_before = io_lease_peer_live(&c->l, 2);
            if (a->probe) {
                echo_in(c, 2, a->echo, now);
            } else {
                result_in(c, 2, a->term, a->marked ? IO_LEASE_STALE : 0,
                          now);
            }
            if (a->marked) {
                assert_int_equal(io_lease_peer_live(&c->l, 2), live_before);
                continue;
            }
            if (a->term != term) {
                continue;
            }
            if (a->term != answered_term) {
                answered_term = a->term;
                max_answered = 0;
            }
            if (a->answered > max_answered) {
                max_answered = a->answered;
            }
            now_ms = now;
            if (io_lease_peer_stats(&c->l, 2)->has_bound) {
                uint64_t b = io_lease_peer_stats(&c->l, 2)->bound_ms;
                if (fifo) {
                    assert_true(b <= a->answered);
                } else {
                    assert_true(b <= max_answered);
                }
                assert_true(since_of(c, term, v, 3, &since));
                assert_int_equal(since, b);
                checks++;
            }
        }
        now_ms = now;
        /* A new term now and then (this node re-elected). */
        if (chance(1)) {
            term++;
            assert_int_equal(c->l.io.set_term(&c->l.io, term), 0);
        }
        /* The leader sends. */
        if (chance(40)) {
            int idx;
            unsigned slot = FZ_N;
            bool sync_fail = chance(fifo ? 0 : 3);
            for (unsigned i = 0; i < FZ_N; i++) {
                if (!req[i].live) {
                    slot = i;
                    break;
                }
            }
            if (slot == FZ_N || c->f.n_sends >= MAX_SENDS - 1) {
                continue;
            }
            c->f.fail = sync_fail ? RAFT_NOCONNECTION : 0;
            idx = send_ae(c, 2, term, now);
            if (idx < 0) {
                continue;
            }
            if ((unsigned)idx + 1 < c->f.n_sends) {
                /* A probe went with it (R5): delivered like a request,
                 * except in the FIFO mode, whose strict check is about
                 * counted results only. */
                const struct raft_message *pm = &c->f.sends[idx + 1].m;
                assert_true((pm->request_vote.term & IO_LEASE_PROBE_BIT) != 0);
                send_done(c, idx + 1, 0);
                for (unsigned i = 0; !fifo && i < FZ_N; i++) {
                    if (!req[i].live && i != slot && !chance(10)) {
                        req[i].live = true;
                        req[i].probe = true;
                        req[i].echo = pm->request_vote.term;
                        req[i].sent = now;
                        req[i].term = term;
                        req[i].seq = seq++;
                        req[i].at = now + rnd() % 120;
                        n_probes++;
                        break;
                    }
                }
            }
            if (chance(fifo ? 0 : 10)) {
                /* Fails later: never delivered. */
                for (unsigned i = 0; i < FZ_N; i++) {
                    if (!cbs[i].live) {
                        cbs[i].live = true;
                        cbs[i].at = now + rnd() % 100;
                        cbs[i].idx = idx;
                        cbs[i].status = RAFT_NOCONNECTION;
                        break;
                    }
                }
                continue;
            }
            send_done(c, idx, 0);
            if (chance(10)) {
                continue; /* lost after a successful send */
            }
            req[slot].live = true;
            req[slot].probe = false;
            req[slot].sent = now;
            req[slot].term = term;
            req[slot].send_idx = idx;
            req[slot].seq = seq++;
            req[slot].at = now + rnd() % (fifo ? 5 : 120);
            if (fifo && req[slot].at < last_req_at) {
                req[slot].at = last_req_at;
            }
            last_req_at = req[slot].at;
        }
    }
    /* Complete outstanding failure callbacks before closing. */
    for (unsigned i = 0; i < FZ_N; i++) {
        if (cbs[i].live) {
            send_done(c, cbs[i].idx, cbs[i].status);
        }
    }
    ctx_free(c);
    if (!fifo) {
        assert_true(n_probes > 0);
    }
    return checks;
}

static void test_fuzz_bound(void **state)
{
    unsigned checks = 0;
    (void)state;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        checks += fuzz_one(seed, false);
        checks += fuzz_one(seed, true);
    }
    /* The schedules must actually exercise the bound. */
    assert_true(checks > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwards_everything),
        cmocka_unit_test(test_basic_ack),
        cmocka_unit_test(test_lost_messages),
        cmocka_unit_test(test_failed_sends),
        cmocka_unit_test(test_reordered_results),
        cmocka_unit_test(test_term_change),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_majority),
        cmocka_unit_test(test_restart_window),
        cmocka_unit_test(test_quiet_after_contact_and_claim),
        cmocka_unit_test(test_stale_request_answer_marked),
        cmocka_unit_test(test_marked_answer_not_counted),
        cmocka_unit_test(test_answer_sync),
        cmocka_unit_test(test_answer_async),
        cmocka_unit_test(test_probe_echo),
        cmocka_unit_test(test_probe_answer),
        cmocka_unit_test(test_prevote_refusal_tells_term),
        cmocka_unit_test(test_hears_majority),
        cmocka_unit_test(test_fuzz_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
