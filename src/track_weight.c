/* One rule for a track's weight (see src/track_weight.h). */
#include "src/track_weight.h"

#include <string.h>

int track_weight_of(const struct vip_config *cfg, enum track_of of,
                    const struct cfg_track *t, bool *reverse)
{
    int dflt = 0;
    bool dflt_rev = false;

    if (of == TRACK_OF_SCRIPT) {
        for (size_t j = 0; j < cfg->n_scripts; j++) {
            if (strcmp(cfg->scripts[j].name, t->name) == 0) {
                dflt = cfg->scripts[j].weight;
                dflt_rev = cfg->scripts[j].weight_reverse;
            }
        }
    } else if (of == TRACK_OF_PROCESS) {
        /* keepalived's default weight of a vrrp_track_process: 1. */
        const struct cfg_track_process *tp =
            vip_config_track_process(cfg, t->name);
        dflt = tp != NULL ? tp->weight : 1;
        dflt_rev = tp != NULL && tp->weight_reverse;
    } else if (of == TRACK_OF_FILE) {
        dflt = 1;
        for (size_t f = 0; f < cfg->n_track_files; f++) {
            if (strcmp(cfg->track_files[f].name, t->name) == 0) {
                dflt = cfg->track_files[f].weight;
                dflt_rev = cfg->track_files[f].weight_reverse;
            }
        }
    }
    *reverse = t->has_weight ? t->weight_reverse : dflt_rev;
    return t->has_weight ? t->weight : dflt;
}
