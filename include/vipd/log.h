/* Logging: syslog levels, level checked before formatting, and every line
 * tagged with the node id and its Raft role letter:
 *
 *   12:00:01.123 vipd[412] n2:L info    vip 10.0.0.10/24 eth0: added
 *
 * Three sinks, chosen once at start-up by vip_log_setup():
 * - journal: stderr is systemd's journal stream (JOURNAL_STREAM names it):
 *   each line starts with the kernel-style "<N>" priority prefix that
 *   journald turns into PRIORITY= (sd-daemon(3)), and carries no timestamp
 *   (journald adds its own), so `journalctl -p err` filters;
 * - syslog: openlog() with a facility (daemon unless configured);
 * - console: stderr with a local timestamp (foreground runs, tests).
 * Only src/ sets the tag; raft/ and vip/ just log. */
#ifndef VIPD_LOG_H
#define VIPD_LOG_H

#include <syslog.h>

/* Current threshold; messages with a level above it are not formatted. */
extern int vip_log_level;

#define vip_logf(LEVEL, ...)                                        \
    do {                                                            \
        if ((LEVEL) <= vip_log_level) {                             \
            vip_log_emit((LEVEL), __FILE__, __LINE__, __VA_ARGS__); \
        }                                                           \
    } while (0)

#define vip_err(...) vip_logf(LOG_ERR, __VA_ARGS__)
#define vip_warn(...) vip_logf(LOG_WARNING, __VA_ARGS__)
#define vip_notice(...) vip_logf(LOG_NOTICE, __VA_ARGS__)
#define vip_info(...) vip_logf(LOG_INFO, __VA_ARGS__)
#define vip_debug(...) vip_logf(LOG_DEBUG, __VA_ARGS__)

/* Emit one line; use vip_logf() instead, which checks the level first. */
void vip_log_emit(int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Set the node id and role letter ('L' leader, 'F' follower, 'C'
 * candidate, '-' unknown) shown on every line. */
void vip_log_set_tag(unsigned node_id, char role);

/* Parse "err", "warning", "notice", "info" or "debug"; -1 if unknown. */
int vip_log_level_parse(const char *name);

enum vip_log_sink {
    VIP_LOG_AUTO,    /* journal if stderr is the journal, else console */
    VIP_LOG_CONSOLE, /* stderr with timestamps, even under systemd */
    VIP_LOG_SYSLOG,  /* syslog(3) with the given facility */
};

/* Parse a syslog facility: "daemon", "user", "local0".."local7", or a
 * digit 0-7 meaning local0-local7 (keepalived's -S N). Returns the LOG_*
 * facility value, or -1 if unknown. */
int vip_log_facility_parse(const char *name);

/* Choose the sink (see above). @facility is used by VIP_LOG_SYSLOG only.
 * Returns the sink actually chosen (AUTO resolves to journal or console:
 * VIP_LOG_CONSOLE is returned for both, vip_log_is_journal() tells). */
enum vip_log_sink vip_log_setup(enum vip_log_sink sink, int facility);

/* True when lines go to the journal stream with "<N>" prefixes. */
int vip_log_is_journal(void);

/* One VRRP state change of instance @instance in keepalived's wording, so
 * existing greps and alerts keep working, followed by vipd's reason:
 *
 *   (VI_1) Entering MASTER STATE (term 3, holder n1, this node: ...)
 *
 * @state is "MASTER", "BACKUP" or "FAULT"; FAULT is logged at warning,
 * the others at notice. */
void vip_log_state_change(const char *instance, const char *state,
                          const char *reason);

#endif /* VIPD_LOG_H */
