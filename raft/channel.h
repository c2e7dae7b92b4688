/* The encrypted channel under every established cluster connection: after
 * the handshake (raft/handshake.h) the transport (raft/transport.c) hands
 * the connected TCP handle to a channel, and the connection's user (raft_uv
 * or the peer RPC layer) gets one end of a socketpair(2) instead. The
 * channel owns the TCP handle and the other end of the pair, and moves the
 * bytes: what the user writes is sealed into frames (raft/frame_crypt.h)
 * and sent; what arrives is opened, checked and written to the user.
 *
 * A frame that does not open (altered, replayed, reordered, wrong key), a
 * malformed Raft message (raft/raft_wire.h, on streams raft_uv reads), or
 * any byte on an outgoing Raft stream (raft_uv never answers on it) closes
 * the connection at once and is logged, rate-limited. Queues are bounded:
 * a side that does not drain stops the other side's reading (TCP and the
 * socketpair push back). EOF on either side shuts the other side down after
 * what is queued is written, then the channel closes. */
#ifndef VIPD_RAFT_CHANNEL_H
#define VIPD_RAFT_CHANNEL_H

#include <stdint.h>

#include <uv.h>

#include "raft/frame_crypt.h"

struct vr_transport;
struct vr_channel;

enum vr_channel_mode {
    VR_CHANNEL_RAFT_IN = 1, /* accepted Raft stream: validate every byte */
    VR_CHANNEL_RAFT_OUT,    /* our Raft stream to a peer: expect nothing */
    VR_CHANNEL_RPC,         /* peer RPCs, both ways (raft/peer_rpc.h) */
};

/* Queued bytes allowed per direction before reading the other side pauses. */
#define VR_CHANNEL_QUEUE_MAX (1u << 20)

/* Open incoming RPC channels of @t from node @id (for id 0, which any
 * node without an id yet uses: from source IP @src), not counting those
 * shutting down: the transport caps
 * them per peer (VR_RPC_PER_PEER_MAX, raft/transport.h). */
unsigned vr_channel_count_rpc_in(const struct vr_transport *t, uint64_t id,
                                 const char *src);

/* Start a channel for @t over @tcp (connected, initialised, allocated with
 * raft_malloc(); the channel owns it from now on, also on failure) with the
 * keys of this side: @tx for sending, @rx for receiving. @peer names the
 * peer in logs; @in_id and @in_src are the node id an incoming RPC peer
 * proved and its source IP (for vr_channel_count_rpc_in(); @in_src NULL
 * for every other channel). On success *@user is a new stream (raft_malloc()ed; its
 * owner uv_close()s it, then raft_free()s it) and 0 is returned; otherwise
 * a negative code, and @tcp is being closed. */
int vr_channel_start(struct vr_transport *t, uv_tcp_t *tcp,
                     const uint8_t tx[FC_KEY_SIZE],
                     const uint8_t rx[FC_KEY_SIZE], enum vr_channel_mode mode,
                     const char *peer, uint64_t in_id,
                     const char *in_src, uv_stream_t **user);

/* Close every channel of @t (the transport is closing). Each one counts as
 * an open handle of @t until its handles are closed. */
void vr_channel_close_all(struct vr_transport *t);

#endif /* VIPD_RAFT_CHANNEL_H */
