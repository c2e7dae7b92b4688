/* Log line formatting and the two sinks (stderr, syslog). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vipd/log.h"

int vip_log_level = LOG_INFO;

/* The log tag is process-wide by nature: one daemon, one node identity. */
static unsigned log_node_id;
static char log_role = '-';
static bool log_to_syslog;

static const char *log_level_names[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void vip_log_set_tag(unsigned node_id, char role)
{
    log_node_id = node_id;
    log_role = role;
}

int vip_log_level_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof log_level_names / sizeof *log_level_names);
         i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void vip_log_use_syslog(const char *ident)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    log_to_syslog = true;
}

void vip_log_emit(int level, const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    if (level < 0) {
        level = 0;
    }
    if (level > LOG_DEBUG) {
        level = LOG_DEBUG;
    }
    if (log_to_syslog) {
        syslog(level, "n%u:%c %s", log_node_id, log_role, msg);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    if (level == LOG_DEBUG) {
        fprintf(stderr, "%02d:%02d:%02d.%03ld vipd[%d] n%u:%c %-7s %s (%s:%d)\n",
                tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                (int)getpid(), log_node_id, log_role, log_level_names[level],
                msg, file, line);
    } else {
        fprintf(stderr, "%02d:%02d:%02d.%03ld vipd[%d] n%u:%c %-7s %s\n",
                tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                (int)getpid(), log_node_id, log_role, log_level_names[level],
                msg);
    }
}
