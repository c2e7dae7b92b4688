/* Placement units of a configuration (include/vipd/config.h): a
 * vrrp_sync_group, or a vrrp_instance in no sync group. Computed on
 * demand from the parsed tables, so a hand-built configuration (tests)
 * has units too. */
#include <string.h>

#include "vipd/config.h"

const struct cfg_sync_group *vip_config_sync_group_of(
    const struct vip_config *cfg, size_t instance)
{
    if (instance >= cfg->n_instances) {
        return NULL;
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct cfg_sync_group *sg = &cfg->groups[g];
        for (size_t k = 0; k < sg->n_instances; k++) {
            if (strcmp(sg->instances[k], cfg->instances[instance].name) == 0) {
                return sg;
            }
        }
    }
    return NULL;
}

const char *vip_config_unit_of(const struct vip_config *cfg, size_t instance)
{
    const struct cfg_sync_group *sg = vip_config_sync_group_of(cfg, instance);

    if (instance >= cfg->n_instances) {
        return NULL;
    }
    return sg != NULL ? sg->name : cfg->instances[instance].name;
}

bool vip_config_in_unit(const struct vip_config *cfg,
                        size_t instance,
                        const char *unit)
{
    const char *u = vip_config_unit_of(cfg, instance);
    return u != NULL && unit != NULL && strcmp(u, unit) == 0;
}

size_t vip_config_units(const struct vip_config *cfg,
                        const char **names,
                        size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < cfg->n_instances; i++) {
        const char *u = vip_config_unit_of(cfg, i);
        bool seen = false;
        /* A unit is listed at its first instance. */
        for (size_t j = 0; j < i && !seen; j++) {
            seen = vip_config_in_unit(cfg, j, u);
        }
        if (seen) {
            continue;
        }
        if (names != NULL && n < max) {
            names[n] = u;
        }
        n++;
    }
    return n;
}
