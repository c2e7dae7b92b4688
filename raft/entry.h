/* Log entry codec: the commands vipd replicates through Raft. Pure: no I/O.
 *
 * Wire format (all integers little-endian):
 *
 *   u8  version    ENTRY_VERSION_MIN..ENTRY_VERSION
 *   u8  kind       enum entry_kind
 *   u16 reserved   0
 *   u32 body_len   exact number of bytes that follow
 *   ... body       kind-specific, see entry.c
 *
 * Strings are encoded as u16 length + bytes (no terminator); they must be
 * shorter than their field (ENTRY_NAME_MAX / ENTRY_ADDR_MAX) and contain only
 * printable ASCII (0x20..0x7e). Decoding validates every field and every
 * length and never asserts on input: a bad record is VIP_EPROTO plus a
 * message, nothing else.
 *
 * Versions: 1 is the original format; 2 adds each instance's unit name to
 * the NODE body (the other bodies are the same in both). The encoder
 * writes the lowest version that carries the record, so a node whose
 * instances are all lone ones (no sync group) still writes records a
 * version-1 node decodes, and a version-1 record decodes with every unit
 * empty (a lone instance): a cluster can be upgraded one node at a time.
 * A record with a sync group's unit needs version 2: a version-1 node
 * rejects it (and, as every rejection, skips it: raft/fsm.h), so sync
 * groups should be configured only once every node runs version 2.
 *
 * Exactly-once: NODE, HEALTH, ADMIN and ASSIGN carry their proposer's node
 * id and a sequence number (`struct entry_origin`). The FSM applies a record
 * only if its seq is greater than the last one applied for that proposer, so a
 * proposal retried after a lost reply applies once. Proposers therefore keep
 * at most one proposal in flight, reuse the seq when they retry, and keep seq
 * increasing across restarts (e.g. start from wall-clock ms * 1024). */
#ifndef VIPD_RAFT_ENTRY_H
#define VIPD_RAFT_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENTRY_VERSION_MIN   1 /* the oldest version decoded */
#define ENTRY_VERSION       2 /* the newest (instance units) */
#define ENTRY_HEADER_SIZE   8
#define ENTRY_NAME_MAX      64  /* names incl. NUL: checks, instances, nodes */
#define ENTRY_ADDR_MAX      128 /* "host:port" incl. NUL */
#define ENTRY_MAX_INSTANCES 8   /* instances per node */
#define ENTRY_MAX_TRACKS    16  /* tracked things per instance */
#define ENTRY_MAX_SIZE      65536

enum entry_kind {
    ENTRY_NODE = 1,   /* a member's description */
    ENTRY_HEALTH = 2, /* a member's check changed state */
    ENTRY_ADMIN = 3,  /* maintenance, transfer, removal */
    ENTRY_TICK = 4,   /* leader's wall clock; the lease renewal carrier */
    ENTRY_ASSIGN = 5, /* a unit's placement (raft/place.h) */
};

/* What a track refers to; HEALTH names are looked up per kind, so a script
 * and an interface may share a name. */
enum entry_track_kind {
    ENTRY_TRACK_SCRIPT = 1, /* scripts, tcp/http checks: 1 ok, 0 fail */
    ENTRY_TRACK_FILE = 2,   /* track_file: the number read from the file */
    ENTRY_TRACK_IFACE = 3,  /* track_interface: 1 up, 0 down */
};

#define ENTRY_TRACK_F_REVERSE 0x1u /* keepalived's `weight ... reverse` */
#define ENTRY_TRACK_F_ALL     ENTRY_TRACK_F_REVERSE

struct entry_track
{
    char name[ENTRY_NAME_MAX];
    uint8_t kind;   /* enum entry_track_kind */
    uint8_t flags;  /* ENTRY_TRACK_F_* */
    int32_t weight; /* -254..254 */
};

#define ENTRY_INSTANCE_F_NOPREEMPT 0x1u
#define ENTRY_INSTANCE_F_ALL       ENTRY_INSTANCE_F_NOPREEMPT

/* One vrrp_instance as configured on one node. */
struct entry_instance
{
    char name[ENTRY_NAME_MAX];
    /* The placement unit (include/vipd/config.h) it belongs to: its sync
     * group's name, or empty for an instance in no sync group, which is a
     * unit of its own named like the instance (entry_instance_unit()).
     * Non-empty only from format version 2 on. A non-empty unit may equal
     * the instance's own name (a group named like one of its members), but
     * not the name of another instance of the node outside that unit (nor of
 * one that leaves its own unit empty). */
    char unit[ENTRY_NAME_MAX];
    uint8_t base_priority;     /* 1..255 as configured */
    uint8_t flags;             /* ENTRY_INSTANCE_F_* */
    uint32_t preempt_delay_ms; /* 0: none */
    uint16_t n_tracks;
    struct entry_track tracks[ENTRY_MAX_TRACKS];
};

/* Who proposed a record, for exactly-once application. */
struct entry_origin
{
    uint64_t node_id; /* proposer, != 0 */
    uint64_t seq;     /* > 0, strictly increasing per proposer */
};

/* The node is a witness (`witness yes`): it votes but never holds; the
 * priority rule (raft/priority.c) never prefers it. */
#define ENTRY_NODE_F_WITNESS 0x1u
#define ENTRY_NODE_F_ALL     ENTRY_NODE_F_WITNESS

/* NODE: the member's description; a later NODE for the same id replaces it. */
struct entry_node
{
    struct entry_origin origin;   /* origin.node_id is the described node */
    char name[ENTRY_NAME_MAX];    /* host name, for display */
    char address[ENTRY_ADDR_MAX]; /* Raft address "host:port" */
    uint8_t ip_family;            /* AF_INET, AF_INET6 or 0: primary IP, for */
    uint8_t ip[16];               /* the VRRP tie-break (higher wins) */
    uint32_t flags;               /* ENTRY_NODE_F_* */
    uint16_t n_instances;
    struct entry_instance instances[ENTRY_MAX_INSTANCES];
};

/* HEALTH: the proposer's check (kind, name) now has @value. */
struct entry_health
{
    struct entry_origin origin;
    uint8_t kind; /* enum entry_track_kind */
    char name[ENTRY_NAME_MAX];
    int32_t value;
};

enum entry_admin_op {
    ENTRY_ADMIN_MAINT_ON = 1, /* drain @target: ineligible */
    ENTRY_ADMIN_MAINT_OFF = 2,
    ENTRY_ADMIN_TRANSFER = 3, /* move the VIPs to @target (0: preferred) */
    ENTRY_ADMIN_REMOVE = 4,   /* forget @target (after raft_remove) */
};

struct entry_admin
{
    struct entry_origin origin;
    uint8_t op;      /* enum entry_admin_op */
    uint64_t target; /* node id; 0 only for TRANSFER */
    /* TRANSFER only: the unit to move (raft/place.h); empty: all of them
     * (the single-unit rule). Encoded as an optional tail, so records
     * without a unit keep the original encoding. */
    char unit[ENTRY_NAME_MAX];
};

/* Why the holder named in a TICK holds (or why nobody does). */
enum entry_hold_reason {
    ENTRY_HOLD_NONE = 0,       /* no statement */
    ENTRY_HOLD_ELECTED = 1,    /* leader took the VIPs after its election */
    ENTRY_HOLD_RENEW = 2,      /* unchanged holder renewing its lease */
    ENTRY_HOLD_RELEASE = 3,    /* holder released (transfer, shutdown) */
    ENTRY_HOLD_INELIGIBLE = 4, /* leader is not eligible to hold */
    ENTRY_HOLD_REASON_MAX = 4,
};

/* TICK: written by the leader only. Its commit renews the lease (the caller
 * remembers t_send); the FSM records the wall clock for events and the
 * holder history. @holder is the leader's id if it holds (or takes the VIPs
 * when this entry commits), 0 otherwise. */
struct entry_tick
{
    uint64_t leader;  /* node id of the proposing leader */
    uint64_t term;    /* its term */
    uint64_t wall_ms; /* CLOCK_REALTIME ms on the leader */
    uint64_t holder;  /* see above */
    uint8_t reason;   /* enum entry_hold_reason */
};

/****** Placement of units (raft/place.h) ******/

/* The holder is the leader itself, holding under its own lease: the unit
 * is free once that leader's term is over. */
#define ENTRY_ASSIGN_F_LEADER_BOUND 0x1u
#define ENTRY_ASSIGN_F_ALL          ENTRY_ASSIGN_F_LEADER_BOUND

/* ASSIGN: written by the leader only (origin.node_id is the leader), and
 * committed before anyone holds @unit. LEADER_BOUND requires @holder to be
 * the leader; holder 0 (nobody) takes no flags. */
struct entry_assign
{
    struct entry_origin origin;
    char unit[ENTRY_NAME_MAX];
    uint64_t holder; /* node id; 0: none */
    uint8_t flags;   /* ENTRY_ASSIGN_F_* */
    uint64_t term;   /* of the leader that wrote it, != 0 */
};

struct entry
{
    uint8_t kind; /* enum entry_kind */
    union
    {
        struct entry_node node;
        struct entry_health health;
        struct entry_admin admin;
        struct entry_tick tick;
        struct entry_assign assign;
    } u;
};

/* Number of bytes entry_encode() writes for @e, or 0 if @e is invalid (the
 * same validation the decoder applies). */
size_t entry_encoded_size(const struct entry *e);

/* Encode @e into @buf of @size bytes; on success *@len is the number of bytes
 * written. Returns 0, VIP_EINVAL if @e breaks a rule (message in @errmsg,
 * VIP_ERRMSG_SIZE bytes, may be NULL) or VIP_ERANGE if @size is too small. */
int entry_encode(const struct entry *e,
                 void *buf,
                 size_t size,
                 size_t *len,
                 char *errmsg);

/* Decode @len bytes at @buf into @out (fully overwritten). Returns 0 or
 * VIP_EPROTO with a message in @errmsg (may be NULL): unknown version or
 * kind, truncated or overlong record, bad string, value out of range. */
int entry_decode(const void *buf, size_t len, struct entry *out, char *errmsg);

/* Validate a decoded or hand-built entry (ranges, strings, counts). Returns
 * 0 or VIP_EINVAL with a message in @errmsg (may be NULL). */
int entry_validate(const struct entry *e, char *errmsg);

/* The unit name of @in: in->unit, or in->name when that is empty. */
const char *entry_instance_unit(const struct entry_instance *in);

/* Static names for logs and `vipctl events`; "?" for unknown values. */
const char *entry_kind_name(unsigned kind);
const char *entry_track_kind_name(unsigned kind);
const char *entry_admin_op_name(unsigned op);
const char *entry_hold_reason_name(unsigned reason);

/****** Helpers shared with the snapshot codec (raft/fsm.c) ******/

/* A bounded little-endian writer. Once a write does not fit, @ok becomes
 * false and nothing more is written. With @p NULL it only counts bytes. */
struct entry_writer
{
    uint8_t *p;
    size_t size;
    size_t pos;
    bool ok;
};

/* A bounded reader. The first failure sets @ok false and records a short
 * description in @why; later reads return zero. */
struct entry_reader
{
    const uint8_t *p;
    size_t size;
    size_t pos;
    bool ok;
    const char *why;
};

void entry_put_u8(struct entry_writer *w, uint8_t v);
void entry_put_u16(struct entry_writer *w, uint16_t v);
void entry_put_u32(struct entry_writer *w, uint32_t v);
void entry_put_u64(struct entry_writer *w, uint64_t v);
void entry_put_i32(struct entry_writer *w, int32_t v);
void entry_put_str(struct entry_writer *w, const char *s);
void entry_put_bytes(struct entry_writer *w, const void *b, size_t n);

uint8_t entry_get_u8(struct entry_reader *r);
uint16_t entry_get_u16(struct entry_reader *r);
uint32_t entry_get_u32(struct entry_reader *r);
uint64_t entry_get_u64(struct entry_reader *r);
int32_t entry_get_i32(struct entry_reader *r);
/* Read a string into @dst of @dst_size bytes (NUL-terminated on success);
 * fails if too long for @dst or not printable ASCII. */
void entry_get_str(struct entry_reader *r, char *dst, size_t dst_size);
void entry_get_bytes(struct entry_reader *r, void *dst, size_t n);

/* True if @s (NUL-terminated within @size bytes) is a valid string field:
 * printable ASCII, shorter than @size; empty allowed only if @allow_empty. */
bool entry_str_ok(const char *s, size_t size, bool allow_empty);

/* Body codecs, exposed for the snapshot (which stores whole NODE records),
 * in format @version (ENTRY_VERSION_MIN..ENTRY_VERSION). Version 1 has no
 * unit names: putting a record with one fails the writer. */
void entry_node_put(struct entry_writer *w,
                    const struct entry_node *n,
                    unsigned version);
void entry_node_get(struct entry_reader *r,
                    struct entry_node *n,
                    unsigned version);

/* The lowest version that carries @n: 2 if an instance has a unit name,
 * else 1. */
unsigned entry_node_version(const struct entry_node *n);

#endif /* VIPD_RAFT_ENTRY_H */
