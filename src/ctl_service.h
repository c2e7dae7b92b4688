/* The control service: what `vipctl` talks to, as the daemon sees it. It
 * owns the control socket (src/ctl_server.h), turns each validated request
 * into one call of a `struct ctl_backend` that the daemon implements with
 * its cluster, and renders the answers as the JSON of
 * docs/control-protocol.md. The daemon never touches JSON.
 *
 *   status       backend->status(st)          sync: fill the model
 *   events       backend->events(list)        sync: the retained history;
 *                --follow clients then get every ctl_service_event()
 *   join         backend->join(op, peer)      async: progress, then done
 *   leave        backend->leave(op, force)
 *   remove       backend->remove(op, node, force)
 *   transfer     backend->transfer(op, node, instance)  node NULL:
 *                preferred holder; instance NULL: every unit
 *   maintenance  backend->maintenance(op, on)
 *
 * Async operations get a `struct ctl_op *`. The backend either returns a
 * negative code at once (the client gets it as the error), or returns 0 and
 * later calls ctl_op_done() exactly once, optionally after some
 * ctl_op_progress() lines. The op stays valid until ctl_op_done(), even if
 * the client disconnects meanwhile (its lines are then dropped). A missing
 * backend callback answers VIP_ENOTIMPL. */
#ifndef VIPD_SRC_CTL_SERVICE_H
#define VIPD_SRC_CTL_SERVICE_H

#include <stdbool.h>

#include "src/ctl_server.h"
#include "vipd/status.h"

struct ctl_op;
struct ctl_service;

struct ctl_backend
{
    void *data;
    /* Fill @st (initialised and empty; the service frees it) with the
     * current view of the cluster. Returns 0 or a negative code. */
    int (*status)(void *data, struct vip_status *st);
    /* Append the retained events, oldest first, to @list (initialised;
     * the service frees it). Returns 0 or a negative code. */
    int (*events)(void *data, struct vip_event_list *list);
    /* Add this node to the cluster @peer ("HOST[:PORT]") belongs to. */
    int (*join)(void *data, struct ctl_op *op, const char *peer);
    /* Remove this node; refuse to break quorum unless @force. */
    int (*leave)(void *data, struct ctl_op *op, bool force);
    /* Remove node @node (id or name); refuse a reachable node or a quorum
     * loss unless @force. */
    int (*remove)(void *data, struct ctl_op *op, const char *node, bool force);
    /* Planned switchover to @node (id or name), or to the preferred holder
     * when NULL, of the unit (include/vipd/config.h) of @instance, or of
     * everything when NULL. */
    int (*transfer)(void *data, struct ctl_op *op, const char *node,
                    const char *instance);
    /* Switch maintenance of this node on or off. */
    int (*maintenance)(void *data, struct ctl_op *op, bool on);
};

typedef void (*ctl_service_close_cb)(struct ctl_service *svc);

struct ctl_follower; /* an `events --follow` client */

struct ctl_service
{
    struct ctl_server server;
    struct ctl_backend backend;
    struct ctl_follower *followers;
    unsigned n_followers;
    unsigned n_ops; /* async operations not yet done */
    ctl_service_close_cb close_cb;
    void *data; /* owner's back-pointer */
};

/* Prepare the service and its socket (see ctl_server_init(); errors in
 * svc->server.errmsg). Copies @backend. */
int ctl_service_init(struct ctl_service *svc,
                     uv_loop_t *loop,
                     const struct ctl_server_opts *opts,
                     const struct ctl_backend *backend);

/* Create the socket and listen (see ctl_server_start()). */
int ctl_service_start(struct ctl_service *svc);

/* Close the socket and every client; `events --follow` streams end. Ops
 * still running stay valid (the backend must still call ctl_op_done(), and
 * may do so after @cb; @svc's memory must last until then: see n_ops).
 * @cb fires once the socket's handles are closed. */
void ctl_service_close(struct ctl_service *svc, ctl_service_close_cb cb);

/* Publish @ev, just applied, to every `events --follow` client. Call it
 * for each event in log order. */
void ctl_service_event(struct ctl_service *svc, const struct vip_event *ev);

/* End every `events --follow` stream (clients see end of file), e.g.
 * when the history was replaced by an installed snapshot and followers
 * would otherwise miss events. */
void ctl_service_end_follow(struct ctl_service *svc);

/****** Operations ******/

/* Send a progress line ("added as spare, catching up") to the client. */
void ctl_op_progress(struct ctl_op *op, const char *text);

/* Name the leader ("n2 (10.0.0.12:5405)") in the error reply, for
 * VIP_ENOTLEADER; call before ctl_op_done(). */
void ctl_op_set_leader(struct ctl_op *op, const char *leader);

/* Finish @op: @rv 0 answers {"ok":true,"message":@message}; a negative
 * @rv answers the error with @message (NULL: vip_strerror(@rv)). @op is
 * freed. */
void ctl_op_done(struct ctl_op *op, int rv, const char *message);

/* Whether the client of @op has gone (the operation may still go on). */
bool ctl_op_cancelled(const struct ctl_op *op);

/* The credentials of the client that asked, for logs. */
const struct ctl_peer *ctl_op_peer(const struct ctl_op *op);

#endif /* VIPD_SRC_CTL_SERVICE_H */
