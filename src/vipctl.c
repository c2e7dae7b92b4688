/* vipctl: the operator's command line. A table of commands, iproute2-style;
 * each sends one request over the control socket (src/vipctl_client.h).
 *
 * Exit status (documented in --help and docs/control-protocol.md):
 *   0  success; for `status`: this node holds the VIPs
 *   1  the daemon answered with an error (its message is printed), or the
 *      reply was malformed
 *   2  usage error
 *   3  `status` only: this node does not hold the VIPs
 *   4  cannot connect to the daemon (the message names the socket path) */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raft/keyfile.h"
#include "src/ctl_server.h"
#include "src/status_json.h"
#include "src/vipctl_client.h"
#include "src/vipctl_render.h"

enum {
    EXIT_OK = 0,
    EXIT_DAEMON = 1,
    EXIT_USAGE = 2,
    EXIT_NOT_HOLDER = 3,
    EXIT_CONNECT = 4,
};

/* How long to wait for each reply line (join: for each progress line). */
#define REPLY_TIMEOUT_MS 30000
#define SLOW_TIMEOUT_MS  300000

struct vipctl
{
    const char *socket;
    bool colour;
};

struct vipctl_cmd
{
    const char *name;
    const char *synopsis;
    const char *help;
    const char *options; /* lines for `COMMAND --help`, or NULL */
    int (*run)(struct vipctl *ctx,
               const struct vipctl_cmd *cmd,
               int argc,
               char **argv);
};

static int cmd_status(struct vipctl *, const struct vipctl_cmd *, int, char **);
static int cmd_join(struct vipctl *, const struct vipctl_cmd *, int, char **);
static int cmd_leave(struct vipctl *, const struct vipctl_cmd *, int, char **);
static int cmd_remove(struct vipctl *, const struct vipctl_cmd *, int, char **);
static int cmd_transfer(struct vipctl *,
                        const struct vipctl_cmd *,
                        int,
                        char **);
static int cmd_maintenance(struct vipctl *,
                           const struct vipctl_cmd *,
                           int,
                           char **);
static int cmd_events(struct vipctl *, const struct vipctl_cmd *, int, char **);
static int cmd_keygen(struct vipctl *, const struct vipctl_cmd *, int, char **);

static const struct vipctl_cmd commands[] = {
    {"status", "status [--json]", "show the cluster: nodes, health, holders",
     "  --json   print the status as JSON (docs/control-protocol.md)\n"
     "Exit status: 0 this node holds the VIPs, 3 it does not, 1 daemon "
     "error,\n4 cannot connect (like `systemctl is-active`).\n",
     cmd_status},
    {"join", "join PEER", "add this node to the cluster PEER belongs to",
     "  PEER     a member's cluster address, HOST[:PORT]\n"
     "Run on a new node whose vipd has an empty data dir; progress is "
     "shown.\n",
     cmd_join},
    {"leave", "leave [--force]", "remove this node from its cluster",
     "  --force  leave even if the rest would lose quorum\n", cmd_leave},
    {"remove", "remove NODE [--force]", "remove a dead node from the cluster",
     "  NODE     node id or name\n"
     "  --force  remove even if it is reachable or quorum would break\n",
     cmd_remove},
    {"transfer", "transfer [[INSTANCE] NODE]",
     "planned switchover of the VIPs, or of one instance",
     "  NODE      node id or name (default: the preferred eligible node)\n"
     "  INSTANCE  a vrrp_instance: only it moves, with the rest of its\n"
     "            vrrp_sync_group if it is in one (a group may be named "
     "too)\n"
     "Without INSTANCE every instance moves to NODE (or to its preferred "
     "node).\n",
     cmd_transfer},
    {"maintenance", "maintenance on|off", "drain this node / make it eligible",
     "  on       this node becomes ineligible and gives the VIPs away\n"
     "  off      this node becomes eligible again\n",
     cmd_maintenance},
    {"events", "events [--follow] [--json]", "show the replicated history",
     "  --follow  keep printing new events until interrupted\n"
     "  --json    one JSON object per event and line\n",
     cmd_events},
    {"keygen", "keygen [-o FILE]", "make a new cluster key (secret_file)",
     "  -o FILE  create FILE with mode 0600 (it must not exist yet);\n"
     "           without it the key is printed: `(umask 077; vipctl keygen "
     ">FILE)`\n"
     "The key is 32 random bytes as 64 hex digits. Copy the same file to "
     "every\nnode; vipd refuses a key file that others can read.\n",
     cmd_keygen},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
    fprintf(out, "Usage: vipctl [-s SOCKET] COMMAND [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-28s %s\n", commands[i].synopsis, commands[i].help);
    }
    fprintf(out,
            "\nOptions:\n"
            "  -s, --socket PATH  control socket (default $VIPD_SOCKET, else "
            "%s)\n"
            "  -h, --help         show this help (or COMMAND --help)\n"
            "  -v, --version      show the version\n"
            "\nExit status: 0 ok (status: this node holds the VIPs), 1 daemon "
            "error,\n2 usage error, 3 status: this node does not hold the "
            "VIPs, 4 cannot connect.\n",
            CTL_DEFAULT_SOCKET);
}

static void cmd_usage(FILE *out, const struct vipctl_cmd *cmd)
{
    fprintf(out, "Usage: vipctl %s\n%s\n", cmd->synopsis, cmd->help);
    if (cmd->options != NULL) {
        fprintf(out, "\n%s", cmd->options);
    }
}

/****** Argument parsing ******/

struct flag
{
    const char *name; /* "--json" */
    bool *value;
};

/* Parse the arguments of @cmd (argv[0] is its name): the @flags, and
 * between @min and @max positional arguments into @pos. Returns -1 to go
 * on, or an exit status (0 after --help, EXIT_USAGE after a message). */
static int parse_args(const struct vipctl_cmd *cmd,
                      int argc,
                      char **argv,
                      const struct flag *flags,
                      char **pos,
                      int min,
                      int max,
                      int *n_pos)
{
    bool only_pos = false;

    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            cmd_usage(stdout, cmd);
            return EXIT_OK;
        }
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            const struct flag *f = flags;
            while (f != NULL && f->name != NULL && strcmp(f->name, a) != 0) {
                f++;
            }
            if (f == NULL || f->name == NULL) {
                fprintf(stderr, "vipctl %s: unknown option '%s'\n", cmd->name,
                        a);
                cmd_usage(stderr, cmd);
                return EXIT_USAGE;
            }
            *f->value = true;
            continue;
        }
        if (*n_pos >= max) {
            fprintf(stderr, "vipctl %s: unexpected argument '%s'\n", cmd->name,
                    a);
            cmd_usage(stderr, cmd);
            return EXIT_USAGE;
        }
        if (strlen(a) == 0 || strlen(a) > CTL_MAX_ARG) {
            fprintf(stderr, "vipctl %s: argument must have 1 to %d bytes\n",
                    cmd->name, CTL_MAX_ARG);
            return EXIT_USAGE;
        }
        pos[(*n_pos)++] = argv[i];
    }
    if (*n_pos < min) {
        fprintf(stderr, "vipctl %s: missing argument\n", cmd->name);
        cmd_usage(stderr, cmd);
        return EXIT_USAGE;
    }
    return -1;
}

/****** Talking to the daemon ******/

typedef int (*progress_fn)(void *data, json_t *line);

/* Print the daemon's error from @info for @cmd. */
static void print_daemon_error(const struct vipctl_cmd *cmd,
                               const struct ctl_reply_info *info)
{
    json_t *leader = json_object_get(info->obj, "leader");
    fprintf(stderr, "vipctl %s: %s", cmd->name, info->error);
    if (json_is_string(leader)) {
        fprintf(stderr, " (the leader is %s)", json_string_value(leader));
    }
    fputc('\n', stderr);
}

/* Send @cmd with @args (stolen) and read lines until the final reply;
 * intermediate lines go to @progress(@data, line) (which returns an exit
 * status, or -1 to go on). On success *@final holds the final reply object (the
 * caller releases it) and -1 is returned; otherwise an exit status. A stream
 * that ends without a final line (end of file) is a daemon error. */
static int request(struct vipctl *ctx,
                   const struct vipctl_cmd *cmd,
                   enum ctl_cmd c,
                   json_t *args,
                   int timeout_ms,
                   progress_fn progress,
                   void *data,
                   json_t **final)
{
    struct vipctl_client cl;
    struct ctl_reply_info info;
    int rv;

    *final = NULL;
    rv = vipctl_client_connect(&cl, ctx->socket);
    if (rv != 0) {
        json_decref(args);
        fprintf(stderr, "vipctl %s: %s\n", cmd->name, cl.errmsg);
        vipctl_client_close(&cl);
        return EXIT_CONNECT;
    }
    rv = vipctl_client_send(&cl, c, args);
    if (rv != 0) {
        /* The daemon may have answered and closed before reading (a
         * refused client): its line says more than EPIPE. */
        if (vipctl_client_recv(&cl, &info, 1000) == 0 && !info.ok) {
            print_daemon_error(cmd, &info);
            json_decref(info.obj);
        } else {
            fprintf(stderr, "vipctl %s: %s\n", cmd->name, cl.errmsg);
        }
        vipctl_client_close(&cl);
        return EXIT_DAEMON;
    }
    for (;;) {
        rv = vipctl_client_recv(&cl, &info, timeout_ms);
        if (rv != 0) {
            fprintf(stderr, "vipctl %s: %s\n", cmd->name, cl.errmsg);
            vipctl_client_close(&cl);
            return EXIT_DAEMON;
        }
        if (!info.ok) {
            print_daemon_error(cmd, &info);
            json_decref(info.obj);
            vipctl_client_close(&cl);
            return EXIT_DAEMON;
        }
        if (!info.more) {
            break;
        }
        int st = progress != NULL ? progress(data, info.obj) : -1;
        json_decref(info.obj);
        if (st >= 0) {
            vipctl_client_close(&cl);
            return st;
        }
    }
    vipctl_client_close(&cl);
    *final = info.obj;
    return -1;
}

/* Print the "message" of a final reply, or "ok". */
static void print_message(json_t *reply)
{
    json_t *m = json_object_get(reply, "message");
    puts(json_is_string(m) ? json_string_value(m) : "ok");
}

/* Run a simple command: request, print the message, exit 0. */
static int simple(struct vipctl *ctx,
                  const struct vipctl_cmd *cmd,
                  enum ctl_cmd c,
                  json_t *args,
                  progress_fn progress)
{
    json_t *reply;
    int rv;

    if (args == NULL) {
        fprintf(stderr, "vipctl %s: out of memory\n", cmd->name);
        return EXIT_DAEMON;
    }
    rv = request(ctx, cmd, c, args, SLOW_TIMEOUT_MS, progress, NULL, &reply);
    if (rv >= 0) {
        return rv;
    }
    print_message(reply);
    json_decref(reply);
    return EXIT_OK;
}

/****** Commands ******/

static int cmd_status(struct vipctl *ctx,
                      const struct vipctl_cmd *cmd,
                      int argc,
                      char **argv)
{
    bool json = false;
    struct flag flags[] = {{"--json", &json}, {NULL, NULL}};
    char errmsg[VIP_ERRMSG_SIZE];
    struct vip_status st;
    json_t *reply;
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, flags, pos, 0, 0, &n_pos)) >= 0) {
        return rv;
    }
    rv = request(ctx, cmd, CTL_CMD_STATUS, NULL, REPLY_TIMEOUT_MS, NULL, NULL,
                 &reply);
    if (rv >= 0) {
        return rv;
    }
    json_t *obj = json_object_get(reply, "status");
    if (status_json_decode(obj, &st, errmsg) != 0) {
        fprintf(stderr, "vipctl status: bad reply from vipd: %s\n", errmsg);
        json_decref(reply);
        return EXIT_DAEMON;
    }
    if (json) {
        /* The daemon's object as sent (validated above): fields this
         * vipctl does not know yet are kept for scripts. */
        json_dumpf(obj, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        vipctl_render_status(stdout, &st, ctx->colour);
    }
    rv = st.holds ? EXIT_OK : EXIT_NOT_HOLDER;
    vip_status_free(&st);
    json_decref(reply);
    return rv;
}

static int join_progress(void *data, json_t *line)
{
    json_t *p = json_object_get(line, "progress");
    (void)data;
    if (json_is_string(p)) {
        printf("%s\n", json_string_value(p));
        fflush(stdout);
    }
    return -1;
}

static int cmd_join(struct vipctl *ctx,
                    const struct vipctl_cmd *cmd,
                    int argc,
                    char **argv)
{
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, NULL, pos, 1, 1, &n_pos)) >= 0) {
        return rv;
    }
    return simple(ctx, cmd, CTL_CMD_JOIN, json_pack("{ss}", "peer", pos[0]),
                  join_progress);
}

static int cmd_leave(struct vipctl *ctx,
                     const struct vipctl_cmd *cmd,
                     int argc,
                     char **argv)
{
    bool force = false;
    struct flag flags[] = {{"--force", &force}, {NULL, NULL}};
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, flags, pos, 0, 0, &n_pos)) >= 0) {
        return rv;
    }
    return simple(ctx, cmd, CTL_CMD_LEAVE, json_pack("{sb}", "force", force),
                  join_progress);
}

static int cmd_remove(struct vipctl *ctx,
                      const struct vipctl_cmd *cmd,
                      int argc,
                      char **argv)
{
    bool force = false;
    struct flag flags[] = {{"--force", &force}, {NULL, NULL}};
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, flags, pos, 1, 1, &n_pos)) >= 0) {
        return rv;
    }
    return simple(ctx, cmd, CTL_CMD_REMOVE,
                  json_pack("{sssb}", "node", pos[0], "force", force),
                  join_progress);
}

static int cmd_transfer(struct vipctl *ctx,
                        const struct vipctl_cmd *cmd,
                        int argc,
                        char **argv)
{
    char *pos[2];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, NULL, pos, 0, 2, &n_pos)) >= 0) {
        return rv;
    }
    /* One argument is a node, as before instances could move alone. */
    json_t *args = n_pos == 2   ? json_pack("{ssss}", "instance", pos[0],
                                            "node", pos[1])
                   : n_pos == 1 ? json_pack("{ss}", "node", pos[0])
                                : json_object();
    return simple(ctx, cmd, CTL_CMD_TRANSFER, args, join_progress);
}

static int cmd_maintenance(struct vipctl *ctx,
                           const struct vipctl_cmd *cmd,
                           int argc,
                           char **argv)
{
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, NULL, pos, 1, 1, &n_pos)) >= 0) {
        return rv;
    }
    bool on = strcmp(pos[0], "on") == 0;
    if (!on && strcmp(pos[0], "off") != 0) {
        fprintf(stderr,
                "vipctl maintenance: expected 'on' or 'off', not '%s'\n",
                pos[0]);
        cmd_usage(stderr, cmd);
        return EXIT_USAGE;
    }
    return simple(ctx, cmd, CTL_CMD_MAINTENANCE, json_pack("{sb}", "on", on),
                  join_progress);
}

/* State of an `events` run, shared with its progress callback. */
struct events_out
{
    struct vipctl *ctx;
    bool json;
    bool header_done;
};

/* Print the "events" array of a reply line. Returns an exit status on a
 * malformed line, else -1. */
static int events_print(struct events_out *eo, json_t *line)
{
    char errmsg[VIP_ERRMSG_SIZE];
    struct vip_event_list list;
    json_t *arr = json_object_get(line, "events");

    vip_event_list_init(&list);
    if (status_json_events_decode(arr, &list, errmsg) != 0) {
        fprintf(stderr, "vipctl events: bad reply from vipd: %s\n", errmsg);
        vip_event_list_free(&list);
        return EXIT_DAEMON;
    }
    if (!eo->json && !eo->header_done) {
        vipctl_render_events_header(stdout, eo->ctx->colour);
        eo->header_done = true;
    }
    for (size_t i = 0; i < list.n_events; i++) {
        if (eo->json) {
            json_dumpf(json_array_get(arr, i), stdout, JSON_COMPACT);
            fputc('\n', stdout);
        } else {
            vipctl_render_event(stdout, &list.events[i], eo->ctx->colour);
        }
    }
    fflush(stdout);
    vip_event_list_free(&list);
    return -1;
}

static int events_progress(void *data, json_t *line)
{
    return events_print(data, line);
}

static int cmd_events(struct vipctl *ctx,
                      const struct vipctl_cmd *cmd,
                      int argc,
                      char **argv)
{
    bool follow = false;
    bool json = false;
    struct flag flags[] = {{"--follow", &follow},
                           {"-f", &follow},
                           {"--json", &json},
                           {NULL, NULL}};
    struct events_out eo = {.ctx = ctx};
    json_t *reply;
    char *pos[1];
    int n_pos;
    int rv;

    if ((rv = parse_args(cmd, argc, argv, flags, pos, 0, 0, &n_pos)) >= 0) {
        return rv;
    }
    eo.json = json;
    rv = request(ctx, cmd, CTL_CMD_EVENTS, json_pack("{sb}", "follow", follow),
                 follow ? -1 : REPLY_TIMEOUT_MS, events_progress, &eo, &reply);
    if (rv < 0) {
        rv = events_print(&eo, reply);
        json_decref(reply);
    }
    return rv >= 0 ? rv : EXIT_OK;
}

/* Works without a daemon: a new key, printed or written to a new 0600 file. */
static int cmd_keygen(struct vipctl *ctx,
                      const struct vipctl_cmd *cmd,
                      int argc,
                      char **argv)
{
    char line[KEYFILE_HEX_LINE];
    const char *path = NULL;
    size_t len;
    int fd;
    (void)ctx;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd_usage(stdout, cmd);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && path == NULL &&
            argv[i + 1][0] != '\0') {
            path = argv[++i];
            continue;
        }
        fprintf(stderr, "vipctl keygen: unexpected argument '%s'\n",
                argv[i]);
        cmd_usage(stderr, cmd);
        return EXIT_USAGE;
    }
    keyfile_generate_hex(line);
    len = strlen(line);
    if (path == NULL) {
        bool ok = fwrite(line, 1, len, stdout) == len && fflush(stdout) == 0;
        explicit_bzero(line, sizeof line);
        if (!ok) {
            fprintf(stderr, "vipctl keygen: cannot write the key\n");
            return EXIT_DAEMON; /* exit 1: failed */
        }
        return EXIT_OK;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd < 0) {
        fprintf(stderr, "vipctl keygen: %s: %s\n", path, strerror(errno));
        explicit_bzero(line, sizeof line);
        return EXIT_DAEMON; /* exit 1: failed */
    }
    if (write(fd, line, len) != (ssize_t)len || fsync(fd) != 0) {
        fprintf(stderr, "vipctl keygen: %s: %s\n", path, strerror(errno));
        close(fd);
        unlink(path);
        explicit_bzero(line, sizeof line);
        return EXIT_DAEMON; /* exit 1: failed */
    }
    explicit_bzero(line, sizeof line);
    close(fd);
    return EXIT_OK;
}

/****** main ******/

int main(int argc, char **argv)
{
    struct vipctl ctx = {.socket = NULL};
    int i = 1;

    ctx.socket = getenv("VIPD_SOCKET");
    if (ctx.socket == NULL || ctx.socket[0] == '\0') {
        ctx.socket = CTL_DEFAULT_SOCKET;
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("vipctl %s\n", PACKAGE_VERSION);
            return EXIT_OK;
        }
        if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                fprintf(stderr, "vipctl: %s needs a PATH\n", a);
                return EXIT_USAGE;
            }
            ctx.socket = argv[++i];
            continue;
        }
        if (strncmp(a, "--socket=", 9) == 0 && a[9] != '\0') {
            ctx.socket = a + 9;
            continue;
        }
        fprintf(stderr, "vipctl: unknown option '%s' (see vipctl --help)\n", a);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    ctx.colour = vipctl_use_colour(STDOUT_FILENO);
    vipctl_render_set_event_columns(vipctl_output_columns(STDOUT_FILENO));
    for (size_t c = 0; c < N_COMMANDS; c++) {
        if (strcmp(argv[i], commands[c].name) == 0) {
            return commands[c].run(&ctx, &commands[c], argc - i, argv + i);
        }
    }
    fprintf(stderr, "vipctl: unknown command '%s' (see vipctl --help)\n",
            argv[i]);
    return EXIT_USAGE;
}
