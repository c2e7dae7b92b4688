/* Helpers shared by the health tests: a bounded run-until on a real libuv
 * loop, temp dirs with tiny scripts, hand-built configs. */
#ifndef VIPD_TESTS_HEALTH_UTIL_H
#define VIPD_TESTS_HEALTH_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "vipd/clock.h"

static void hu_tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Run @loop until @flag becomes true or @max_ms pass; returns *@flag.
 * A 5 ms ticker keeps UV_RUN_ONCE from blocking past the deadline. */
static inline bool hu_run_until(uv_loop_t *loop,
                                const bool *flag,
                                uint64_t max_ms)
{
    uv_timer_t tick;
    uint64_t end = vip_now_ms() + max_ms;

    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, hu_tick_cb, 5, 5);
    while (!*flag && vip_now_ms() < end) {
        uv_run(loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag;
}

/* Run @loop for @ms (used only to prove that nothing happens). */
static inline void hu_run_for(uv_loop_t *loop, uint64_t ms)
{
    bool never = false;
    hu_run_until(loop, &never, ms);
}

/* Drain the loop and assert it closes cleanly (no handle left). */
static inline void hu_loop_close(uv_loop_t *loop)
{
    for (int i = 0; i < 100 && uv_loop_alive(loop); i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (uv_loop_alive(loop)) {
            usleep(1000);
        }
    }
    assert_int_equal(uv_loop_close(loop), 0);
}

/* A fresh directory under /tmp (root-owned 0700 when we are root, so
 * scripts in it pass keepalived's security rule). */
static inline char *hu_tmpdir(void)
{
    char tmpl[] = "/tmp/vh-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Write @body into DIR/NAME with @mode, atomically (a running check may
 * read it at any time); returns the malloc'd path. */
static inline char *hu_write(const char *dir,
                             const char *name,
                             const char *body,
                             mode_t mode)
{
    char *path = NULL;
    char *tmp = NULL;
    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    assert_true(asprintf(&tmp, "%s/.%s.tmp", dir, name) > 0);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    assert_int_equal(chmod(tmp, mode), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
    return path;
}

/* Read DIR/NAME into a static buffer ("" if absent). */
static inline const char *hu_read(const char *path)
{
    static char buf[4096];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static inline void hu_rmrf(char *dir)
{
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

#endif /* VIPD_TESTS_HEALTH_UTIL_H */
