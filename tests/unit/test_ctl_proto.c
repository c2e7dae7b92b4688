/* Control protocol codec: line framing, request validation, replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/ctl_proto.h"
#include "vipd/error.h"

/****** Line framing ******/

/* A fresh buffer (no allocation yet, as vipctl's first receive sees it)
 * has no line, and asking does not touch its NULL buffer (clang's UBSan:
 * "applying zero offset to null pointer"). */
static void linebuf_empty_before_push(void **state)
{
    struct ctl_linebuf lb;
    char *line = NULL;
    size_t len = 0;
    (void)state;

    ctl_linebuf_init(&lb, 100);
    assert_null(lb.buf);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
    assert_int_equal(ctl_linebuf_pending(&lb), 0);
    assert_null(line);
    ctl_linebuf_close(&lb);
}

/* Lines split across pushes and several lines in one push come out whole
 * and in order, without their newline. */
static void linebuf_splits_and_joins(void **state)
{
    struct ctl_linebuf lb;
    char *line;
    size_t len;
    (void)state;

    ctl_linebuf_init(&lb, 100);
    assert_int_equal(ctl_linebuf_push(&lb, "{\"a\":", 5), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
    assert_int_equal(ctl_linebuf_push(&lb, "1}\n{}\n\n{", 8), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
    assert_string_equal(line, "{\"a\":1}");
    assert_int_equal(len, 7);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
    assert_string_equal(line, "{}");
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
    assert_int_equal(len, 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
    assert_int_equal(ctl_linebuf_pending(&lb), 1);
    assert_int_equal(ctl_linebuf_push(&lb, "}\n", 2), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
    assert_string_equal(line, "{}");
    assert_int_equal(ctl_linebuf_pending(&lb), 0);
    ctl_linebuf_close(&lb);
}

/* A line of exactly max_line bytes passes; one byte more is refused, with
 * or without its newline. */
static void linebuf_limit(void **state)
{
    struct ctl_linebuf lb;
    char buf[130];
    char *line;
    size_t len;
    (void)state;

    memset(buf, 'x', sizeof buf);
    ctl_linebuf_init(&lb, 64);
    buf[64] = '\n';
    assert_int_equal(ctl_linebuf_push(&lb, buf, 65), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
    assert_int_equal(len, 64);
    ctl_linebuf_close(&lb);

    ctl_linebuf_init(&lb, 64);
    buf[64] = 'x';
    buf[65] = '\n';
    assert_int_equal(ctl_linebuf_push(&lb, buf, 66), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), VIP_ERANGE);
    ctl_linebuf_close(&lb);

    ctl_linebuf_init(&lb, 64);
    assert_int_equal(ctl_linebuf_push(&lb, buf, 65), 0); /* no newline */
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), VIP_ERANGE);
    ctl_linebuf_close(&lb);
}

/* Without reading lines, at most two lines' worth may wait. */
static void linebuf_refuses_endless_input(void **state)
{
    struct ctl_linebuf lb;
    char buf[64];
    int rv = 0;
    (void)state;

    memset(buf, '\n', sizeof buf);
    ctl_linebuf_init(&lb, 64);
    for (int i = 0; i < 10 && rv == 0; i++) {
        rv = ctl_linebuf_push(&lb, buf, sizeof buf);
    }
    assert_int_equal(rv, VIP_ERANGE);
    assert_true(ctl_linebuf_pending(&lb) <= 2 * 65);
    ctl_linebuf_close(&lb);
}

/* A real-size request limit: 64 KiB of JSON in many small pushes. */
static void linebuf_large_line_in_pieces(void **state)
{
    struct ctl_linebuf lb;
    char *line;
    size_t len;
    char piece[1000];
    (void)state;

    memset(piece, ' ', sizeof piece);
    ctl_linebuf_init(&lb, CTL_MAX_REQUEST);
    for (int i = 0; i < 65; i++) {
        assert_int_equal(ctl_linebuf_push(&lb, piece, sizeof piece), 0);
        assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
    }
    assert_int_equal(ctl_linebuf_push(&lb, piece, sizeof piece), 0);
    assert_int_equal(ctl_linebuf_next(&lb, &line, &len), VIP_ERANGE);
    ctl_linebuf_close(&lb);
}

/****** Requests ******/

static int decode(const char *text, struct ctl_parsed *p, char *errmsg)
{
    p->args = NULL;
    return ctl_request_decode(text, strlen(text), p, errmsg);
}

/* Every command with valid arguments decodes to its enum and arguments. */
static void request_valid(void **state)
{
    static const struct
    {
        const char *text;
        enum ctl_cmd cmd;
        size_t n_args;
    } cases[] = {
        {"{\"cmd\":\"status\"}", CTL_CMD_STATUS, 0},
        {"{\"cmd\":\"status\",\"args\":{}}", CTL_CMD_STATUS, 0},
        {" {\"args\":{\"peer\":\"10.0.0.1:5405\"},\"cmd\":\"join\"} ",
         CTL_CMD_JOIN, 1},
        {"{\"cmd\":\"leave\",\"args\":{\"force\":true}}", CTL_CMD_LEAVE, 1},
        {"{\"cmd\":\"remove\",\"args\":{\"node\":\"3\"}}", CTL_CMD_REMOVE, 1},
        {"{\"cmd\":\"remove\",\"args\":{\"node\":\"n3\",\"force\":false}}",
         CTL_CMD_REMOVE, 2},
        {"{\"cmd\":\"transfer\"}", CTL_CMD_TRANSFER, 0},
        {"{\"cmd\":\"transfer\",\"args\":{\"node\":\"n2\"}}", CTL_CMD_TRANSFER,
         1},
        {"{\"cmd\":\"transfer\",\"args\":{\"node\":\"n2\",\"instance\":"
         "\"VI_2\"}}",
         CTL_CMD_TRANSFER, 2},
        {"{\"cmd\":\"maintenance\",\"args\":{\"on\":false}}",
         CTL_CMD_MAINTENANCE, 1},
        {"{\"cmd\":\"events\",\"args\":{\"follow\":true}}", CTL_CMD_EVENTS, 1},
    };
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(decode(cases[i].text, &p, errmsg), 0);
        assert_int_equal(p.cmd, cases[i].cmd);
        assert_true(json_is_object(p.args));
        assert_int_equal(json_object_size(p.args), cases[i].n_args);
        json_decref(p.args);
    }
}

/* Every kind of malformed request is refused with the right code and a
 * message, and never crashes. */
static void request_malformed(void **state)
{
    static const struct
    {
        const char *text;
        int rv;
        const char *msg; /* a part of the message */
    } cases[] = {
        {"", VIP_EPROTO, "not valid JSON"},
        {"{", VIP_EPROTO, "not valid JSON"},
        {"status", VIP_EPROTO, "not valid JSON"},
        {"\"status\"", VIP_EPROTO, "not valid JSON"},
        {"[\"status\"]", VIP_EPROTO, "must be a JSON object"},
        {"{}", VIP_EPROTO, "\"cmd\" must be a string"},
        {"{\"cmd\":1}", VIP_EPROTO, "\"cmd\" must be a string"},
        {"{\"cmd\":null}", VIP_EPROTO, "\"cmd\" must be a string"},
        {"{\"cmd\":[\"status\"]}", VIP_EPROTO, "\"cmd\" must be a string"},
        {"{\"cmd\":\"frobnicate\"}", VIP_EINVAL, "unknown command"},
        {"{\"cmd\":\"STATUS\"}", VIP_EINVAL, "unknown command"},
        {"{\"cmd\":\"status\",\"args\":[]}", VIP_EPROTO, "must be an object"},
        {"{\"cmd\":\"status\",\"args\":\"x\"}", VIP_EPROTO,
         "must be an object"},
        {"{\"cmd\":\"status\",\"extra\":1}", VIP_EPROTO, "unknown member"},
        {"{\"cmd\":\"status\",\"args\":{\"json\":true}}", VIP_EINVAL,
         "unknown argument"},
        {"{\"cmd\":\"join\"}", VIP_EINVAL, "missing argument 'peer'"},
        {"{\"cmd\":\"join\",\"args\":{\"peer\":5405}}", VIP_EINVAL,
         "must be a string"},
        {"{\"cmd\":\"join\",\"args\":{\"peer\":\"\"}}", VIP_EINVAL,
         "1 to 255 bytes"},
        {"{\"cmd\":\"leave\",\"args\":{\"force\":\"yes\"}}", VIP_EINVAL,
         "must be a boolean"},
        {"{\"cmd\":\"leave\",\"args\":{\"force\":1}}", VIP_EINVAL,
         "must be a boolean"},
        {"{\"cmd\":\"remove\",\"args\":{\"force\":true}}", VIP_EINVAL,
         "missing argument 'node'"},
        {"{\"cmd\":\"remove\",\"args\":{\"node\":3}}", VIP_EINVAL,
         "must be a string"},
        {"{\"cmd\":\"transfer\",\"args\":{\"instance\":2}}", VIP_EINVAL,
         "argument 'instance' must be a string"},
        {"{\"cmd\":\"transfer\",\"args\":{\"instance\":\"\"}}", VIP_EINVAL,
         "1 to 255 bytes"},
        {"{\"cmd\":\"transfer\",\"args\":{\"unit\":\"VG\"}}", VIP_EINVAL,
         "unknown argument 'unit'"},
        {"{\"cmd\":\"maintenance\"}", VIP_EINVAL, "missing argument 'on'"},
        {"{\"cmd\":\"maintenance\",\"args\":{\"on\":\"on\"}}", VIP_EINVAL,
         "must be a boolean"},
        {"{\"cmd\":\"events\",\"args\":{\"follow\":null}}", VIP_EINVAL,
         "must be a boolean"},
        {"{\"cmd\":\"status\",\"cmd\":\"leave\"}", VIP_EPROTO,
         "not valid JSON"},
        {"{\"cmd\":\"status\"} {\"cmd\":\"leave\"}", VIP_EPROTO,
         "not valid JSON"},
        {"{\"cmd\":\"status\"}x", VIP_EPROTO, "not valid JSON"},
        {"{\"cmd\":\"stat\\u0000us\"}", VIP_EPROTO, "not valid JSON"},
        {"{\"cmd\":\"\xff\xfe\"}", VIP_EPROTO, "not valid JSON"},
        {"{\"cmd\":\"status\",\"args\":{\"follow\":1e999}}", VIP_EPROTO,
         "not valid JSON"},
    };
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        errmsg[0] = '\0';
        int rv = decode(cases[i].text, &p, errmsg);
        if (rv != cases[i].rv || strstr(errmsg, cases[i].msg) == NULL) {
            fail_msg("case %zu '%s': rv %d (%s), want %d '%s'", i,
                     cases[i].text, rv, errmsg, cases[i].rv, cases[i].msg);
        }
        assert_null(p.args);
    }
}

/* A raw NUL byte inside the line is refused before parsing. */
static void request_embedded_nul(void **state)
{
    static const char text[] = "{\"cmd\":\"status\"}\0{\"cmd\":\"leave\"}";
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p = {.args = NULL};
    (void)state;

    assert_int_equal(ctl_request_decode(text, sizeof text - 1, &p, errmsg),
                     VIP_EPROTO);
    assert_non_null(strstr(errmsg, "NUL"));
    assert_null(p.args);
}

/* A string argument longer than CTL_MAX_ARG is refused; one at the limit
 * is accepted. */
static void request_long_argument(void **state)
{
    char text[600];
    char arg[300];
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p;
    (void)state;

    memset(arg, 'a', sizeof arg);
    arg[CTL_MAX_ARG] = '\0';
    snprintf(text, sizeof text, "{\"cmd\":\"join\",\"args\":{\"peer\":\"%s\"}}",
             arg);
    assert_int_equal(decode(text, &p, errmsg), 0);
    json_decref(p.args);
    arg[CTL_MAX_ARG] = 'a';
    arg[CTL_MAX_ARG + 1] = '\0';
    snprintf(text, sizeof text, "{\"cmd\":\"join\",\"args\":{\"peer\":\"%s\"}}",
             arg);
    assert_int_equal(decode(text, &p, errmsg), VIP_EINVAL);
}

/* Deeply nested input is refused by the parser's depth limit, no crash. */
static void request_deep_nesting(void **state)
{
    size_t depth = 100000;
    char *text = malloc(2 * depth + 1);
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p;
    (void)state;

    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    assert_int_equal(decode(text, &p, errmsg), VIP_EPROTO);
    free(text);
}

/* What ctl_request_new() builds decodes to the same command and args. */
static void request_round_trip(void **state)
{
    char errmsg[VIP_ERRMSG_SIZE];
    struct ctl_parsed p;
    char *buf;
    size_t len;
    (void)state;

    for (int c = 0; c < CTL_CMD_COUNT; c++) {
        json_t *args = NULL;
        if (c == CTL_CMD_JOIN) {
            args = json_pack("{ss}", "peer", "[fd00::1]:5405");
        } else if (c == CTL_CMD_REMOVE) {
            args = json_pack("{sssb}", "node", "n3", "force", 1);
        } else if (c == CTL_CMD_MAINTENANCE) {
            args = json_pack("{sb}", "on", 1);
        }
        json_t *req = ctl_request_new((enum ctl_cmd)c, args);
        assert_non_null(req);
        assert_int_equal(ctl_line_encode(req, &buf, &len), 0);
        assert_int_equal(buf[len - 1], '\n');
        assert_null(memchr(buf, '\n', len - 1));
        assert_int_equal(ctl_request_decode(buf, len - 1, &p, errmsg), 0);
        assert_int_equal(p.cmd, c);
        assert_true(json_equal(p.args, json_object_get(req, "args")));
        json_decref(p.args);
        json_decref(req);
        free(buf);
    }
    assert_null(ctl_cmd_name(CTL_CMD_COUNT));
    assert_int_equal(ctl_cmd_lookup("nope"), -1);
}

/****** Replies ******/

/* Strings with newlines and control characters stay on one line. */
static void line_encode_one_line(void **state)
{
    json_t *obj = json_pack("{sbss}", "ok", 1, "message", "a\nb\r\n\tc\x01");
    char *buf;
    size_t len;
    (void)state;

    assert_int_equal(ctl_line_encode(obj, &buf, &len), 0);
    assert_int_equal(buf[len - 1], '\n');
    assert_null(memchr(buf, '\n', len - 1));
    assert_null(memchr(buf, '\r', len - 1));
    free(buf);
    json_decref(obj);
    obj = json_array();
    assert_int_equal(ctl_line_encode(obj, &buf, &len), VIP_EINVAL);
    json_decref(obj);
}

static int reply_decode(const char *text, struct ctl_reply_info *info)
{
    char errmsg[VIP_ERRMSG_SIZE];
    return ctl_reply_decode(text, strlen(text), info, errmsg);
}

/* Well-formed replies decode; error replies carry message and code. */
static void reply_valid(void **state)
{
    struct ctl_reply_info info;
    char *buf;
    size_t len;
    (void)state;

    assert_int_equal(reply_decode("{\"ok\":true,\"status\":{}}", &info), 0);
    assert_true(info.ok);
    assert_false(info.more);
    json_decref(info.obj);

    assert_int_equal(reply_decode("{\"ok\":true,\"more\":true}", &info), 0);
    assert_true(info.more);
    json_decref(info.obj);

    json_t *err = ctl_reply_error_new(VIP_ENOTLEADER, NULL);
    assert_int_equal(ctl_line_encode(err, &buf, &len), 0);
    assert_int_equal(ctl_reply_decode(buf, len - 1, &info, (char[256]){0}), 0);
    assert_false(info.ok);
    assert_int_equal(info.code, VIP_ENOTLEADER);
    assert_string_equal(info.error, "this node is not the leader");
    json_decref(info.obj);
    json_decref(err);
    free(buf);

    json_t *ok = ctl_reply_ok_new();
    assert_true(json_is_true(json_object_get(ok, "ok")));
    json_decref(ok);
}

/* Replies without a boolean "ok", error replies without message or with a
 * non-negative code, and non-boolean "more" are refused. */
static void reply_malformed(void **state)
{
    static const char *const cases[] = {
        "",
        "[]",
        "{}",
        "{\"ok\":1}",
        "{\"ok\":\"true\"}",
        "{\"ok\":false}",
        "{\"ok\":false,\"error\":\"x\"}",
        "{\"ok\":false,\"code\":-22}",
        "{\"ok\":false,\"error\":\"x\",\"code\":22}",
        "{\"ok\":false,\"error\":\"x\",\"code\":0}",
        "{\"ok\":false,\"error\":\"x\",\"code\":\"-22\"}",
        "{\"ok\":false,\"error\":\"x\",\"code\":-1e3}",
        "{\"ok\":false,\"error\":\"x\",\"code\":-99999999999}",
        "{\"ok\":true,\"more\":1}",
    };
    struct ctl_reply_info info;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (reply_decode(cases[i], &info) != VIP_EPROTO) {
            fail_msg("case %zu '%s' accepted", i, cases[i]);
        }
        assert_null(info.obj);
    }
    static const char nul[] = "{\"ok\":true}\0";
    assert_int_equal(
        ctl_reply_decode(nul, sizeof nul - 1, &info, (char[256]){0}),
        VIP_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linebuf_empty_before_push),
        cmocka_unit_test(linebuf_splits_and_joins),
        cmocka_unit_test(linebuf_limit),
        cmocka_unit_test(linebuf_refuses_endless_input),
        cmocka_unit_test(linebuf_large_line_in_pieces),
        cmocka_unit_test(request_valid),
        cmocka_unit_test(request_malformed),
        cmocka_unit_test(request_embedded_nul),
        cmocka_unit_test(request_long_argument),
        cmocka_unit_test(request_deep_nesting),
        cmocka_unit_test(request_round_trip),
        cmocka_unit_test(line_encode_one_line),
        cmocka_unit_test(reply_valid),
        cmocka_unit_test(reply_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
