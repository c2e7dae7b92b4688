/* The encrypted channel (see raft/channel.h). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <raft.h>
#include <sodium.h>

#include "raft/channel.h"
#include "raft/raft_wire.h"
#include "raft/transport.h"
#include "vipd/log.h"

struct vr_channel
{
    struct vr_transport *t;
    struct vr_channel *prev, *next;
    enum vr_channel_mode mode;
    uv_tcp_t *tcp;        /* the network side (raft_malloc()ed) */
    uv_pipe_t local;      /* our end of the socketpair */
    struct fc_dir tx, rx;
    struct raft_wire wire; /* VR_CHANNEL_RAFT_IN only */
    bool is_closing;
    bool tcp_paused, local_paused; /* reading stopped: the other side full */
    bool tcp_eof, local_eof;
    unsigned n_closing;
    unsigned n_shutdowns;
    uv_shutdown_t tcp_shutdown, local_shutdown;
    size_t rx_have;                 /* ciphertext bytes in rx_buf */
    uint8_t rx_buf[FC_FRAME_MAX];
    uint8_t plain[FC_PLAIN_MAX];    /* one opened frame */
    uint8_t local_buf[FC_PLAIN_MAX]; /* one read from the user */
    char peer[VR_ADDR_MAX + 1];
    bool is_rpc_in;                 /* an accepted RPC connection from: */
    uint64_t in_id;
    char in_src[64];
};

/* One write with its bytes. */
struct ch_write
{
    uv_write_t req;
    struct vr_channel *ch;
    bool to_tcp;
    size_t len;
    uint8_t data[];
};

static void ch_link(struct vr_channel *ch)
{
    struct vr_transport *t = ch->t;
    ch->prev = NULL;
    ch->next = t->channels;
    if (t->channels != NULL) {
        t->channels->prev = ch;
    }
    t->channels = ch;
    t->n_channels++;
    t->n_open_handles++;
}

static void ch_unlink(struct vr_channel *ch)
{
    struct vr_transport *t = ch->t;
    if (ch->prev != NULL) {
        ch->prev->next = ch->next;
    } else {
        t->channels = ch->next;
    }
    if (ch->next != NULL) {
        ch->next->prev = ch->prev;
    }
    t->n_channels--;
}

static void ch_closed_cb(uv_handle_t *h)
{
    struct vr_channel *ch = h->data;
    struct vr_transport *t = ch->t;

    if (--ch->n_closing > 0) {
        return;
    }
    raft_free(ch->tcp);
    ch_unlink(ch);
    fc_close(&ch->tx);
    fc_close(&ch->rx);
    free(ch);
    vr_transport_handle_closed(t);
}

static void ch_close(struct vr_channel *ch)
{
    if (ch->is_closing) {
        return;
    }
    ch->is_closing = true;
    ch->n_closing = 2;
    uv_close((uv_handle_t *)ch->tcp, ch_closed_cb);
    uv_close((uv_handle_t *)&ch->local, ch_closed_cb);
}

/* The peer sent something we must not deliver: log it and hang up. */
static void ch_reject(struct vr_channel *ch, const char *why)
{
    ch->t->n_channel_rejected++;
    vr_transport_warn_limited(ch->t, "transport: connection with %s: %s; "
                              "closing it", ch->peer, why);
    ch_close(ch);
}

static void ch_shutdown_cb(uv_shutdown_t *req, int status)
{
    struct vr_channel *ch = req->data;
    (void)status;
    if (--ch->n_shutdowns == 0) {
        ch_close(ch);
    }
}

/* One side ended: let the other side have what is queued, then close. */
static void ch_finish(struct vr_channel *ch, uv_stream_t *other)
{
    uv_shutdown_t *req = other == (uv_stream_t *)ch->tcp ? &ch->tcp_shutdown
                                                         : &ch->local_shutdown;
    if (ch->is_closing) {
        return;
    }
    uv_read_stop((uv_stream_t *)ch->tcp);
    uv_read_stop((uv_stream_t *)&ch->local);
    if (ch->n_shutdowns > 0) {
        return; /* already finishing */
    }
    req->data = ch;
    if (uv_shutdown(req, other, ch_shutdown_cb) != 0) {
        ch_close(ch);
        return;
    }
    ch->n_shutdowns++;
}

static void ch_read_resume(struct vr_channel *ch);

static void ch_write_cb(uv_write_t *req, int status)
{
    struct ch_write *w = (struct ch_write *)req;
    struct vr_channel *ch = w->ch;
    bool to_tcp = w->to_tcp;

    free(w);
    if (ch->is_closing) {
        return;
    }
    if (status != 0) {
        /* The side we write to is gone: nothing more can be delivered. */
        ch_close(ch);
        return;
    }
    (void)to_tcp;
    ch_read_resume(ch);
}

static size_t queue_size(uv_stream_t *s)
{
    return uv_stream_get_write_queue_size(s);
}

static int ch_write(struct vr_channel *ch, bool to_tcp, const uint8_t *data,
                    size_t len, struct ch_write *w)
{
    uv_stream_t *s = to_tcp ? (uv_stream_t *)ch->tcp
                            : (uv_stream_t *)&ch->local;
    uv_buf_t b;
    int rv;

    if (w == NULL) {
        w = malloc(sizeof *w + len);
        if (w == NULL) {
            return VIP_ENOMEM;
        }
        memcpy(w->data, data, len);
    }
    w->ch = ch;
    w->to_tcp = to_tcp;
    w->len = len;
    b = uv_buf_init((char *)w->data, (unsigned)len);
    rv = uv_write(&w->req, s, &b, 1, ch_write_cb);
    if (rv != 0) {
        free(w);
    }
    return rv;
}

/* Bounded queues: stop reading a side while the other one is full. */
static void ch_apply_backpressure(struct vr_channel *ch)
{
    if (!ch->tcp_paused && queue_size((uv_stream_t *)&ch->local) >
                               VR_CHANNEL_QUEUE_MAX) {
        uv_read_stop((uv_stream_t *)ch->tcp);
        ch->tcp_paused = true;
    }
    if (!ch->local_paused &&
        queue_size((uv_stream_t *)ch->tcp) > VR_CHANNEL_QUEUE_MAX) {
        uv_read_stop((uv_stream_t *)&ch->local);
        ch->local_paused = true;
    }
}

static void tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void local_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void local_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void ch_read_resume(struct vr_channel *ch)
{
    if (ch->tcp_paused && !ch->tcp_eof && ch->n_shutdowns == 0 &&
        queue_size((uv_stream_t *)&ch->local) <= VR_CHANNEL_QUEUE_MAX / 2) {
        ch->tcp_paused = false;
        if (uv_read_start((uv_stream_t *)ch->tcp, tcp_alloc_cb,
                          tcp_read_cb) != 0) {
            ch_close(ch);
            return;
        }
    }
    if (ch->local_paused && !ch->local_eof && ch->n_shutdowns == 0 &&
        queue_size((uv_stream_t *)ch->tcp) <= VR_CHANNEL_QUEUE_MAX / 2) {
        ch->local_paused = false;
        if (uv_read_start((uv_stream_t *)&ch->local, local_alloc_cb,
                          local_read_cb) != 0) {
            ch_close(ch);
        }
    }
}

/****** Network to user ******/

static void tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct vr_channel *ch = h->data;
    (void)suggested;
    buf->base = (char *)ch->rx_buf + ch->rx_have;
    buf->len = sizeof ch->rx_buf - ch->rx_have;
}

/* One opened frame's plaintext: check it and pass it to the user. */
static int ch_deliver(struct vr_channel *ch, const uint8_t *p, size_t n)
{
    int rv;

    if (ch->mode == VR_CHANNEL_RAFT_OUT) {
        ch_reject(ch, "data on an outgoing Raft stream");
        return VIP_EPROTO;
    }
    if (ch->mode == VR_CHANNEL_RAFT_IN) {
        rv = raft_wire_feed(&ch->wire, p, n);
        if (rv != 0) {
            char why[128];
            snprintf(why, sizeof why, "malformed Raft message (%s)",
                     ch->wire.error);
            ch_reject(ch, why);
            return rv;
        }
    }
    rv = ch_write(ch, false, p, n, NULL);
    if (rv != 0) {
        ch_close(ch);
    }
    return rv;
}

static void tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct vr_channel *ch = s->data;
    size_t off = 0;
    (void)buf;

    if (nread == 0 || ch->is_closing) {
        return;
    }
    if (nread < 0) {
        ch->tcp_eof = true;
        if (ch->rx_have > 0 && nread == UV_EOF) {
            ch_reject(ch, "connection closed in the middle of a frame");
            return;
        }
        ch_finish(ch, (uv_stream_t *)&ch->local);
        return;
    }
    ch->rx_have += (size_t)nread;
    while (off < ch->rx_have) {
        size_t plain_len = 0, used = 0;
        long rv = fc_open(&ch->rx, ch->rx_buf + off, ch->rx_have - off,
                          ch->plain, &plain_len, &used);
        if (rv == 0) {
            break;
        }
        if (rv < 0) {
            ch_reject(ch, rv == VIP_EAUTH
                              ? "a frame failed authentication (altered, "
                                "replayed or reordered)"
                              : "a malformed frame");
            return;
        }
        off += used;
        if (ch_deliver(ch, ch->plain, plain_len) != 0) {
            return;
        }
    }
    if (off > 0) {
        memmove(ch->rx_buf, ch->rx_buf + off, ch->rx_have - off);
        ch->rx_have -= off;
    }
    ch_apply_backpressure(ch);
}

/****** User to network ******/

static void local_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct vr_channel *ch = h->data;
    (void)suggested;
    buf->base = (char *)ch->local_buf;
    buf->len = sizeof ch->local_buf;
}

static void local_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct vr_channel *ch = s->data;
    struct ch_write *w;
    long len;
    int rv;
    (void)buf;

    if (nread == 0 || ch->is_closing) {
        return;
    }
    if (nread < 0) {
        ch->local_eof = true;
        ch_finish(ch, (uv_stream_t *)ch->tcp);
        return;
    }
    w = malloc(sizeof *w + FC_HEADER + (size_t)nread + FC_TAG);
    if (w == NULL) {
        ch_close(ch);
        return;
    }
    len = fc_seal(&ch->tx, ch->local_buf, (size_t)nread, w->data);
    if (len < 0) {
        free(w);
        ch_close(ch);
        return;
    }
    rv = ch_write(ch, true, NULL, (size_t)len, w);
    if (rv != 0) {
        ch_close(ch);
        return;
    }
    ch_apply_backpressure(ch);
}

/****** Start and close ******/

static void tcp_only_closed_cb(uv_handle_t *h)
{
    raft_free(h);
}

static void user_pipe_closed_cb(uv_handle_t *h)
{
    raft_free(h);
}

int vr_channel_start(struct vr_transport *t, uv_tcp_t *tcp,
                     const uint8_t tx[FC_KEY_SIZE],
                     const uint8_t rx[FC_KEY_SIZE], enum vr_channel_mode mode,
                     const char *peer, uint64_t in_id,
                     const char *in_src, uv_stream_t **user)
{
    struct vr_channel *ch = calloc(1, sizeof *ch);
    uv_pipe_t *u = raft_malloc(sizeof *u);
    int fds[2] = {-1, -1};
    int rv;

    if (ch == NULL || u == NULL ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   fds) != 0) {
        rv = ch == NULL || u == NULL ? VIP_ENOMEM : -errno;
        free(ch);
        raft_free(u);
        tcp->data = NULL;
        uv_close((uv_handle_t *)tcp, tcp_only_closed_cb);
        return rv;
    }
    ch->t = t;
    ch->mode = mode;
    ch->tcp = tcp;
    tcp->data = ch;
    fc_init(&ch->tx, tx);
    fc_init(&ch->rx, rx);
    raft_wire_init(&ch->wire);
    snprintf(ch->peer, sizeof ch->peer, "%s", peer);
    if (in_src != NULL) {
        ch->is_rpc_in = true;
        ch->in_id = in_id;
        snprintf(ch->in_src, sizeof ch->in_src, "%s", in_src);
    }
    ch_link(ch);
    /* uv_pipe_init() cannot fail; after it, every handle is closed through
     * uv_close() whatever happens next. */
    uv_pipe_init(t->loop, &ch->local, 0);
    ch->local.data = ch;
    uv_pipe_init(t->loop, u, 0);
    rv = uv_pipe_open(&ch->local, fds[0]);
    if (rv == 0) {
        fds[0] = -1;
        rv = uv_pipe_open(u, fds[1]);
    }
    if (rv == 0) {
        fds[1] = -1;
        rv = uv_read_start((uv_stream_t *)tcp, tcp_alloc_cb, tcp_read_cb);
    }
    if (rv == 0) {
        rv = uv_read_start((uv_stream_t *)&ch->local, local_alloc_cb,
                           local_read_cb);
    }
    if (rv != 0) {
        for (unsigned i = 0; i < 2; i++) {
            if (fds[i] >= 0) {
                close(fds[i]);
            }
        }
        uv_close((uv_handle_t *)u, user_pipe_closed_cb);
        ch_close(ch);
        return rv;
    }
    *user = (uv_stream_t *)u;
    return 0;
}

unsigned vr_channel_count_rpc_in(const struct vr_transport *t, uint64_t id,
                                 const char *src)
{
    unsigned n = 0;
    for (const struct vr_channel *ch = t->channels; ch != NULL;
         ch = ch->next) {
        /* Either side at EOF: the session is over, only bytes drain. */
        if (!ch->is_rpc_in || ch->is_closing || ch->tcp_eof ||
            ch->local_eof || ch->in_id != id) {
            continue;
        }
        if (id != 0 || strcmp(ch->in_src, src) == 0) {
            n++;
        }
    }
    return n;
}

void vr_channel_close_all(struct vr_transport *t)
{
    struct vr_channel *ch, *next;
    for (ch = t->channels; ch != NULL; ch = next) {
        next = ch->next;
        ch_close(ch);
    }
}
