/* Replicated state machine (stub: filled in next). */
#include "raft/fsm.h"

#include <stdlib.h>
#include <string.h>

int fsm_init(struct fsm *f)
{
    memset(f, 0, sizeof *f);
    f->st = calloc(1, sizeof *f->st);
    if (f->st == NULL) {
        return VIP_ENOMEM;
    }
    f->iface.version = 1;
    f->iface.data = f;
    return 0;
}

void fsm_close(struct fsm *f)
{
    free(f->st);
    f->st = NULL;
}
