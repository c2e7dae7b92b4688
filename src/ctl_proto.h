/* The control protocol between vipctl and vipd: newline-delimited JSON
 * objects over a Unix stream socket (docs/control-protocol.md). Pure: no
 * I/O, used by both sides.
 *
 *   request  {"cmd":"status","args":{...}}\n
 *   reply    {"ok":true,...}\n  or  {"ok":false,"error":"...","code":-22}\n
 *   stream   {"ok":true,"more":true,...}\n ... then one final reply line
 *
 * Every input is validated; malformed input yields an error code and a
 * message for the error reply, never a crash. */
#ifndef VIPD_SRC_CTL_PROTO_H
#define VIPD_SRC_CTL_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest request line the daemon accepts, newline excluded. */
#define CTL_MAX_REQUEST (64 * 1024)
/* Longest reply line vipctl accepts (a large cluster's status). */
#define CTL_MAX_REPLY (4 * 1024 * 1024)
/* Longest string argument (peer address, node name). */
#define CTL_MAX_ARG 255

/* The commands, in the order of the command table. */
enum ctl_cmd {
    CTL_CMD_STATUS = 0,
    CTL_CMD_JOIN,
    CTL_CMD_LEAVE,
    CTL_CMD_REMOVE,
    CTL_CMD_TRANSFER,
    CTL_CMD_MAINTENANCE,
    CTL_CMD_EVENTS,
    CTL_CMD_COUNT,
};

/* Wire name of @cmd ("status", ...); NULL if out of range. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

/* Look up a wire name; returns the command or -1. */
int ctl_cmd_lookup(const char *name);

/****** Line framing ******/

/* Accumulates bytes from a stream and cuts them into lines. */
struct ctl_linebuf
{
    char *buf;
    size_t start; /* first unconsumed byte */
    size_t len;   /* end of the data */
    size_t cap;
    size_t max_line; /* longest accepted line, newline excluded */
    size_t scanned;  /* bytes after start known to hold no newline */
};

/* Prepare @lb for lines of at most @max_line bytes. No allocation. */
void ctl_linebuf_init(struct ctl_linebuf *lb, size_t max_line);

/* Release the buffer. */
void ctl_linebuf_close(struct ctl_linebuf *lb);

/* Append @n bytes. Returns 0, VIP_ENOMEM, or VIP_ERANGE when more than
 * two lines' worth of bytes would be waiting (a client that does not read
 * its replies, or sends an endless line). */
int ctl_linebuf_push(struct ctl_linebuf *lb, const char *data, size_t n);

/* Take the next complete line. Returns 1 and sets *@line (NUL-terminated,
 * newline removed; valid until the next push or close) and *@len; 0 when no
 * complete line is buffered; VIP_ERANGE when the pending line is already
 * longer than max_line (framing is lost: close the connection). */
int ctl_linebuf_next(struct ctl_linebuf *lb, char **line, size_t *len);

/* Bytes buffered and not yet returned as lines. */
size_t ctl_linebuf_pending(const struct ctl_linebuf *lb);

/****** Requests ******/

/* A validated request. */
struct ctl_parsed
{
    enum ctl_cmd cmd;
    json_t *args; /* always an object (possibly empty); owned, json_decref */
};

/* Decode and validate the request line @line of @len bytes: a JSON object
 * with a known "cmd" string and an optional "args" object whose members
 * have the types docs/control-protocol.md lists (no unknown keys). On
 * success returns 0 and fills @out. On error returns VIP_EPROTO (not JSON,
 * not an object, embedded NUL), VIP_EINVAL (unknown command, bad or unknown
 * argument) or VIP_ENOMEM, with a message in @errmsg (VIP_ERRMSG_SIZE). */
int ctl_request_decode(const char *line,
                       size_t len,
                       struct ctl_parsed *out,
                       char *errmsg);

/* Build a request object {"cmd":..., "args":@args}. Steals the reference
 * to @args (NULL: empty object). Returns NULL when out of memory. */
json_t *ctl_request_new(enum ctl_cmd cmd, json_t *args);

/****** Replies ******/

/* {"ok":true}; NULL when out of memory. */
json_t *ctl_reply_ok_new(void);

/* {"ok":false,"error":@message,"code":@code}; NULL when out of memory.
 * @code is a negative VIP_E* code; @message NULL means vip_strerror(). */
json_t *ctl_reply_error_new(int code, const char *message);

/* Encode @obj as one compact line ending in '\n' into a malloc'd buffer
 * (*@out, *@len; free() it). Returns 0, VIP_ENOMEM, or VIP_EINVAL if @obj
 * is not an object. JSON escapes every control character, so the line
 * contains exactly one newline, at its end. */
int ctl_line_encode(const json_t *obj, char **out, size_t *len);

/* A decoded reply line (the client side). */
struct ctl_reply_info
{
    json_t *obj; /* the whole object; owned */
    bool ok;
    bool more;         /* an intermediate line of a stream */
    int code;          /* ok == false: the negative code */
    const char *error; /* ok == false: the message (inside obj) */
};

/* Decode and validate one reply line: an object with boolean "ok"; when
 * false, a string "error" and an integer "code" < 0; optional boolean
 * "more". Returns 0, VIP_EPROTO or VIP_ENOMEM (message in @errmsg). */
int ctl_reply_decode(const char *line,
                     size_t len,
                     struct ctl_reply_info *out,
                     char *errmsg);

#endif /* VIPD_SRC_CTL_PROTO_H */
