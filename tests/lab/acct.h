/* Lab checker accounting: turns a stream of samples (who holds the VIP,
 * which node the client's ARP entry points to) into the figures the lab
 * reports. Pure: no I/O, no clock; times are passed in by the caller.
 *
 * A sample at time t describes the state from t until the next sample, so
 * the time between two samples is charged to the earlier one. Marks (faults,
 * heals) split the run into segments; each segment gets its own figures. */
#ifndef VIPD_TESTS_LAB_ACCT_H
#define VIPD_TESTS_LAB_ACCT_H

#include <stdbool.h>
#include <stdint.h>

#define ACCT_MAX_NODES 16
#define ACCT_MAX_MARKS 32
#define ACCT_NO_NODE   (-1)

/* Figures for the time from one mark to the next mark (or the end). */
struct acct_segment
{
    int64_t t;             /* mark time, ms since the first sample */
    char kind;             /* 'f' fault, 'h' heal, other: caller's choice */
    uint32_t holders_at;   /* holder set when the mark was taken */
    int64_t new_holder_ms; /* mark -> first sample with a holder outside
                              holders_at; -1 if none in this segment */
    int64_t single_ms;     /* mark -> first sample with exactly one holder,
                              outside holders_at; -1 if none */
    int64_t client_ms;     /* mark -> client's ARP entry first points at a
                              holder outside holders_at; -1 if never */
    int64_t complete_ms;   /* mark -> first sample in which a node outside
                              holders_at holds every VIP; -1 if none (with
                              one VIP: new_holder_ms) */
    int64_t overlap_ms;    /* time with some VIP on two or more holders */
    int64_t zero_ms;       /* time with no holder */
    int changes;           /* holder set changes */
};

struct acct
{
    int n_nodes;
    bool has_sample;
    int64_t t0;         /* first sample time (caller's clock) */
    int64_t last_t;     /* last sample time, caller's clock */
    uint32_t last_mask; /* holder set of the last sample */
    uint32_t last_full; /* nodes holding every VIP, last sample */
    bool last_overlap;  /* some VIP on two or more nodes, last sample */
    int last_client;    /* node the client's entry named, or ACCT_NO_NODE */
    int64_t n_samples;
    int64_t max_gap_ms; /* longest time between two samples */
    int64_t total_ms;
    int64_t overlap_ms;      /* time with some VIP on two or more nodes */
    int64_t zero_ms;         /* time with no VIP on any node */
    int64_t client_wrong_ms; /* client entry names a node not holding the VIP
                                while some node holds it */
    int changes;             /* holder set changes over the run */
    int client_changes;      /* client entry changes (to another node) */
    int max_holders;
    int n_marks;
    struct acct_segment marks[ACCT_MAX_MARKS];
};

/* Start accounting for @n_nodes nodes (1..ACCT_MAX_NODES). Returns 0 or
 * -EINVAL. */
int acct_init(struct acct *a, int n_nodes);

/* Add a sample taken at @t_ms (non-decreasing, caller's clock): @mask has bit
 * k set when node k holds the VIP; @client_node is the node the client's ARP
 * entry for the VIP points at, or ACCT_NO_NODE. Returns 0, or -EINVAL for a
 * time that goes backwards, a bit beyond n_nodes or a bad client node (the
 * sample is then ignored). */
int acct_sample(struct acct *a, int64_t t_ms, uint32_t mask, int client_node);

/* The same for several VIPs: @mask has the nodes holding at least one VIP,
 * @full_mask (a subset of @mask) those holding all of them; @is_overlap
 * says some VIP is on two or more nodes (then @mask has two bits at least).
 * Overlap time follows @is_overlap; zero time is time with @mask empty.
 * Returns 0 or -EINVAL (bad masks, time going backwards, bad client). */
int acct_sample_multi(struct acct *a,
                      int64_t t_ms,
                      uint32_t mask,
                      uint32_t full_mask,
                      bool is_overlap,
                      int client_node);

/* Record a mark of @kind at @t_ms; the holder set at the mark is the last
 * sample's. A mark older than the last sample (a signal noticed late) is
 * moved to the last sample's time; a mark before the first sample is taken
 * at the first sample. Returns 0 or -ENOSPC when ACCT_MAX_MARKS marks
 * exist. */
int acct_mark(struct acct *a, int64_t t_ms, char kind);

/* Number of bits set in @mask. */
int acct_count(uint32_t mask);

#endif /* VIPD_TESTS_LAB_ACCT_H */
