/* The cluster transport over TCP (see raft/transport.h). */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "raft/channel.h"
#include "raft/keyfile.h"
#include "raft/transport.h"
#include "vipd/clock.h"
#include "vipd/log.h"

/****** Preamble codec ******/

static bool addr_bytes_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool kind_ok(uint8_t kind)
{
    return kind == VR_CONN_RAFT || kind == VR_CONN_RPC;
}

int vr_preamble_encode(const struct vr_preamble *p, uint8_t *buf, size_t size,
                       size_t *len)
{
    size_t n = strnlen(p->address, sizeof p->address);

    if (!kind_ok(p->kind) || n > VR_ADDR_MAX ||
        !addr_bytes_ok((const uint8_t *)p->address, n)) {
        return VIP_EINVAL;
    }
    /* raft_uv needs a sender id and address to route replies. */
    if (p->kind == VR_CONN_RAFT && (p->id == 0 || n == 0)) {
        return VIP_EINVAL;
    }
    if (size < VR_PREAMBLE_FIXED + n) {
        return VIP_ERANGE;
    }
    memcpy(buf, VR_PREAMBLE_MAGIC, 4);
    buf[4] = VR_PREAMBLE_VERSION;
    buf[5] = p->kind;
    buf[6] = (uint8_t)(n & 0xff);
    buf[7] = (uint8_t)(n >> 8);
    for (unsigned i = 0; i < 8; i++) {
        buf[8 + i] = (uint8_t)(p->id >> (8 * i));
    }
    memcpy(buf + VR_PREAMBLE_FIXED, p->address, n);
    *len = VR_PREAMBLE_FIXED + n;
    return 0;
}

int vr_preamble_decode(const uint8_t *buf, size_t len, struct vr_preamble *p,
                       size_t *need)
{
    size_t n;

    /* Validate what is there as early as possible, so a stranger speaking
     * another protocol is dropped after its first bytes. */
    if (memcmp(buf, VR_PREAMBLE_MAGIC, len < 4 ? len : 4) != 0) {
        return VIP_EPROTO;
    }
    if (len > 4 && buf[4] != VR_PREAMBLE_VERSION) {
        return VIP_EPROTO;
    }
    if (len > 5 && !kind_ok(buf[5])) {
        return VIP_EPROTO;
    }
    if (len < VR_PREAMBLE_FIXED) {
        *need = VR_PREAMBLE_FIXED;
        return 1;
    }
    n = (size_t)buf[6] | ((size_t)buf[7] << 8);
    if (n > VR_ADDR_MAX) {
        return VIP_EPROTO;
    }
    p->version = buf[4];
    p->kind = buf[5];
    p->id = 0;
    for (unsigned i = 0; i < 8; i++) {
        p->id |= (uint64_t)buf[8 + i] << (8 * i);
    }
    if (p->kind == VR_CONN_RAFT && (p->id == 0 || n == 0)) {
        return VIP_EPROTO;
    }
    if (len < VR_PREAMBLE_FIXED + n) {
        *need = VR_PREAMBLE_FIXED + n;
        return 1;
    }
    if (!addr_bytes_ok(buf + VR_PREAMBLE_FIXED, n)) {
        return VIP_EPROTO;
    }
    memcpy(p->address, buf + VR_PREAMBLE_FIXED, n);
    p->address[n] = '\0';
    *need = VR_PREAMBLE_FIXED + n;
    return 0;
}

int vr_addr_split(const char *address, char *host, size_t host_size,
                  uint16_t *port)
{
    const char *colon;
    const char *h = address;
    size_t hlen;
    char *end;
    unsigned long v;

    if (address == NULL || address[0] == '\0') {
        return VIP_EINVAL;
    }
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (close == NULL || close[1] != ':') {
            return VIP_EINVAL;
        }
        h = address + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(address, ':');
        if (colon == NULL || memchr(address, ':', (size_t)(colon - address))) {
            return VIP_EINVAL; /* bare IPv6 literals need brackets */
        }
        hlen = (size_t)(colon - address);
    }
    if (hlen == 0 || hlen >= host_size || hlen >= VR_HOST_MAX) {
        return VIP_EINVAL;
    }
    if (colon[1] < '0' || colon[1] > '9') {
        return VIP_EINVAL;
    }
    errno = 0;
    v = strtoul(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > 65535) {
        return VIP_EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

/****** Connections being set up ******/

enum conn_state {
    CONN_RESOLVING,  /* outgoing: uv_getaddrinfo */
    CONN_CONNECTING, /* outgoing: uv_tcp_connect */
    CONN_SECURING,   /* both: the security step */
    CONN_ABORTING,   /* handles closing */
};

struct vr_conn
{
    struct vr_transport *t;
    struct vr_conn *prev, *next;
    enum conn_state state;
    bool is_outgoing;
    uint8_t kind;                       /* outgoing: what we announce */
    uv_tcp_t *tcp;                      /* raft_malloc(): handed on */
    bool tcp_init;
    uv_timer_t timer;                   /* set-up deadline */
    uv_getaddrinfo_t gai;
    struct addrinfo *ai_list, *ai_next; /* outgoing: addresses left to try */
    uv_connect_t connect;
    struct vr_preamble pre;             /* the peer's proven identity */
    raft_id want_id;                    /* outgoing Raft: the node dialled */
    bool is_counted;                    /* in t->n_incoming */
    char src[64];                       /* incoming: source IP (caps) */
    char host[VR_HOST_MAX];
    char port[8];
    struct raft_uv_connect *raft_req;   /* outgoing Raft connection */
    struct vr_rpc_connect *rpc_req;     /* outgoing RPC connection */
    int status;                         /* failure to report */
    unsigned n_closing;
    bool is_reclosing;                  /* a failed attempt's handle closing */
    struct handshake hs;                /* step 2 */
    uint8_t hs_rx[HS_MSG_MAX];
    uv_write_t hs_write[2];             /* at most two messages per side */
    unsigned n_hs_sent, n_hs_writes;    /* queued in total / in flight */
    bool is_secured;                    /* waiting for n_hs_writes == 0 */
    uint8_t key_tx[FC_KEY_SIZE];        /* the channel's, once secured */
    uint8_t key_rx[FC_KEY_SIZE];
    char peer[VR_ADDR_MAX + 1];         /* for logs */
};

static void conn_link(struct vr_transport *t, struct vr_conn *c)
{
    c->prev = NULL;
    c->next = t->conns;
    if (t->conns != NULL) {
        t->conns->prev = c;
    }
    t->conns = c;
}

static void conn_unlink(struct vr_conn *c)
{
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        c->t->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
}

static void transport_maybe_closed(struct vr_transport *t);
static void conn_peer_name(struct vr_conn *c);
static void refusal_clear(struct vr_transport *t, const char *address);

/* Report the outcome to whoever asked for an outgoing connection. */
static void conn_report(struct vr_conn *c, uv_stream_t *stream, int status)
{
    if (c->raft_req != NULL) {
        int raft_status = 0;
        if (status != 0) {
            raft_status =
                status == -ECANCELED ? RAFT_CANCELED : RAFT_NOCONNECTION;
        }
        c->raft_req->cb(c->raft_req, stream, raft_status);
    } else if (c->rpc_req != NULL) {
        c->rpc_req->conn = NULL;
        c->rpc_req->cb(c->rpc_req, stream, status);
    }
}

static void conn_handle_closed_cb(uv_handle_t *h)
{
    struct vr_conn *c = h->data;
    struct vr_transport *t = c->t;

    if (--c->n_closing > 0) {
        return;
    }
    if (c->tcp != NULL) {
        raft_free(c->tcp);
        c->tcp = NULL;
    }
    if (c->ai_list != NULL) {
        uv_freeaddrinfo(c->ai_list);
    }
    conn_unlink(c);
    if (c->is_counted) {
        t->n_incoming--;
    }
    sodium_memzero(c->key_tx, sizeof c->key_tx);
    sodium_memzero(c->key_rx, sizeof c->key_rx);
    if (c->state == CONN_ABORTING && c->is_outgoing) {
        if (c->status != VIP_EAUTH && c->status != -ECANCELED) {
            /* The latest try failed otherwise (the peer is down, say):
             * status must not go on blaming the key. */
            conn_peer_name(c);
            refusal_clear(t, c->peer);
        }
        conn_report(c, NULL, c->status);
    }
    handshake_close(&c->hs);
    free(c);
    assert(t->n_open_handles > 0);
    t->n_open_handles--;
    transport_maybe_closed(t);
}

/* Fail the set-up: close our handles; the requester hears of it once they
 * are closed (raft frees nothing of ours before that). */
static void conn_abort(struct vr_conn *c, int status)
{
    if (c->state == CONN_ABORTING) {
        return;
    }
    c->status = status;
    if (c->state == CONN_RESOLVING) {
        /* The getaddrinfo callback always comes (UV_EAI_CANCELED or its
         * result) and finishes the abort. */
        c->state = CONN_ABORTING;
        uv_cancel((uv_req_t *)&c->gai);
        return;
    }
    c->state = CONN_ABORTING;
    c->n_closing = 1;
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed_cb);
    if (c->tcp_init) {
        c->tcp_init = false;
        c->n_closing++;
        uv_close((uv_handle_t *)c->tcp, conn_handle_closed_cb);
    } else if (c->is_reclosing) {
        c->n_closing++; /* conn_retry_closed_cb() counts it down */
    }
}

static void stream_free_cb(uv_handle_t *h)
{
    raft_free(h);
}

/* Set-up succeeded: start the encrypted channel over the TCP handle, hand
 * the user's end on, and release the rest. */
static void conn_finish(struct vr_conn *c)
{
    struct vr_transport *t = c->t;
    uv_tcp_t *tcp = c->tcp;
    uv_stream_t *stream = NULL;
    enum vr_channel_mode mode;
    int rv;

    if (!c->is_outgoing && c->pre.kind == VR_CONN_RPC &&
        vr_channel_count_rpc_in(t, c->pre.id, c->src) >=
            VR_RPC_PER_PEER_MAX) {
        /* Authenticated, yet one peer must not pin our descriptors and
         * memory with sessions: a node needs only a few at once. */
        t->n_rpc_over_cap++;
        t->n_rejected++;
        vr_transport_warn_limited(t,
                                  "transport: closing an RPC connection "
                                  "from node %llu (%s): it already has %u "
                                  "open",
                                  (unsigned long long)c->pre.id, c->peer,
                                  VR_RPC_PER_PEER_MAX);
        conn_abort(c, VIP_ERANGE);
        return;
    }
    c->tcp = NULL; /* the channel's now, also on failure */
    c->tcp_init = false;
    c->state = CONN_ABORTING; /* only the timer is left to close */
    c->status = 0;
    c->n_closing = 1;
    uv_timer_stop(&c->timer);
    if (c->is_outgoing) {
        mode = c->kind == VR_CONN_RAFT ? VR_CHANNEL_RAFT_OUT : VR_CHANNEL_RPC;
    } else {
        mode = c->pre.kind == VR_CONN_RAFT ? VR_CHANNEL_RAFT_IN
                                           : VR_CHANNEL_RPC;
    }
    rv = vr_channel_start(t, tcp, c->key_tx, c->key_rx, mode, c->peer,
                          c->pre.id,
                          !c->is_outgoing && mode == VR_CHANNEL_RPC ? c->src
                                                                    : NULL,
                          &stream);
    sodium_memzero(c->key_tx, sizeof c->key_tx);
    sodium_memzero(c->key_rx, sizeof c->key_rx);
    if (rv != 0) {
        vip_warn("transport: %s: cannot start the channel: %s", c->peer,
                 vip_strerror(rv));
        c->status = rv;
        stream = NULL;
    }
    if (c->is_outgoing) {
        if (rv != 0) {
            /* Reported once the timer is closed (conn_handle_closed_cb). */
            uv_close((uv_handle_t *)&c->timer, conn_handle_closed_cb);
            return;
        }
        struct raft_uv_connect *raft_req = c->raft_req;
        struct vr_rpc_connect *rpc_req = c->rpc_req;
        c->raft_req = NULL;
        c->rpc_req = NULL;
        uv_close((uv_handle_t *)&c->timer, conn_handle_closed_cb);
        if (raft_req != NULL) {
            raft_req->cb(raft_req, stream, 0);
        } else {
            rpc_req->conn = NULL;
            rpc_req->cb(rpc_req, stream, 0);
        }
        return;
    }
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed_cb);
    if (rv != 0) {
        c->t->n_rejected++;
        return;
    }
    t->n_accepted++;
    if (c->pre.kind == VR_CONN_RAFT && t->raft_accept_cb != NULL) {
        t->raft_accept_cb(&t->raft, c->pre.id, c->pre.address, stream);
    } else if (c->pre.kind == VR_CONN_RPC && t->rpc_accept_cb != NULL) {
        t->rpc_accept_cb(t->rpc_data, stream, &c->pre);
    } else {
        /* Nobody takes this kind yet: drop it. The handle frees itself. */
        stream->data = NULL;
        uv_close((uv_handle_t *)stream, stream_free_cb);
    }
}

static void conn_timeout_cb(uv_timer_t *timer)
{
    struct vr_conn *c = timer->data;
    vip_debug("transport: %s connection set-up timed out",
              c->is_outgoing ? "outgoing" : "incoming");
    if (!c->is_outgoing) {
        c->t->n_rejected++;
    }
    conn_abort(c, VIP_ETIMEDOUT);
}

static void conn_read_alloc_cb(uv_handle_t *h, size_t suggested,
                               uv_buf_t *buf)
{
    struct vr_conn *c = h->data;
    (void)suggested;
    /* Exactly the bytes still missing, never more: whatever follows the
     * handshake belongs to the channel. */
    buf->base = (char *)c->hs_rx;
    buf->len = handshake_want(&c->hs);
}

static void conn_secure_read(struct vr_conn *c, ssize_t nread);

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct vr_conn *c = s->data;
    (void)buf;

    if (nread == 0 || c->state != CONN_SECURING) {
        return;
    }
    conn_secure_read(c, nread);
}

/****** Step 2: the security step ******/

/* At most LOG_BURST lines per LOG_WINDOW_MS per transport: a stranger
 * hammering the port must not flood the journal. */
#define LOG_WINDOW_MS 10000
#define LOG_BURST 5

void vr_transport_warn_limited(struct vr_transport *t, const char *fmt, ...)
{
    uint64_t now = vip_now_ms();
    char msg[512];
    va_list ap;

    if (now - t->auth_log_ms >= LOG_WINDOW_MS || t->auth_log_ms == 0) {
        if (t->auth_log_dropped > 0) {
            vip_warn("transport: %u more connection failures not logged",
                     t->auth_log_dropped);
        }
        t->auth_log_ms = now;
        t->auth_log_n = 0;
        t->auth_log_dropped = 0;
    }
    if (t->auth_log_n >= LOG_BURST) {
        t->auth_log_dropped++;
        return;
    }
    t->auth_log_n++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vip_warn("%s", msg);
}

/* Log a failed handshake with the peer's address, rate-limited. */
__attribute__((format(printf, 2, 3))) static void
conn_auth_log(struct vr_conn *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    c->t->n_auth_failed++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vr_transport_warn_limited(c->t, "transport: %s %s: %s",
                              c->is_outgoing ? "connection to"
                                             : "connection from",
                              c->peer, msg);
}

/* The peer's address for logs: what we dialled, or what accept() saw. */
static void conn_peer_name(struct vr_conn *c)
{
    struct sockaddr_storage sa;
    int len = (int)sizeof sa;
    char ip[64];

    if (c->is_outgoing) {
        snprintf(c->peer, sizeof c->peer, "%s%s%s:%s",
                 strchr(c->host, ':') ? "[" : "", c->host,
                 strchr(c->host, ':') ? "]" : "", c->port);
        return;
    }
    snprintf(c->peer, sizeof c->peer, "?");
    if (uv_tcp_getpeername(c->tcp, (struct sockaddr *)&sa, &len) != 0) {
        return;
    }
    if (sa.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;
        uv_ip4_name(in, ip, sizeof ip);
        snprintf(c->src, sizeof c->src, "%s", ip);
        snprintf(c->peer, sizeof c->peer, "%s:%u", ip,
                 (unsigned)ntohs(in->sin_port));
    } else if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
        uv_ip6_name(in6, ip, sizeof ip);
        snprintf(c->src, sizeof c->src, "%s", ip);
        snprintf(c->peer, sizeof c->peer, "[%s]:%u", ip,
                 (unsigned)ntohs(in6->sin6_port));
    }
}

/* Remember that the peer we dialled refused our key (or we its), so that
 * status can show it; the oldest record makes room. */
static void refusal_record(struct vr_transport *t, const char *address,
                           const char *reason)
{
    struct vr_key_refusal *r = NULL;

    for (size_t i = 0; i < VR_REFUSED_MAX; i++) {
        struct vr_key_refusal *e = &t->refused[i];
        if (e->address[0] != '\0' && strcmp(e->address, address) == 0) {
            r = e;
            break;
        }
        if (r == NULL || e->address[0] == '\0' ||
            (r->address[0] != '\0' && e->at_ms < r->at_ms)) {
            r = e;
        }
    }
    snprintf(r->address, sizeof r->address, "%s", address);
    r->at_ms = vip_now_ms();
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

static void refusal_clear(struct vr_transport *t, const char *address)
{
    for (size_t i = 0; i < VR_REFUSED_MAX; i++) {
        if (strcmp(t->refused[i].address, address) == 0) {
            memset(&t->refused[i], 0, sizeof t->refused[i]);
        }
    }
}

const struct vr_key_refusal *
vr_transport_key_refused(const struct vr_transport *t, const char *address)
{
    if (address == NULL || address[0] == '\0') {
        return NULL;
    }
    for (size_t i = 0; i < VR_REFUSED_MAX; i++) {
        if (strcmp(t->refused[i].address, address) == 0) {
            return &t->refused[i];
        }
    }
    return NULL;
}

/* The handshake succeeded: is the peer's proven identity acceptable? */
static int conn_check_peer(struct vr_conn *c)
{
    size_t need = 0;
    int rv = vr_preamble_decode(c->hs.peer_ident, c->hs.peer_ident_len,
                                &c->pre, &need);

    if (rv != 0 || need != c->hs.peer_ident_len) {
        conn_auth_log(c, "the peer's identity is malformed");
        return VIP_EPROTO;
    }
    if (c->is_outgoing && c->raft_req != NULL && c->pre.id != c->want_id) {
        conn_auth_log(c,
                      "the peer is node %llu, not node %llu as dialled",
                      (unsigned long long)c->pre.id,
                      (unsigned long long)c->want_id);
        return VIP_EAUTH;
    }
    return handshake_session_keys(&c->hs, c->key_tx, c->key_rx);
}

/* The security step is over: on success start the channel, once our own
 * handshake messages are written (their write requests live in @c). */
static void transport_secure_done(struct vr_conn *c, int status)
{
    if (status == 0) {
        status = conn_check_peer(c);
    }
    handshake_close(&c->hs);
    if (status != 0) {
        if (!c->is_outgoing) {
            c->t->n_rejected++;
        }
        conn_abort(c, status);
        return;
    }
    if (c->is_outgoing) {
        refusal_clear(c->t, c->peer);
    }
    c->is_secured = true;
    if (c->n_hs_writes == 0) {
        conn_finish(c);
    }
}

static void conn_hs_write_cb(uv_write_t *req, int status)
{
    struct vr_conn *c = req->data;

    assert(c->n_hs_writes > 0);
    c->n_hs_writes--;
    if (c->state == CONN_ABORTING) {
        return; /* the close path reports */
    }
    if (status != 0) {
        conn_abort(c, status);
        return;
    }
    if (c->is_secured && c->n_hs_writes == 0) {
        conn_finish(c);
    }
}

/* Send the message the handshake has ready, if any. */
static int conn_hs_flush(struct vr_conn *c)
{
    const uint8_t *msg;
    size_t len = handshake_take_output(&c->hs, &msg);
    uv_write_t *w;
    uv_buf_t b;
    int rv;

    if (len == 0) {
        return 0;
    }
    if (c->n_hs_sent >= 2) {
        return VIP_EPROTO; /* cannot happen: two messages per side at most */
    }
    w = &c->hs_write[c->n_hs_sent++];
    w->data = c;
    b = uv_buf_init((char *)msg, (unsigned)len);
    rv = uv_write(w, (uv_stream_t *)c->tcp, &b, 1, conn_hs_write_cb);
    if (rv == 0) {
        c->n_hs_writes++;
    }
    return rv;
}

static void conn_secure_read(struct vr_conn *c, ssize_t nread)
{
    int rv;

    if (nread < 0) {
        if (!c->is_outgoing && c->hs.state == HS_WAIT_PROOF) {
            /* An initiator hangs up here when our REPLY's MAC did not
             * verify with its key. */
            conn_auth_log(c, "authentication failed: the peer hung up "
                             "after our challenge (different cluster key?)");
            transport_secure_done(c, VIP_EAUTH);
            return;
        }
        vip_debug("transport: %s %s: closed during the handshake: %s",
                  c->is_outgoing ? "connection to" : "connection from",
                  c->peer, uv_strerror((int)nread));
        transport_secure_done(c, (int)nread);
        return;
    }
    rv = handshake_input(&c->hs, c->hs_rx, (size_t)nread);
    if (rv == VIP_EAUTH) {
        conn_auth_log(c, "authentication failed: the peer does not hold "
                         "our cluster key");
        if (c->is_outgoing) {
            refusal_record(c->t, c->peer, "different cluster key");
        }
    } else if (rv < 0) {
        conn_auth_log(c, "authentication failed: not a vipd handshake");
    }
    if (rv >= 0) {
        int wrv = conn_hs_flush(c);
        if (wrv != 0) {
            rv = wrv;
        }
    }
    if (rv == 0) {
        return;
    }
    uv_read_stop((uv_stream_t *)c->tcp);
    transport_secure_done(c, rv > 0 ? 0 : rv);
}

/* Start the handshake (raft/handshake.h) on a connected stream. */
/* TCP_USER_TIMEOUT on @c's socket (see vr_transport_set_user_timeout()):
 * best effort, a failure leaves the kernel's default. */
static void conn_user_timeout(struct vr_conn *c)
{
    uv_os_fd_t fd;
    unsigned int ms = c->t->user_timeout_ms;

    if (ms != 0 && uv_fileno((uv_handle_t *)c->tcp, &fd) == 0) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
    }
}

static void transport_secure_start(struct vr_conn *c)
{
    uint8_t nonce[HS_NONCE_SIZE];
    uint8_t ident[VR_PREAMBLE_MAX];
    size_t ident_len = 0;
    struct vr_preamble me;
    int rv;

    c->state = CONN_SECURING;
    conn_user_timeout(c);
    conn_peer_name(c);
    if (!c->t->has_key) {
        conn_auth_log(c, "authentication failed: no cluster key loaded");
        transport_secure_done(c, VIP_EAUTH);
        return;
    }
    /* Our identity, bound into the handshake. */
    memset(&me, 0, sizeof me);
    me.version = VR_PREAMBLE_VERSION;
    me.id = c->t->id;
    me.kind = c->is_outgoing ? c->kind
                             : (c->t->id != 0 ? VR_CONN_RAFT : VR_CONN_RPC);
    snprintf(me.address, sizeof me.address, "%s", c->t->address);
    if (vr_preamble_encode(&me, ident, sizeof ident, &ident_len) != 0) {
        /* A Raft stream needs our id and address (raft_uv sets both). */
        transport_secure_done(c, VIP_EINVAL);
        return;
    }
    randombytes_buf(nonce, sizeof nonce);
    handshake_init(&c->hs, c->t->auth_key, c->is_outgoing, nonce, ident,
                   ident_len);
    sodium_memzero(nonce, sizeof nonce);
    rv = conn_hs_flush(c);
    if (rv == 0) {
        rv = uv_read_start((uv_stream_t *)c->tcp, conn_read_alloc_cb,
                           conn_read_cb);
    }
    if (rv != 0) {
        transport_secure_done(c, rv);
    }
}

/****** Step 1: TCP ******/

static struct vr_conn *conn_alloc(struct vr_transport *t, bool is_outgoing)
{
    struct vr_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->tcp = raft_malloc(sizeof *c->tcp);
    if (c->tcp == NULL) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->is_outgoing = is_outgoing;
    /* Not RESOLVING (the first state): an abort there waits for a
     * getaddrinfo callback that an accepted connection never gets. */
    c->state = CONN_CONNECTING;
    uv_timer_init(t->loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, conn_timeout_cb, VR_SETUP_TIMEOUT_MS, 0);
    conn_link(t, c);
    t->n_open_handles++;
    return c;
}

static void conn_connect_next(struct vr_conn *c);

/* The handle of a failed attempt is closed: try the next address. */
static void conn_retry_closed_cb(uv_handle_t *h)
{
    struct vr_conn *c = h->data;
    c->is_reclosing = false;
    if (c->state == CONN_ABORTING) {
        conn_handle_closed_cb(h);
        return;
    }
    conn_connect_next(c);
}

static void conn_connect_cb(uv_connect_t *req, int status)
{
    struct vr_conn *c = req->data;
    if (c->state == CONN_ABORTING) {
        return;
    }
    if (status != 0) {
        c->status = status;
        c->tcp_init = false;
        c->is_reclosing = true;
        uv_close((uv_handle_t *)c->tcp, conn_retry_closed_cb);
        return;
    }
    transport_secure_start(c);
}

static void conn_connect_next(struct vr_conn *c)
{
    int rv;

    while (c->ai_next != NULL) {
        struct addrinfo *ai = c->ai_next;
        c->ai_next = ai->ai_next;
        rv = uv_tcp_init(c->t->loop, c->tcp);
        if (rv != 0) {
            conn_abort(c, rv);
            return;
        }
        c->tcp->data = c;
        c->tcp_init = true;
        uv_tcp_nodelay(c->tcp, 1);
        c->connect.data = c;
        rv = uv_tcp_connect(&c->connect, c->tcp, ai->ai_addr, conn_connect_cb);
        if (rv == 0) {
            c->state = CONN_CONNECTING;
            return;
        }
        c->status = rv;
        c->tcp_init = false;
        c->is_reclosing = true;
        uv_close((uv_handle_t *)c->tcp, conn_retry_closed_cb);
        return;
    }
    conn_abort(c, c->status != 0 ? c->status : VIP_ENOENT);
}

static void conn_resolved_cb(uv_getaddrinfo_t *req, int status,
                             struct addrinfo *res)
{
    struct vr_conn *c = req->data;

    c->ai_list = res;
    c->ai_next = res;
    if (c->state == CONN_ABORTING) {
        /* Cancelled (or finished while being cancelled). */
        c->state = CONN_CONNECTING;
        conn_abort(c, c->status);
        return;
    }
    if (status != 0) {
        errmsg_printf(c->t->errmsg, "resolve %.200s: %s", c->host,
                      uv_strerror(status));
        conn_abort(c, status);
        return;
    }
    c->status = 0;
    conn_connect_next(c);
}

static int conn_start_outgoing(struct vr_transport *t, struct vr_conn **out,
                               const char *address, uint8_t kind)
{
    struct addrinfo hints;
    struct vr_conn *c;
    uint16_t port;
    char host[VR_HOST_MAX];
    int rv;

    if (t->is_closing) {
        return -ESHUTDOWN;
    }
    rv = vr_addr_split(address, host, sizeof host, &port);
    if (rv != 0) {
        errmsg_printf(t->errmsg, "bad peer address \"%.200s\"", address);
        return rv;
    }
    c = conn_alloc(t, true);
    if (c == NULL) {
        return VIP_ENOMEM;
    }
    c->kind = kind;
    snprintf(c->host, sizeof c->host, "%s", host);
    snprintf(c->port, sizeof c->port, "%u", (unsigned)port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    c->gai.data = c;
    c->state = CONN_RESOLVING;
    rv = uv_getaddrinfo(t->loop, &c->gai, conn_resolved_cb, c->host, c->port,
                        &hints);
    if (rv != 0) {
        /* Not started: report asynchronously through the abort path. */
        c->state = CONN_CONNECTING;
        c->status = rv;
        *out = c;
        conn_abort(c, rv);
        return 0;
    }
    *out = c;
    return 0;
}

/****** The raft_uv_transport interface ******/

static int transport_init_cb(struct raft_uv_transport *rt, raft_id id,
                             const char *address)
{
    struct vr_transport *t = rt->impl;
    char host[VR_HOST_MAX];
    uint16_t port;

    if (vr_addr_split(address, host, sizeof host, &port) != 0 ||
        strlen(address) > VR_ADDR_MAX) {
        snprintf(rt->errmsg, sizeof rt->errmsg, "bad address \"%.200s\"",
                 address);
        return RAFT_INVALID;
    }
    t->id = id;
    snprintf(t->address, sizeof t->address, "%s", address);
    return 0;
}

static void refused_closed_cb(uv_handle_t *h)
{
    free(h);
}

/* Over a cap: accept (the backlog must drain) and close at once. */
static void listener_refuse(struct vr_transport *t, uv_tcp_t *tcp,
                            const char *why)
{
    t->n_over_cap++;
    t->n_rejected++;
    vr_transport_warn_limited(t, "transport: refusing a connection: %s",
                              why);
    uv_close((uv_handle_t *)tcp, refused_closed_cb);
}

/* Unauthenticated incoming connections from @src being set up. */
static unsigned count_from(const struct vr_transport *t, const char *src)
{
    unsigned n = 0;
    for (const struct vr_conn *c = t->conns; c != NULL; c = c->next) {
        if (!c->is_outgoing && c->state != CONN_ABORTING &&
            strcmp(c->src, src) == 0) {
            n++;
        }
    }
    return n;
}

static void spare_drop(struct vr_transport *t);

static void spare_closed_cb(uv_handle_t *h)
{
    struct vr_transport *t = h->data;
    t->is_spare_busy = false;
    vr_transport_handle_closed(t);
    if (t->has_pending && !t->is_closing) {
        t->has_pending = false;
        spare_drop(t);
    }
}

/* Accept the connection libuv holds into t->spare and close it; if the
 * spare is still closing, do it when it is closed. */
static void spare_drop(struct vr_transport *t)
{
    if (t->is_spare_busy) {
        t->has_pending = true;
        return;
    }
    if (uv_tcp_init(t->loop, &t->spare) != 0) {
        return;
    }
    t->spare.data = t;
    t->is_spare_busy = true;
    t->n_open_handles++;
    (void)uv_accept((uv_stream_t *)&t->listener, (uv_stream_t *)&t->spare);
    uv_close((uv_handle_t *)&t->spare, spare_closed_cb);
}

static void listener_connection_cb(uv_stream_t *server, int status)
{
    struct vr_transport *t = server->data;
    struct vr_conn *c;
    int rv;

    if (status != 0 || t->is_closing) {
        return;
    }
    if (t->n_incoming >= VR_PREAUTH_MAX) {
        uv_tcp_t *tcp = malloc(sizeof *tcp);
        if (tcp == NULL || uv_tcp_init(t->loop, tcp) != 0) {
            free(tcp);
            t->n_over_cap++;
            spare_drop(t);
            return;
        }
        if (uv_accept(server, (uv_stream_t *)tcp) != 0) {
            uv_close((uv_handle_t *)tcp, refused_closed_cb);
            return;
        }
        listener_refuse(t, tcp, "too many unauthenticated connections");
        return;
    }
    c = conn_alloc(t, false);
    if (c == NULL) {
        /* Out of memory: accept into a handle kept for this and close it
         * (libuv would otherwise stop watching the listener until the
         * next accept); warn once per window, never spin. */
        vr_transport_warn_limited(t, "transport: out of memory accepting a "
                                     "connection; dropping it");
        spare_drop(t);
        return;
    }
    c->is_counted = true;
    t->n_incoming++;
    rv = uv_tcp_init(t->loop, c->tcp);
    if (rv == 0) {
        c->tcp->data = c;
        c->tcp_init = true;
        rv = uv_accept(server, (uv_stream_t *)c->tcp);
    }
    if (rv != 0) {
        conn_abort(c, rv);
        return;
    }
    uv_tcp_nodelay(c->tcp, 1);
    conn_peer_name(c);
    if (t->n_allow > 0) {
        struct sockaddr_storage sa;
        int len = (int)sizeof sa;
        if (uv_tcp_getpeername(c->tcp, (struct sockaddr *)&sa, &len) != 0 ||
            !vr_transport_allowed(t, (const struct sockaddr *)&sa)) {
            t->n_not_allowed++;
            t->n_rejected++;
            vr_transport_warn_limited(t, "transport: refusing a connection "
                                         "from %s: not in allow_from",
                                      c->peer);
            conn_abort(c, VIP_EAUTH);
            return;
        }
    }
    if (c->src[0] != '\0' &&
        count_from(t, c->src) > VR_PREAUTH_PER_SOURCE) {
        t->n_over_cap++;
        t->n_rejected++;
        vr_transport_warn_limited(t, "transport: refusing a connection "
                                     "from %s: too many unauthenticated "
                                     "connections from there", c->src);
        conn_abort(c, VIP_EAUTH);
        return;
    }
    transport_secure_start(c);
}

static int transport_listen_cb(struct raft_uv_transport *rt,
                               raft_uv_accept_cb cb)
{
    struct vr_transport *t = rt->impl;
    struct addrinfo hints;
    uv_getaddrinfo_t req;
    char host[VR_HOST_MAX];
    char port_s[8];
    uint16_t port;
    int rv;

    rv = vr_addr_split(t->address, host, sizeof host, &port);
    if (rv != 0) {
        return RAFT_INVALID;
    }
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    /* Synchronous (no callback): start-up only, the loop is not busy yet. */
    rv = uv_getaddrinfo(t->loop, &req, NULL, host, port_s, &hints);
    if (rv != 0) {
        snprintf(rt->errmsg, sizeof rt->errmsg, "resolve %.200s: %s", host,
                 uv_strerror(rv));
        return RAFT_IOERR;
    }
    rv = uv_tcp_init(t->loop, &t->listener);
    if (rv != 0) {
        uv_freeaddrinfo(req.addrinfo);
        return RAFT_IOERR;
    }
    t->listener.data = t;
    t->is_listening = true;
    t->n_open_handles++;
    rv = uv_tcp_bind(&t->listener, req.addrinfo->ai_addr, 0);
    uv_freeaddrinfo(req.addrinfo);
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&t->listener, 128,
                       listener_connection_cb);
    }
    if (rv != 0) {
        snprintf(rt->errmsg, sizeof rt->errmsg, "listen on %.200s: %s",
                 t->address, uv_strerror(rv));
        return RAFT_IOERR;
    }
    t->raft_accept_cb = cb;
    return 0;
}

static int transport_connect_cb(struct raft_uv_transport *rt,
                                struct raft_uv_connect *req, raft_id id,
                                const char *address, raft_uv_connect_cb cb)
{
    struct vr_transport *t = rt->impl;
    struct vr_conn *c;
    int rv;

    req->cb = cb;
    rv = conn_start_outgoing(t, &c, address, VR_CONN_RAFT);
    if (rv == VIP_ENOMEM) {
        return RAFT_NOMEM;
    }
    if (rv != 0) {
        snprintf(rt->errmsg, sizeof rt->errmsg, "%s", t->errmsg);
        return RAFT_NOCONNECTION;
    }
    c->raft_req = req;
    c->want_id = id;
    return 0;
}

/****** Close ******/

static void listener_closed_cb(uv_handle_t *h)
{
    struct vr_transport *t = h->data;
    t->n_open_handles--;
    transport_maybe_closed(t);
}

static void transport_maybe_closed(struct vr_transport *t)
{
    if (!t->is_closing || t->n_open_handles > 0) {
        return;
    }
    if (t->raft_close_cb != NULL) {
        raft_uv_transport_close_cb cb = t->raft_close_cb;
        t->raft_close_cb = NULL;
        cb(&t->raft);
    }
    if (t->close_cb != NULL) {
        vr_transport_close_cb cb = t->close_cb;
        t->close_cb = NULL;
        cb(t);
    }
}

static void transport_start_close(struct vr_transport *t)
{
    struct vr_conn *c, *next;

    if (t->is_closing) {
        return;
    }
    t->is_closing = true;
    sodium_memzero(t->auth_key, sizeof t->auth_key);
    t->has_key = false;
    if (t->is_listening) {
        t->is_listening = false;
        uv_close((uv_handle_t *)&t->listener, listener_closed_cb);
    }
    for (c = t->conns; c != NULL; c = next) {
        next = c->next;
        conn_abort(c, -ECANCELED);
    }
    vr_channel_close_all(t);
}

void vr_transport_handle_closed(struct vr_transport *t)
{
    assert(t->n_open_handles > 0);
    t->n_open_handles--;
    transport_maybe_closed(t);
}

static void transport_close_cb(struct raft_uv_transport *rt,
                               raft_uv_transport_close_cb cb)
{
    struct vr_transport *t = rt->impl;
    t->raft_close_cb = cb;
    t->raft_closed = true;
    transport_start_close(t);
    /* Fire at once if nothing was open (always from a later point in the
     * loop than raft's call? raft_uv copes with a synchronous callback:
     * it only counts the transport as closed). */
    transport_maybe_closed(t);
}

/****** Public API ******/

void vr_transport_set_user_timeout(struct vr_transport *t, uint32_t ms)
{
    t->user_timeout_ms = ms;
}

int vr_transport_init(struct vr_transport *t, uv_loop_t *loop)
{
    memset(t, 0, sizeof *t);
    t->loop = loop;
    t->raft.impl = t;
    t->raft.init = transport_init_cb;
    t->raft.listen = transport_listen_cb;
    t->raft.connect = transport_connect_cb;
    t->raft.close = transport_close_cb;
    return 0;
}

void vr_transport_set_key(struct vr_transport *t,
                          const uint8_t key[HS_KEY_SIZE])
{
    keyfile_subkey(key, KEYFILE_SUBKEY_AUTH, t->auth_key);
    t->has_key = true;
}

int vr_transport_load_key(struct vr_transport *t, const char *path)
{
    uint8_t key[KEYFILE_KEY_SIZE];
    int rv = keyfile_load(path, key, t->errmsg);
    if (rv != 0) {
        return rv;
    }
    vr_transport_set_key(t, key);
    sodium_memzero(key, sizeof key);
    return 0;
}

void vr_transport_allow_from(struct vr_transport *t,
                             const struct cfg_cluster *cc)
{
    t->n_allow = cc->n_allow_from < CFG_MAX_ALLOW ? cc->n_allow_from
                                                  : CFG_MAX_ALLOW;
    memcpy(t->allow, cc->allow_from, t->n_allow * sizeof t->allow[0]);
    memcpy(t->allow_prefix, cc->allow_from_prefix, t->n_allow);
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, bytes) != 0) {
        return false;
    }
    return rest == 0 ||
           ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool vr_transport_allowed(const struct vr_transport *t,
                          const struct sockaddr *sa)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 0xff, 0xff};
    uint8_t addr[16];
    int family;

    if (t->n_allow == 0) {
        return true;
    }
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const uint8_t *b =
            ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (memcmp(b, v4mapped, 12) == 0) {
            family = AF_INET; /* a dual-stack listener's IPv4 peer */
            memcpy(addr, b + 12, 4);
        } else {
            family = AF_INET6;
            memcpy(addr, b, 16);
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < t->n_allow; i++) {
        if (t->allow[i].family == family &&
            prefix_match(addr, t->allow[i].bytes, t->allow_prefix[i])) {
            return true;
        }
    }
    return false;
}

void vr_transport_set_rpc_cb(struct vr_transport *t, vr_rpc_accept_cb cb,
                             void *data)
{
    t->rpc_accept_cb = cb;
    t->rpc_data = data;
}

int vr_transport_connect_rpc(struct vr_transport *t,
                             struct vr_rpc_connect *req, const char *address,
                             vr_rpc_connect_cb cb)
{
    struct vr_conn *c;
    int rv;

    req->cb = cb;
    rv = conn_start_outgoing(t, &c, address, VR_CONN_RPC);
    if (rv != 0) {
        return rv;
    }
    c->rpc_req = req;
    req->conn = c;
    return 0;
}

void vr_transport_close(struct vr_transport *t, vr_transport_close_cb cb)
{
    t->close_cb = cb;
    transport_start_close(t);
    transport_maybe_closed(t);
}
