/* Recovery after losing quorum (`vipd --force-new-cluster`, src/recover_cmd.c):
 * with a majority of the voters permanently gone, a surviving node rebuilds
 * a one-member configuration from its own data dir with libraft's
 * raft_recover(), so that it elects itself and can hold the VIPs again; the
 * others rejoin later with empty data dirs (docs/membership.md).
 *
 * Offline only: vipd must not run on this data dir. Each step runs its own
 * libuv loop to completion. The transport given to raft here never listens
 * or connects (raft must neither hear from nor talk to anyone while its
 * state is read or rewritten); the peers are probed separately with the
 * cluster key (recover_probe()). */
#ifndef VIPD_RAFT_RECOVER_H
#define VIPD_RAFT_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

#include <raft.h>

#include "raft/transport.h"
#include "vipd/config.h"

struct recover_server
{
    raft_id id;
    char address[VR_ADDR_MAX + 1];
    int role;       /* RAFT_VOTER, RAFT_STANDBY, RAFT_SPARE */
    bool reachable; /* recover_probe(): answered the handshake */
};

/* What the data dir says: this node and the latest configuration. */
struct recover_view
{
    raft_id self;
    char self_address[VR_ADDR_MAX + 1];
    raft_term term;
    struct recover_server servers[CFG_MAX_PEERS + 1];
    unsigned n;
};

/* Read the node id (DATA_DIR/node-id) and the latest Raft configuration of
 * @data_dir. Returns 0, or an error with @errmsg (VIP_ERRMSG_SIZE): no
 * node id (never started or never joined), no configuration, this node not
 * in it. */
int recover_load(const char *data_dir, struct recover_view *v, char *errmsg);

/* Try a handshake with every voter but this node, with the key of
 * @secret_file, each within @timeout_ms; sets servers[].reachable (this
 * node counts as reachable). Returns 0 or an error with @errmsg (the key
 * cannot be read). */
int recover_probe(struct recover_view *v, const char *secret_file,
                  unsigned timeout_ms, char *errmsg);

/* Voters in @v, and how many of them are reachable. */
unsigned recover_n_voters(const struct recover_view *v);
unsigned recover_n_reachable(const struct recover_view *v);

/* Append a configuration with this node as the only voter to the log of
 * @data_dir (raft_recover()). Returns 0 or an error with @errmsg. */
int recover_apply(const char *data_dir, const struct recover_view *v,
                  char *errmsg);

#endif /* VIPD_RAFT_RECOVER_H */
