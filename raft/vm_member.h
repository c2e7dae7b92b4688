/* Membership RPC bodies, carried in vr_rpc frames (raft/peer_rpc.h)
 * of type VR_RPC_JOIN / VR_RPC_REMOVE / VR_RPC_REMOVED and answered with
 * VR_RPC_JOIN_REPLY / VR_RPC_REMOVE_REPLY / VR_RPC_REMOVED_REPLY. Pure: no
 * I/O.
 *
 * Request (little-endian): u8 flags (VM_F_*; unknown bits are rejected),
 * u64 target node id (REMOVE, REMOVED; 0 for JOIN), u16 N, N bytes of
 * address "HOST:PORT" (JOIN: the joining node's own cluster address;
 * REMOVE, REMOVED: empty). REMOVED is the leader telling the target that a
 * committed configuration no longer has it (raft 0.15 stops replicating
 * to a removed server at once, so it would never learn it from raft).
 *
 * Reply: i32 status (0 or a negative VIP_E* code), u8 stage (enum
 * vm_stage), u64 node id (JOIN: the id the leader gave the new node), u64
 * leader id, u16 N, N bytes of text: the leader's address when status is
 * VIP_ENOTLEADER (the caller asks it instead), else a message for humans.
 *
 * A JOIN is answered twice when it goes well: stage ADDED (the node is in
 * the configuration as a spare with the given id: it may start Raft now),
 * then stage VOTER. In between, the new node sends the JOIN again with
 * VM_F_READY once its raft listens, so that the leader's first contact
 * does not hit a closed port (raft_uv then waits a second to reconnect).
 * Strings are printable ASCII; lengths must be exact. */
#ifndef VIPD_RAFT_VM_MEMBER_H
#define VIPD_RAFT_VM_MEMBER_H

#include <stddef.h>
#include <stdint.h>

#include "raft/peer_rpc.h"

#define VM_F_FORCE 0x1u /* REMOVE: even if quorum or reachability says no */
#define VM_F_LEAVE 0x2u /* REMOVE: the target asks for itself (vipctl leave) */
#define VM_F_READY 0x4u /* JOIN: raft runs here now, promote me (no answer) */
#define VM_F_ALL   (VM_F_FORCE | VM_F_LEAVE | VM_F_READY)

#define VM_TEXT_MAX 300 /* >= VR_RPC_ADDR_MAX */
#define VM_REQ_FIXED 11
#define VM_REPLY_FIXED 23

enum vm_stage {
    VM_STAGE_NONE = 0,  /* errors, REMOVE answers */
    VM_STAGE_ADDED = 1, /* JOIN: added as spare, start Raft and catch up */
    VM_STAGE_VOTER = 2, /* JOIN: promoted to voter: done */
};

struct vm_member_req
{
    uint8_t flags;
    uint64_t target;
    char address[VR_RPC_ADDR_MAX + 1];
};

struct vm_member_reply
{
    int32_t status;
    uint8_t stage;
    uint64_t id;
    uint64_t leader_id;
    char text[VM_TEXT_MAX + 1];
};

/* Encode into @out (@size bytes), *@len = bytes written. VIP_EINVAL for
 * unknown flags, a too long or non-printable string, a positive status or an
 * unknown stage; VIP_ERANGE when @size is too small. */
int vm_member_req_encode(const struct vm_member_req *r, uint8_t *out,
                         size_t size, size_t *len);
int vm_member_reply_encode(const struct vm_member_reply *r, uint8_t *out,
                           size_t size, size_t *len);

/* Decode exactly @len bytes. VIP_EPROTO for a short or overlong body, bad
 * flags/stage/status or bad string bytes; @r is undefined then. */
int vm_member_req_decode(const uint8_t *body, size_t len,
                         struct vm_member_req *r);
int vm_member_reply_decode(const uint8_t *body, size_t len,
                           struct vm_member_reply *r);

#endif /* VIPD_RAFT_VM_MEMBER_H */
