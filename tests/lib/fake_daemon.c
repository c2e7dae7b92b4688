/* fake_daemon: the control side of vipd without Raft, for testing vipctl
 * end to end. Runs the real ctl_service (and so ctl_server) on a libuv
 * loop with a fake `struct ctl_backend`: canned data (a three-node cluster:
 * n1 leader and holder, n2 follower, n3 unreachable), operations answered
 * asynchronously from timers, and each operation appended to a record file
 * as one JSON line {"cmd":...,"args":{...},"uid":N}. `events --follow`
 * clients get the 5-event backlog, then N published events (every 20 ms),
 * then the end of the stream (ctl_service_end_follow()).
 *
 *   fake_daemon -s SOCKET [-r RECORD] [-R READYFILE] [--not-holder]
 *               [--group NAME] [--mode OCTAL] [--follow-count N] [--long]
 *
 * --long makes every name, address and text as long as the model allows,
 * and ids, terms and indexes as long as real clusters get (10-digit ids
 * derived from IPv4 addresses, 10-digit indexes), to check that vipctl's
 * tables still fit 100 columns.
 *
 * --units makes a dual-master cluster of three instances in two units
 * (VI_1 alone, held by n1 under its own lease; VI_2 and VI_3 in the sync
 * group VG, granted to n2): status, `transfer INSTANCE NODE` and holder
 * events then come from a replicated state through src/ctl_units.h, as in
 * vipd.
 *
 * READYFILE is created once the socket listens. SIGTERM/SIGINT close
 * everything; the exit status is 0 only if uv_loop_close() returned 0. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/ctl_service.h"
#include "src/ctl_units.h"
#include "src/status_json.h"
#include "vipd/log.h"

struct fake;

/* One operation being answered, step by step, from a timer. */
struct fake_op
{
    uv_timer_t timer;
    struct fake *f;
    struct ctl_op *op;
    enum ctl_cmd cmd;
    char arg[CTL_MAX_ARG + 1]; /* peer or node; empty if none */
    char inst[CTL_MAX_ARG + 1]; /* transfer's instance; empty if none */
    bool flag;                 /* force or on */
    int step;
    struct fake_op *next;
};

struct fake
{
    uv_loop_t loop;
    struct ctl_service svc;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t ticker; /* publishes events while someone follows */
    const char *record;
    bool holds;
    bool long_names;
    int follow_count;
    int published;
    struct fake_op *ops; /* operations whose timer is open */
    struct fsm_state *units; /* --units: the replicated state, else NULL */
};

/****** Canned data ******/

/* --units: n1's NODE record with VI_1 alone and VI_2, VI_3 in sync group
 * VG, and the last ASSIGN of each unit. */
static struct fsm_state *fake_units_state(void)
{
    static const char *const inst[] = {"VI_1", "VI_2", "VI_3"};
    struct fsm_state *fs = calloc(1, sizeof *fs);

    if (fs == NULL) {
        return NULL;
    }
    fs->n_members = 3;
    for (unsigned i = 0; i < 3; i++) {
        struct fsm_member *m = &fs->members[i];
        m->has_node = true;
        m->node.origin.node_id = i + 1;
        snprintf(m->node.name, sizeof m->node.name, "n%u", i + 1);
        m->node.n_instances = 3;
        for (unsigned k = 0; k < 3; k++) {
            snprintf(m->node.instances[k].name,
                     sizeof m->node.instances[k].name, "%s", inst[k]);
            snprintf(m->node.instances[k].unit,
                     sizeof m->node.instances[k].unit, "%s",
                     k == 0 ? "" : "VG");
        }
    }
    fs->leader = fs->holder = 1;
    fs->term = 7;
    fs->n_units = 2;
    snprintf(fs->units[0].name, sizeof fs->units[0].name, "VI_1");
    fs->units[0].holder = 1;
    fs->units[0].leader_bound = true;
    fs->units[0].term = 7;
    fs->units[0].since_wall_ms = 1763726405000;
    snprintf(fs->units[1].name, sizeof fs->units[1].name, "VG");
    fs->units[1].holder = 2;
    fs->units[1].term = 7;
    fs->units[1].since_wall_ms = 1763726406000;
    return fs;
}

/* The instances of --units, filled as vipd fills them; the answering node
 * holds the units placed on it. */
static void fake_units_status(const struct fake *f, struct vip_status *st)
{
    const struct fsm_member *m = &f->units->members[0];

    for (unsigned k = 0; k < m->node.n_instances; k++) {
        struct vip_status_instance *in = vip_status_add_instance(st);
        if (in == NULL) {
            return;
        }
        vip_status_copy(in->name, sizeof in->name, m->node.instances[k].name);
        vip_status_add_vip(in, k == 0 ? "10.0.0.100/24" : "10.0.0.200/24");
        ctl_unit_fill(f->units, entry_instance_unit(&m->node.instances[k]),
                      in);
        in->holds = in->holder_id == st->node_id;
    }
    st->holds = false; /* nobody holds every unit */
}

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
        n->role = i == 0   ? VIP_ROLE_LEADER
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
            n->term = 999999;                                 /* realistic */
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
    if (f->units != NULL) {
        fake_units_status(f, st);
        return;
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
                vip_status_add_vip(in,
                                   "fd00:1234:5678:9abc:def0:1234:5678:"
                                   "9abc/128");
            }
        }
    }
}

static void fake_event(struct vip_event *ev, uint64_t index)
{
    static const enum vip_event_kind kinds[] = {
        VIP_EVENT_MEMBER, VIP_EVENT_LEADER, VIP_EVENT_HOLDER, VIP_EVENT_HEALTH,
        VIP_EVENT_MAINTENANCE};
    static const char *const texts[] = {
        "node 3 (n3) joined as voter", "n1 became leader",
        "VI_1: holder n1 (was none): elected", "n3 chk_haproxy: ok -> fail",
        "n2 maintenance on"};
    size_t k = (size_t)(index % 5);

    memset(ev, 0, sizeof *ev);
    ev->kind = kinds[k];
    ev->term = 7;
    ev->index = index;
    ev->time_ms = 1763726400000 + (int64_t)index * 1000;
    ev->node_id = k == 1 || k == 2 ? 1 : k == 4 ? 2 : 3;
    vip_status_copy(ev->text, sizeof ev->text, texts[k]);
}

/****** The backend ******/

static int fake_backend_status(void *data, struct vip_status *st)
{
    vip_status_free(st);
    fake_status(data, st);
    return st->n_nodes == 3 ? 0 : VIP_ENOMEM;
}

static void fake_fill_event(const struct fake *f,
                            struct vip_event *ev,
                            uint64_t index)
{
    fake_event(ev, index);
    if (f->units != NULL && ev->kind == VIP_EVENT_HOLDER) {
        /* The sync group moves between n1 and n2, then back. */
        struct fsm_event fe;
        memset(&fe, 0, sizeof fe);
        fe.type = FSM_EV_HOLDER;
        fe.node = index % 10 == 2 ? 2 : 1;
        fe.other = index % 10 == 2 ? 1 : 2;
        snprintf(fe.name, sizeof fe.name, "VG");
        ctl_unit_event_text(NULL, f->units, &fe, ev->text, sizeof ev->text);
        vip_status_copy(ev->unit, sizeof ev->unit, fe.name);
        ev->node_id = fe.node;
    }
    if (f->long_names) {
        ev->index += 9999999990u;
        ev->term = 999999;
        ev->node_id += 4000000000u;
        memset(ev->text, 't', sizeof ev->text - 1);
        ev->text[sizeof ev->text - 1] = '\0';
    }
}

static int fake_backend_events(void *data, struct vip_event_list *list)
{
    for (uint64_t i = 1; i <= 5; i++) {
        struct vip_event *ev = vip_event_list_add(list);
        if (ev == NULL) {
            return VIP_ENOMEM;
        }
        fake_fill_event(data, ev, i);
    }
    return 0;
}

static void fake_ticker_cb(uv_timer_t *t)
{
    struct fake *f = t->data;
    struct vip_event ev;

    if (f->svc.n_followers == 0) {
        return;
    }
    fake_fill_event(f, &ev, 6 + (uint64_t)f->published);
    ctl_service_event(&f->svc, &ev);
    if (++f->published >= f->follow_count) {
        f->published = 0;
        ctl_service_end_follow(&f->svc);
    }
}

static void fake_record(struct fake *f,
                        const struct ctl_op *op,
                        const char *cmd,
                        json_t *args)
{
    FILE *out = f->record != NULL ? fopen(f->record, "a") : NULL;
    if (out != NULL) {
        json_t *line = json_pack("{sssOsI}", "cmd", cmd, "args", args, "uid",
                                 (json_int_t)ctl_op_peer(op)->uid);
        json_dumpf(line, out, JSON_COMPACT);
        fputc('\n', out);
        json_decref(line);
        fclose(out);
    }
    json_decref(args);
}

/* Node 1, 2 or 3 by id or name; 0 if unknown. */
static int node_ref(const char *s)
{
    if (s[0] == 'n') {
        s++;
    }
    return strcmp(s, "1") == 0   ? 1
           : strcmp(s, "2") == 0 ? 2
           : strcmp(s, "3") == 0 ? 3
                                 : 0;
}

static void fake_op_close_cb(uv_handle_t *h)
{
    free(h->data);
}

/* Finish @o's operation and release @o. */
static void fake_op_done(struct fake_op *o, int rv, const char *msg)
{
    struct fake_op **p = &o->f->ops;
    while (*p != o) {
        p = &(*p)->next;
    }
    *p = o->next;
    ctl_op_done(o->op, rv, msg);
    uv_close((uv_handle_t *)&o->timer, fake_op_close_cb);
}

/* One step of @o; returns true when more steps follow. */
static bool fake_step(struct fake_op *o)
{
    char msg[512];

    if (ctl_op_cancelled(o->op)) {
        fprintf(stderr, "fake_daemon: request cancelled\n");
        fake_op_done(o, -ECANCELED, NULL);
        return false;
    }
    switch (o->cmd) {
    case CTL_CMD_JOIN:
        if (o->step == 1 && strcmp(o->arg, "bad-key") == 0) {
            snprintf(msg, sizeof msg,
                     "%s rejected our cluster key (check secret_file)", o->arg);
            fake_op_done(o, VIP_EAUTH, msg);
            return false;
        }
        if (o->step == 1 && strcmp(o->arg, "unreachable") == 0) {
            snprintf(msg, sizeof msg, "no answer from %s", o->arg);
            fake_op_done(o, VIP_ETIMEDOUT, msg);
            return false;
        }
        if (o->step == 1 && strcmp(o->arg, "slow") == 0) {
            return true; /* until the client gives up */
        }
        if (o->step == 0) {
            snprintf(msg, sizeof msg, "contacting %s", o->arg);
            ctl_op_progress(o->op, msg);
            return true;
        }
        if (o->step < 3) {
            ctl_op_progress(o->op, o->step == 1
                                       ? "added as spare, catching up the log"
                                       : "promoted to voter");
            return true;
        }
        snprintf(msg, sizeof msg, "joined the cluster through %s as node 4",
                 o->arg);
        fake_op_done(o, 0, msg);
        return false;
    case CTL_CMD_LEAVE:
        if (!o->flag) {
            fake_op_done(o, -EBUSY,
                         "leaving would break quorum (1 of 3 voters "
                         "reachable after it); use --force");
        } else {
            fake_op_done(o, 0, "left the cluster");
        }
        return false;
    case CTL_CMD_REMOVE: {
        int n = node_ref(o->arg);
        if (n == 0) {
            snprintf(msg, sizeof msg, "no node '%s'", o->arg);
            fake_op_done(o, VIP_ENOENT, msg);
        } else if (n != 3 && !o->flag) {
            snprintf(msg, sizeof msg,
                     "node %d is reachable; run `vipctl leave` on it, or "
                     "use --force",
                     n);
            fake_op_done(o, -EBUSY, msg);
        } else {
            snprintf(msg, sizeof msg, "removed node %d", n);
            fake_op_done(o, 0, msg);
        }
        return false;
    }
    case CTL_CMD_TRANSFER: {
        int n = o->arg[0] != '\0' ? node_ref(o->arg) : 2;
        char unit[ENTRY_NAME_MAX];
        char errmsg[VIP_ERRMSG_SIZE];
        if (o->inst[0] != '\0' && o->f->units == NULL) {
            fake_op_done(o, VIP_ENOENT, "no instances here (use --units)");
        } else if (o->inst[0] != '\0' &&
                   ctl_unit_transfer_plan(NULL, o->f->units, o->inst, unit,
                                          msg, sizeof msg, errmsg) != 0) {
            fake_op_done(o, VIP_ENOENT, errmsg);
        } else if (o->inst[0] != '\0' && n != 0 && n != 3) {
            fake_op_done(o, 0, msg); /* the plan's message, as vipd's */
        } else if (n == 0) {
            snprintf(msg, sizeof msg, "no node '%s'", o->arg);
            fake_op_done(o, VIP_ENOENT, msg);
        } else if (n == 3) {
            fake_op_done(o, VIP_EINVAL, "node 3 (n3) is not reachable");
        } else if (!o->f->holds) {
            ctl_op_set_leader(o->op, "n1 (10.0.0.11:5405)");
            fake_op_done(o, VIP_ENOTLEADER, NULL);
        } else {
            snprintf(msg, sizeof msg, "transferring the VIPs to node %d", n);
            fake_op_done(o, 0, msg);
        }
        return false;
    }
    case CTL_CMD_MAINTENANCE:
        fake_op_done(o, 0, o->flag ? "maintenance on" : "maintenance off");
        return false;
    default:
        fake_op_done(o, VIP_EINVAL, "unexpected command");
        return false;
    }
}

static void fake_timer_cb(uv_timer_t *t)
{
    struct fake_op *o = t->data;
    if (fake_step(o)) {
        o->step++;
        uv_timer_start(&o->timer, fake_timer_cb, 20, 0);
    }
}

/* Record the operation and answer it from a timer. */
static int fake_start(struct fake *f,
                      struct ctl_op *op,
                      enum ctl_cmd cmd,
                      const char *arg,
                      const char *inst,
                      bool flag,
                      json_t *args)
{
    struct fake_op *o = calloc(1, sizeof *o);

    fake_record(f, op, ctl_cmd_name(cmd), args);
    if (o == NULL) {
        return VIP_ENOMEM;
    }
    o->f = f;
    o->op = op;
    o->cmd = cmd;
    o->flag = flag;
    vip_status_copy(o->arg, sizeof o->arg, arg != NULL ? arg : "");
    vip_status_copy(o->inst, sizeof o->inst, inst != NULL ? inst : "");
    uv_timer_init(&f->loop, &o->timer);
    o->timer.data = o;
    o->next = f->ops;
    f->ops = o;
    uv_timer_start(&o->timer, fake_timer_cb, 5, 0);
    return 0;
}

static int fake_join(void *data, struct ctl_op *op, const char *peer)
{
    return fake_start(data, op, CTL_CMD_JOIN, peer, NULL, false,
                      json_pack("{ss}", "peer", peer));
}

static int fake_leave(void *data, struct ctl_op *op, bool force)
{
    return fake_start(data, op, CTL_CMD_LEAVE, NULL, NULL, force,
                      json_pack("{sb}", "force", force));
}

static int fake_remove(void *data,
                       struct ctl_op *op,
                       const char *node,
                       bool force)
{
    return fake_start(data, op, CTL_CMD_REMOVE, node, NULL, force,
                      json_pack("{sssb}", "node", node, "force", force));
}

static int fake_transfer(void *data, struct ctl_op *op, const char *node,
                         const char *instance)
{
    json_t *args = json_object();

    if (args != NULL && instance != NULL) {
        json_object_set_new(args, "instance", json_string(instance));
    }
    if (args != NULL && node != NULL) {
        json_object_set_new(args, "node", json_string(node));
    }
    return fake_start(data, op, CTL_CMD_TRANSFER, node, instance, false,
                      args);
}

static int fake_maintenance(void *data, struct ctl_op *op, bool on)
{
    return fake_start(data, op, CTL_CMD_MAINTENANCE, NULL, NULL, on,
                      json_pack("{sb}", "on", on));
}

static void fake_signal_cb(uv_signal_t *sig, int signum)
{
    struct fake *f = sig->data;
    (void)signum;
    /* Ends follow streams; running operations are cancelled and finish
     * at their next step. */
    ctl_service_close(&f->svc, NULL);
    uv_close((uv_handle_t *)&f->sigterm, NULL);
    uv_close((uv_handle_t *)&f->sigint, NULL);
    uv_close((uv_handle_t *)&f->ticker, NULL);
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
        {"units", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    struct fake f = {.holds = true, .follow_count = 2};
    struct ctl_server_opts opts = {.path = NULL};
    struct ctl_backend backend = {
        .data = &f,
        .status = fake_backend_status,
        .events = fake_backend_events,
        .join = fake_join,
        .leave = fake_leave,
        .remove = fake_remove,
        .transfer = fake_transfer,
        .maintenance = fake_maintenance,
    };
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
            f.follow_count = atoi(optarg) > 0 ? atoi(optarg) : 1;
            break;
        case 'L':
            f.long_names = true;
            break;
        case 'U':
            f.units = fake_units_state();
            if (f.units == NULL) {
                fprintf(stderr, "fake_daemon: out of memory\n");
                return 1;
            }
            break;
        default:
            fprintf(stderr, "usage: fake_daemon -s SOCKET [options]\n");
            return 2;
        }
    }
    vip_log_level = LOG_INFO;
    uv_loop_init(&f.loop);
    if (ctl_service_init(&f.svc, &f.loop, &opts, &backend) != 0 ||
        ctl_service_start(&f.svc) != 0) {
        fprintf(stderr, "fake_daemon: %s\n", f.svc.server.errmsg);
        ctl_service_close(&f.svc, NULL);
        uv_run(&f.loop, UV_RUN_DEFAULT);
        uv_loop_close(&f.loop);
        return 1;
    }
    uv_signal_init(&f.loop, &f.sigterm);
    uv_signal_init(&f.loop, &f.sigint);
    uv_timer_init(&f.loop, &f.ticker);
    f.sigterm.data = f.sigint.data = f.ticker.data = &f;
    uv_signal_start(&f.sigterm, fake_signal_cb, SIGTERM);
    uv_signal_start(&f.sigint, fake_signal_cb, SIGINT);
    uv_timer_start(&f.ticker, fake_ticker_cb, 20, 20);
    if (ready != NULL) {
        FILE *r = fopen(ready, "w");
        if (r != NULL) {
            fclose(r);
        }
    }
    uv_run(&f.loop, UV_RUN_DEFAULT);
    int rv = uv_loop_close(&f.loop);
    free(f.units);
    if (rv != 0) {
        fprintf(stderr, "fake_daemon: uv_loop_close: %s\n", uv_strerror(rv));
        return 1;
    }
    if (f.svc.n_ops != 0) {
        fprintf(stderr, "fake_daemon: %u operations never finished\n",
                f.svc.n_ops);
        return 1;
    }
    fprintf(stderr,
            "fake_daemon: clean exit, %lu requests, %lu refused, "
            "%lu bad\n",
            f.svc.server.n_requests, f.svc.server.n_refused,
            f.svc.server.n_bad);
    return 0;
}
