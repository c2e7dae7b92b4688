/* Start-up snapshot check (see raft/snapshot_check.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>

#include "raft/snapshot_check.h"

#define LZ4_MAGIC 0x184D2204u

int snapshot_check_buf(const uint8_t *data, size_t len, char *errmsg)
{
    LZ4F_decompressionContext_t ctx;
    LZ4F_frameInfo_t info;
    static uint8_t out[64 * 1024]; /* output is counted, not kept */
    size_t off, n, hint;
    uint64_t total = 0;
    int rv = VIP_EPROTO;

    if (len < 4 || ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
                    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24) !=
                       LZ4_MAGIC) {
        return 0; /* stored uncompressed: libraft reads it as it is */
    }
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        errmsg_printf(errmsg, "out of memory");
        return VIP_ENOMEM;
    }
    memset(&info, 0, sizeof info);
    n = len;
    hint = LZ4F_getFrameInfo(ctx, &info, data, &n);
    if (LZ4F_isError(hint)) {
        errmsg_printf(errmsg, "bad lz4 frame header (%s)",
                      LZ4F_getErrorName(hint));
        goto out;
    }
    /* libraft allocates what the header announces, and needs it. */
    if (info.contentSize == 0 ||
        info.contentSize > SNAPSHOT_CHECK_MAX_CONTENT) {
        errmsg_printf(errmsg, "lz4 frame announces %llu bytes",
                      (unsigned long long)info.contentSize);
        goto out;
    }
    off = n;
    while (hint != 0) {
        size_t out_n = sizeof out;
        if (off >= len) {
            errmsg_printf(errmsg, "truncated: the lz4 frame ends after %zu "
                                  "bytes, before its end mark",
                          len);
            goto out;
        }
        n = len - off;
        hint = LZ4F_decompress(ctx, out, &out_n, data + off, &n, NULL);
        if (LZ4F_isError(hint)) {
            errmsg_printf(errmsg, "corrupt lz4 data at byte %zu (%s)", off,
                          LZ4F_getErrorName(hint));
            goto out;
        }
        off += n;
        total += out_n;
        if (total > info.contentSize) {
            errmsg_printf(errmsg, "more data than the lz4 header announces");
            goto out;
        }
        if (n == 0 && out_n == 0 && hint != 0) {
            /* No progress with input left: the spin libraft would enter. */
            errmsg_printf(errmsg, "corrupt lz4 data at byte %zu", off);
            goto out;
        }
    }
    if (off != len) {
        errmsg_printf(errmsg, "%zu bytes after the lz4 frame", len - off);
        goto out;
    }
    if (total != info.contentSize) {
        errmsg_printf(errmsg, "%llu bytes decompressed, %llu announced",
                      (unsigned long long)total,
                      (unsigned long long)info.contentSize);
        goto out;
    }
    rv = 0;
out:
    LZ4F_freeDecompressionContext(ctx);
    return rv;
}

struct snap_name
{
    unsigned long long term, index, ts;
};

static int snap_cmp(const struct snap_name *a, const struct snap_name *b)
{
    if (a->term != b->term) {
        return a->term < b->term ? -1 : 1;
    }
    if (a->index != b->index) {
        return a->index < b->index ? -1 : 1;
    }
    if (a->ts != b->ts) {
        return a->ts < b->ts ? -1 : 1;
    }
    return 0;
}

static int read_file(int dirfd, const char *name, uint8_t **data, size_t *len)
{
    struct stat st;
    uint8_t *buf;
    size_t have = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int rv;

    if (fd < 0) {
        return -errno;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rv = fstat(fd, &st) != 0 ? -errno : VIP_EINVAL;
        close(fd);
        return rv;
    }
    if ((uint64_t)st.st_size > 2ull * SNAPSHOT_CHECK_MAX_CONTENT) {
        close(fd);
        return -EFBIG;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return VIP_ENOMEM;
    }
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        have += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = have;
    return 0;
}

int snapshot_check_dir(const char *dir, char *errmsg)
{
    struct snap_name best = {0, 0, 0};
    bool found = false;
    char name[128];
    struct dirent *e;
    uint8_t *data = NULL;
    size_t len = 0;
    DIR *d = opendir(dir);
    int rv;

    if (d == NULL) {
        return errno == ENOENT ? 0 : -errno;
    }
    while ((e = readdir(d)) != NULL) {
        struct snap_name s;
        int used = 0;
        if (sscanf(e->d_name, "snapshot-%llu-%llu-%llu.meta%n", &s.term,
                   &s.index, &s.ts, &used) != 3 ||
            (size_t)used != strlen(e->d_name)) {
            continue;
        }
        snprintf(name, sizeof name, "snapshot-%llu-%llu-%llu", s.term,
                 s.index, s.ts);
        if (faccessat(dirfd(d), name, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
            continue; /* libraft skips a .meta without its data too */
        }
        if (!found || snap_cmp(&s, &best) > 0) {
            best = s;
            found = true;
        }
    }
    if (!found) {
        closedir(d);
        return 0;
    }
    snprintf(name, sizeof name, "snapshot-%llu-%llu-%llu", best.term,
             best.index, best.ts);
    rv = read_file(dirfd(d), name, &data, &len);
    closedir(d);
    if (rv != 0) {
        errmsg_printf(errmsg, "%.200s/%s: %s", dir, name, vip_strerror(rv));
        return rv;
    }
    rv = snapshot_check_buf(data, len, errmsg);
    free(data);
    if (rv != 0) {
        errmsg_wrapf(errmsg, "snapshot %.200s/%s", dir, name);
    }
    return rv;
}
