/* Start-up check of the snapshot libraft will load, before raft_start():
 * libraft 0.15 decompresses it with a loop that never ends when the lz4
 * frame is truncated (LZ4F_decompress() keeps asking for input that is not
 * there: 100 % CPU, SIGTERM ignored, the service looks alive). This walks
 * the same frame with liblz4 to its end and says, with the file name, what
 * is wrong, so vipd exits with a clear error instead (recovery:
 * docs/recovery.md).
 *
 * The snapshot checked is the newest one that has both files, as libraft
 * picks it: snapshot-TERM-INDEX-TIMESTAMP.meta and its data file
 * snapshot-TERM-INDEX-TIMESTAMP, ordered by term, index, timestamp. The
 * data file is accepted when it is not lz4 at all (libraft stores it
 * uncompressed then) or is one complete lz4 frame: header with the content
 * size, every block, the end mark and the content checksum, nothing after
 * it, and exactly the announced size when decompressed. */
#ifndef VIPD_RAFT_SNAPSHOT_CHECK_H
#define VIPD_RAFT_SNAPSHOT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

/* The largest decompressed snapshot accepted (the FSM's state is small). */
#define SNAPSHOT_CHECK_MAX_CONTENT (256u << 20)

/* Check the lz4 frame of @len bytes at @data. Returns 0 (valid frame, or
 * not lz4), or VIP_EPROTO with the reason in @errmsg (VIP_ERRMSG_SIZE). */
int snapshot_check_buf(const uint8_t *data, size_t len, char *errmsg);

/* Check the newest snapshot in @dir (a missing dir or no snapshot is fine).
 * Returns 0, VIP_EPROTO with "FILE: reason" in @errmsg, or a negative errno
 * when the file cannot be read. */
int snapshot_check_dir(const char *dir, char *errmsg);

#endif /* VIPD_RAFT_SNAPSHOT_CHECK_H */
