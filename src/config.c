/* Placeholder: the keepalived-syntax parser replaces this file. */
#include <string.h>

#include "vipd/config.h"
#include "vipd/error.h"

int vip_config_load(struct vip_config *cfg, const char *path,
                    struct cfg_report *report)
{
    (void)path;
    (void)report;
    memset(cfg, 0, sizeof *cfg);
    return VIP_ENOTIMPL;
}

void vip_config_free(struct vip_config *cfg)
{
    (void)cfg;
}
