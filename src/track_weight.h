/* The weight and direction a track uses: one rule for the replicated NODE
 * record (raft/cluster.c) and the config checks (src/health_config.c).
 * keepalived: a track's own `weight W [reverse]` overrides the default of
 * what it tracks (the vrrp_script's or vrrp_track_file's weight and
 * reverse); an interface has no default (weight 0: down is FAULT). */
#ifndef VIPD_SRC_TRACK_WEIGHT_H
#define VIPD_SRC_TRACK_WEIGHT_H

#include <stdbool.h>

#include "vipd/config.h"

enum track_of {
    TRACK_OF_SCRIPT,
    TRACK_OF_INTERFACE,
    TRACK_OF_FILE,
    TRACK_OF_PROCESS,
};

/* The weight of @t (a track of kind @of in an instance of @cfg) and, in
 * *@reverse, whether it is reversed. An unknown script counts weight 0, an
 * unknown track_file or vrrp_track_process weight 1 (the parser reports
 * both). */
int track_weight_of(const struct vip_config *cfg, enum track_of of,
                    const struct cfg_track *t, bool *reverse);

#endif /* VIPD_SRC_TRACK_WEIGHT_H */
