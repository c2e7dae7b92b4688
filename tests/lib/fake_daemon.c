/* fake_daemon: the control socket of vipd without Raft, for testing vipctl
 * end to end. Runs the real ctl_server on a libuv loop, answers every
 * command from canned data (a three-node cluster: n1 leader and holder,
 * n2 follower, n3 unreachable), always asynchronously (from a timer), and
 * appends each validated request to a record file as one JSON line
 * {"cmd":...,"args":{...},"uid":N}.
 *
 *   fake_daemon -s SOCKET [-r RECORD] [-R READYFILE] [--not-holder]
 *               [--group NAME] [--mode OCTAL] [--follow-count N] [--long]
 *
 * --long makes every name, address and text as long as the model allows,
 * and ids, terms and indexes as long as real clusters get (10-digit ids
 * derived from IPv4 addresses, 10-digit indexes), to check that vipctl's
 * tables still fit 100 columns.
 *
 * READYFILE is created once the socket listens. SIGTERM/SIGINT close
 * everything; the exit status is 0 only if uv_loop_close() returned 0. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/ctl_server.h"
#include "src/status_json.h"
#include "vipd/log.h"

struct fake;

/* One request being answered, step by step, from a timer. */
struct fake_req
{
    uv_timer_t timer;
    struct fake *f;
    struct ctl_request *req; /* NULL once finished */
    enum ctl_cmd cmd;
    json_t *args;
    int step;
    struct fake_req *next;
};

struct fake
{
    uv_loop_t loop;
    struct ctl_server server;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    const char *record;
    bool holds;
    bool long_names;
    int follow_count;
    struct fake_req *reqs; /* requests whose timer is open */
};

/****** Canned data ******/

static void fake_status(const struct fake *f, struct vip_status *st)
{
    static const char *const names[] = {"n1", "n2", "n3"};
    static const char *const addrs[] = {"10.0.0.11:5405", "10.0.0.12:5405",
                                        "10.0.0.13:5405"};
    const int64_t t0 = 1763726400000; /* 2025-11-21 12:00:00 UTC */

    vip_status_init(st);
    st->node_id = f->holds ? 1 : 2;
    st->holds = f->holds;
    st->leader_id = 1;
    for (int i = 0; i < 3; i++) {
        struct vip_status_node *n = vip_status_add_node(st);
        if (n == NULL) {
            return; /* a shorter table; the test would notice */
        }
        n->id = (uint64_t)i + 1;
        vip_status_copy(n->name, sizeof n->name, names[i]);
        vip_status_copy(n->address, sizeof n->address, addrs[i]);
        n->role = i == 0 ? VIP_ROLE_LEADER
                  : i == 1 ? VIP_ROLE_FOLLOWER
                           : VIP_ROLE_UNKNOWN;
        n->member = VIP_MEMBER_VOTER;
        n->term = i == 2 ? 6 : 7;
        n->commit_index = i == 2 ? 100 : 120;
        n->applied_index = i == 1 ? 119 : n->commit_index;
        n->reachable = i != 2;
        if (f->long_names) {
            n->id = 4000000000u + (uint64_t)i; /* 10 digits */
            memset(n->name, 'n', sizeof n->name - 1);
            n->name[sizeof n->name - 1] = '\0';
            n->name[0] = (char)('1' + i);
            memset(n->address, 'a', sizeof n->address - 1);
            n->address[sizeof n->address - 1] = '\0';
            n->term = 999999;                              /* realistic */
            n->commit_index = n->applied_index = 9999999999u; /* maxima */
        }
        struct vip_status_check *c = vip_status_add_check(
            n, f->long_names ? "chk_0123456789012345678901234567890123456789"
                               "01234567890123456789"
                             : "chk_haproxy");
        if (c != NULL) {
            c->state = i == 2 ? VIP_CHECK_FAIL : VIP_CHECK_OK;
            c->value = i == 2 ? 0 : 1;
            c->changed_ms = t0 + 1000 * i;
        }
        struct vip_status_priority *p = vip_status_add_priority(
            n, f->long_names ? "VI_012345678901234567890123456789012345678901"
                               "234567890123456789"
                             : "VI_1");
        if (p != NULL) {
            p->priority = 100 - 10 * i - (i == 2 ? 20 : 0);
            p->eligible = i != 2;
        }
    }
    if (st->n_nodes == 3) {
        st->leader_id = st->nodes[0].id;
        st->node_id = st->nodes[f->holds ? 0 : 1].id;
    }
    struct vip_status_instance *in = vip_status_add_instance(st);
    if (in != NULL) {
        vip_status_copy(in->name, sizeof in->name, "VI_1");
        vip_status_add_vip(in, "10.0.0.100/24");
        vip_status_add_vip(in, "fd00::100/64");
        in->holder_id = st->nodes[0].id;
        in->since_ms = t0 + 5000;
        vip_status_copy(in->reason, sizeof in->reason,
                        "n1 became leader in term 7 (highest priority 100)");
        if (f->long_names) {
            memset(in->name, 'i', sizeof in->name - 1);
            memset(in->reason, 'r', sizeof in->reason - 1);
            for (int v = 0; v < 12; v++) {
                vip_status_add_vip(in, "fd00:1234:5678:9abc:def0:1234:5678:"
                                       "9abc/128");
            }
        }
    }
}

static void fake_event(struct vip_event *ev, uint64_t index)
{
    static const enum vip_event_kind kinds[] = {
        VIP_EVENT_MEMBER, VIP_EVENT_LEADER, VIP_EVENT_HOLDER,
        VIP_EVENT_HEALTH, VIP_EVENT_MAINTENANCE};
    static const char *const texts[] = {
        "node 3 (n3) joined as voter", "n1 became leader",
        "VI_1: holder n1 (was none): elected",
        "n3 chk_haproxy: ok -> fail", "n2 maintenance on"};
    size_t k = (size_t)(index % 5);

    memset(ev, 0, sizeof *ev);
    ev->kind = kinds[k];
    ev->term = 7;
    ev->index = index;
    ev->time_ms = 1763726400000 + (int64_t)index * 1000;
    ev->node_id = k == 1 || k == 2 ? 1 : k == 4 ? 2 : 3;
    vip_status_copy(ev->text, sizeof ev->text, texts[k]);
}

static json_t *fake_events(const struct fake *f, uint64_t first, size_t n)
{
    struct vip_event ev[8];
    for (size_t i = 0; i < n && i < 8; i++) {
        fake_event(&ev[i], first + i);
        if (f->long_names) {
            ev[i].index += 9999999990u;
            ev[i].term = 999999;
            ev[i].node_id += 4000000000u;
            memset(ev[i].text, 't', sizeof ev[i].text - 1);
        }
    }
    return status_json_events_encode(ev, n < 8 ? n : 8);
}

/****** Answers ******/

static json_t *ok_message(const char *msg)
{
    json_t *r = ctl_reply_ok_new();
    if (r != NULL) {
        json_object_set_new(r, "message", json_string(msg));
    }
    return r;
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

/* Node 1, 2 or 3 by id or name; 0 if unknown. */
static int node_ref(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    if (s[0] == 'n') {
        s++;
    }
    return strcmp(s, "1") == 0 ? 1 : strcmp(s, "2") == 0 ? 2
                                   : strcmp(s, "3") == 0 ? 3
                                                         : 0;
}

static void fake_req_close_cb(uv_handle_t *h)
{
    struct fake_req *r = h->data;
    json_decref(r->args);
    free(r);
}

static void fake_req_done(struct fake_req *r)
{
    struct fake_req **p = &r->f->reqs;
    while (*p != r) {
        p = &(*p)->next;
    }
    *p = r->next;
    r->req = NULL;
    uv_close((uv_handle_t *)&r->timer, fake_req_close_cb);
}

/* Finish with @reply (stolen) and release @r. */
static void finish(struct fake_req *r, json_t *reply)
{
    ctl_reply(r->req, reply);
    fake_req_done(r);
}

static void finish_error(struct fake_req *r, int code, const char *msg)
{
    finish(r, ctl_reply_error_new(code, msg));
}

static void stream(struct fake_req *r, json_t *line)
{
    if (ctl_stream(r->req, line) != 0) {
        ctl_end(r->req);
        fake_req_done(r);
    }
}

/* One step of @r; returns true when more steps follow. */
static bool fake_step(struct fake_req *r)
{
    struct fake *f = r->f;
    json_t *a = r->args;
    char msg[256];

    switch (r->cmd) {
    case CTL_CMD_STATUS: {
        struct vip_status st;
        fake_status(f, &st);
        json_t *reply = ctl_reply_ok_new();
        json_object_set_new(reply, "status", status_json_encode(&st));
        vip_status_free(&st);
        finish(r, reply);
        return false;
    }
    case CTL_CMD_JOIN: {
        const char *peer = arg_str(a, "peer");
        if (r->step == 1 && strcmp(peer, "bad-key") == 0) {
            snprintf(msg, sizeof msg,
                     "%s rejected our cluster key (check secret_file)", peer);
            finish_error(r, VIP_EAUTH, msg);
            return false;
        }
        if (r->step == 1 && strcmp(peer, "unreachable") == 0) {
            snprintf(msg, sizeof msg, "no answer from %s", peer);
            finish_error(r, VIP_ETIMEDOUT, msg);
            return false;
        }
        if (r->step < 3) {
            if (r->step == 0) {
                snprintf(msg, sizeof msg, "contacting %s", peer);
            } else {
                snprintf(msg, sizeof msg, "%s",
                         r->step == 1 ? "added as spare, catching up the log"
                                      : "promoted to voter");
            }
            json_t *line = ctl_reply_ok_new();
            json_object_set_new(line, "progress", json_string(msg));
            stream(r, line);
            return r->req != NULL;
        }
        snprintf(msg, sizeof msg, "joined the cluster through %s as node 4",
                 peer);
        finish(r, ok_message(msg));
        return false;
    }
    case CTL_CMD_LEAVE:
        if (!arg_bool(a, "force")) {
            finish_error(r, -EBUSY,
                         "leaving would break quorum (1 of 3 voters "
                         "reachable after it); use --force");
        } else {
            finish(r, ok_message("left the cluster"));
        }
        return false;
    case CTL_CMD_REMOVE: {
        int n = node_ref(arg_str(a, "node"));
        if (n == 0) {
            snprintf(msg, sizeof msg, "no node '%s'", arg_str(a, "node"));
            finish_error(r, VIP_ENOENT, msg);
        } else if (n != 3 && !arg_bool(a, "force")) {
            snprintf(msg, sizeof msg,
                     "node %d is reachable; run `vipctl leave` on it, or "
                     "use --force",
                     n);
            finish_error(r, -EBUSY, msg);
        } else {
            snprintf(msg, sizeof msg, "removed node %d", n);
            finish(r, ok_message(msg));
        }
        return false;
    }
    case CTL_CMD_TRANSFER: {
        const char *node = arg_str(a, "node");
        int n = node != NULL ? node_ref(node) : 2;
        if (n == 0) {
            snprintf(msg, sizeof msg, "no node '%s'", node);
            finish_error(r, VIP_ENOENT, msg);
        } else if (n == 3) {
            finish_error(r, VIP_EINVAL, "node 3 (n3) is not reachable");
        } else {
            snprintf(msg, sizeof msg, "transferring the VIPs to node %d", n);
            finish(r, ok_message(msg));
        }
        return false;
    }
    case CTL_CMD_MAINTENANCE:
        finish(r, ok_message(arg_bool(a, "on") ? "maintenance on"
                                               : "maintenance off"));
        return false;
    case CTL_CMD_EVENTS: {
        if (!arg_bool(a, "follow")) {
            json_t *reply = ctl_reply_ok_new();
            json_object_set_new(reply, "events", fake_events(f, 1, 5));
            finish(r, reply);
            return false;
        }
        if (r->step > f->follow_count) {
            ctl_end(r->req);
            fake_req_done(r);
            return false;
        }
        json_t *line = ctl_reply_ok_new();
        json_object_set_new(line, "events",
                            r->step == 0
                                ? fake_events(f, 1, 5)
                                : fake_events(f, 5 + (uint64_t)r->step, 1));
        stream(r, line);
        return r->req != NULL;
    }
    default:
        finish_error(r, VIP_EINVAL, "unknown command");
        return false;
    }
}

static void fake_timer_cb(uv_timer_t *t)
{
    struct fake_req *r = t->data;
    if (fake_step(r)) {
        r->step++;
        uv_timer_start(&r->timer, fake_timer_cb, 20, 0);
    }
}

static void fake_record(struct fake *f, struct ctl_request *req,
                        const char *name, json_t *args)
{
    if (f->record == NULL) {
        return;
    }
    FILE *out = fopen(f->record, "a");
    if (out == NULL) {
        return;
    }
    json_t *line = json_pack("{sssOsI}", "cmd", name, "args", args, "uid",
                             (json_int_t)ctl_request_peer(req)->uid);
    json_dumpf(line, out, JSON_COMPACT);
    fputc('\n', out);
    json_decref(line);
    fclose(out);
}

static void fake_request(void *data, struct ctl_request *req,
                         enum ctl_cmd cmd, const char *name, json_t *args)
{
    struct fake *f = data;
    struct fake_req *r = calloc(1, sizeof *r);

    fake_record(f, req, name, args);
    if (r == NULL) {
        ctl_reply_error(req, VIP_ENOMEM, NULL);
        return;
    }
    r->f = f;
    r->req = req;
    r->cmd = cmd;
    r->args = json_incref(args);
    ctl_request_set_data(req, r);
    uv_timer_init(&f->loop, &r->timer);
    r->timer.data = r;
    r->next = f->reqs;
    f->reqs = r;
    uv_timer_start(&r->timer, fake_timer_cb, 5, 0);
}

static void fake_cancel(void *data, struct ctl_request *req)
{
    struct fake_req *r = ctl_request_data(req);
    (void)data;
    fprintf(stderr, "fake_daemon: request cancelled\n");
    ctl_end(req);
    fake_req_done(r);
}

static void fake_signal_cb(uv_signal_t *sig, int signum)
{
    struct fake *f = sig->data;
    (void)signum;
    ctl_server_close(&f->server, NULL); /* cancels pending requests */
    uv_close((uv_handle_t *)&f->sigterm, NULL);
    uv_close((uv_handle_t *)&f->sigint, NULL);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"socket", required_argument, NULL, 's'},
        {"record", required_argument, NULL, 'r'},
        {"ready", required_argument, NULL, 'R'},
        {"not-holder", no_argument, NULL, 'N'},
        {"group", required_argument, NULL, 'g'},
        {"mode", required_argument, NULL, 'm'},
        {"follow-count", required_argument, NULL, 'F'},
        {"long", no_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    struct fake f = {.holds = true, .follow_count = 2};
    struct ctl_server_opts opts = {.path = NULL};
    struct ctl_server_cbs cbs = {
        .data = &f, .request = fake_request, .cancel = fake_cancel};
    const char *ready = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "s:r:R:", options, NULL)) != -1) {
        switch (c) {
        case 's':
            opts.path = optarg;
            break;
        case 'r':
            f.record = optarg;
            break;
        case 'R':
            ready = optarg;
            break;
        case 'N':
            f.holds = false;
            break;
        case 'g':
            opts.group = optarg;
            break;
        case 'm':
            opts.mode = (unsigned)strtoul(optarg, NULL, 8);
            break;
        case 'F':
            f.follow_count = atoi(optarg);
            break;
        case 'L':
            f.long_names = true;
            break;
        default:
            fprintf(stderr, "usage: fake_daemon -s SOCKET [options]\n");
            return 2;
        }
    }
    vip_log_level = LOG_INFO;
    uv_loop_init(&f.loop);
    if (ctl_server_init(&f.server, &f.loop, &opts, &cbs) != 0 ||
        ctl_server_start(&f.server) != 0) {
        fprintf(stderr, "fake_daemon: %s\n", f.server.errmsg);
        ctl_server_close(&f.server, NULL);
        uv_run(&f.loop, UV_RUN_DEFAULT);
        uv_loop_close(&f.loop);
        return 1;
    }
    uv_signal_init(&f.loop, &f.sigterm);
    uv_signal_init(&f.loop, &f.sigint);
    f.sigterm.data = f.sigint.data = &f;
    uv_signal_start(&f.sigterm, fake_signal_cb, SIGTERM);
    uv_signal_start(&f.sigint, fake_signal_cb, SIGINT);
    if (ready != NULL) {
        FILE *r = fopen(ready, "w");
        if (r != NULL) {
            fclose(r);
        }
    }
    uv_run(&f.loop, UV_RUN_DEFAULT);
    int rv = uv_loop_close(&f.loop);
    if (rv != 0) {
        fprintf(stderr, "fake_daemon: uv_loop_close: %s\n", uv_strerror(rv));
        return 1;
    }
    fprintf(stderr, "fake_daemon: clean exit, %lu requests, %lu refused, "
                    "%lu bad\n",
            f.server.n_requests, f.server.n_refused, f.server.n_bad);
    return 0;
}
