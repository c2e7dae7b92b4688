/* vipd's peer RPC frames and framed connections (see raft/peer_rpc.h). */
#include <stdlib.h>
#include <string.h>

#include <raft.h>

#include "raft/peer_rpc.h"
#include "vipd/log.h"

/****** Codec ******/

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++) {
        v |= (uint32_t)p[i] << (8 * i);
    }
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

int vr_rpc_header_encode(uint8_t type, uint64_t req_id, size_t body_len,
                         uint8_t out[VR_RPC_HEADER])
{
    if (body_len > VR_RPC_FRAME_MAX - VR_RPC_HEADER) {
        return VIP_ERANGE;
    }
    put_u32(out, (uint32_t)(VR_RPC_HEADER - 4 + body_len));
    out[4] = VR_RPC_VERSION;
    out[5] = type;
    put_u16(out + 6, 0);
    put_u64(out + 8, req_id);
    return 0;
}

int vr_rpc_decode(const uint8_t *buf, size_t len, struct vr_rpc_frame *f,
                  size_t *used)
{
    size_t total;

    if (len < 4) {
        *used = VR_RPC_HEADER;
        return 1;
    }
    total = 4 + (size_t)get_u32(buf);
    if (total < VR_RPC_HEADER || total > VR_RPC_FRAME_MAX) {
        return VIP_EPROTO;
    }
    if (len > 4 && buf[4] != VR_RPC_VERSION) {
        return VIP_EPROTO;
    }
    if (len > 5 && buf[5] == 0) {
        return VIP_EPROTO;
    }
    if (len < VR_RPC_HEADER) {
        *used = total;
        return 1;
    }
    if (get_u16(buf + 6) != 0) {
        return VIP_EPROTO;
    }
    if (len < total) {
        *used = total;
        return 1;
    }
    f->version = buf[4];
    f->type = buf[5];
    f->flags = 0;
    f->req_id = get_u64(buf + 8);
    f->body = buf + VR_RPC_HEADER;
    f->body_len = total - VR_RPC_HEADER;
    *used = total;
    return 0;
}

int vr_rpc_reply_encode(const struct vr_rpc_reply *r, uint8_t *out,
                        size_t size, size_t *len)
{
    size_t n = strnlen(r->leader_address, sizeof r->leader_address);

    if (n > VR_RPC_ADDR_MAX) {
        return VIP_EINVAL;
    }
    if (size < 14 + n) {
        return VIP_ERANGE;
    }
    put_u32(out, (uint32_t)r->status);
    put_u64(out + 4, r->leader_id);
    put_u16(out + 12, (uint16_t)n);
    memcpy(out + 14, r->leader_address, n);
    *len = 14 + n;
    return 0;
}

int vr_rpc_reply_decode(const uint8_t *body, size_t len,
                        struct vr_rpc_reply *r)
{
    size_t n;

    if (len < 14) {
        return VIP_EPROTO;
    }
    n = get_u16(body + 12);
    if (n > VR_RPC_ADDR_MAX || len != 14 + n) {
        return VIP_EPROTO;
    }
    for (size_t i = 0; i < n; i++) {
        if (body[14 + i] < 0x21 || body[14 + i] > 0x7e) {
            return VIP_EPROTO;
        }
    }
    r->status = (int32_t)get_u32(body);
    /* A status is 0 or a negative code; anything else is junk. */
    if (r->status > 0) {
        return VIP_EPROTO;
    }
    r->leader_id = get_u64(body + 4);
    memcpy(r->leader_address, body + 14, n);
    r->leader_address[n] = '\0';
    return 0;
}

void vr_rpc_status_encode(const struct vr_rpc_status *st,
                          uint8_t out[VR_RPC_STATUS_SIZE])
{
    put_u64(out, st->id);
    out[8] = st->role;
    out[9] = st->holds ? 1 : 0;
    put_u64(out + 10, st->term);
    put_u64(out + 18, st->commit_index);
    put_u64(out + 26, st->applied_index);
    put_u64(out + 34, st->leader_id);
}

int vr_rpc_status_decode(const uint8_t *body, size_t len,
                         struct vr_rpc_status *st)
{
    if (len < VR_RPC_STATUS_SIZE) {
        return VIP_EPROTO;
    }
    st->id = get_u64(body);
    st->role = body[8];
    st->holds = (body[9] & 1) != 0;
    st->term = get_u64(body + 10);
    st->commit_index = get_u64(body + 18);
    st->applied_index = get_u64(body + 26);
    st->leader_id = get_u64(body + 34);
    if (st->id == 0 || st->role > 3 || (body[9] & ~1u) != 0 ||
        st->applied_index > st->commit_index) {
        return VIP_EPROTO;
    }
    return 0;
}

/****** Framed connection ******/

struct rpc_write
{
    uv_write_t req;
    struct vr_rpc_conn *conn;
    uint8_t data[]; /* header + body */
};

static void conn_stream_closed_cb(uv_handle_t *h)
{
    struct vr_rpc_conn *c = h->data;
    raft_free(h);
    c->stream = NULL;
    if (c->closed_cb != NULL) {
        c->closed_cb(c, c->status);
    }
    free(c->buf);
    free(c);
}

void vr_rpc_conn_close(struct vr_rpc_conn *c, int status)
{
    if (c->is_closing) {
        return;
    }
    c->is_closing = true;
    c->status = status;
    uv_close((uv_handle_t *)c->stream, conn_stream_closed_cb);
}

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct vr_rpc_conn *c = h->data;
    size_t want = 4096;
    (void)suggested;

    if (c->cap - c->len < want) {
        size_t cap = c->len + want;
        uint8_t *p = realloc(c->buf, cap);
        if (p == NULL) {
            buf->base = NULL;
            buf->len = 0; /* libuv reports UV_ENOBUFS */
            return;
        }
        c->buf = p;
        c->cap = cap;
    }
    buf->base = (char *)c->buf + c->len;
    buf->len = c->cap - c->len;
}

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct vr_rpc_conn *c = s->data;
    size_t off = 0;
    (void)buf;

    if (c->is_closing) {
        return;
    }
    if (nread < 0) {
        vr_rpc_conn_close(c, (int)nread);
        return;
    }
    c->len += (size_t)nread;
    while (!c->is_closing) {
        struct vr_rpc_frame f;
        size_t used;
        int rv = vr_rpc_decode(c->buf + off, c->len - off, &f, &used);
        if (rv == 1) {
            break;
        }
        if (rv != 0) {
            vr_rpc_conn_close(c, rv);
            return;
        }
        c->frame_cb(c, &f);
        off += used;
    }
    if (off > 0 && !c->is_closing) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    /* Keep the buffer small between bursts. */
    if (c->len == 0 && c->cap > 65536) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
}

static void stream_free_cb(uv_handle_t *h)
{
    raft_free(h);
}

struct vr_rpc_conn *vr_rpc_conn_alloc(uv_stream_t *stream, void *data,
                                      vr_rpc_frame_cb frame_cb,
                                      vr_rpc_closed_cb closed_cb)
{
    struct vr_rpc_conn *c = calloc(1, sizeof *c);
    int rv;

    if (c == NULL) {
        stream->data = NULL;
        uv_close((uv_handle_t *)stream, stream_free_cb);
        return NULL;
    }
    c->data = data;
    c->stream = stream;
    c->frame_cb = frame_cb;
    c->closed_cb = closed_cb;
    stream->data = c;
    rv = uv_read_start(stream, conn_alloc_cb, conn_read_cb);
    if (rv != 0) {
        c->closed_cb = NULL;
        vr_rpc_conn_close(c, rv);
        return NULL;
    }
    return c;
}

static void conn_write_cb(uv_write_t *req, int status)
{
    struct rpc_write *w = (struct rpc_write *)req;
    struct vr_rpc_conn *c = w->conn;
    free(w);
    c->n_writes--;
    if (status != 0 && !c->is_closing) {
        vr_rpc_conn_close(c, status);
    }
}

int vr_rpc_conn_send(struct vr_rpc_conn *c, uint8_t type, uint64_t req_id,
                     const void *body, size_t body_len)
{
    struct rpc_write *w;
    uv_buf_t b;
    int rv;

    if (c->is_closing) {
        return -ESHUTDOWN;
    }
    if (body_len > VR_RPC_FRAME_MAX - VR_RPC_HEADER) {
        return VIP_ERANGE;
    }
    if (uv_stream_get_write_queue_size(c->stream) + VR_RPC_HEADER + body_len >
        VR_RPC_QUEUE_MAX) {
        vip_warn("peer rpc: the peer reads nothing of %zu queued bytes; "
                 "closing the connection",
                 uv_stream_get_write_queue_size(c->stream));
        vr_rpc_conn_close(c, VIP_ERANGE);
        return VIP_ERANGE;
    }
    w = malloc(sizeof *w + VR_RPC_HEADER + body_len);
    if (w == NULL) {
        return VIP_ENOMEM;
    }
    vr_rpc_header_encode(type, req_id, body_len, w->data);
    if (body_len > 0) {
        memcpy(w->data + VR_RPC_HEADER, body, body_len);
    }
    w->conn = c;
    b = uv_buf_init((char *)w->data, (unsigned)(VR_RPC_HEADER + body_len));
    rv = uv_write(&w->req, c->stream, &b, 1, conn_write_cb);
    if (rv != 0) {
        free(w);
        vr_rpc_conn_close(c, rv);
        return rv;
    }
    c->n_writes++;
    return 0;
}
