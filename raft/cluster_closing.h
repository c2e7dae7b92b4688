/* Shutdown bookkeeping of one part of the cluster (raft/cluster.h): each
 * part counts its own handles and connections and reports once, through
 * the callback its owner gave, instead of sharing one counter across
 * files. Header only: no calls between the parts' files. */
#ifndef VIPD_RAFT_CLUSTER_CLOSING_H
#define VIPD_RAFT_CLUSTER_CLOSING_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct cluster_closing
{
    bool is_closing;  /* stopping: start nothing new */
    bool is_counting; /* closing: counted handles report to done_one() */
    unsigned n;       /* handles still to report */
    void (*done)(void *data);
    void *data;
};

/* Start counting; one count is held until cluster_closing_counted(), so
 * that handles closing at once do not finish the part early. */
static inline void cluster_closing_begin(struct cluster_closing *k,
                                         void (*done)(void *data),
                                         void *data)
{
    k->is_closing = true;
    k->is_counting = true;
    k->n = 1;
    k->done = done;
    k->data = data;
}

/* A counted handle finished closing. */
static inline void cluster_closing_done_one(struct cluster_closing *k)
{
    if (!k->is_counting || k->n == 0) {
        return; /* closed before the count was taken: not counted */
    }
    if (--k->n == 0 && k->done != NULL) {
        k->done(k->data);
    }
}

/* Everything is counted: drop the count begin() held. */
static inline void cluster_closing_counted(struct cluster_closing *k)
{
    cluster_closing_done_one(k);
}

/* uv_close() callback for a part's timer whose data is the part's
 * struct cluster_closing (set just before closing it). */
static inline void cluster_closing_timer_cb(uv_handle_t *h)
{
    cluster_closing_done_one(h->data);
}

#endif /* VIPD_RAFT_CLUSTER_CLOSING_H */
