/* The replicated state machine: cluster state built from applied entries,
 * behind canonical raft's `struct raft_fsm` (version 1: apply, snapshot,
 * restore). Pure apart from raft_malloc() for snapshot buffers.
 *
 * Determinism: every node applies the same entries in the same order and
 * must reach the same state. A record that fails to decode or breaks a rule
 * is therefore *skipped* on every node alike: apply logs nothing, counts it
 * in `n_rejected`, remembers the reason in `errmsg`, sets the apply result to
 * the error code and returns 0 to raft (raft_apply's callback gets `result`
 * pointing to that int: 0 or VIP_E*; a rejection is final, do not retry the
 * proposal). (raft 0.15's replicationApply() does
 * not advance last_applied when fsm->apply fails, so a non-zero return would
 * retry the same entry forever and wedge the node.) The state has fixed
 * capacity, so apply never allocates and cannot fail for resource reasons.
 *
 * Events (holder changes, health transitions, membership, maintenance) are
 * kept in a bounded ring (FSM_MAX_EVENTS, oldest overwritten) stamped with
 * the log index, the term and wall clock of the latest applied TICK, so
 * `vipctl events` shows the same history on every node. */
#ifndef VIPD_RAFT_FSM_H
#define VIPD_RAFT_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#include "raft/entry.h"
#include "vipd/error.h"

#define FSM_MAX_MEMBERS      32  /* = CFG_MAX_PEERS */
#define FSM_MAX_HEALTH       64  /* distinct checks per member */
#define FSM_MAX_EVENTS       256 /* events ring */
/* Snapshot format: version 2 stores NODE records with their instances'
 * units (raft/entry.h version 2), version 1 without. Both restore (units
 * empty from version 1); encoding writes the lowest version that carries
 * the state, as the entry codec does, for clusters upgraded one node at a
 * time. */
#define FSM_SNAPSHOT_VERSION     2
#define FSM_SNAPSHOT_VERSION_MIN 1
#define FSM_MAX_UNITS        32 /* placed units (raft/place.h) */

/* The latest reported value of one check of one member. */
struct fsm_health
{
    uint8_t kind; /* enum entry_track_kind */
    char name[ENTRY_NAME_MAX];
    int32_t value;
};

struct fsm_member
{
    struct entry_node node; /* last NODE record (node.origin.node_id = id) */
    bool has_node;          /* false: known only from HEALTH/ADMIN so far */
    bool maintenance;
    uint64_t last_seq;     /* highest origin seq applied from this node */
    uint64_t joined_index; /* log index of the first record about it */
    uint16_t n_health;
    struct fsm_health health[FSM_MAX_HEALTH];
};

enum fsm_event_type {
    FSM_EV_HOLDER = 1,   /* holder changed: node = new (0 none), other = old;
                            name: the unit (ASSIGN), empty for the group */
    FSM_EV_HEALTH = 2,   /* node's check (name) changed to value */
    FSM_EV_JOIN = 3,     /* node described for the first time */
    FSM_EV_UPDATE = 4,   /* node's description changed */
    FSM_EV_REMOVE = 5,   /* node removed (by other) */
    FSM_EV_MAINT = 6,    /* node maintenance: value 1 on, 0 off (by other) */
    FSM_EV_TRANSFER = 7, /* transfer to node (0: preferred) asked by other;
                            name: the unit, empty for the group */
    FSM_EV_LEADER = 8,   /* a new leader's first TICK: node, term */
};

struct fsm_event
{
    uint64_t index;   /* log index of the entry that caused it, 0 unknown */
    uint64_t term;    /* term of the latest applied TICK */
    uint64_t wall_ms; /* wall clock of the latest applied TICK (0: none yet) */
    uint8_t type;     /* enum fsm_event_type */
    uint8_t kind;     /* FSM_EV_HEALTH: enum entry_track_kind; FSM_EV_HOLDER:
                         enum entry_hold_reason */
    uint64_t node;
    uint64_t other;
    int32_t value;
    char name[ENTRY_NAME_MAX];
};

/* One placed unit (raft/place.h): its last applied ASSIGN, and a pending
 * `vipctl transfer UNIT NODE`. Rows are never removed; a unit's row exists
 * once an ASSIGN for it applied. */
struct fsm_unit
{
    char name[ENTRY_NAME_MAX];
    uint64_t holder;          /* 0: none */
    bool leader_bound;        /* held under the writer's lease */
    uint64_t term;            /* of the leader that wrote the ASSIGN */
    uint64_t index;           /* log index of the ASSIGN */
    uint64_t transfer_target; /* pending TRANSFER target (0: preferred) */
    uint64_t transfer_index;  /* its log index; 0: no request pending */
    uint64_t since_wall_ms;   /* latest TICK's wall clock when @holder
                                 became the holder */
};

/* The whole replicated state; plain data, copied by value in tests. */
struct fsm_state
{
    uint16_t n_members;
    struct fsm_member members[FSM_MAX_MEMBERS]; /* sorted by node id */

    uint64_t leader;          /* leader of the latest TICK */
    uint64_t term;            /* its term */
    uint64_t wall_ms;         /* its wall clock */
    uint64_t holder;          /* holder named by the latest TICK (0: none) */
    uint8_t holder_reason;    /* enum entry_hold_reason */
    uint64_t holder_since_ms; /* wall clock when it became holder */
    uint64_t holder_index;    /* log index when it became holder */

    uint64_t transfer_target; /* pending ADMIN TRANSFER target (0: preferred) */
    uint64_t transfer_index;  /* its log index; 0: no request pending */

    uint64_t n_events; /* events ever recorded; ring holds the last */
    struct fsm_event events[FSM_MAX_EVENTS]; /* slot = seq % FSM_MAX_EVENTS */

    /* Placement (raft/place.h), in order of first ASSIGN. */
    uint16_t n_units;
    struct fsm_unit units[FSM_MAX_UNITS];
};

struct fsm;
/* Called after every applied (not rejected) record; @e is the decoded entry. */
typedef void (*fsm_applied_cb)(struct fsm *f, const struct entry *e);

struct fsm
{
    struct raft_fsm iface;  /* give &f->iface to raft_init(); iface.data = f */
    struct fsm_state *st;   /* heap: sizeof is ~700 KB */
    struct raft *raft;      /* optional, for log indexes in events */
    fsm_applied_cb applied; /* optional */
    void *data;             /* for the owner of @applied */
    uint64_t n_applied;     /* records applied */
    uint64_t n_rejected;    /* records skipped (decode or rule error) */
    uint64_t n_duplicate;   /* records skipped as already applied (seq) */
    int last_rv;            /* result of the last apply: 0 or VIP_E* */
    char errmsg[VIP_ERRMSG_SIZE]; /* why the last record was rejected */
};

/* Initialise @f with an empty state. Returns 0 or VIP_ENOMEM. */
int fsm_init(struct fsm *f);

/* Release the state. */
void fsm_close(struct fsm *f);

/* Optional: the raft instance that drives @f, used only to read the index of
 * the entry being applied (raft_last_applied() + 1). */
void fsm_attach(struct fsm *f, struct raft *r);

/* Apply one encoded record at log @index (0 if unknown). Returns 0 if
 * applied, 1 if skipped as a retry of the last applied record of its
 * proposer (same seq: done), 2 if skipped because a newer one of that
 * proposer was applied (lower seq: never done; the raft hook's verdict is
 * VIP_ESTALE), or VIP_EPROTO / VIP_EINVAL / VIP_ERANGE if rejected (state
 * unchanged, @f->errmsg says why; VIP_ERANGE also for a seq above
 * FSM_SEQ_MAX or more than FSM_SEQ_AHEAD_MS ahead of the last TICK's
 * clock). The raft apply hook calls this and always returns 0 to raft (see
 * above). */
/* Sequence numbers are wall-clock ms * 1024 (raft/cluster_props.c): at most
 * 2^53 (year ~2250), and at most a day ahead of the leader's clock. */
#define FSM_SEQ_MAX (1ull << 53)
#define FSM_SEQ_AHEAD_MS (24ull * 3600 * 1000)
int fsm_apply_buf(struct fsm *f, const void *buf, size_t len, uint64_t index);

/* Encode @st as a snapshot into a raft_malloc()ed buffer. Returns 0 or
 * VIP_ENOMEM. */
int fsm_snapshot_encode(const struct fsm_state *st, void **buf, size_t *len);

/* Snapshot layout: header, body (members, holder, events), then optional
 * tagged sections (u8 tag, u32 length, bytes), strictly increasing tags,
 * each written only when not empty: tag 1 the units. Snapshots without a
 * section (all earlier ones) restore with no units.
 * Decode a snapshot into @out, validating everything (versions, lengths,
 * strings, counts, sort order, duplicate ids). Returns 0 or VIP_EPROTO with
 * a message in @errmsg (may be NULL); @out is undefined on error. */
int fsm_snapshot_decode(const void *buf,
                        size_t len,
                        struct fsm_state *out,
                        char *errmsg);

/* The unit @name's row; NULL if no ASSIGN for it ever applied. ASSIGN is
 * rejected (deterministically, state unchanged) when: its term is older
 * than the latest TICK's or the unit's last ASSIGN's, its holder is
 * neither 0 nor a member, or a witness, or the table is full (a new unit
 * beyond FSM_MAX_UNITS). A TRANSFER naming a unit without a row is
 * rejected. */
const struct fsm_unit *fsm_unit(const struct fsm_state *st, const char *name);

/* Lookup; NULL if @id is not a member. */
const struct fsm_member *fsm_member(const struct fsm_state *st, uint64_t id);

/* The latest value of @m's check (@kind, @name); false if never reported. */
bool fsm_member_health(const struct fsm_member *m,
                       unsigned kind,
                       const char *name,
                       int32_t *value);

/* Copy up to @max events, oldest first, starting at event number @from
 * (events are numbered 0..n_events-1; older ones may be gone). Returns the
 * number copied. */
size_t fsm_events(const struct fsm_state *st,
                  uint64_t from,
                  struct fsm_event *out,
                  size_t max);

/* Static name of an event type; "?" if unknown. */
const char *fsm_event_type_name(unsigned type);

#endif /* VIPD_RAFT_FSM_H */
