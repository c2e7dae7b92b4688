/* The cluster as `vipctl status` and `vipctl events` show it: a plain-C
 * model that the daemon fills from its cluster state and the control code
 * renders (src/status_json.h turns it into the documented JSON of
 * docs/control-protocol.md, and back for vipctl).
 *
 * Ownership: a `struct vip_status` owns its arrays; build it with the
 * vip_status_add_*() helpers (which grow the arrays) and release it with
 * vip_status_free(). Strings are fixed-size, NUL-terminated buffers: the
 * helpers truncate longer input, the JSON decoder rejects it.
 *
 * Times: every `*_ms` field is Unix wall-clock milliseconds (for replicated
 * data, the leader's TICK time), 0 meaning "unknown". They are for display
 * only; leases use vip_now_ms() and never appear here.
 *
 * Stability: field meanings never change; new fields are only added. */
#ifndef VIPD_STATUS_H
#define VIPD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIP_STATUS_NAME_SIZE 64  /* node, instance and check names */
#define VIP_STATUS_ADDR_SIZE 264 /* "host:port", "[v6]:port" */
#define VIP_STATUS_VIP_SIZE  64  /* "address/prefix" */
#define VIP_STATUS_TEXT_SIZE 256 /* reasons and event texts */

/* Version of the JSON layout, "version" in status --json. */
#define VIP_STATUS_VERSION 1

/* Raft role of a node as last known (raft_state()). */
enum vip_role {
    VIP_ROLE_UNKNOWN = 0, /* not reachable, or not reported yet */
    VIP_ROLE_FOLLOWER,
    VIP_ROLE_CANDIDATE,
    VIP_ROLE_LEADER,
};

/* Membership of a node in the Raft configuration (RAFT_VOTER ...). */
enum vip_member {
    VIP_MEMBER_VOTER = 0,
    VIP_MEMBER_STANDBY, /* replicates, does not vote */
    VIP_MEMBER_SPARE,   /* neither: e.g. joining, still catching up */
};

/* State of one health check, after fall/rise smoothing. */
enum vip_check_state {
    VIP_CHECK_UNKNOWN = 0, /* no result yet */
    VIP_CHECK_OK,
    VIP_CHECK_FAIL,
};

/* One health check of a node (vrrp_script, track_file, track_interface). */
struct vip_status_check
{
    char name[VIP_STATUS_NAME_SIZE];
    enum vip_check_state state;
    int32_t value;      /* scripts: 1 ok / 0 fail; track_file: the number */
    int64_t changed_ms; /* wall time of the last transition, 0 unknown */
};

/* A node's effective priority for one instance (raft/priority.h). */
struct vip_status_priority
{
    char instance[VIP_STATUS_NAME_SIZE];
    int priority;  /* effective priority, 0..255 */
    bool eligible; /* false: fault, maintenance or interface down */
};

/* One cluster member. */
struct vip_status_node
{
    uint64_t id;                        /* Raft server id, >= 1 */
    char name[VIP_STATUS_NAME_SIZE];    /* router_id or host name */
    char address[VIP_STATUS_ADDR_SIZE]; /* cluster address "host:port" */
    enum vip_role role;
    enum vip_member member;
    uint64_t term; /* as last reported by the node */
    uint64_t commit_index;
    uint64_t applied_index;
    bool reachable;   /* answered recently */
    bool maintenance; /* replicated ADMIN flag */
    bool witness;     /* votes, never holds (`witness yes`); JSON field
                         optional, absent = false */
    bool key_refused; /* our handshake with it failed because the keys
                         differ (raft/transport.h), and none succeeded
                         since; JSON field optional, absent = false */
    int64_t key_refused_ms;     /* wall time of the latest refusal */
    uint32_t key_refused_age_s; /* its age when the status was made; JSON
                                   fields optional, absent = 0 */
    struct vip_status_check *checks;
    size_t n_checks;
    struct vip_status_priority *priorities;
    size_t n_priorities;
};

/* One vrrp_instance and who holds its VIPs. Each placement unit (a
 * vrrp_sync_group, or an instance in none: include/vipd/config.h) has its
 * own holder; the instances of a sync group show the same one. */
struct vip_status_instance
{
    char name[VIP_STATUS_NAME_SIZE];
    char (*vips)[VIP_STATUS_VIP_SIZE]; /* "10.0.0.100/24", ... */
    size_t n_vips;
    uint64_t holder_id;                /* 0: nobody holds it */
    int64_t since_ms;                  /* wall time it got the holder */
    char reason[VIP_STATUS_TEXT_SIZE]; /* why: the event that made it */
    /* Added after version 1 (JSON fields optional, absent = empty / 0 /
     * false; an empty unit means an older daemon that did not say): */
    char unit[VIP_STATUS_NAME_SIZE]; /* its unit: sync group or itself */
    uint64_t term;                   /* term of the leader that placed it */
    bool holds;                      /* the answering node holds it now */
};

/* The whole answer of `vipctl status`. */
struct vip_status
{
    uint64_t node_id;   /* the node that answered */
    bool holds;         /* whether that node holds all the VIPs now (each
                           instance's own: vip_status_instance.holds) */
    uint64_t leader_id; /* 0: no known leader */
    unsigned n_voters;  /* voters in the Raft configuration */
    unsigned failures_tolerated; /* voters that may fail with a majority
                                    left: (n_voters - 1) / 2. JSON fields
                                    optional, absent = 0 */
    struct vip_status_node *nodes;
    size_t n_nodes;
    struct vip_status_instance *instances;
    size_t n_instances;
};

/* Kinds of replicated events (`vipctl events`). */
enum vip_event_kind {
    VIP_EVENT_OTHER = 0,   /* a kind this version does not know */
    VIP_EVENT_HOLDER,      /* an instance got a new holder (or none) */
    VIP_EVENT_HEALTH,      /* a check of a node changed state */
    VIP_EVENT_MEMBER,      /* a node joined, was promoted, left, removed */
    VIP_EVENT_MAINTENANCE, /* maintenance switched on or off */
    VIP_EVENT_TRANSFER,    /* a planned switchover was requested */
    VIP_EVENT_LEADER,      /* a new Raft leader */
};

/* One entry of the replicated history. */
struct vip_event
{
    enum vip_event_kind kind;
    uint64_t term;    /* Raft term of the entry */
    uint64_t index;   /* Raft index of the entry, increasing */
    int64_t time_ms;  /* wall time (leader's TICK), 0 unknown */
    uint64_t node_id; /* the node it concerns, 0 none */
    char text[VIP_STATUS_TEXT_SIZE];
    char unit[VIP_STATUS_NAME_SIZE]; /* holder and transfer events of one
                                        unit: its name; empty for all the
                                        VIPs (JSON field optional) */
};

/* A list of events, oldest first. */
struct vip_event_list
{
    struct vip_event *events;
    size_t n_events;
};

/* Zero @st (no allocation). */
void vip_status_init(struct vip_status *st);

/* Release every array @st owns and zero it; safe on a zeroed one. */
void vip_status_free(struct vip_status *st);

/* Append a zeroed node / instance and return it, or NULL when out of
 * memory (@st unchanged). The pointer is valid until the next add of the
 * same kind. */
struct vip_status_node *vip_status_add_node(struct vip_status *st);
struct vip_status_instance *vip_status_add_instance(struct vip_status *st);

/* Append a check / priority to @node, copying @name (truncated to fit).
 * Return the new element or NULL when out of memory. */
struct vip_status_check *vip_status_add_check(struct vip_status_node *node,
                                              const char *name);
struct vip_status_priority *vip_status_add_priority(
    struct vip_status_node *node,
    const char *instance);

/* Append @vip ("address/prefix") to @inst. Returns 0, VIP_ENOMEM, or
 * VIP_EINVAL if it does not fit VIP_STATUS_VIP_SIZE. */
int vip_status_add_vip(struct vip_status_instance *inst, const char *vip);

/* The node with @id, or NULL. */
const struct vip_status_node *vip_status_node(const struct vip_status *st,
                                              uint64_t id);

/* Copy @src into the fixed-size buffer @dst of @size bytes, truncating. */
void vip_status_copy(char *dst, size_t size, const char *src);

/* Event lists: init zeroes, free releases, add appends a zeroed event (NULL
 * when out of memory). */
void vip_event_list_init(struct vip_event_list *l);
void vip_event_list_free(struct vip_event_list *l);
struct vip_event *vip_event_list_add(struct vip_event_list *l);

/* Stable lower-case names used in JSON and output ("leader", "voter",
 * "ok", "holder", ...); never NULL. */
const char *vip_role_name(enum vip_role role);
const char *vip_member_name(enum vip_member member);
const char *vip_check_state_name(enum vip_check_state state);
const char *vip_event_kind_name(enum vip_event_kind kind);

/* Parse those names back. Return 0 and set *out, or VIP_EINVAL. For event
 * kinds, an unknown name maps to VIP_EVENT_OTHER and returns 0 (kinds may
 * be added). */
int vip_role_parse(const char *name, enum vip_role *out);
int vip_member_parse(const char *name, enum vip_member *out);
int vip_check_state_parse(const char *name, enum vip_check_state *out);
int vip_event_kind_parse(const char *name, enum vip_event_kind *out);

#endif /* VIPD_STATUS_H */
