/* The start-up snapshot check (raft/snapshot_check.h): a complete lz4
 * frame passes; every truncation (which spins libraft 0.15's decompress
 * loop forever), a flipped bit, trailing bytes or a wrong announced size is
 * refused with a reason; uncompressed data passes; the newest snapshot of
 * a directory is the one checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>

#include "raft/snapshot_check.h"

/* A frame as libraft writes it: content size and checksum in the frame. */
static size_t make_frame(uint8_t *out, size_t out_size, size_t content)
{
    LZ4F_preferences_t pref;
    uint8_t *src = malloc(content);
    size_t n;

    for (size_t i = 0; i < content; i++) {
        src[i] = (uint8_t)(i * 7 + i / 100);
    }
    memset(&pref, 0, sizeof pref);
    pref.frameInfo.contentSize = content;
    pref.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    n = LZ4F_compressFrame(out, out_size, src, content, &pref);
    assert_false(LZ4F_isError(n));
    free(src);
    return n;
}

static void test_buf(void **state)
{
    static uint8_t frame[1 << 20];
    char errmsg[VIP_ERRMSG_SIZE];
    size_t n = make_frame(frame, sizeof frame, 300000);
    (void)state;

    assert_int_equal(snapshot_check_buf(frame, n, errmsg), 0);
    /* Every truncation past the magic: a reason, never a hang. */
    for (size_t len = 4; len < n; len += len < 64 ? 1 : 997) {
        errmsg[0] = '\0';
        assert_int_equal(snapshot_check_buf(frame, len, errmsg), VIP_EPROTO);
        assert_true(errmsg[0] != '\0');
    }
    /* The 100-byte file of the finding. */
    assert_int_equal(snapshot_check_buf(frame, 100, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "truncated"));
    /* A flipped bit in the middle: the content checksum catches it. */
    frame[n / 2] ^= 0x10;
    assert_int_equal(snapshot_check_buf(frame, n, errmsg), VIP_EPROTO);
    frame[n / 2] ^= 0x10;
    /* Bytes after the frame. */
    frame[n] = 0;
    assert_int_equal(snapshot_check_buf(frame, n + 1, errmsg), VIP_EPROTO);
    /* Not lz4: libraft reads it as it is. */
    assert_int_equal(snapshot_check_buf((const uint8_t *)"plain data", 10,
                                        errmsg),
                     0);
}

static void write_file(const char *dir, const char *name, const uint8_t *p,
                       size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* The newest snapshot with both files decides; older ones are libraft's
 * business (it never loads them). */
static void test_dir(void **state)
{
    static uint8_t frame[1 << 16];
    char dir[] = "/tmp/vsnapXXXXXX";
    char errmsg[VIP_ERRMSG_SIZE];
    size_t n = make_frame(frame, sizeof frame, 5000);
    (void)state;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(snapshot_check_dir(dir, errmsg), 0); /* empty */
    write_file(dir, "snapshot-1-10-100.meta", (const uint8_t *)"m", 1);
    write_file(dir, "snapshot-1-10-100", frame, 100); /* old, truncated */
    write_file(dir, "snapshot-2-20-50.meta", (const uint8_t *)"m", 1);
    write_file(dir, "snapshot-2-20-50", frame, n);
    assert_int_equal(snapshot_check_dir(dir, errmsg), 0);
    /* A newer one, truncated to 100 bytes. */
    write_file(dir, "snapshot-2-30-60.meta", (const uint8_t *)"m", 1);
    write_file(dir, "snapshot-2-30-60", frame, 100);
    assert_int_equal(snapshot_check_dir(dir, errmsg), VIP_EPROTO);
    assert_non_null(strstr(errmsg, "snapshot-2-30-60"));
    /* Without its .meta, libraft ignores it, and so do we. */
    {
        char path[512];
        snprintf(path, sizeof path, "%s/snapshot-2-30-60.meta", dir);
        unlink(path);
        assert_int_equal(snapshot_check_dir(dir, errmsg), 0);
    }
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(snapshot_check_dir("/nonexistent/vipd", errmsg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
