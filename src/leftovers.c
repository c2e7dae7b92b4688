/* Release leftover VIPs through the VIP manager's own start-up cleanup, so
 * there is one definition of "a configured VIP found on an interface". */
#include <stdio.h>
#include <uv.h>

#include "src/leftovers.h"
#include "vip/manager.h"
#include "vipd/error.h"

static void leftovers_closed_cb(struct manager *m)
{
    (void)m;
}

int leftovers_release(const struct vip_config *cfg)
{
    uv_loop_t loop;
    struct manager m;
    struct manager_callbacks cbs = {0};
    int status = 0;

    int rv = uv_loop_init(&loop);
    if (rv != 0) {
        fprintf(stderr, "vipd: event loop: %s\n", uv_strerror(rv));
        return 1;
    }
    rv = manager_init(&m, &loop, cfg, &cbs);
    if (rv != 0) {
        fprintf(stderr, "vipd: release leftovers: %s\n", m.errmsg);
        status = 1;
        goto out;
    }
    /* manager_start() removes the leftovers before anything else. */
    rv = manager_start(&m);
    if (rv != 0) {
        fprintf(stderr, "vipd: release leftovers: %s\n", m.errmsg);
        status = 1;
    }
    manager_close(&m, leftovers_closed_cb);
    uv_run(&loop, UV_RUN_DEFAULT);
out:
    if (uv_loop_close(&loop) != 0) {
        fprintf(stderr, "vipd: release leftovers: handles left open\n");
        status = 1;
    }
    return status;
}
