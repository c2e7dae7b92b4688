/* The single-holder simulation (see README.md): shared definitions of
 * sim.c (schedules, checks after healing, main), sim_node.c (each server
 * driven as vipd's node drives it, and the per-step checks), sim_faults.c
 * (the random faults) and sim_fix.c (a work-around for the fixture). */
#ifndef VIPD_TESTS_SIM_H
#define VIPD_TESTS_SIM_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include <raft.h>
#include <raft/fixture.h>

#include "raft/fsm.h"
#include "raft/lease.h"
#include "raft/io_lease.h"
#include "raft/own_renew.h"
#include "raft/own_step.h"
#include "raft/raft015.h"
#include "raft/place.h"

#define SIM_MAX 5
#define SIM_MAX_UNITS 4 /* --units: placed units (raft/place.h) */

enum sim_scenario {
    SIM_CHAOS = 0, /* random faults, then heal */
    SIM_CRASH = 1, /* steady cluster, the holder crashes right after a
                      renewal committed: one move, to the best survivor */
    SIM_UNIT_CRASH = 2, /* --units: steady, the holder of one unit crashes
                           while another unit is held elsewhere: that one
                           has no gap, the crashed one moves once */
};

struct sim_opts
{
    uint64_t seed;
    unsigned nodes;       /* 0: 3 for even seeds, 5 for odd ones */
    unsigned duration_ms; /* fault phase */
    unsigned election_ms; /* T */
    unsigned heartbeat_ms;
    unsigned wait_ms;  /* W */
    unsigned lease_ms; /* 0: derived from T */
    unsigned bound_ms; /* liveness bound after healing; 0: derived */
    int scenario;      /* enum sim_scenario */
    bool ranked;       /* ranked election timeouts (raft/own_step.h) */
    unsigned latency_ms; /* SIM_CRASH: network and disk latency at most */
    unsigned slow_disk_ms; /* SIM_CRASH: the holder's disk this slow, and
                              it is cut off instead of killed */
    unsigned guard_stuck_ms;
    unsigned guard_window_ms;
    bool verbose;
    unsigned snap_threshold; /* raft snapshot threshold (entries) */
    unsigned snap_trailing;  /* entries kept after a snapshot */
    unsigned drift_pm;       /* clock rates drawn in 1000 +- drift_pm */
    int64_t trace_from;      /* raft tracer from this time on; -1: never */
    unsigned units;          /* 0: the single group; 2..SIM_MAX_UNITS:
                                placed units U0.. (tests/sim/sim_place.c) */
    unsigned grant_extra_ms; /* deliberately unsafe, to test the test:
                                every grant arrives this much longer than
                                the leader issued it */
};

/* An append in flight on the fixture's in-memory disk (see io_fix_*). */
struct sim;
struct sim_append
{
    struct raft_io_append proxy; /* what the fixture sees: first member */
    struct raft_io_append *req;  /* raft's request */
    struct sim *s;
    unsigned i;
    unsigned n;
};

struct sim_node
{
    struct fsm fsm;
    struct own own;     /* the ownership step's state (raft/own_step.h) */
    struct own_renew_ctx renew; /* its TICK carrier (raft/own_renew.h) */
    struct io_lease lease; /* wraps the fixture's io, as in vipd
                              (raft/io_lease.h) */
    struct sim *s;
    uint64_t vip_until; /* has the VIP while fixture time < this */
    unsigned rate_pm;   /* its clock runs at rate_pm / 1000 of real time */
    uint64_t lease_end; /* last lease deadline granted, fixture time */
    bool handed_over;   /* released for a transfer since it last held */
    bool is_shut_down;  /* raft turned RAFT_UNAVAILABLE */
    uint64_t seq;       /* proposals made as this node */
    uint8_t base_prio;  /* its NODE record's base priority */
    uint64_t describing; /* its NODE record is on the way since (0: no) */
    struct raft_transfer transfer;
    unsigned n_holds;
    uint64_t restart_at; /* fast restart: revive at this time (0: none) */
    uint64_t stall_until; /* frozen (loop blocked) until, then resumes */
    /* When the step runs, as in vipd (raft/cluster_own.c): raft changed
     * what it reads (raft015_changed(), from the lease decorator's event
     * hook), a callback asked for it, or its deadline came. */
    struct raft015_sig sig;
    bool drive_soon;
    uint64_t wake_at; /* fixture time; UINT64_MAX: none */
    /* Work-around for raft 0.15's fixture: see io_fix_truncate(). */
    int (*orig_append)(struct raft_io *io,
                       struct raft_io_append *req,
                       const struct raft_entry entries[],
                       unsigned n,
                       raft_io_append_cb cb);
    int (*orig_truncate)(struct raft_io *io, raft_index index);
    uint64_t n_stored; /* entries in the fixture's disk array */
    uint64_t n_truncate_clamped;
    /* --units (tests/sim/sim_place.c): the placement step's state, what it
     * last observed, and what the node holds (fixture time, as vip_until). */
    struct place pl;
    struct place_in pin;
    uint64_t pin_live[OWN_MAX_SERVERS];
    bool pin_valid;       /* @pin is from this process */
    unsigned epoch;       /* process generation (restarts) */
    unsigned net_ms;      /* its network latency (fixture's too) */
    uint64_t unit_until[SIM_MAX_UNITS];
    uint64_t unit_lease_end[SIM_MAX_UNITS]; /* last deadline given out */
};

/* A placement message on its way (request or reply, tests/sim/sim_place.c).
 * It travels like the fixture's messages: lost if either end is dead or
 * the link is cut (saturated or disconnected) when sent or delivered, or
 * if the receiver restarted meanwhile. */
struct sim_msg
{
    uint64_t at; /* fixture time of delivery */
    unsigned from, to;
    unsigned to_epoch;
    bool is_reply;
    struct place_request req;
    struct place_reply rep;
};

/* Per-unit bookkeeping of the checker. */
struct sim_unit
{
    uint64_t last_holder;  /* node id, 0: none */
    uint64_t zero_since;   /* start of the current no-holder stretch */
    uint64_t max_zero_ms;
    uint64_t zero_ms_since_mark; /* no-holder time since sim_units_mark() */
    uint64_t mark_at;
    unsigned n_changes;
    unsigned n_changes_at_mark;
    uint64_t prev_holder;
    int64_t min_margin_ms; /* takeover vs the old holder's deadline */
    bool handed_over[SIM_MAX]; /* released on a revoke since it held */
};

struct sim
{
    struct raft_fixture f; /* first: the hook gets &f */
    struct sim_opts o;
    unsigned n;
    uint64_t rng;
    struct sim_node nodes[SIM_MAX];
    bool failed;
    char why[512];
    /* Statistics. */
    uint64_t n_steps;
    uint64_t n_renewals;
    uint64_t n_committed;
    unsigned n_shut_down; /* servers raft shut down (see hook()) */
    unsigned n_transfers;
    unsigned n_holder_changes;
    uint64_t last_holder;
    uint64_t zero_since;   /* start of the current no-holder stretch */
    uint64_t max_zero_ms;  /* longest no-holder stretch (incl. faults) */
    uint64_t prev_holder;  /* the last node that held, 0 at start */
    uint64_t min_gap_ms;   /* closest handover: new start - old end */
    bool two_holders;      /* the safety failure, distinct from others */
    bool healed;           /* after the fault phase: repair FAULT checks */
    unsigned n_restarts;
    unsigned n_holder_changes_at_check;
    uint64_t crash_failover_ms; /* SIM_CRASH: crash -> new holder */
    uint64_t props_in_flight;
    int64_t min_margin_ms; /* same against the old lease deadline, for
                              handovers not started by a transfer */
    /* --units (tests/sim/sim_place.c). */
    char unit_names[SIM_MAX_UNITS][ENTRY_NAME_MAX];
    struct sim_unit units[SIM_MAX_UNITS];
    struct sim_msg *msgs;
    unsigned n_msgs, cap_msgs;
    bool cut[SIM_MAX][SIM_MAX]; /* raft_fixture_disconnect()ed, i -> j */
    uint64_t n_requests, n_replies, n_msgs_lost, n_assigns;
    unsigned unit_crash_leader; /* SIM_UNIT_CRASH: the crashed node led */
    uint64_t unit_crash_moves;  /* SIM_UNIT_CRASH: moves of the unit */
    uint64_t unit_crash_gap_ms; /* SIM_UNIT_CRASH: the other unit's gap */
    uint64_t unit_crash_failover_ms;
};

struct sim_proposal
{
    struct raft_apply req;
    struct sim *s;
    int describes; /* node index whose NODE record this is, -1: none */
};

struct sim_result
{
    bool ok;
    bool two_holders; /* failed on safety: two servers held the VIP */
    uint64_t crash_failover_ms;
    uint64_t regain_ms; /* heal -> alive holder */
    uint64_t max_zero_ms;
    unsigned holder_changes;
    unsigned transfers;
    uint64_t steps;
    unsigned n;
    uint64_t min_gap_ms; /* closest handover between two holders */
    int64_t min_margin_ms;
    uint64_t installs;   /* InstallSnapshot messages sent */
    uint64_t duplicates; /* FSM records skipped as already applied */
    uint64_t rejected;   /* FSM records rejected (must stay 0) */
    unsigned shut_down;  /* servers libraft shut down */
    uint64_t renewals;   /* lease renewals submitted / committed */
    uint64_t committed;
    /* --units */
    uint64_t requests, replies, msgs_lost, assigns;
    uint64_t unit_max_zero_ms; /* longest stretch a unit had no holder */
    int64_t unit_min_margin_ms;
    unsigned unit_changes;
    bool unit_crash_leader;
    uint64_t unit_crash_gap_ms;
    uint64_t unit_crash_failover_ms;
};

/****** sim_node.c ******/

/* splitmix64: tiny and reproducible. */
uint64_t sim_rnd(struct sim *s);
/* Uniform in [lo, hi]. */
unsigned sim_rnd_range(struct sim *s, unsigned lo, unsigned hi);
/* Narrative line with the fixture time, with -v only. */
void sim_log(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record the first failure of a schedule. */
void sim_fail(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Encode @e and raft_apply() it; false if raft refused it. */
bool sim_submit(struct raft *r,
                struct raft_apply *req,
                const struct entry *e,
                raft_apply_cb cb);
/* Node @n's own clock at fixture time @t. */
uint64_t sim_node_now(void *data);
uint64_t sim_local_ms(const struct sim_node *n, uint64_t t);
/* One wake-up of server @i: the ownership step, its actions, the VIP. */
void sim_drive(struct sim *s, unsigned i, uint64_t global_now);

/* The lease decorator's event hook of node @data (struct sim_node *). */
void sim_node_event(void *data);
/* Reset server @i's process state as a restart does (own state, leader,
 * election timer); its VIP is gone. */
void sim_restart(struct sim *s, unsigned i);
/* Propose an entry as node @origin through the current leader; false if
 * there is none or raft refused. */
bool sim_propose(struct sim *s, struct entry *e, unsigned origin);
/* Propose node @k's NODE record with base priority @prio. */
void sim_describe(struct sim *s, unsigned k, uint8_t prio);
/* The fixture hook: drive every live server, then check the invariants. */
void sim_hook(struct raft_fixture *f, struct raft_fixture_event *ev);

/****** sim_faults.c ******/

unsigned sim_n_alive(struct sim *s);
/* Distinct election timeouts in [T, 2T), more than a heartbeat apart. */
void sim_shuffle_timeouts(struct sim *s);
/* Open every link between live servers. */
void sim_heal_network(struct sim *s);
/* Apply one random fault or repair. */
void sim_chaos(struct sim *s);

/* Set node @i's network latency (the fixture's and the placement
 * messages'). */
void sim_set_net_latency(struct sim *s, unsigned i, unsigned ms);
/* raft_fixture_disconnect(), remembered for the placement messages. */
void sim_disconnect(struct sim *s, unsigned i, unsigned j);

/****** sim_place.c: placed units (--units) ******/

/* Set up the units and every node's placement state. */
void sim_units_init(struct sim *s);
/* Server @i's placement step after its ownership step (sim_drive), with
 * what the ownership step observed and decided, as vipd's node runs it. */
void sim_place_drive(struct sim *s, unsigned i, uint64_t global_now,
                     const struct own_in *in);
/* A restart: placement state and held units gone with the process. */
void sim_place_restart(struct sim *s, unsigned i);
/* Deliver the placement messages due by @now. */
void sim_place_deliver(struct sim *s, uint64_t now);
/* The per-unit single-holder check (two holders: exit status 3). */
void sim_place_check(struct sim *s, uint64_t now);
/* Whether every unit has an alive holder now. */
bool sim_units_all_held(struct sim *s);
/* Free the message queue. */
void sim_units_close(struct sim *s);
/* The unit crash scenario (SIM_UNIT_CRASH). */
void sim_unit_crash(struct sim *s);
/* A unit switchover (`vipctl transfer UNIT NODE`) through the leader. */
void sim_propose_unit_transfer(struct sim *s);

/****** sim_fix.c ******/

/* Wrap server @i's in-memory disk (see sim_fix.c). */
void sim_fix_install(struct sim *s, unsigned i);
/* A restarted process starts its election timer at boot (sim_fix.c). */
void sim_fix_restart_timer(struct raft *r);

#endif /* VIPD_TESTS_SIM_H */
