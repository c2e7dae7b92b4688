/* The cluster transport: one TCP port per node carrying both Raft streams
 * and vipd's own peer RPCs, as a custom `struct raft_uv_transport` for
 * canonical raft 0.15's raft_uv.
 *
 * Every connection, in either direction, goes through two steps before
 * its stream is handed on:
 *   1. TCP set-up (IPv4, IPv6, or a host name resolved with uv_getaddrinfo);
 *   2. the security step (transport_secure_start()): the mutual
 *      challenge-response of raft/handshake.h, proved with the cluster key
 *      (vr_transport_load_key()), with each side's preamble (below: kind,
 *      node id, listen address) as its identity inside the handshake, so
 *      both MACs cover who each side says it is. A peer that fails it gets
 *      nothing: the connection is closed, the failure logged
 *      (rate-limited) with the peer's address, and an outgoing request
 *      fails with VIP_EAUTH (RPC) or RAFT_NOCONNECTION (Raft). An outgoing
 *      Raft stream also fails when the peer proves a node id other than
 *      the one raft_uv dialled. Without a key no connection is set up at
 *      all.
 * Then the transport starts an encrypted channel (raft/channel.h) with the
 * two keys the handshake derived, and hands on one end of a socketpair:
 * every byte after the handshake is sealed in authenticated frames
 * (raft/frame_crypt.h), and every byte for raft_uv is validated first
 * (raft/raft_wire.h). The bytes on the handed-on stream belong to its user:
 * raft_uv's own message format for Raft streams, vr_rpc frames for RPC
 * connections (raft/peer_rpc.h).
 *
 * Before authentication, connections are filtered (optional allow_from
 * prefixes, vr_transport_allow_from()) and capped: at most
 * VR_PREAUTH_MAX being set up at once, VR_PREAUTH_PER_SOURCE from one
 * source address, each with VR_SETUP_TIMEOUT_MS to finish; over a cap an
 * incoming connection is accepted and closed at once (counted, logged
 * rate-limited), so a flood of idle connections costs a bounded number of
 * file descriptors and never starves the daemon.
 *
 * Preamble (the identity in the handshake; little-endian), 16 bytes plus
 * the address:
 *   0  4  magic "VIPD"
 *   4  1  version (VR_PREAMBLE_VERSION)
 *   5  1  kind (enum vr_conn_kind)
 *   6  2  address length N (0..VR_ADDR_MAX)
 *   8  8  sender's node id (0 allowed for RPC connections only)
 *  16  N  sender's address "HOST:PORT", no terminating NUL
 * The initiator's kind says what the connection is for; the responder
 * sends kind VR_CONN_RAFT with its own id (VR_CONN_RPC and id 0 before
 * raft_uv gave it one).
 *
 * Addresses are "HOST:PORT" with HOST an IPv4 literal, a host name, or an
 * IPv6 literal in brackets ("[fd00::1]:5405"). */
#ifndef VIPD_RAFT_TRANSPORT_H
#define VIPD_RAFT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "raft/handshake.h"
#include "vipd/config.h"
#include "vipd/error.h"

#define VR_PREAMBLE_MAGIC "VIPD"
#define VR_PREAMBLE_VERSION 1
#define VR_PREAMBLE_FIXED 16
#define VR_ADDR_MAX 270 /* "[" + 255-char host + "]:" + 5-digit port */
#define VR_PREAMBLE_MAX (VR_PREAMBLE_FIXED + VR_ADDR_MAX)
#define VR_HOST_MAX 256

/* Time allowed from accept/connect until the handshake is through. */
#define VR_SETUP_TIMEOUT_MS 1000
/* Unauthenticated incoming connections allowed at once, in total and per
 * source address. */
#define VR_PREAUTH_MAX 64
#define VR_PREAUTH_PER_SOURCE 8
/* Incoming RPC connections one authenticated peer (node id; for id 0 its
 * source IP) may hold open at once; more are closed at once. A
 * node needs about three (status, forwarding, membership). */
#define VR_RPC_PER_PEER_MAX 8
/* Peers whose key refusal is remembered (status shows them). */
#define VR_REFUSED_MAX 16

enum vr_conn_kind {
    VR_CONN_RAFT = 1, /* a raft_uv message stream */
    VR_CONN_RPC = 2,  /* vipd peer RPC frames */
};

/* A peer we dialled that failed the handshake because the keys differ
 * (it does not hold our cluster key, or we do not hold its). Kept until a
 * later connection to that address succeeds or fails for another reason
 * (then the key is not what stops it). */
struct vr_key_refusal
{
    char address[VR_ADDR_MAX + 1]; /* as dialled, "HOST:PORT"; "": free */
    uint64_t at_ms;                /* vip_now_ms() of the latest refusal */
    char reason[64];               /* short text for logs and status */
};

/* A decoded preamble. */
struct vr_preamble
{
    uint8_t version;
    uint8_t kind;                    /* enum vr_conn_kind */
    uint64_t id;                     /* sender's node id */
    char address[VR_ADDR_MAX + 1];   /* NUL-terminated */
};

/****** Pure helpers (no I/O) ******/

/* Encode @p into @buf of @size bytes; *@len gets the encoded length.
 * Returns 0, VIP_EINVAL for a bad kind, an empty/too long address or an
 * address with a NUL or control byte, or a Raft preamble with id 0, or
 * VIP_ERANGE when @size is too small. */
int vr_preamble_encode(const struct vr_preamble *p, uint8_t *buf, size_t size,
                       size_t *len);

/* Decode the preamble at the start of @buf (@len bytes available).
 * Returns 0 with *@need set to the number of bytes the preamble used, 1 when
 * more bytes are needed (*@need is then the total length needed so far:
 * VR_PREAMBLE_FIXED until the fixed part is there), or VIP_EPROTO for bad
 * magic, version, kind, length, id or address bytes. Never reads past @len. */
int vr_preamble_decode(const uint8_t *buf, size_t len, struct vr_preamble *p,
                       size_t *need);

/* Split "HOST:PORT" / "[V6]:PORT" into @host (@host_size bytes, brackets
 * removed) and *@port (1..65535). Returns 0 or VIP_EINVAL. */
int vr_addr_split(const char *address, char *host, size_t host_size,
                  uint16_t *port);

/****** The transport ******/

struct vr_transport;
struct vr_conn;

/* An outgoing RPC connection request; the memory stays with the caller and
 * must stay valid until @cb fires (always asynchronously, exactly once).
 * On success @stream is a connected stream, allocated with raft_malloc(),
 * now owned by the callee, who must uv_close() it and then raft_free() it.
 * On failure @stream is NULL and @status a negative code (-ECANCELED when
 * the transport is closing). */
struct vr_rpc_connect;
typedef void (*vr_rpc_connect_cb)(struct vr_rpc_connect *req,
                                  uv_stream_t *stream, int status);
struct vr_rpc_connect
{
    void *data;
    vr_rpc_connect_cb cb;
    struct vr_conn *conn; /* internal: the pending connection */
};

/* An accepted RPC connection: @stream (raft_malloc()ed, owned by the callee
 * as above) whose preamble came from node @p->id at @p->address (as the peer
 * claims: only the security step can make that claim trustworthy). */
typedef void (*vr_rpc_accept_cb)(void *data, uv_stream_t *stream,
                                 const struct vr_preamble *p);

typedef void (*vr_transport_close_cb)(struct vr_transport *t);

struct vr_transport
{
    struct raft_uv_transport raft; /* give &t->raft to raft_uv_init() */
    uv_loop_t *loop;
    raft_id id;                    /* set by raft_uv through init() */
    char address[VR_ADDR_MAX + 1];
    uv_tcp_t listener;
    bool is_listening;
    bool is_closing;
    raft_uv_accept_cb raft_accept_cb;
    vr_rpc_accept_cb rpc_accept_cb;
    void *rpc_data;
    struct vr_conn *conns;         /* connections being set up */
    unsigned n_incoming;           /* of which accepted ones */
    struct vr_channel *channels;   /* established (raft/channel.h) */
    unsigned n_channels;
    unsigned n_open_handles;       /* listener + conns + channels open */
    raft_uv_transport_close_cb raft_close_cb;
    vr_transport_close_cb close_cb;
    bool raft_closed;              /* raft_uv called close() */
    unsigned n_accepted;           /* statistics, for status and tests */
    unsigned n_rejected;
    unsigned n_auth_failed;        /* handshakes failed, either direction */
    unsigned n_over_cap;           /* refused: over a pre-auth cap */
    unsigned n_channel_rejected;   /* closed for a bad frame or message */
    unsigned n_rpc_over_cap;       /* RPC connections over the per-peer cap */
    struct vr_key_refusal refused[VR_REFUSED_MAX];
    struct cfg_ip allow[CFG_MAX_ALLOW]; /* allowed sources; none: any */
    uint8_t allow_prefix[CFG_MAX_ALLOW];
    size_t n_allow;
    unsigned n_not_allowed;        /* refused: source not allowed */
    uv_tcp_t spare;                /* drops a connection without memory */
    bool is_spare_busy;
    bool has_pending;              /* one left in libuv for the spare */
    bool has_key;
    uint32_t user_timeout_ms;      /* TCP_USER_TIMEOUT of every conn, 0 off */
    uint8_t auth_key[HS_KEY_SIZE]; /* handshake subkey of the cluster key */
    uint64_t auth_log_ms;          /* rate limit of failure logs: window */
    unsigned auth_log_n;           /* lines logged in the window */
    unsigned auth_log_dropped;     /* lines suppressed in the window */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Initialise @t for @loop. Nothing listens until raft_uv calls listen()
 * (from raft_start()). Returns 0 (cannot fail otherwise). */
int vr_transport_init(struct vr_transport *t, uv_loop_t *loop);

/* Load the cluster key file @path (raft/keyfile.h) and use its handshake
 * subkey for every connection from now on. Returns 0, or a negative code
 * with a message naming @path in t->errmsg. Until a key is set every
 * connection fails with VIP_EAUTH: no key, no cluster. */
int vr_transport_load_key(struct vr_transport *t, const char *path);

/* Abort a connection whose sent data stays unacknowledged for @ms
 * (TCP_USER_TIMEOUT; 0: the kernel's default, about 15 minutes). Through
 * a long cut the kernel's retransmissions back off to several seconds, so
 * a healed link would carry nothing until the next one: a fresh
 * connection (raft_uv and the proposal queue reconnect on their own)
 * makes the returning node heard, and its queued health changes applied,
 * about a second after the heal. Applies to connections set up later. */
void vr_transport_set_user_timeout(struct vr_transport *t, uint32_t ms);

/* Use the 32-byte cluster @key (as keyfile_load() derives it). */
void vr_transport_set_key(struct vr_transport *t,
                          const uint8_t key[HS_KEY_SIZE]);

/* Accept connections only from sources in @cc's allow_from prefixes (none
 * listed: from anywhere); others are closed at once, before any byte is
 * read, counted and logged (rate-limited). */
void vr_transport_allow_from(struct vr_transport *t,
                             const struct cfg_cluster *cc);

/* Whether source @sa may connect (pure; exposed for tests). */
bool vr_transport_allowed(const struct vr_transport *t,
                          const struct sockaddr *sa);

/* Route accepted RPC connections to @cb (until then they are dropped). */
void vr_transport_set_rpc_cb(struct vr_transport *t, vr_rpc_accept_cb cb,
                             void *data);

/* Open an RPC connection to @address ("HOST:PORT"). Returns 0 and fires
 * @req->cb later, or VIP_ENOMEM / VIP_EINVAL / -ESHUTDOWN without firing.
 * The callback's status is VIP_EAUTH when the peer failed the handshake
 * (it does not hold our cluster key), VIP_EPROTO when it is not a vipd
 * node. */
int vr_transport_connect_rpc(struct vr_transport *t,
                             struct vr_rpc_connect *req, const char *address,
                             vr_rpc_connect_cb cb);

/* The key refusal recorded for peer @address ("HOST:PORT", as given to
 * raft or to vr_transport_connect_rpc()), or NULL: the latest connection
 * to it did not fail on the key. */
const struct vr_key_refusal *
vr_transport_key_refused(const struct vr_transport *t, const char *address);

/* Release @t after raft_uv has closed it (raft_uv_close() calls the
 * transport's close()), or directly if raft never used it: stops listening,
 * aborts connections being set up, wipes the key, and fires @cb once all
 * handles are closed; only then may @t's memory be released. */
void vr_transport_close(struct vr_transport *t, vr_transport_close_cb cb);

/****** For raft/channel.c only ******/

struct vr_channel;

/* Log a warning about a peer, at most a few lines per 10 s per transport
 * (the rest counted and summed up later): hostile peers must not flood the
 * journal. */
__attribute__((format(printf, 2, 3))) void
vr_transport_warn_limited(struct vr_transport *t, const char *fmt, ...);

/* A channel's handles are all closed. */
void vr_transport_handle_closed(struct vr_transport *t);

#endif /* VIPD_RAFT_TRANSPORT_H */
