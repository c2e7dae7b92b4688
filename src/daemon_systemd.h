/* systemd integration of the daemon through libsystemd's sd_notify(3):
 * READY=1 once this node has joined the Raft group and knows who holds
 * the VIPs, STATUS= lines, STOPPING=1, and WATCHDOG=1 pings from a timer
 * of the daemon's own libuv loop, so a loop that is stuck (a spinning
 * callback, a frozen process) stops pinging and systemd restarts it
 * (WatchdogSec= in deploy/vipd.service). Without NOTIFY_SOCKET every call
 * is a no-op. */
#ifndef VIPD_SRC_DAEMON_SYSTEMD_H
#define VIPD_SRC_DAEMON_SYSTEMD_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct daemon_systemd
{
    uv_timer_t watchdog;
    bool has_watchdog;
    bool is_ready;
    char last_status[160];
};

/* Start the watchdog timer when systemd asked for one (WATCHDOG_USEC):
 * pings every third of the period. Returns 0 or a negative libuv code. */
int daemon_systemd_start(struct daemon_systemd *s, uv_loop_t *loop);

/* Report the node's state: READY=1 the first time @ready is true, and a
 * STATUS= line whenever @status changes. */
void daemon_systemd_update(struct daemon_systemd *s, bool ready,
                           const char *status);

/* STOPPING=1 when the shutdown begins; the pings go on until
 * daemon_systemd_close(), so a shutdown that hangs is caught too. */
void daemon_systemd_stopping(struct daemon_systemd *s);

/* Close the timer (a no-op close callback; uv_run() waits for it). */
void daemon_systemd_close(struct daemon_systemd *s);

#endif /* VIPD_SRC_DAEMON_SYSTEMD_H */
