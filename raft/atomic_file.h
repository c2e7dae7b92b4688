/* Writing a small file so that a crash leaves either the old content or
 * the new one, never a torn or empty file: write DIR/NAME.tmp, fsync it,
 * rename it over DIR/NAME, fsync DIR. Used for the data dir's node-id. */
#ifndef VIPD_RAFT_ATOMIC_FILE_H
#define VIPD_RAFT_ATOMIC_FILE_H

#include <stddef.h>

#include "vipd/error.h"

/* Write @len bytes of @data as @dir/@name (mode 0600). Returns 0 or a
 * negative errno with "write PATH: reason" in @errmsg (VIP_ERRMSG_SIZE). */
int atomic_file_write(const char *dir, const char *name, const void *data,
                      size_t len, char *errmsg);

#endif /* VIPD_RAFT_ATOMIC_FILE_H */
