/* libFuzzer driver for the control protocol codec (not part of make check;
 * tests/fuzz/run.sh builds and runs it).
 *
 * The input goes three ways: as one request line (ctl_request_decode), as
 * one reply line (ctl_reply_decode), and as a byte stream cut into chunks
 * for the line framer. A decoded request must re-encode to a line that
 * decodes to the same command; the framer must never return a line longer
 * than its limit or one containing a newline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/ctl_proto.h"
#include "vipd/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_request(const char *line, size_t len)
{
    char errmsg[VIP_ERRMSG_SIZE] = "";
    struct ctl_parsed req;
    int rv = ctl_request_decode(line, len, &req, errmsg);

    if (rv != 0) {
        if (rv != VIP_EPROTO && rv != VIP_EINVAL && rv != VIP_ENOMEM) {
            abort();
        }
        if (errmsg[0] == '\0') {
            abort(); /* every refusal explains itself */
        }
        return;
    }
    if (!json_is_object(req.args)) {
        abort();
    }
    /* Round trip: what we accepted, we can send and accept again. */
    json_t *again = ctl_request_new(req.cmd, json_incref(req.args));
    char *out;
    size_t out_len;
    if (again == NULL || ctl_line_encode(again, &out, &out_len) != 0) {
        abort();
    }
    if (out_len == 0 || out[out_len - 1] != '\n' ||
        memchr(out, '\n', out_len - 1) != NULL) {
        abort();
    }
    struct ctl_parsed req2;
    if (ctl_request_decode(out, out_len - 1, &req2, errmsg) != 0 ||
        req2.cmd != req.cmd || !json_equal(req2.args, req.args)) {
        abort();
    }
    json_decref(req2.args);
    free(out);
    json_decref(again);
    json_decref(req.args);
}

static void fuzz_reply(const char *line, size_t len)
{
    char errmsg[VIP_ERRMSG_SIZE] = "";
    struct ctl_reply_info info;

    if (ctl_reply_decode(line, len, &info, errmsg) != 0) {
        if (info.obj != NULL) {
            abort();
        }
        return;
    }
    if (!info.ok && (info.code >= 0 || info.error == NULL)) {
        abort();
    }
    json_decref(info.obj);
}

/* The first byte picks the line limit and the chunk size. */
static void fuzz_framing(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return;
    }
    size_t max_line = 1 + (data[0] & 0x3f);
    size_t chunk = 1 + (data[0] >> 6) * 7;
    struct ctl_linebuf lb;

    ctl_linebuf_init(&lb, max_line);
    char *none;
    size_t none_len;
    if (ctl_linebuf_next(&lb, &none, &none_len) != 0) {
        abort(); /* nothing pushed yet: no line (vipctl's first recv) */
    }
    data++;
    size--;
    while (size > 0) {
        size_t n = size < chunk ? size : chunk;
        int rv = ctl_linebuf_push(&lb, (const char *)data, n);
        if (rv == VIP_ERANGE) {
            break;
        }
        if (rv != 0) {
            abort();
        }
        data += n;
        size -= n;
        for (;;) {
            char *line;
            size_t len;
            rv = ctl_linebuf_next(&lb, &line, &len);
            if (rv <= 0) {
                break;
            }
            if (len > max_line || line[len] != '\0' ||
                memchr(line, '\n', len) != NULL) {
                abort();
            }
        }
        if (rv < 0) {
            if (rv != VIP_ERANGE) {
                abort();
            }
            break;
        }
        if (ctl_linebuf_pending(&lb) > 2 * (max_line + 1)) {
            abort();
        }
    }
    ctl_linebuf_close(&lb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CTL_MAX_REQUEST) {
        return 0;
    }
    fuzz_request((const char *)data, size);
    fuzz_reply((const char *)data, size);
    fuzz_framing(data, size);
    return 0;
}
