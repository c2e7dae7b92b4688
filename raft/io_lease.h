/* A `struct raft_io` decorator that gives the Raft leader a lease from the
 * AppendEntries it already sends (heartbeats included), so that holding
 * the VIPs needs no log entry at idle, and that keeps every node out of
 * elections while a lease it helped to grant may still run.
 *
 * It wraps any raft_io of libraft 0.15 (raft_uv in vipd, a raft_fixture
 * server's in-memory io in tests/sim), forwards every method, and watches
 * the messages going through `send` and the `recv` callback.
 *
 * ## Integration
 *
 * vipd (raft/cluster.c):
 *     raft_uv_init(&c->io, loop, dir, &transport.raft);   (as today)
 *     io_lease_init(&c->io_lease, &c->io, T, now_cb, NULL);
 *     raft_init(&c->raft, &c->io_lease.io, &fsm, id, address);
 *   with now_cb returning vip_now_ms(). raft_uv_set_*() keep working on
 *   &c->io. raft_close() closes both; the io_lease memory may go once
 *   raft's close callback has run.
 * tests/sim (after raft_fixture_grow()/initialize, before raft_start()):
 *     struct raft_fixture_server *s = &f->servers[i];
 *     io_lease_init(&lease[i], &s->io, T, fixture_now, f);
 *     s->raft.io = &lease[i].io;  lease[i].io.data = &s->raft;
 *   (raft_init() already ran the inner io's init(); fixture_now returns
 *   raft_fixture_time(f)). A node the simulation "restarts" in place
 *   (raft_fixture_kill/revive keep raft's memory) needs io_lease_restart(),
 *   as a new process would start a new quiet window (R3); see
 *   tests/integration/test_io_lease_fixture.c.
 * On every wake-up of the leader (role read from raft_state() in the same
 * loop turn), with voters = the voter ids of r->configuration:
 *     if (io_lease_majority_since(&lease, term, voters, n, self, &since))
 *         lease_acked(&lease_state, since, term);
 *   (raft015_observe_ack() feeds it to the ownership step, which calls
 *   lease_acked()): the lease runs to since + L, L < T (lease_params_derive
 *   keeps the drift margin). No periodic TICK entry: a new leader still
 *   commits one entry in its term before it holds (docs/DESIGN.md 4.3),
 *   one entry per election, none at idle.
 *   Measured on libraft's fixture (T = 1000, heartbeat 100 ms, 3 voters,
 *   30 s idle): no log entry written, now - since never above 115 ms
 *   (a heartbeat plus a round trip), so the lease reaches about
 *   L - heartbeat - RTT ahead of now at all times.
 *
 * ## What an AppendEntriesResult carries (libraft 0.15)
 *
 * On the wire (raft_uv, uv_encoding.c): term, rejected, last_log_index,
 * 3 x 8 bytes, nothing else: no echo of the request it answers, no
 * sequence number. The follower answers an AppendEntries (or an
 * InstallSnapshot) at most once: synchronously from recvAppendEntries /
 * recvInstallSnapshot, or later from the disk write callback
 * (appendFollowerCb, installSnapshotCb); some requests get no answer at
 * all (ignored while a snapshot installs, entries truncated meanwhile).
 * Two traps in 0.15: the asynchronous answer carries the follower's term
 * at write completion and goes to its *current* leader, not the request's
 * term and sender; and a request from an older term is answered with the
 * newer term (rejected = prev_log_index, which is 0 for prev_log_index 0,
 * so it even looks like a success). Rules R1 and R2 remove both, so that
 * an unmarked result can be counted by its term alone.
 *
 * ## The rules (every voter must run this decorator)
 *
 * R1 (stale answers): when libraft answers a request with a newer term
 *    than the request's (a stale request, term-rejected; or a disk write
 *    that completed after a term change), the answer goes out marked
 *    (rejected = IO_LEASE_STALE, last_log_index = 0). The receiving leader
 *    never counts a marked answer; it hands it to libraft only if its term
 *    is newer than its own (libraft then steps down and reads nothing
 *    else), and drops it otherwise. So an old leader still learns the new
 *    term at once, as with plain libraft.
 * R2 (send): an AppendEntriesResult is sent only while libraft handles
 *    the request it answers (the recv callback, or the completion of the
 *    append/snapshot_put that request started), and only to that
 *    request's sender; otherwise it is dropped (the send "fails" as a lost
 *    message would). The current term is known exactly from the io's
 *    load() and set_term(), which libraft calls before adopting a term.
 * R3 (quiet): a node neither grants nor asks for a vote until
 *    quiet_until = max(start + T, last accepted AppendEntries /
 *    InstallSnapshot + T, last self-count in io_lease_majority_since() +
 *    T). Outgoing (pre-)vote requests fail; incoming pre-vote requests are
 *    dropped; an incoming RequestVote reaches libraft rewritten as "not up
 *    to date" (last_log_index = last_log_term = 0), so libraft refuses it
 *    but, if it knows no leader, still adopts its term. Dropping it
 *    instead let a node whose term had climbed depose every new leader
 *    through its AppendEntries answers while the others, quiet after each
 *    contact, never learnt its term (a livelock the simulation found).
 *    Requests of a leadership transfer (disrupt_leader) pass: only a
 *    leader that has already released its lease starts one. The start + T
 *    part is the restart rule: libraft 0.15 refuses votes only while a
 *    follower knows a leader, and a restarted node has forgotten it.
 *    Why a rewritten request never gets a vote (recv_request_vote.c,
 *    electionVote() in election.c, 0.15): libraft grants only to a
 *    candidate whose last log term is at least its own, or when its own
 *    log is empty. A voter's log is never empty (the bootstrap entry or a
 *    snapshot, of term >= 1): a server with neither has no configuration,
 *    so it is no voter and votes for nobody. Term 0 is below every term.
 * R6 (pre-vote answers): libraft 0.15 answers a pre-vote with the
 *    request's term even when its own is newer, so a candidate behind in
 *    term never learns the others' (the livelock of raft/prevote.h). A
 *    refused pre-vote answer whose term is older than this node's goes out
 *    with this node's term; the candidate (in its pre-vote round, more
 *    than one term behind) adopts it and steps down, and its next pre-vote
 *    can win. It only tells a term that exists: no vote, no lease.
 * R5 (probe): when a peer has two or more unanswered sends (in flight, or
 *    lost for good: the lag below), the leader also sends it a probe, at
 *    most one per T/8: a pre-vote RequestVote whose term is
 *    IO_LEASE_PROBE_BIT | seq and whose last_log_term is the leader's
 *    term. The peer's decorator never shows it to libraft: if the
 *    leader's term is not older than its own, it goes quiet for T (R3)
 *    and echoes the term back in a RequestVoteResult,
 *    which the leader's decorator takes (libraft never sees it either).
 *    An echo of probe seq sent in the current term at t raises the
 *    peer's bound to t: the echo names the very message received.
 * R4 (count): the leader keeps, per peer and term, a FIFO of the send
 *    times of every AppendEntries/InstallSnapshot it handed to send() for
 *    that peer. Each AppendEntriesResult from the peer with the same term
 *    (success or not) consumes the oldest live unit; the peer's bound is
 *    the send time of the last consumed unit. A send that fails (returns
 *    an error, or its callback reports one) is removed unconsumed.
 *    Overflow merges the two oldest slots under the older time.
 *
 * ## Why the bound is sound
 *
 * Claim: when peer p's bound is b in term X, one of the requests answered
 * by the results counted so far (so received by p) is an AppendEntries/
 * InstallSnapshot of term X sent by this leader at or after b (leader's
 * clock). With results in request order it is the last one answered; with
 * reordering (a disk-write answer overtaken by a heartbeat's) it may be an
 * earlier-counted one.
 * - By R1 and R2, every unmarked result of term X from p answers a
 *   distinct request of term X, and only the leader of X (this node) sends
 *   those; libraft answers a request at most once; TCP (and the fixture)
 *   never duplicate.
 * - So after C counted results p has received C distinct requests of the
 *   queue, none of them failed (a failed send never reaches the peer:
 *   raft_uv reports failure only before the whole message was written; the
 *   fixture fails only undelivered sends).
 * - The units are consumed in send order. Suppose all C received requests
 *   were sent before b, the label of the slot k of the C-th consumption.
 *   Labels are the oldest time of their slot and the clock is monotonic,
 *   so they all lie in slots before k, whose units were all consumed or
 *   failed: at most C - 1 consumed ones and the failed ones, which are not
 *   received. So at most C - 1 received requests: a contradiction.
 * - Lost messages, unanswered requests and merges only make the bound
 *   older. A new term starts an empty queue.
 * Lease: if a majority M of the voters each have a bound >= t (this node
 * counts with now), every q in M accepted a request of term X at or after
 * t, so by R3 it neither votes nor asks for votes before t + T (its own
 * clock), whether it restarts or not (a RequestVote it refuses as not up
 * to date may raise its term, which yields no vote), and libraft's
 * election timer (>= T from that receipt) keeps it from standing before
 * then. This node counts
 * itself with now and R3 keeps it quiet until now + T. Any new leader
 * needs a vote from M (majorities intersect; caller passes the current
 * voters), so none exists before t + T > t + L. Residual assumptions: all
 * voters run this decorator; clock rates differ by less than the margin in
 * lease_params_derive(); messages are not duplicated.
 *
 * A probe echo is sound on its own: the peer received that probe at or
 * after its send time and, by R3, is quiet for T from then; the bound is
 * the larger of the two (each is a valid lower bound).
 *
 * Lag: a message lost after a successful send (connection broken with
 * bytes in flight, a fixture partition or saturation) or a request that
 * gets no answer stays a live unit for the rest of the term, so the
 * counted bound lags by one send each time (safe). R5's echoes keep the
 * bound fresh meanwhile: measured on the fixture (T = 1000 ms, heartbeat
 * 100 ms) after 300 random lossy schedules and a heal, the worst lag
 * (now - since) went from 20.8 s with counting alone to 264 ms. */
#ifndef VIPD_RAFT_IO_LEASE_H
#define VIPD_RAFT_IO_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include <raft.h>

#define IO_LEASE_MAX_PEERS 40 /* tracked peers (CFG_MAX_PEERS + margin) */
#define IO_LEASE_SLOTS 16     /* FIFO slots per peer before merging */
/* `rejected` of a marked AppendEntriesResult (R1): no log index is that
 * large. */
#define IO_LEASE_STALE UINT64_MAX
/* Term bit of a probe (R5): no real term is that large. */
#define IO_LEASE_PROBE_BIT (1ull << 63)
#define IO_LEASE_PROBES 4 /* probes remembered per peer */
#define IO_LEASE_ADDR_MAX 272 /* peer address for probes, NUL included */

typedef uint64_t (*io_lease_now_fn)(void *data);

/* A run of consecutive sends to one peer in one term. */
struct io_lease_slot
{
    uint64_t first_seq; /* sequence number of the first send */
    uint64_t t;         /* send time of the first (oldest) send */
    uint32_t n;         /* sends in the run */
    uint32_t live;      /* neither consumed by a result nor failed */
};

/* A probe sent (R5). */
struct io_lease_probe
{
    uint64_t seq;
    raft_term term; /* leader's term when sent */
    uint64_t t;     /* send time */
};

struct io_lease_peer
{
    raft_id id;     /* 0: unused */
    raft_term term; /* term of the queued sends */
    uint64_t next_seq;
    unsigned head, n_slots; /* ring of slots, oldest at head */
    struct io_lease_slot slots[IO_LEASE_SLOTS];
    bool has_bound;
    uint64_t bound_ms; /* R4 bound in @term */
    uint64_t n_sent, n_results, n_failed, n_merged;
    struct io_lease_probe probes[IO_LEASE_PROBES]; /* ring, R5 */
    char address[IO_LEASE_ADDR_MAX]; /* as in our last AppendEntries */
    bool has_heard;
    uint64_t heard_ms;      /* last message of any kind from this peer */
    uint64_t probe_seq;     /* probes sent to this peer */
    uint64_t probe_next_ms; /* no new probe before */
    uint64_t n_probe_echoes;
};

/* Context of the request whose answer may be sent now (R2). */
struct io_lease_answer
{
    bool active;
    raft_id from;
    raft_term term;
};

struct io_lease
{
    struct raft_io io; /* give &l->io to raft_init() */
    struct raft_io *inner;
    io_lease_now_fn now_fn;
    void *now_data;
    uint32_t election_timeout_ms; /* T */
    raft_io_tick_cb tick_cb;
    raft_io_recv_cb recv_cb;
    raft_io_close_cb close_cb;
    raft_term term;     /* this node's current term (load/set_term) */
    uint64_t last_now;  /* monotonic clamp of now_fn */
    uint64_t quiet_until_ms;
    struct io_lease_answer answer; /* R2 */
    struct io_lease_peer peers[IO_LEASE_MAX_PEERS];
    uint64_t n_votes_dropped;   /* incoming pre-vote requests dropped */
    uint64_t n_votes_refused;   /* incoming votes passed as not up to date */
    uint64_t n_prevotes_told;   /* R6: pre-vote refusals given our term */
    uint64_t n_votes_withheld;  /* outgoing (pre-)vote requests failed */
    uint64_t n_stale_requests;  /* requests of an older term received */
    uint64_t n_results_marked;  /* R1: answers sent marked */
    uint64_t n_marked_dropped;  /* R1: marked answers not given to raft */
    uint64_t n_results_dropped; /* R2 */
    struct io_lease *next;      /* registry: inner io -> decorator */
    void (*event_cb)(void *data); /* io_lease_set_event_cb() */
    void *event_data;
};

/* Wrap @inner (already initialised, e.g. by raft_uv_init()) into @l->io.
 * @election_timeout_ms is T as given to raft_set_election_timeout();
 * @now_fn(@now_data) returns milliseconds on a monotonic clock. The quiet
 * window of R3 starts here (and again in start()). Returns 0 or
 * RAFT_INVALID (a NULL argument, T == 0). */
int io_lease_init(struct io_lease *l, struct raft_io *inner,
                  uint32_t election_timeout_ms, io_lease_now_fn now_fn,
                  void *now_data);

/* Simulations only: what a process restart does to @l (nothing counted,
 * quiet for T from now); the persisted term is kept. vipd
 * restarts for real and gets a fresh io_lease_init(). */
void io_lease_restart(struct io_lease *l);

/* Call @cb(@data) each time raft has handled an event that came through
 * @l: a message received, a tick of its timer, a follower's append or
 * snapshot write completed. @cb runs after raft's own callback returned,
 * never inside it, so it may read raft's state (raft015_changed()); it
 * must not run the ownership step itself, only schedule it. NULL stops. */
void io_lease_set_event_cb(struct io_lease *l, void (*cb)(void *data),
                           void *data);

/* Forget @l without closing the inner io (when raft never took it, or in
 * tests); raft_close() does this on its own once the close completes. */
void io_lease_detach(struct io_lease *l);

/* Leader: the largest t such that a majority of @voters (@n ids, this node
 * @self counted with now) accepted an AppendEntries/InstallSnapshot of
 * @term sent at or after t. Returns false (and leaves *@since alone) if no
 * such majority exists. Counting @self keeps this node quiet (R3) until
 * now + T: call it only while raft_state() says leader in @term. */
bool io_lease_majority_since(struct io_lease *l, raft_term term,
                             const raft_id *voters, unsigned n, raft_id self,
                             uint64_t *since);

/* Whether a majority of @voters (@n ids; this node @self counts) sent this
 * node a message of any kind within the last @within_ms: a node cut off
 * from the others hears nobody (raft/prevote.h keeps its pre-vote on). */
bool io_lease_hears_majority(struct io_lease *l, const raft_id *voters,
                             unsigned n, raft_id self, uint64_t within_ms);

/* Whether R3 keeps this node out of elections at @now, and until when. */
bool io_lease_is_quiet(const struct io_lease *l, uint64_t now);
uint64_t io_lease_quiet_until(const struct io_lease *l);

/* Peer @id's counters (NULL if untracked), for status and tests. */
const struct io_lease_peer *io_lease_peer_stats(const struct io_lease *l,
                                                raft_id id);

/* Live (unanswered, not failed) sends queued for peer @id: in-flight
 * requests plus the lag of R4. */
uint64_t io_lease_peer_live(const struct io_lease *l, raft_id id);

#endif /* VIPD_RAFT_IO_LEASE_H */
