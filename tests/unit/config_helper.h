/* Helpers for the config unit tests: load a text, capture the messages,
 * ask whether one exact message line was reported. */
#ifndef VIPD_TESTS_CONFIG_HELPER_H
#define VIPD_TESTS_CONFIG_HELPER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vipd/config.h"
#include "vipd/error.h"

#define CAPTURE_MAX 512

struct capture
{
    char *lines[CAPTURE_MAX];
    size_t n;
};

static inline void capture_emit(void *data, bool is_error, const char *line)
{
    struct capture *c = data;
    (void)is_error;
    if (c->n < CAPTURE_MAX) {
        c->lines[c->n++] = strdup(line);
    }
}

/* A loaded config, its messages and the return code. */
struct loaded
{
    struct vip_config cfg;
    struct capture cap;
    struct cfg_report report;
    int rv;
};

static inline struct loaded *load_text(const char *text)
{
    struct loaded *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->report.emit = capture_emit;
    l->report.data = &l->cap;
    l->rv = vip_config_load_string(&l->cfg, "t.conf", text, strlen(text),
                                   &l->report);
    return l;
}

/* load_text() as the node with config id @id (keepalived's -i). */
static inline struct loaded *load_text_id(const char *text, const char *id)
{
    struct loaded *l = calloc(1, sizeof *l);
    struct cfg_options opts = {
        .config_id = id,
        .text = text,
        .text_len = strlen(text),
    };
    assert_non_null(l);
    l->report.emit = capture_emit;
    l->report.data = &l->cap;
    l->rv = vip_config_load_opts(&l->cfg, "t.conf", &opts, &l->report);
    return l;
}

static inline struct loaded *load_file(const char *path)
{
    struct loaded *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->report.emit = capture_emit;
    l->report.data = &l->cap;
    l->rv = vip_config_load(&l->cfg, path, &l->report);
    return l;
}

static inline void loaded_free(struct loaded *l)
{
    vip_config_free(&l->cfg);
    for (size_t i = 0; i < l->cap.n; i++) {
        free(l->cap.lines[i]);
    }
    free(l);
}

static inline bool has_line(const struct loaded *l, const char *line)
{
    for (size_t i = 0; i < l->cap.n; i++) {
        if (strcmp(l->cap.lines[i], line) == 0) {
            return true;
        }
    }
    return false;
}

static inline void dump_lines(const struct loaded *l)
{
    for (size_t i = 0; i < l->cap.n; i++) {
        fprintf(stderr, "  | %s\n", l->cap.lines[i]);
    }
}

/* The text loads with no error and no warning. */
#define ASSERT_CLEAN(l)                        \
    do {                                       \
        if ((l)->rv != 0 || (l)->cap.n != 0) { \
            dump_lines(l);                     \
        }                                      \
        assert_int_equal((l)->rv, 0);          \
        assert_int_equal((l)->cap.n, 0);       \
    } while (0)

/* This exact message line was reported. */
#define ASSERT_LINE(l, line)                          \
    do {                                              \
        if (!has_line((l), (line))) {                 \
            fprintf(stderr, "missing: %s\n", (line)); \
            dump_lines(l);                            \
            fail();                                   \
        }                                             \
    } while (0)

static inline const char *ip_str(const struct cfg_ip *ip)
{
    static char buf[64];
    return cfg_ip_str(ip, buf, sizeof buf);
}

#endif /* VIPD_TESTS_CONFIG_HELPER_H */
