/* The control socket of vipd: a libuv Unix stream server speaking the
 * protocol of src/ctl_proto.h (docs/control-protocol.md).
 *
 * Lifecycle (libuv's): ctl_server_init() (no I/O), ctl_server_start()
 * (create the directory, bind, chmod/chown, listen), ctl_server_close()
 * (stop listening, drop every client, remove the socket file; its callback
 * fires once every handle is closed, then the memory may go).
 *
 * Requests are handled asynchronously. For each validated request the
 * `request` callback receives a `struct ctl_request *`; the handler answers
 * later, from any loop callback, with ctl_reply() (final line) or a series
 * of ctl_stream() lines and then ctl_reply() or ctl_end(). The request
 * callback is never called from inside these functions: a line that waited
 * behind a finished request is served from a later loop iteration. Exactly one
 * ctl_reply() or ctl_end() finishes a request and frees it. If the client
 * goes away first (or the server closes), the `cancel` callback tells the
 * handler, the request stays valid, and finishing it just frees it. A
 * connection handles one request at a time; lines it sends meanwhile wait.
 *
 * Access: the socket is mode 0600 (root only) or 0660 with the configured
 * group, and every client's SO_PEERCRED is checked too: uid 0, the daemon's
 * own uid, or a member of the group. Others get an error reply ("permission
 * denied ..."), are logged, and are disconnected. */
#ifndef VIPD_SRC_CTL_SERVER_H
#define VIPD_SRC_CTL_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "src/ctl_proto.h"
#include "vipd/config.h"
#include "vipd/error.h"

#define CTL_DEFAULT_SOCKET "/run/vipd/vipd.sock"

/* Replies and stream lines queued to one slow client beyond this many bytes
 * make ctl_stream() drop the client rather than grow without bound; so does
 * a further request line from a client that pipelines requests without
 * reading the replies. */
#define CTL_MAX_QUEUED (8 * 1024 * 1024)

/* Supplementary groups read for a peer (from /proc/PID/status). */
#define CTL_PEER_MAX_GROUPS 64

struct ctl_server;
struct ctl_request;

/* Credentials of a connected client (SO_PEERCRED). */
struct ctl_peer
{
    pid_t pid;
    uid_t uid;
    gid_t gid;
    gid_t groups[CTL_PEER_MAX_GROUPS]; /* supplementary, when read */
    size_t n_groups;
};

struct ctl_server_cbs
{
    void *data;
    /* A validated request: @cmd (and its wire name @name) with @args, an
     * object checked against the schema (borrowed: valid until @req is
     * finished). The handler must finish @req exactly once, now or later,
     * with ctl_reply() or ctl_end(). Required. */
    void (*request)(void *data,
                    struct ctl_request *req,
                    enum ctl_cmd cmd,
                    const char *name,
                    json_t *args);
    /* The client of pending @req disconnected, or the server is closing.
     * Lines sent to @req are now discarded; the handler must still finish
     * it (it may do so inside this callback). Optional. */
    void (*cancel)(void *data, struct ctl_request *req);
};

/* Where and for whom the socket is created. */
struct ctl_server_opts
{
    const char *path;  /* NULL: CTL_DEFAULT_SOCKET */
    const char *group; /* NULL or "": root (and the daemon's uid) only */
    unsigned mode;     /* 0: 0600, or 0660 with a group. For tests. */
};

typedef void (*ctl_server_close_cb)(struct ctl_server *s);

struct ctl_conn;

struct ctl_server
{
    uv_loop_t *loop;
    uv_pipe_t pipe;
    uv_idle_t idle; /* serves lines that waited behind a finished request */
    struct ctl_server_cbs cbs;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char group[CFG_NAME_MAX];
    unsigned mode;
    bool has_group;
    gid_t gid;
    uid_t self_uid;
    bool started; /* bound: the socket file is ours to remove */
    bool closing;
    unsigned n_handles;     /* own handles (pipe, idle) not yet closed */
    struct ctl_conn *conns; /* doubly linked list of clients */
    unsigned n_conns;
    unsigned long n_requests; /* counters, for logs and tests */
    unsigned long n_refused;
    unsigned long n_bad;
    ctl_server_close_cb close_cb;
    void *data; /* owner's back-pointer */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Options from the config: cluster.control_socket (default
 * CTL_DEFAULT_SOCKET) and cluster.control_group. In ctl_peer.c. */
void ctl_server_opts_from_config(struct ctl_server_opts *opts,
                                 const struct vip_config *cfg);

/* Prepare @s on @loop; copies @opts and @cbs. Returns 0, or VIP_EINVAL (path
 * too long for a Unix socket, no request callback; message in
 * @s->errmsg). No handle is created: on error nothing needs closing, on
 * success ctl_server_close() must be called (even without a start). */
int ctl_server_init(struct ctl_server *s,
                    uv_loop_t *loop,
                    const struct ctl_server_opts *opts,
                    const struct ctl_server_cbs *cbs);

/* Create the socket directory (mode 0755) if missing, remove a stale socket
 * file (only if nothing accepts connections on it), bind, set the mode and
 * group, and listen. Returns 0 or a negative code with @s->errmsg set:
 * VIP_EEXIST (another process listens there, or the path is not a
 * socket), VIP_ECONFIG (unknown group), VIP_ENOMEM, or a -errno/UV_E*
 * code. Sets SIGPIPE to SIG_IGN if it is at its default (a reply to a
 * client that just hung up must fail with EPIPE, not kill the process). */
int ctl_server_start(struct ctl_server *s);

/* Stop accepting, cancel pending requests (see `cancel`), close every
 * client, remove the socket file if start created it. @cb (may be NULL)
 * fires when all handles are closed. Call once. */
void ctl_server_close(struct ctl_server *s, ctl_server_close_cb cb);

/****** Credentials (ctl_peer.c) ******/

/* Whether @peer may use the socket: uid 0, uid @self_uid, or (when
 * @has_group) primary or supplementary group @gid. Pure. */
bool ctl_peer_permitted(const struct ctl_peer *peer,
                        uid_t self_uid,
                        bool has_group,
                        gid_t gid);

/* Read the supplementary groups of process @pid from /proc into @peer.
 * Returns 0 or a negative errno (the process may be gone). */
int ctl_peer_read_groups(struct ctl_peer *peer);

/* The supplementary groups of the process at the other end of the
 * connected Unix socket @fd, from the socket itself (SO_PEERGROUPS: the
 * credentials of connect() time, so a pid reused meanwhile cannot lend its
 * groups). Falls back to ctl_peer_read_groups() on kernels without it.
 * Returns 0 or a negative errno (no groups then). */
int ctl_peer_read_groups_fd(struct ctl_peer *peer, int fd);

/****** Answering requests ******/

/* Send @reply (an object; this call steals the reference) as the final
 * line and finish @req, which is freed: do not use it afterwards. The
 * object should carry "ok"; see ctl_reply_ok_new(). Returns 0, or
 * VIP_ENOMEM / VIP_EINVAL when it could not be encoded (the client then
 * gets a generic error line). Lines for a cancelled request are dropped. */
int ctl_reply(struct ctl_request *req, json_t *reply);

/* Finish @req with {"ok":false,"error":@message,"code":@code}. */
int ctl_reply_error(struct ctl_request *req, int code, const char *message);

/* Send @obj (stolen) as an intermediate line: "more":true is added. The
 * request stays pending. Returns 0, VIP_ENOMEM, or -ECANCELED when the
 * client is gone or reads too slowly (it is then disconnected; `cancel` is
 * not called from inside this function); the handler still finishes @req,
 * normally with ctl_end(). */
int ctl_stream(struct ctl_request *req, json_t *obj);

/* Finish @req without a final line (end of an `events --follow` stream,
 * or after cancel): pending lines are flushed, then the connection is
 * closed so the client sees end of file. Frees @req. */
void ctl_end(struct ctl_request *req);

/* Whether the client of @req has gone (no line will reach it). */
bool ctl_request_cancelled(const struct ctl_request *req);

/* The credentials of @req's client. */
const struct ctl_peer *ctl_request_peer(const struct ctl_request *req);

/* A pointer the handler may attach to @req (NULL initially). */
void ctl_request_set_data(struct ctl_request *req, void *data);
void *ctl_request_data(const struct ctl_request *req);

#endif /* VIPD_SRC_CTL_SERVER_H */
