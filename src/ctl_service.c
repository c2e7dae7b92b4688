/* Control service: requests -> backend calls -> JSON answers. */
#include <stdlib.h>
#include <string.h>

#include "src/ctl_service.h"
#include "src/status_json.h"
#include "vipd/log.h"

/* What a pending request is attached to (ctl_request_data()). */
enum pending_kind { PENDING_OP, PENDING_FOLLOWER };

struct ctl_op
{
    enum pending_kind kind; /* first: shared with ctl_follower */
    struct ctl_service *svc;
    struct ctl_request *req;
    char leader[VIP_STATUS_NAME_SIZE + VIP_STATUS_ADDR_SIZE];
};

struct ctl_follower
{
    enum pending_kind kind;
    struct ctl_request *req;
    struct ctl_follower *prev;
    struct ctl_follower *next;
};

/****** Operations ******/

void ctl_op_progress(struct ctl_op *op, const char *text)
{
    json_t *line = ctl_reply_ok_new();
    if (line == NULL ||
        json_object_set_new(line, "progress", json_string(text)) != 0) {
        json_decref(line);
        return; /* a lost progress line is not worth failing the op */
    }
    ctl_stream(op->req, line);
}

void ctl_op_set_leader(struct ctl_op *op, const char *leader)
{
    vip_status_copy(op->leader, sizeof op->leader, leader);
}

void ctl_op_done(struct ctl_op *op, int rv, const char *message)
{
    json_t *reply;

    if (rv == 0) {
        reply = ctl_reply_ok_new();
        if (reply != NULL && message != NULL) {
            json_object_set_new(reply, "message", json_string(message));
        }
    } else {
        reply = ctl_reply_error_new(rv, message);
        if (reply != NULL && op->leader[0] != '\0') {
            json_object_set_new(reply, "leader", json_string(op->leader));
        }
    }
    if (reply == NULL) {
        reply = ctl_reply_error_new(VIP_ENOMEM, NULL);
    }
    op->svc->n_ops--;
    ctl_reply(op->req, reply); /* NULL reply: the server sends its OOM line */
    free(op);
}

bool ctl_op_cancelled(const struct ctl_op *op)
{
    return ctl_request_cancelled(op->req);
}

const struct ctl_peer *ctl_op_peer(const struct ctl_op *op)
{
    return ctl_request_peer(op->req);
}

/****** Requests ******/

static void service_status(struct ctl_service *svc, struct ctl_request *req)
{
    struct vip_status st;
    int rv;

    if (svc->backend.status == NULL) {
        ctl_reply_error(req, VIP_ENOTIMPL, NULL);
        return;
    }
    vip_status_init(&st);
    rv = svc->backend.status(svc->backend.data, &st);
    if (rv != 0) {
        vip_status_free(&st);
        ctl_reply_error(req, rv, NULL);
        return;
    }
    json_t *obj = status_json_encode(&st);
    json_t *reply = ctl_reply_ok_new();
    vip_status_free(&st);
    if (obj == NULL || reply == NULL ||
        json_object_set_new(reply, "status", obj) != 0) {
        json_decref(reply); /* obj was consumed or is NULL */
        ctl_reply_error(req, VIP_ENOMEM, NULL);
        return;
    }
    ctl_reply(req, reply);
}

/* {"ok":true,"events":[...]} for @list; NULL when out of memory. */
static json_t *events_line(const struct vip_event *events, size_t n)
{
    json_t *line = ctl_reply_ok_new();
    if (line == NULL ||
        json_object_set_new(line, "events",
                            status_json_events_encode(events, n)) != 0) {
        json_decref(line);
        return NULL;
    }
    return line;
}

static void service_events(struct ctl_service *svc,
                           struct ctl_request *req,
                           bool follow)
{
    struct vip_event_list list;
    int rv;

    if (svc->backend.events == NULL) {
        ctl_reply_error(req, VIP_ENOTIMPL, NULL);
        return;
    }
    vip_event_list_init(&list);
    rv = svc->backend.events(svc->backend.data, &list);
    if (rv != 0) {
        vip_event_list_free(&list);
        ctl_reply_error(req, rv, NULL);
        return;
    }
    json_t *line = events_line(list.events, list.n_events);
    vip_event_list_free(&list);
    if (line == NULL) {
        ctl_reply_error(req, VIP_ENOMEM, NULL);
        return;
    }
    if (!follow) {
        ctl_reply(req, line);
        return;
    }
    struct ctl_follower *fl = calloc(1, sizeof *fl);
    if (fl == NULL) {
        json_decref(line);
        ctl_reply_error(req, VIP_ENOMEM, NULL);
        return;
    }
    fl->kind = PENDING_FOLLOWER;
    fl->req = req;
    ctl_request_set_data(req, fl);
    /* The backlog, then every event published from now on: both happen
     * on the loop thread, so no event falls between them. */
    if (ctl_stream(req, line) != 0) {
        free(fl);
        ctl_end(req);
        return;
    }
    fl->next = svc->followers;
    if (svc->followers != NULL) {
        svc->followers->prev = fl;
    }
    svc->followers = fl;
    svc->n_followers++;
}

static void follower_remove(struct ctl_service *svc, struct ctl_follower *fl)
{
    if (fl->prev != NULL) {
        fl->prev->next = fl->next;
    } else {
        svc->followers = fl->next;
    }
    if (fl->next != NULL) {
        fl->next->prev = fl->prev;
    }
    svc->n_followers--;
    ctl_end(fl->req);
    free(fl);
}

void ctl_service_event(struct ctl_service *svc, const struct vip_event *ev)
{
    struct ctl_follower *fl = svc->followers;

    while (fl != NULL) {
        struct ctl_follower *next = fl->next;
        json_t *line = events_line(ev, 1);
        if (ctl_stream(fl->req, line) != 0) {
            /* Gone or too slow: it was disconnected; end the stream. */
            follower_remove(svc, fl);
        }
        fl = next;
    }
}

void ctl_service_end_follow(struct ctl_service *svc)
{
    while (svc->followers != NULL) {
        follower_remove(svc, svc->followers);
    }
}

static const char *arg_str(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool arg_bool(json_t *args, const char *key)
{
    return json_is_true(json_object_get(args, key));
}

/* Start an asynchronous operation for @cmd. */
static void service_op(struct ctl_service *svc,
                       struct ctl_request *req,
                       enum ctl_cmd cmd,
                       json_t *args)
{
    const struct ctl_backend *b = &svc->backend;
    void *d = b->data;
    struct ctl_op *op;
    int rv = VIP_ENOTIMPL;

    op = calloc(1, sizeof *op);
    if (op == NULL) {
        ctl_reply_error(req, VIP_ENOMEM, NULL);
        return;
    }
    op->kind = PENDING_OP;
    op->svc = svc;
    op->req = req;
    ctl_request_set_data(req, op);
    svc->n_ops++;
    /* The backend may call ctl_op_done() before returning 0: @op must not
     * be touched after a call that returned 0. */
    switch (cmd) {
    case CTL_CMD_JOIN:
        if (b->join != NULL) {
            rv = b->join(d, op, arg_str(args, "peer"));
        }
        break;
    case CTL_CMD_LEAVE:
        if (b->leave != NULL) {
            rv = b->leave(d, op, arg_bool(args, "force"));
        }
        break;
    case CTL_CMD_REMOVE:
        if (b->remove != NULL) {
            rv = b->remove(d, op, arg_str(args, "node"),
                           arg_bool(args, "force"));
        }
        break;
    case CTL_CMD_TRANSFER:
        if (b->transfer != NULL) {
            rv = b->transfer(d, op, arg_str(args, "node"),
                             arg_str(args, "instance"));
        }
        break;
    case CTL_CMD_MAINTENANCE:
        if (b->maintenance != NULL) {
            rv = b->maintenance(d, op, arg_bool(args, "on"));
        }
        break;
    default:
        rv = VIP_EINVAL;
        break;
    }
    if (rv != 0) {
        ctl_op_done(op, rv, NULL);
    }
}

static void service_request(void *data,
                            struct ctl_request *req,
                            enum ctl_cmd cmd,
                            const char *name,
                            json_t *args)
{
    struct ctl_service *svc = data;
    const struct ctl_peer *peer = ctl_request_peer(req);

    if (cmd != CTL_CMD_STATUS && cmd != CTL_CMD_EVENTS) {
        /* Changes are logged with who asked. */
        char *text = json_dumps(args, JSON_COMPACT);
        vip_notice("control: uid %ld pid %ld: %s %s", (long)peer->uid,
                   (long)peer->pid, name, text != NULL ? text : "");
        free(text);
    }
    switch (cmd) {
    case CTL_CMD_STATUS:
        service_status(svc, req);
        break;
    case CTL_CMD_EVENTS:
        service_events(svc, req, arg_bool(args, "follow"));
        break;
    default:
        service_op(svc, req, cmd, args);
        break;
    }
}

static void service_cancel(void *data, struct ctl_request *req)
{
    struct ctl_service *svc = data;
    enum pending_kind *kind = ctl_request_data(req);

    if (kind != NULL && *kind == PENDING_FOLLOWER) {
        follower_remove(svc, (struct ctl_follower *)kind);
    }
    /* An op goes on; ctl_op_done() will free the request. */
}

/****** Lifecycle ******/

int ctl_service_init(struct ctl_service *svc,
                     uv_loop_t *loop,
                     const struct ctl_server_opts *opts,
                     const struct ctl_backend *backend)
{
    struct ctl_server_cbs cbs = {
        .data = svc, .request = service_request, .cancel = service_cancel};

    memset(svc, 0, sizeof *svc);
    svc->backend = *backend;
    return ctl_server_init(&svc->server, loop, opts, &cbs);
}

int ctl_service_start(struct ctl_service *svc)
{
    return ctl_server_start(&svc->server);
}

static void service_server_close_cb(struct ctl_server *s)
{
    struct ctl_service *svc = s->data;
    if (svc->close_cb != NULL) {
        svc->close_cb(svc);
    }
}

void ctl_service_close(struct ctl_service *svc, ctl_service_close_cb cb)
{
    svc->close_cb = cb;
    svc->server.data = svc;
    ctl_server_close(&svc->server, service_server_close_cb);
}
