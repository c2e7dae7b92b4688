/* Membership RPC bodies: see raft/vm_member.h. */
#include <string.h>

#include "raft/vm_member.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Printable ASCII; addresses have no spaces. */
static int str_check(const uint8_t *s, size_t n, uint8_t lo)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < lo || s[i] > 0x7e) {
            return VIP_EPROTO;
        }
    }
    return 0;
}

int vm_member_req_encode(const struct vm_member_req *r, uint8_t *out,
                         size_t size, size_t *len)
{
    size_t n = strnlen(r->address, sizeof r->address);

    if ((r->flags & ~VM_F_ALL) != 0 || n > VR_RPC_ADDR_MAX ||
        str_check((const uint8_t *)r->address, n, 0x21) != 0) {
        return VIP_EINVAL;
    }
    if (size < VM_REQ_FIXED + n) {
        return VIP_ERANGE;
    }
    out[0] = r->flags;
    put_le(out + 1, r->target, 8);
    put_le(out + 9, n, 2);
    memcpy(out + VM_REQ_FIXED, r->address, n);
    *len = VM_REQ_FIXED + n;
    return 0;
}

int vm_member_req_decode(const uint8_t *body, size_t len,
                         struct vm_member_req *r)
{
    size_t n;

    if (len < VM_REQ_FIXED) {
        return VIP_EPROTO;
    }
    n = (size_t)get_le(body + 9, 2);
    if (n > VR_RPC_ADDR_MAX || len != VM_REQ_FIXED + n ||
        (body[0] & ~VM_F_ALL) != 0 ||
        str_check(body + VM_REQ_FIXED, n, 0x21) != 0) {
        return VIP_EPROTO;
    }
    r->flags = body[0];
    r->target = get_le(body + 1, 8);
    memcpy(r->address, body + VM_REQ_FIXED, n);
    r->address[n] = '\0';
    return 0;
}

int vm_member_reply_encode(const struct vm_member_reply *r, uint8_t *out,
                           size_t size, size_t *len)
{
    size_t n = strnlen(r->text, sizeof r->text);

    if (r->status > 0 || r->stage > VM_STAGE_VOTER || n > VM_TEXT_MAX ||
        str_check((const uint8_t *)r->text, n, 0x20) != 0) {
        return VIP_EINVAL;
    }
    if (size < VM_REPLY_FIXED + n) {
        return VIP_ERANGE;
    }
    put_le(out, (uint32_t)r->status, 4);
    out[4] = r->stage;
    put_le(out + 5, r->id, 8);
    put_le(out + 13, r->leader_id, 8);
    put_le(out + 21, n, 2);
    memcpy(out + VM_REPLY_FIXED, r->text, n);
    *len = VM_REPLY_FIXED + n;
    return 0;
}

int vm_member_reply_decode(const uint8_t *body, size_t len,
                           struct vm_member_reply *r)
{
    size_t n;

    if (len < VM_REPLY_FIXED) {
        return VIP_EPROTO;
    }
    n = (size_t)get_le(body + 21, 2);
    if (n > VM_TEXT_MAX || len != VM_REPLY_FIXED + n ||
        body[4] > VM_STAGE_VOTER ||
        str_check(body + VM_REPLY_FIXED, n, 0x20) != 0) {
        return VIP_EPROTO;
    }
    r->status = (int32_t)(uint32_t)get_le(body, 4);
    if (r->status > 0) {
        return VIP_EPROTO;
    }
    r->stage = body[4];
    r->id = get_le(body + 5, 8);
    r->leader_id = get_le(body + 13, 8);
    memcpy(r->text, body + VM_REPLY_FIXED, n);
    r->text[n] = '\0';
    return 0;
}
