/* Lab checker accounting (see acct.h). Pure: no I/O. */
#include <errno.h>
#include <string.h>

#include "tests/lab/acct.h"

int acct_count(uint32_t mask)
{
    int n = 0;

    while (mask != 0) {
        mask &= mask - 1;
        n++;
    }
    return n;
}

int acct_init(struct acct *a, int n_nodes)
{
    if (n_nodes < 1 || n_nodes > ACCT_MAX_NODES) {
        return -EINVAL;
    }
    memset(a, 0, sizeof(*a));
    a->n_nodes = n_nodes;
    a->last_client = ACCT_NO_NODE;
    return 0;
}

static struct acct_segment *acct_current(struct acct *a)
{
    return a->n_marks > 0 ? &a->marks[a->n_marks - 1] : NULL;
}

/* Charge the interval from the last sample (or mark) to @t to the state of
 * the last sample, globally and in the open segment. */
static void acct_charge(struct acct *a, int64_t t)
{
    struct acct_segment *seg = acct_current(a);
    int64_t dt = t - a->last_t;
    int n = acct_count(a->last_mask);
    bool is_overlap = a->last_overlap;

    a->total_ms += dt;
    if (is_overlap) {
        a->overlap_ms += dt;
    } else if (n == 0) {
        a->zero_ms += dt;
    }
    if (n > 0 && a->last_client != ACCT_NO_NODE &&
        (a->last_mask & (1u << a->last_client)) == 0) {
        a->client_wrong_ms += dt;
    }
    if (seg != NULL) {
        if (is_overlap) {
            seg->overlap_ms += dt;
        } else if (n == 0) {
            seg->zero_ms += dt;
        }
    }
    a->last_t = t;
}

int acct_sample(struct acct *a, int64_t t_ms, uint32_t mask, int client_node)
{
    return acct_sample_multi(a, t_ms, mask, mask, acct_count(mask) >= 2,
                             client_node);
}

int acct_sample_multi(struct acct *a,
                      int64_t t_ms,
                      uint32_t mask,
                      uint32_t full_mask,
                      bool is_overlap,
                      int client_node)
{
    struct acct_segment *seg;
    uint32_t all = a->n_nodes >= 32 ? UINT32_MAX : (1u << a->n_nodes) - 1;
    int64_t gap;
    int n = acct_count(mask);

    if ((mask & ~all) != 0 || (full_mask & ~mask) != 0 ||
        (is_overlap && n < 2) || client_node < ACCT_NO_NODE ||
        client_node >= a->n_nodes) {
        return -EINVAL;
    }
    if (!a->has_sample) {
        a->has_sample = true;
        a->t0 = t_ms;
        a->last_t = t_ms;
        a->last_mask = mask;
        a->last_full = full_mask;
        a->last_overlap = is_overlap;
        a->last_client = client_node;
        a->n_samples = 1;
        a->max_holders = n;
        /* Marks taken before the first sample start here. */
        for (int i = 0; i < a->n_marks; i++) {
            a->marks[i].t = 0;
            a->marks[i].holders_at = mask;
        }
        return 0;
    }
    if (t_ms < a->last_t) {
        return -EINVAL;
    }
    gap = t_ms - a->last_t;
    acct_charge(a, t_ms);
    if (gap > a->max_gap_ms) {
        a->max_gap_ms = gap;
    }
    a->n_samples++;
    if (n > a->max_holders) {
        a->max_holders = n;
    }
    seg = acct_current(a);
    if (mask != a->last_mask) {
        a->changes++;
        if (seg != NULL) {
            seg->changes++;
        }
    }
    if (client_node != a->last_client && client_node != ACCT_NO_NODE) {
        a->client_changes++;
    }
    if (seg != NULL) {
        int64_t since = t_ms - a->t0 - seg->t;
        uint32_t fresh = mask & ~seg->holders_at;

        if (seg->new_holder_ms < 0 && fresh != 0) {
            seg->new_holder_ms = since;
        }
        if (seg->single_ms < 0 && n == 1 && fresh != 0) {
            seg->single_ms = since;
        }
        if (seg->complete_ms < 0 && (full_mask & ~seg->holders_at) != 0) {
            seg->complete_ms = since;
        }
        if (seg->client_ms < 0 && client_node != ACCT_NO_NODE &&
            (fresh & (1u << client_node)) != 0) {
            seg->client_ms = since;
        }
    }
    a->last_mask = mask;
    a->last_full = full_mask;
    a->last_overlap = is_overlap;
    a->last_client = client_node;
    return 0;
}

int acct_mark(struct acct *a, int64_t t_ms, char kind)
{
    struct acct_segment *seg;

    if (a->n_marks >= ACCT_MAX_MARKS) {
        return -ENOSPC;
    }
    if (a->has_sample) {
        if (t_ms < a->last_t) {
            t_ms = a->last_t;
        }
        acct_charge(a, t_ms);
    }
    seg = &a->marks[a->n_marks++];
    memset(seg, 0, sizeof(*seg));
    seg->t = a->has_sample ? t_ms - a->t0 : 0;
    seg->kind = kind;
    seg->holders_at = a->last_mask;
    seg->new_holder_ms = -1;
    seg->single_ms = -1;
    seg->client_ms = -1;
    seg->complete_ms = -1;
    return 0;
}
