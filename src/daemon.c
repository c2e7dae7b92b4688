/* Daemon wiring. Placeholder until the Raft core and host network land. */
#include <stdio.h>

#include "src/daemon.h"
#include "vipd/error.h"

int daemon_run(const struct vip_config *cfg)
{
    (void)cfg;
    fprintf(stderr, "vipd: running the daemon is not implemented yet\n");
    return 2;
}
