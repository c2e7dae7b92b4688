/* Logging: syslog levels, level checked before formatting, and every line
 * tagged with the node id and its Raft role letter:
 *
 *   vipd[412] n2:L info  vip 10.0.0.10/24 eth0: added
 *
 * Lines go to stderr (journald captures it) or to syslog after
 * vip_log_use_syslog(). Only src/ sets the tag; raft/ and vip/ just log. */
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

/* Send lines to syslog (facility daemon) instead of stderr. */
void vip_log_use_syslog(const char *ident);

#endif /* VIPD_LOG_H */
