/* Log entry codec (stub: filled in next). */
#include "raft/entry.h"

#include <string.h>

#include "vipd/error.h"

size_t entry_encoded_size(const struct entry *e)
{
    (void)e;
    return 0;
}

int entry_encode(const struct entry *e, void *buf, size_t size, size_t *len,
                 char *errmsg)
{
    (void)e, (void)buf, (void)size, (void)len, (void)errmsg;
    return VIP_ENOTIMPL;
}

int entry_decode(const void *buf, size_t len, struct entry *out, char *errmsg)
{
    (void)buf, (void)len, (void)errmsg;
    memset(out, 0, sizeof *out);
    return VIP_EPROTO;
}
