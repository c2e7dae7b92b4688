/* Control protocol codec: line framing, request validation, replies. */
#include <stdlib.h>
#include <string.h>

#include "src/ctl_proto.h"
#include "vipd/error.h"

/****** Commands and their arguments ******/

enum ctl_arg_type { CTL_ARG_BOOL, CTL_ARG_STRING };

struct ctl_arg_spec
{
    const char *key;
    enum ctl_arg_type type;
    bool required;
};

struct ctl_cmd_spec
{
    const char *name;
    struct ctl_arg_spec args[3]; /* ends at a NULL key */
};

/* The schema of docs/control-protocol.md, section "Requests". */
static const struct ctl_cmd_spec cmd_specs[CTL_CMD_COUNT] = {
    [CTL_CMD_STATUS] = {"status", {{NULL, 0, false}}},
    [CTL_CMD_JOIN] = {"join", {{"peer", CTL_ARG_STRING, true}, {NULL, 0, 0}}},
    [CTL_CMD_LEAVE] = {"leave", {{"force", CTL_ARG_BOOL, false}, {NULL, 0, 0}}},
    [CTL_CMD_REMOVE] = {"remove",
                        {{"node", CTL_ARG_STRING, true},
                         {"force", CTL_ARG_BOOL, false},
                         {NULL, 0, 0}}},
    [CTL_CMD_TRANSFER] = {"transfer",
                          {{"node", CTL_ARG_STRING, false},
                           {"instance", CTL_ARG_STRING, false},
                           {NULL, 0, 0}}},
    [CTL_CMD_MAINTENANCE] = {"maintenance",
                             {{"on", CTL_ARG_BOOL, true}, {NULL, 0, 0}}},
    [CTL_CMD_EVENTS] = {"events",
                        {{"follow", CTL_ARG_BOOL, false}, {NULL, 0, 0}}},
};

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
    if ((unsigned)cmd >= CTL_CMD_COUNT) {
        return NULL;
    }
    return cmd_specs[cmd].name;
}

int ctl_cmd_lookup(const char *name)
{
    for (int i = 0; i < CTL_CMD_COUNT; i++) {
        if (strcmp(cmd_specs[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/****** Line framing ******/

void ctl_linebuf_init(struct ctl_linebuf *lb, size_t max_line)
{
    memset(lb, 0, sizeof *lb);
    lb->max_line = max_line;
}

void ctl_linebuf_close(struct ctl_linebuf *lb)
{
    free(lb->buf);
    lb->buf = NULL;
    lb->start = lb->len = lb->cap = lb->scanned = 0;
}

size_t ctl_linebuf_pending(const struct ctl_linebuf *lb)
{
    return lb->len - lb->start;
}

int ctl_linebuf_push(struct ctl_linebuf *lb, const char *data, size_t n)
{
    size_t pending = lb->len - lb->start;
    /* Two full lines (with newlines) may wait: the one being handled and
     * one pipelined behind it. More is a client that does not read. */
    size_t limit = 2 * (lb->max_line + 1);

    if (n > limit || pending > limit - n) {
        return VIP_ERANGE;
    }
    if (lb->start > 0) { /* compact: consumed lines are never read again */
        memmove(lb->buf, lb->buf + lb->start, pending);
        lb->len = pending;
        lb->start = 0;
    }
    if (lb->len + n + 1 > lb->cap) { /* +1: room for a final NUL */
        size_t cap = lb->cap > 0 ? lb->cap : 512;
        while (cap < lb->len + n + 1) {
            cap *= 2;
        }
        char *p = realloc(lb->buf, cap);
        if (p == NULL) {
            return VIP_ENOMEM;
        }
        lb->buf = p;
        lb->cap = cap;
    }
    memcpy(lb->buf + lb->len, data, n);
    lb->len += n;
    return 0;
}

int ctl_linebuf_next(struct ctl_linebuf *lb, char **line, size_t *len)
{
    size_t pending = lb->len - lb->start;
    size_t from = lb->scanned;

    if (pending == 0) {
        return 0; /* also before the first push, when buf is still NULL */
    }
    char *base = lb->buf + lb->start;
    char *nl =
        pending > from ? memchr(base + from, '\n', pending - from) : NULL;

    if (nl == NULL) {
        lb->scanned = pending;
        return pending > lb->max_line ? VIP_ERANGE : 0;
    }
    size_t n = (size_t)(nl - base);
    if (n > lb->max_line) {
        return VIP_ERANGE;
    }
    *nl = '\0';
    *line = base;
    *len = n;
    lb->start += n + 1;
    lb->scanned = 0;
    return 1;
}

/****** Requests ******/

static int proto_check_args(const struct ctl_cmd_spec *spec,
                            json_t *args,
                            char *errmsg)
{
    const char *key;
    json_t *value;

    json_object_foreach (args, key, value) {
        const struct ctl_arg_spec *a = spec->args;
        while (a->key != NULL && strcmp(a->key, key) != 0) {
            a++;
        }
        if (a->key == NULL) {
            errmsg_printf(errmsg, "%s: unknown argument '%.64s'", spec->name,
                          key);
            return VIP_EINVAL;
        }
        if (a->type == CTL_ARG_BOOL && !json_is_boolean(value)) {
            errmsg_printf(errmsg, "%s: argument '%s' must be a boolean",
                          spec->name, key);
            return VIP_EINVAL;
        }
        if (a->type == CTL_ARG_STRING) {
            if (!json_is_string(value)) {
                errmsg_printf(errmsg, "%s: argument '%s' must be a string",
                              spec->name, key);
                return VIP_EINVAL;
            }
            size_t n = json_string_length(value);
            if (n == 0 || n > CTL_MAX_ARG) {
                errmsg_printf(errmsg,
                              "%s: argument '%s' must have 1 to %d bytes",
                              spec->name, key, CTL_MAX_ARG);
                return VIP_EINVAL;
            }
        }
    }
    for (const struct ctl_arg_spec *a = spec->args; a->key != NULL; a++) {
        if (a->required && json_object_get(args, a->key) == NULL) {
            errmsg_printf(errmsg, "%s: missing argument '%s'", spec->name,
                          a->key);
            return VIP_EINVAL;
        }
    }
    return 0;
}

int ctl_request_decode(const char *line,
                       size_t len,
                       struct ctl_parsed *out,
                       char *errmsg)
{
    json_error_t jerr;
    json_t *root;
    json_t *cmd;
    json_t *args;
    const char *key;
    json_t *value;
    int rv;

    if (memchr(line, '\0', len) != NULL) {
        errmsg_printf(errmsg, "request contains a NUL byte");
        return VIP_EPROTO;
    }
    /* Duplicate keys are refused: which one counts would be a guess. */
    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        errmsg_printf(errmsg, "request is not valid JSON: %s (column %d)",
                      jerr.text, jerr.column);
        return VIP_EPROTO;
    }
    if (!json_is_object(root)) {
        errmsg_printf(errmsg, "request must be a JSON object");
        rv = VIP_EPROTO;
        goto err_after_load;
    }
    json_object_foreach (root, key, value) {
        if (strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
            errmsg_printf(errmsg, "request: unknown member '%.64s'", key);
            rv = VIP_EPROTO;
            goto err_after_load;
        }
    }
    cmd = json_object_get(root, "cmd");
    if (!json_is_string(cmd)) {
        errmsg_printf(errmsg, "request: \"cmd\" must be a string");
        rv = VIP_EPROTO;
        goto err_after_load;
    }
    int c = ctl_cmd_lookup(json_string_value(cmd));
    if (c < 0) {
        errmsg_printf(errmsg, "unknown command '%.64s'",
                      json_string_value(cmd));
        rv = VIP_EINVAL;
        goto err_after_load;
    }
    args = json_object_get(root, "args");
    if (args == NULL) {
        args = json_object();
        if (args == NULL) {
            rv = VIP_ENOMEM;
            errmsg_printf(errmsg, "out of memory");
            goto err_after_load;
        }
    } else if (!json_is_object(args)) {
        errmsg_printf(errmsg, "request: \"args\" must be an object");
        rv = VIP_EPROTO;
        goto err_after_load;
    } else {
        json_incref(args);
    }
    rv = proto_check_args(&cmd_specs[c], args, errmsg);
    if (rv != 0) {
        json_decref(args);
        goto err_after_load;
    }
    json_decref(root);
    out->cmd = (enum ctl_cmd)c;
    out->args = args;
    return 0;
err_after_load:
    json_decref(root);
    return rv;
}

json_t *ctl_request_new(enum ctl_cmd cmd, json_t *args)
{
    const char *name = ctl_cmd_name(cmd);
    json_t *obj = json_object();

    if (args == NULL) {
        args = json_object();
    }
    if (name == NULL || obj == NULL || args == NULL ||
        json_object_set_new(obj, "cmd", json_string(name)) != 0 ||
        json_object_set(obj, "args", args) != 0) {
        json_decref(obj);
        json_decref(args);
        return NULL;
    }
    json_decref(args);
    return obj;
}

/****** Replies ******/

json_t *ctl_reply_ok_new(void)
{
    json_t *obj = json_object();
    if (obj != NULL && json_object_set_new(obj, "ok", json_true()) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *ctl_reply_error_new(int code, const char *message)
{
    json_t *obj = json_object();
    if (message == NULL) {
        message = vip_strerror(code);
    }
    if (obj == NULL || json_object_set_new(obj, "ok", json_false()) != 0 ||
        json_object_set_new(obj, "error", json_string(message)) != 0 ||
        json_object_set_new(obj, "code", json_integer(code)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int ctl_line_encode(const json_t *obj, char **out, size_t *len)
{
    if (!json_is_object(obj)) {
        return VIP_EINVAL;
    }
    size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
    if (n == 0) {
        return VIP_ENOMEM;
    }
    char *buf = malloc(n + 1);
    if (buf == NULL) {
        return VIP_ENOMEM;
    }
    if (json_dumpb(obj, buf, n, JSON_COMPACT) != n) {
        free(buf);
        return VIP_ENOMEM;
    }
    buf[n] = '\n';
    *out = buf;
    *len = n + 1;
    return 0;
}

int ctl_reply_decode(const char *line,
                     size_t len,
                     struct ctl_reply_info *out,
                     char *errmsg)
{
    json_error_t jerr;
    json_t *root;
    json_t *v;

    memset(out, 0, sizeof *out);
    if (memchr(line, '\0', len) != NULL) {
        errmsg_printf(errmsg, "reply contains a NUL byte");
        return VIP_EPROTO;
    }
    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        errmsg_printf(errmsg, "reply is not valid JSON: %s", jerr.text);
        return VIP_EPROTO;
    }
    if (!json_is_object(root)) {
        errmsg_printf(errmsg, "reply is not a JSON object");
        goto err_after_load;
    }
    v = json_object_get(root, "ok");
    if (!json_is_boolean(v)) {
        errmsg_printf(errmsg, "reply: \"ok\" missing or not a boolean");
        goto err_after_load;
    }
    out->ok = json_is_true(v);
    v = json_object_get(root, "more");
    if (v != NULL && !json_is_boolean(v)) {
        errmsg_printf(errmsg, "reply: \"more\" is not a boolean");
        goto err_after_load;
    }
    out->more = json_is_true(v);
    if (!out->ok) {
        json_t *e = json_object_get(root, "error");
        json_t *c = json_object_get(root, "code");
        if (!json_is_string(e) || !json_is_integer(c) ||
            json_integer_value(c) >= 0 || json_integer_value(c) < -65535) {
            errmsg_printf(errmsg,
                          "error reply without a message or a negative code");
            goto err_after_load;
        }
        out->error = json_string_value(e);
        out->code = (int)json_integer_value(c);
    }
    out->obj = root;
    return 0;
err_after_load:
    json_decref(root);
    return VIP_EPROTO;
}
