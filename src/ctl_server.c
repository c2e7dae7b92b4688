/* Control socket server: accept, check credentials, frame lines, dispatch
 * requests, queue replies. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/ctl_server.h"
#include "vipd/log.h"

/* One connected client. Freed in its close callback, never earlier: writes
 * and the pending request may still point at it until then. */
struct ctl_conn
{
    struct ctl_server *server;
    uv_pipe_t pipe;
    struct ctl_linebuf lb;
    struct ctl_request *req; /* pending request, NULL if none */
    struct ctl_peer peer;
    struct ctl_conn *prev;
    struct ctl_conn *next;
    size_t queued; /* bytes handed to uv_write, not yet written */
    unsigned n_writes;
    bool closing;
    bool close_after_write; /* close once the queued lines are written */
    bool dispatching;       /* inside conn_dispatch(): no recursion */
    bool needs_dispatch;    /* serve waiting lines from the idle handle */
    bool refused;           /* credentials refused: answer, then close */
};

struct ctl_request
{
    struct ctl_conn *conn; /* NULL once the client is gone */
    enum ctl_cmd cmd;
    json_t *args;
    void *data;
};

struct ctl_write
{
    uv_write_t w;
    struct ctl_conn *conn;
    char *buf;
    size_t len;
};

static void conn_close(struct ctl_conn *c);
static void conn_dispatch(struct ctl_conn *c);
static void server_idle_cb(uv_idle_t *idle);

/****** Writing ******/

static void conn_write_cb(uv_write_t *w, int status)
{
    struct ctl_write *wr = (struct ctl_write *)w;
    struct ctl_conn *c = wr->conn;

    c->queued -= wr->len;
    c->n_writes--;
    free(wr->buf);
    free(wr);
    if (status < 0 && status != UV_ECANCELED) {
        /* The client went away; nothing to tell it. */
        vip_debug("control: write to pid %ld: %s", (long)c->peer.pid,
                  uv_strerror(status));
        conn_close(c);
        return;
    }
    if (c->n_writes == 0 && c->close_after_write) {
        conn_close(c);
    }
}

/* Queue the encoded line @buf (taken over) to @c. */
static int conn_write_buf(struct ctl_conn *c, char *buf, size_t len)
{
    struct ctl_write *wr;
    int rv;

    if (c->closing) {
        free(buf);
        return -ECANCELED;
    }
    wr = malloc(sizeof *wr);
    if (wr == NULL) {
        free(buf);
        return VIP_ENOMEM;
    }
    wr->conn = c;
    wr->buf = buf;
    wr->len = len;
    uv_buf_t b = uv_buf_init(buf, (unsigned)len);
    rv = uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, conn_write_cb);
    if (rv != 0) {
        free(buf);
        free(wr);
        conn_close(c);
        return rv;
    }
    c->queued += len;
    c->n_writes++;
    return 0;
}

/* Encode and queue @obj (borrowed). If it cannot be encoded, a fixed
 * error line goes instead, so the client is never left waiting. */
static int conn_write_json(struct ctl_conn *c, const json_t *obj)
{
    static const char oom_line[] =
        "{\"ok\":false,\"error\":\"out of memory\",\"code\":-12}\n";
    char *buf;
    size_t len;
    int rv = ctl_line_encode(obj, &buf, &len);

    if (rv != 0) {
        buf = strdup(oom_line);
        if (buf == NULL) {
            conn_close(c);
            return rv;
        }
        conn_write_buf(c, buf, sizeof oom_line - 1);
        return rv;
    }
    return conn_write_buf(c, buf, len);
}

/* Send an error line not tied to a request (bad JSON, refused peer). */
static void conn_write_error(struct ctl_conn *c, int code, const char *msg)
{
    json_t *obj = ctl_reply_error_new(code, msg);
    conn_write_json(c, obj); /* NULL: the out-of-memory line goes */
    json_decref(obj);
}

/* Detach @req from its connection, so that closing the connection while
 * the handler is inside ctl_reply()/ctl_stream() never calls `cancel` for
 * it. Returns the connection (NULL if already gone). */
static struct ctl_conn *request_detach(struct ctl_request *req)
{
    struct ctl_conn *c = req->conn;
    if (c != NULL) {
        c->req = NULL;
        req->conn = NULL;
    }
    return c;
}

/* Free @req; its connection @c (may be NULL) moves on to its next line,
 * from the idle handle: handlers never see a request callback nested in
 * their own ctl_reply(). */
static void request_free(struct ctl_request *req, struct ctl_conn *c)
{
    json_decref(req->args);
    free(req);
    if (c != NULL && !c->closing && !c->dispatching &&
        ctl_linebuf_pending(&c->lb) > 0) {
        c->needs_dispatch = true;
        if (!c->server->closing) {
            uv_idle_start(&c->server->idle, server_idle_cb);
        }
    }
}

int ctl_reply(struct ctl_request *req, json_t *reply)
{
    struct ctl_conn *c = request_detach(req);
    int rv = 0;

    if (c != NULL && !c->closing) {
        rv = conn_write_json(c, reply);
    }
    json_decref(reply);
    request_free(req, c);
    return rv;
}

int ctl_reply_error(struct ctl_request *req, int code, const char *message)
{
    return ctl_reply(req, ctl_reply_error_new(code, message));
}

int ctl_stream(struct ctl_request *req, json_t *obj)
{
    struct ctl_conn *c;
    int rv;

    if (obj == NULL) {
        return VIP_ENOMEM;
    }
    if (req->conn == NULL || req->conn->closing) {
        json_decref(obj);
        return -ECANCELED;
    }
    c = request_detach(req);
    if (c->queued > CTL_MAX_QUEUED) {
        vip_warn("control: pid %ld reads too slowly, dropping it",
                 (long)c->peer.pid);
        json_decref(obj);
        conn_close(c);
        return -ECANCELED;
    }
    rv = json_object_set_new(obj, "more", json_true());
    rv = rv == 0 ? conn_write_json(c, obj) : VIP_ENOMEM;
    json_decref(obj);
    if (c->closing) {
        return -ECANCELED; /* req stays detached: no cancel for it */
    }
    c->req = req;
    req->conn = c;
    return rv;
}

void ctl_end(struct ctl_request *req)
{
    struct ctl_conn *c = req->conn;

    request_detach(req);
    if (c != NULL && !c->closing) {
        /* No final line: end of file tells the client the stream ended. */
        if (c->n_writes == 0) {
            conn_close(c);
        } else {
            c->close_after_write = true;
        }
    }
    request_free(req, NULL);
}

bool ctl_request_cancelled(const struct ctl_request *req)
{
    return req->conn == NULL || req->conn->closing;
}

const struct ctl_peer *ctl_request_peer(const struct ctl_request *req)
{
    static const struct ctl_peer gone = {
        .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
    return req->conn != NULL ? &req->conn->peer : &gone;
}

void ctl_request_set_data(struct ctl_request *req, void *data)
{
    req->data = data;
}

void *ctl_request_data(const struct ctl_request *req)
{
    return req->data;
}

/****** Reading ******/

/* Handle buffered lines until one becomes a pending request. */
static void conn_dispatch(struct ctl_conn *c)
{
    struct ctl_server *s = c->server;
    char errmsg[VIP_ERRMSG_SIZE];
    char *line;
    size_t len;

    c->dispatching = true;
    while (c->req == NULL && !c->closing && !c->close_after_write) {
        int rv = ctl_linebuf_next(&c->lb, &line, &len);
        if (rv == 0) {
            break;
        }
        if (c->queued > CTL_MAX_QUEUED) {
            /* It pipelines requests but does not read the answers: each
             * one would queue another reply without bound. */
            s->n_bad++;
            vip_warn("control: pid %ld does not read its replies, dropping it",
                     (long)c->peer.pid);
            conn_close(c);
            break;
        }
        if (rv < 0) {
            s->n_bad++;
            errmsg_printf(errmsg, "request line longer than %d bytes",
                          CTL_MAX_REQUEST);
            vip_warn("control: pid %ld: %s", (long)c->peer.pid, errmsg);
            conn_write_error(c, VIP_ERANGE, errmsg);
            c->close_after_write = true; /* the framing is lost */
            break;
        }
        if (len == 0) {
            continue; /* blank lines are ignored, as whitespace */
        }
        struct ctl_parsed p;
        rv = ctl_request_decode(line, len, &p, errmsg);
        if (rv != 0) {
            s->n_bad++;
            vip_info("control: pid %ld: bad request: %s", (long)c->peer.pid,
                     errmsg);
            conn_write_error(c, rv, errmsg);
            continue;
        }
        struct ctl_request *req = calloc(1, sizeof *req);
        if (req == NULL) {
            json_decref(p.args);
            conn_write_error(c, VIP_ENOMEM, NULL);
            continue;
        }
        req->conn = c;
        req->cmd = p.cmd;
        req->args = p.args;
        c->req = req;
        s->n_requests++;
        vip_debug("control: pid %ld uid %ld: %s", (long)c->peer.pid,
                  (long)c->peer.uid, ctl_cmd_name(p.cmd));
        s->cbs.request(s->cbs.data, req, p.cmd, ctl_cmd_name(p.cmd), req->args);
    }
    c->dispatching = false;
    if (c->close_after_write && c->n_writes == 0 && !c->closing) {
        conn_close(c);
    }
}

static void server_idle_cb(uv_idle_t *idle)
{
    struct ctl_server *s = idle->data;
    struct ctl_conn *c;

    uv_idle_stop(idle);
    /* Dispatching may close connections (unlinking them): rescan from the
     * head after each one. */
    do {
        for (c = s->conns; c != NULL && !c->needs_dispatch; c = c->next) {
        }
        if (c != NULL) {
            c->needs_dispatch = false;
            if (c->req == NULL) {
                conn_dispatch(c);
            }
        }
    } while (c != NULL);
}

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    if (suggested > 65536) {
        suggested = 65536;
    }
    buf->base = malloc(suggested);
    buf->len = buf->base != NULL ? suggested : 0;
}

static void conn_read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct ctl_conn *c = stream->data;

    if (n < 0) {
        /* End of file or an error: the client is gone. */
        free(buf->base);
        conn_close(c);
        return;
    }
    if (n == 0 || c->closing || c->close_after_write) {
        free(buf->base); /* after an error line, input is discarded */
        return;
    }
    if (c->refused) {
        /* Its request arrived: the refusal line is (being) written; close
         * after it. Closing before the client has sent would break its
         * send() with EPIPE instead of showing the refusal. */
        free(buf->base);
        c->close_after_write = true;
        if (c->n_writes == 0) {
            conn_close(c);
        }
        return;
    }
    int rv = ctl_linebuf_push(&c->lb, buf->base, (size_t)n);
    free(buf->base);
    if (rv == VIP_ERANGE) {
        c->server->n_bad++;
        vip_warn("control: pid %ld sends more than it reads; closing",
                 (long)c->peer.pid);
        conn_write_error(c, VIP_ERANGE, "request line too long");
        c->close_after_write = true;
        if (c->n_writes == 0) {
            conn_close(c);
        }
        return;
    }
    if (rv != 0) {
        conn_close(c);
        return;
    }
    if (c->req == NULL) {
        conn_dispatch(c);
    }
}

static void conn_close_cb(uv_handle_t *h)
{
    struct ctl_conn *c = h->data;
    struct ctl_server *s = c->server;

    ctl_linebuf_close(&c->lb);
    free(c);
    s->n_conns--;
    if (s->closing && s->n_conns == 0 && s->n_handles == 0 && s->close_cb) {
        ctl_server_close_cb cb = s->close_cb;
        s->close_cb = NULL;
        cb(s);
    }
}

static void conn_close(struct ctl_conn *c)
{
    struct ctl_server *s = c->server;
    struct ctl_request *req = c->req;

    if (c->closing) {
        return;
    }
    c->closing = true;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
    if (req != NULL) {
        req->conn = NULL;
        c->req = NULL;
        if (s->cbs.cancel != NULL) {
            s->cbs.cancel(s->cbs.data, req);
        }
    }
}

/****** Accepting ******/

static void server_refuse(struct ctl_conn *c)
{
    struct ctl_server *s = c->server;
    char msg[VIP_ERRMSG_SIZE];

    s->n_refused++;
    if (s->has_group) {
        errmsg_printf(msg,
                      "permission denied: uid %ld is not root and not in "
                      "group %s",
                      (long)c->peer.uid, s->group);
    } else {
        errmsg_printf(msg, "permission denied: uid %ld is not root",
                      (long)c->peer.uid);
    }
    vip_warn("control: refused pid %ld uid %ld gid %ld: %s", (long)c->peer.pid,
             (long)c->peer.uid, (long)c->peer.gid, msg);
    conn_write_error(c, -EACCES, msg);
    c->refused = true; /* closed once the client sends or goes away */
}

static void server_connection_cb(uv_stream_t *listener, int status)
{
    struct ctl_server *s = listener->data;
    struct ctl_conn *c;
    struct ucred cred;
    socklen_t len = sizeof cred;
    uv_os_fd_t fd;
    int rv;

    if (status < 0) {
        vip_warn("control: accept: %s", uv_strerror(status));
        return;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        /* Leaving the connection in the backlog would make the loop spin
         * on it: accept it bare and drop it. */
        uv_os_fd_t lfd;
        vip_err("control: out of memory accepting a client");
        if (uv_fileno((uv_handle_t *)listener, &lfd) == 0) {
            int bare = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (bare >= 0) {
                close(bare);
            }
        }
        return;
    }
    c->server = s;
    ctl_linebuf_init(&c->lb, CTL_MAX_REQUEST);
    rv = uv_pipe_init(s->loop, &c->pipe, 0);
    if (rv != 0) {
        free(c);
        vip_err("control: %s", uv_strerror(rv));
        return;
    }
    c->pipe.data = c;
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->n_conns++;
    rv = uv_accept(listener, (uv_stream_t *)&c->pipe);
    if (rv != 0) {
        vip_warn("control: accept: %s", uv_strerror(rv));
        conn_close(c);
        return;
    }
    /* Refuse rather than guess when the credentials cannot be read. */
    c->peer.uid = (uid_t)-1;
    c->peer.gid = (gid_t)-1;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->peer.pid = cred.pid;
        c->peer.uid = cred.uid;
        c->peer.gid = cred.gid;
    }
    if (s->has_group && c->peer.uid != 0 && c->peer.uid != s->self_uid &&
        c->peer.gid != s->gid) {
        /* Failure leaves no groups. */
        (void)ctl_peer_read_groups_fd(&c->peer, fd);
    }
    rv = uv_read_start((uv_stream_t *)&c->pipe, conn_alloc_cb, conn_read_cb);
    if (rv != 0) {
        conn_close(c);
        return;
    }
    if (!ctl_peer_permitted(&c->peer, s->self_uid, s->has_group, s->gid)) {
        server_refuse(c);
    }
}

/****** Lifecycle ******/

int ctl_server_init(struct ctl_server *s,
                    uv_loop_t *loop,
                    const struct ctl_server_opts *opts,
                    const struct ctl_server_cbs *cbs)
{
    const char *path = opts->path != NULL ? opts->path : CTL_DEFAULT_SOCKET;

    memset(s, 0, sizeof *s);
    if (cbs->request == NULL) {
        errmsg_printf(s->errmsg, "control: no request handler");
        return VIP_EINVAL;
    }
    if (path[0] == '\0' || strlen(path) >= sizeof s->path) {
        errmsg_printf(s->errmsg,
                      "control socket path '%.200s' is empty or longer than "
                      "%zu bytes",
                      path, sizeof s->path - 1);
        return VIP_EINVAL;
    }
    if (opts->group != NULL && strlen(opts->group) >= sizeof s->group) {
        errmsg_printf(s->errmsg, "control group name too long");
        return VIP_EINVAL;
    }
    s->loop = loop;
    s->cbs = *cbs;
    strcpy(s->path, path);
    if (opts->group != NULL) {
        strcpy(s->group, opts->group);
    }
    s->has_group = s->group[0] != '\0';
    s->mode = opts->mode != 0 ? opts->mode : (s->has_group ? 0660 : 0600);
    s->self_uid = geteuid();
    return 0;
}

/* mkdir -p the directory of @path, new directories with mode 0755. */
static int server_make_dir(struct ctl_server *s)
{
    char dir[sizeof s->path];
    char *slash;

    strcpy(dir, s->path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        return 0; /* relative file name in the cwd, or in / */
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            int rv = -errno;
            errmsg_printf(s->errmsg, "control: mkdir %s: %s", dir,
                          strerror(-rv));
            return rv;
        }
        *p = saved;
        if (saved == '\0') {
            break;
        }
    }
    return 0;
}

/* Remove a socket file left by a dead daemon; refuse to touch a live one
 * or anything that is not a socket. */
static int server_remove_stale(struct ctl_server *s)
{
    struct sockaddr_un addr;
    struct stat st;
    int fd;
    int rv;

    if (lstat(s->path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        rv = -errno;
        errmsg_printf(s->errmsg, "control: %s: %s", s->path, strerror(-rv));
        return rv;
    }
    if (!S_ISSOCK(st.st_mode)) {
        errmsg_printf(s->errmsg,
                      "control: %s exists and is not a socket; not removing "
                      "it",
                      s->path);
        return VIP_EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rv = -errno;
        errmsg_printf(s->errmsg, "control: socket: %s", strerror(-rv));
        return rv;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, s->path);
    rv = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int err = errno;
    close(fd);
    if (rv == 0) {
        errmsg_printf(s->errmsg,
                      "control: another process listens on %s (is vipd "
                      "already running?)",
                      s->path);
        return VIP_EEXIST;
    }
    if (err != ECONNREFUSED) {
        errmsg_printf(s->errmsg, "control: probing %s: %s", s->path,
                      strerror(err));
        return -err;
    }
    if (unlink(s->path) != 0 && errno != ENOENT) {
        rv = -errno;
        errmsg_printf(s->errmsg, "control: remove stale %s: %s", s->path,
                      strerror(-rv));
        return rv;
    }
    vip_info("control: removed stale socket %s", s->path);
    return 0;
}

static int server_lookup_group(struct ctl_server *s)
{
    struct group grp;
    struct group *res = NULL;
    char *buf = NULL;
    int rv = ERANGE;

    if (!s->has_group) {
        return 0;
    }
    /* A group with many members needs more than a page: grow on ERANGE. */
    for (size_t size = 4096; rv == ERANGE && size <= (1u << 20); size *= 2) {
        char *grown = realloc(buf, size);
        if (grown == NULL) {
            free(buf);
            return VIP_ENOMEM;
        }
        buf = grown;
        rv = getgrnam_r(s->group, &grp, buf, size, &res);
    }
    free(buf); /* grp's strings pointed into it; only the gid is kept */
    if (res == NULL) {
        errmsg_printf(s->errmsg, "control_group '%s': %s", s->group,
                      rv != 0 ? strerror(rv) : "no such group");
        return VIP_ECONFIG;
    }
    s->gid = grp.gr_gid;
    return 0;
}

int ctl_server_start(struct ctl_server *s)
{
    int rv;

    /* A client may hang up between our last read and a reply that a
     * timer or another handle's callback sends: libuv's write() then
     * raises SIGPIPE, which would kill the daemon (vipctl ^C). */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sa.sa_flags = 0;
        sigemptyset(&sa.sa_mask);
        (void)sigaction(SIGPIPE, &sa, NULL);
    }
    if ((rv = server_lookup_group(s)) != 0 || (rv = server_make_dir(s)) != 0 ||
        (rv = server_remove_stale(s)) != 0) {
        return rv;
    }
    rv = uv_idle_init(s->loop, &s->idle);
    if (rv != 0) {
        errmsg_printf(s->errmsg, "control: %s", uv_strerror(rv));
        return rv;
    }
    s->idle.data = s;
    s->n_handles++;
    rv = uv_pipe_init(s->loop, &s->pipe, 0);
    if (rv != 0) {
        errmsg_printf(s->errmsg, "control: %s", uv_strerror(rv));
        return rv; /* ctl_server_close() closes the idle handle */
    }
    s->pipe.data = s;
    s->n_handles++;
    /* Created with its final mode at once (no window where the umask's
     * mode applies); the group is set on the file itself (lchown never
     * follows a link planted at the path). */
    {
        mode_t old = umask(~s->mode & 0777);
        rv = uv_pipe_bind(&s->pipe, s->path);
        umask(old);
    }
    if (rv != 0) {
        errmsg_printf(s->errmsg, "control: bind %s: %s", s->path,
                      uv_strerror(rv));
        goto err_after_init;
    }
    s->started = true;
    if (s->has_group && lchown(s->path, (uid_t)-1, s->gid) != 0) {
        rv = -errno;
        errmsg_printf(s->errmsg, "control: set mode/group of %s: %s", s->path,
                      strerror(-rv));
        goto err_after_bind;
    }
    rv = uv_listen((uv_stream_t *)&s->pipe, 64, server_connection_cb);
    if (rv != 0) {
        errmsg_printf(s->errmsg, "control: listen %s: %s", s->path,
                      uv_strerror(rv));
        goto err_after_bind;
    }
    vip_info("control: listening on %s (mode %04o%s%s)", s->path, s->mode,
             s->has_group ? ", group " : "", s->group);
    return 0;
err_after_bind:
    unlink(s->path);
    s->started = false;
err_after_init:
    /* The handle is closed by ctl_server_close(), which must follow. */
    return rv;
}

static void server_handle_close_cb(uv_handle_t *h)
{
    struct ctl_server *s = h->data;
    s->n_handles--;
    if (s->n_handles == 0 && s->n_conns == 0 && s->close_cb != NULL) {
        ctl_server_close_cb cb = s->close_cb;
        s->close_cb = NULL;
        cb(s);
    }
}

void ctl_server_close(struct ctl_server *s, ctl_server_close_cb cb)
{
    unsigned n_handles = s->n_handles;

    s->closing = true;
    s->close_cb = cb;
    if (s->started) {
        unlink(s->path);
        s->started = false;
    }
    while (s->conns != NULL) {
        conn_close(s->conns); /* unlinks it from the list */
    }
    if (n_handles >= 1) {
        uv_close((uv_handle_t *)&s->idle, server_handle_close_cb);
    }
    if (n_handles >= 2) {
        uv_close((uv_handle_t *)&s->pipe, server_handle_close_cb);
    }
    if (n_handles == 0 && s->n_conns == 0 && s->close_cb != NULL) {
        /* Never started: no handle to wait for. */
        s->close_cb = NULL;
        cb(s);
    }
}
