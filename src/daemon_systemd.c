/* sd_notify(3) for the daemon; see src/daemon_systemd.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "src/daemon_systemd.h"
#include "src/dl_lib.h"
#include "vipd/error.h"
#include "vipd/log.h"

/* libsystemd (with its compression and crypto libraries), loaded only when
 * systemd is listening (src/dl_lib.h): without NOTIFY_SOCKET and
 * WATCHDOG_USEC sd_notify() does nothing and the watchdog is off anyway. */
static struct
{
    __typeof__(&sd_notify) notify;
    __typeof__(&sd_watchdog_enabled) watchdog_enabled;
} sd;

static bool sd_load(void)
{
    static bool is_tried, is_loaded;
    char errmsg[VIP_ERRMSG_SIZE];
    const struct dl_sym syms[] = {
        {"sd_notify", &sd.notify},
        {"sd_watchdog_enabled", &sd.watchdog_enabled},
    };

    if (!is_tried) {
        is_tried = true;
        if (getenv("NOTIFY_SOCKET") == NULL && getenv("WATCHDOG_USEC") == NULL) {
            return false;
        }
        /* The ABI of <systemd/sd-daemon.h> (soname major 0, libsystemd0). */
        is_loaded = dl_lib_load("libsystemd.so.0", "libsystemd0", syms,
                                sizeof syms / sizeof syms[0], errmsg) == 0;
        if (!is_loaded) {
            vip_err("systemd: no readiness or watchdog notifications: %s",
                    errmsg);
        }
    }
    return is_loaded;
}

static void notify(const char *msg)
{
    if (sd_load()) {
        sd.notify(0, msg);
    }
}

static void watchdog_cb(uv_timer_t *t)
{
    (void)t;
    notify("WATCHDOG=1");
}

static void closed_cb(uv_handle_t *h)
{
    (void)h;
}

int daemon_systemd_start(struct daemon_systemd *s, uv_loop_t *loop)
{
    uint64_t usec = 0;
    int rv;

    memset(s, 0, sizeof *s);
    /* 0: keep WATCHDOG_USEC for a re-exec; > 0: systemd wants pings. */
    if (!sd_load() || sd.watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return 0;
    }
    uint64_t period_ms = usec / 3000;
    if (period_ms == 0) {
        period_ms = 1;
    }
    rv = uv_timer_init(loop, &s->watchdog);
    if (rv != 0) {
        return rv;
    }
    s->has_watchdog = true;
    vip_info("systemd: watchdog every %llu ms (WatchdogSec %llu ms)",
             (unsigned long long)period_ms, (unsigned long long)(usec / 1000));
    notify("WATCHDOG=1");
    return uv_timer_start(&s->watchdog, watchdog_cb, period_ms, period_ms);
}

void daemon_systemd_update(struct daemon_systemd *s, bool ready,
                           const char *status)
{
    char msg[200];

    if (ready && !s->is_ready) {
        s->is_ready = true;
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
        notify(msg);
        snprintf(s->last_status, sizeof s->last_status, "%s", status);
        vip_info("systemd: ready (%s)", status);
        return;
    }
    if (strcmp(status, s->last_status) != 0) {
        snprintf(s->last_status, sizeof s->last_status, "%s", status);
        snprintf(msg, sizeof msg, "STATUS=%s", status);
        notify(msg);
    }
}

void daemon_systemd_stopping(struct daemon_systemd *s)
{
    (void)s;
    notify("STOPPING=1");
}

void daemon_systemd_close(struct daemon_systemd *s)
{
    if (s->has_watchdog) {
        s->has_watchdog = false;
        uv_close((uv_handle_t *)&s->watchdog, closed_cb);
    }
}
