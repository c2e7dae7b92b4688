/* vipd's peer RPCs, carried on the cluster port after an RPC preamble
 * (raft/transport.h): the frame codec (pure) and a framed connection over a
 * uv_stream_t that both the calling and the serving side use.
 *
 * Frame (little-endian):
 *   0  4  length L of the rest of the frame, VR_RPC_HEADER - 4 <= L and
 *         4 + L <= VR_RPC_FRAME_MAX
 *   4  1  version (VR_RPC_VERSION)
 *   5  1  type (enum vr_rpc_type)
 *   6  2  flags, 0 for now (a receiver rejects unknown flags)
 *   8  8  request id, chosen by the caller, echoed in the reply
 *  16  .. body, L - 12 bytes, layout per type
 *
 * Extending: new request types get new numbers; a server answers a type it
 * does not know with VR_RPC_ERROR (status VIP_ENOTIMPL) instead of dropping
 * the connection, so old and new nodes can coexist during an upgrade. */
#ifndef VIPD_RAFT_PEER_RPC_H
#define VIPD_RAFT_PEER_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "vipd/error.h"

#define VR_RPC_VERSION 1
#define VR_RPC_HEADER 16
#define VR_RPC_FRAME_MAX 65536
#define VR_RPC_ADDR_MAX 270

enum vr_rpc_type {
    VR_RPC_PROPOSE = 1,       /* body: one encoded log entry (raft/entry.h) */
    VR_RPC_PROPOSE_REPLY = 2, /* body: struct vr_rpc_reply */
    VR_RPC_STATUS = 3,        /* reserved: status gathering (issue 7) */
    VR_RPC_STATUS_REPLY = 4,
    VR_RPC_JOIN = 5,          /* reserved: join through a member (issue 7) */
    VR_RPC_JOIN_REPLY = 6,    /* JOIN/REMOVE bodies: raft/vm_member.h */
    VR_RPC_REMOVE = 7,        /* remove a member, asked of the leader */
    VR_RPC_REMOVE_REPLY = 8,
    VR_RPC_REMOVED = 9,       /* leader to a node it removed: stop now */
    VR_RPC_REMOVED_REPLY = 10,
    VR_RPC_PLACE = 11,         /* placement request to the leader, body:
                                 raft/place_wire.h */
    VR_RPC_PLACE_REPLY = 12,  /* its answer: grants and revokes */
    VR_RPC_ERROR = 127,       /* body: struct vr_rpc_reply */
};

/* A decoded frame; @body points into the buffer given to the decoder. */
struct vr_rpc_frame
{
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint64_t req_id;
    const uint8_t *body;
    size_t body_len;
};

/* The reply to a request: its outcome and, for VIP_ENOTLEADER, whom the
 * replier believes to be the leader (id 0 and "" when unknown).
 * Body: i32 status, u64 leader id, u16 address length, address bytes. */
struct vr_rpc_reply
{
    int32_t status;
    uint64_t leader_id;
    char leader_address[VR_RPC_ADDR_MAX + 1];
};

/* A node's own view, the body of VR_RPC_STATUS_REPLY (VR_RPC_STATUS has an
 * empty body). Layout: u64 id, u8 role (RAFT_FOLLOWER/CANDIDATE/LEADER, 0
 * unknown), u8 flags (bit 0: holds the VIPs), u64 term, u64 commit index,
 * u64 applied index, u64 leader id: 42 bytes. Later versions may append
 * fields: a decoder takes the first 42 bytes and ignores the rest. */
#define VR_RPC_STATUS_SIZE 42
struct vr_rpc_status
{
    uint64_t id;
    uint8_t role;
    bool holds;
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t leader_id;
};

/* Encode into @out (VR_RPC_STATUS_SIZE bytes). */
void vr_rpc_status_encode(const struct vr_rpc_status *st,
                          uint8_t out[VR_RPC_STATUS_SIZE]);

/* Decode; VIP_EPROTO if shorter than VR_RPC_STATUS_SIZE, or id 0, or role
 * above 3, or unknown flag bits, or applied > commit. */
int vr_rpc_status_decode(const uint8_t *body, size_t len,
                         struct vr_rpc_status *st);

/* Write the 16-byte header of a frame whose body has @body_len bytes into
 * @out. Returns 0, or VIP_ERANGE when the frame would exceed
 * VR_RPC_FRAME_MAX. */
int vr_rpc_header_encode(uint8_t type, uint64_t req_id, size_t body_len,
                         uint8_t out[VR_RPC_HEADER]);

/* Decode the frame at the start of @buf (@len bytes). Returns 0 with *@used
 * = the frame's total length, 1 when more bytes are needed (*@used = total
 * length needed, once known, else VR_RPC_HEADER), or VIP_EPROTO for a bad
 * length, version, type 0 or nonzero flags. Never reads past @len. */
int vr_rpc_decode(const uint8_t *buf, size_t len, struct vr_rpc_frame *f,
                  size_t *used);

/* Reply body codec. Encode writes at most 14 + VR_RPC_ADDR_MAX bytes into
 * @out (@size bytes) and sets *@len; VIP_EINVAL for a too long address,
 * VIP_ERANGE for a small buffer. Decode requires the exact length and a
 * printable address; VIP_EPROTO otherwise. */
int vr_rpc_reply_encode(const struct vr_rpc_reply *r, uint8_t *out,
                        size_t size, size_t *len);
int vr_rpc_reply_decode(const uint8_t *body, size_t len,
                        struct vr_rpc_reply *r);

/****** A framed connection ******/

struct vr_rpc_conn;

/* A complete, validated frame arrived. @f->body is valid only during the
 * call. */
typedef void (*vr_rpc_frame_cb)(struct vr_rpc_conn *c,
                                const struct vr_rpc_frame *f);
/* The connection failed (EOF, error, malformed frame) or was closed; it is
 * fully released after this returns: do not touch @c afterwards. */
typedef void (*vr_rpc_closed_cb)(struct vr_rpc_conn *c, int status);

struct vr_rpc_conn
{
    void *data;
    uv_stream_t *stream;   /* raft_malloc()ed, owned */
    vr_rpc_frame_cb frame_cb;
    vr_rpc_closed_cb closed_cb;
    uint8_t *buf;          /* reassembly buffer */
    size_t len, cap;
    bool is_closing;
    int status;
    unsigned n_writes;     /* writes in flight */
    bool is_counted;       /* free for the owner's bookkeeping */
};

/* Allocate a framed connection over @stream (taking ownership of it) and
 * start reading. Returns NULL on OOM (and then closes @stream). */
struct vr_rpc_conn *vr_rpc_conn_alloc(uv_stream_t *stream, void *data,
                                      vr_rpc_frame_cb frame_cb,
                                      vr_rpc_closed_cb closed_cb);

/* Bytes a connection may have queued for a peer that does not read: past
 * this, the peer is cut off (its replies would otherwise pile up in our
 * memory without bound). */
#define VR_RPC_QUEUE_MAX (1u << 20)

/* Queue one frame. Returns 0, VIP_ENOMEM, VIP_ERANGE (too big) or
 * -ESHUTDOWN when closing. Write errors close the connection; so does a
 * queue over VR_RPC_QUEUE_MAX (then VIP_ERANGE is returned). */
int vr_rpc_conn_send(struct vr_rpc_conn *c, uint8_t type, uint64_t req_id,
                     const void *body, size_t body_len);

/* Close; @closed_cb fires later with @status, then the memory is freed. */
void vr_rpc_conn_close(struct vr_rpc_conn *c, int status);

#endif /* VIPD_RAFT_PEER_RPC_H */
