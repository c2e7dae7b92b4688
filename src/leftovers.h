/* `vipd --release-leftovers`: remove every configured VIP from this host's
 * interfaces and exit. Meant for systemd's ExecStopPost, so a vipd that was
 * killed -9 does not keep its VIPs until the kernel lifetime runs out. */
#ifndef VIPD_SRC_LEFTOVERS_H
#define VIPD_SRC_LEFTOVERS_H

#include "vipd/config.h"

/* Remove the VIPs of every instance of @cfg; returns the process exit
 * status (0 on success, 1 with a message on stderr otherwise). */
int leftovers_release(const struct vip_config *cfg);

#endif /* VIPD_SRC_LEFTOVERS_H */
