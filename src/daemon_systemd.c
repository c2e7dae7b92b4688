/* sd_notify(3) for the daemon; see src/daemon_systemd.h. */
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "src/daemon_systemd.h"
#include "vipd/log.h"

static void watchdog_cb(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
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
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
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
    sd_notify(0, "WATCHDOG=1");
    return uv_timer_start(&s->watchdog, watchdog_cb, period_ms, period_ms);
}

void daemon_systemd_update(struct daemon_systemd *s, bool ready,
                           const char *status)
{
    char msg[200];

    if (ready && !s->is_ready) {
        s->is_ready = true;
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
        sd_notify(0, msg);
        snprintf(s->last_status, sizeof s->last_status, "%s", status);
        vip_info("systemd: ready (%s)", status);
        return;
    }
    if (strcmp(status, s->last_status) != 0) {
        snprintf(s->last_status, sizeof s->last_status, "%s", status);
        snprintf(msg, sizeof msg, "STATUS=%s", status);
        sd_notify(0, msg);
    }
}

void daemon_systemd_stopping(struct daemon_systemd *s)
{
    (void)s;
    sd_notify(0, "STOPPING=1");
}

void daemon_systemd_close(struct daemon_systemd *s)
{
    if (s->has_watchdog) {
        s->has_watchdog = false;
        uv_close((uv_handle_t *)&s->watchdog, closed_cb);
    }
}
