/* `vipd --force-new-cluster`: rebuild a one-member cluster from this
 * node's data after a majority of the voters is lost for good (steps in
 * src/recover_cmd.c, background in raft/recover.h). */
#ifndef VIPD_SRC_RECOVER_CMD_H
#define VIPD_SRC_RECOVER_CMD_H

#include <stdbool.h>

#include "vipd/config.h"

/* Run the recovery for the node of @cfg; asks on stdin unless @assume_yes.
 * Returns the process exit status (0 done, 1 refused or failed). */
int recover_cmd(const struct vip_config *cfg, bool assume_yes);

#endif /* VIPD_SRC_RECOVER_CMD_H */
