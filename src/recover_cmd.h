/* `vipd --force-new-cluster`: rebuild a one-member cluster from this
 * node's data after a majority of the voters is lost for good (steps in
 * src/recover_cmd.c, background in raft/recover.h). */
#ifndef VIPD_SRC_RECOVER_CMD_H
#define VIPD_SRC_RECOVER_CMD_H

#include <stdbool.h>

#include "vipd/config.h"

/* Run the recovery for the node of @cfg; asks on stdin unless @assume_yes.
 * Returns the process exit status (0 done, 1 refused or failed). It
 * leaves the ids of the dropped members in DATA_DIR/RECOVER_DROP_FILE. */
int recover_cmd(const struct vip_config *cfg, bool assume_yes);

#define RECOVER_DROP_FILE "recovered-drop"

struct cluster;

/* The daemon, once its cluster started: if a recovery left a drop list,
 * propose ADMIN REMOVE for each dropped member (the state machine forgets
 * them; the replicated history shows it) and delete the list. */
void recover_after_start(struct cluster *c);

#endif /* VIPD_SRC_RECOVER_CMD_H */
