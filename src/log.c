/* Log line formatting and the three sinks (journal stream, syslog,
 * console); include/vipd/log.h says when each is used. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vipd/log.h"

int vip_log_level = LOG_INFO;

/* The log tag is process-wide by nature: one daemon, one node identity. */
static unsigned log_node_id;
static char log_role = '-';
static bool log_to_syslog;
static bool log_to_journal;

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

int vip_log_facility_parse(const char *name)
{
    static const int locals[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
                                 LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5,
                                 LOG_LOCAL6, LOG_LOCAL7};

    if (strcmp(name, "daemon") == 0) {
        return LOG_DAEMON;
    }
    if (strcmp(name, "user") == 0) {
        return LOG_USER;
    }
    if (strncmp(name, "local", 5) == 0) {
        name += 5;
    }
    if (name[0] >= '0' && name[0] <= '7' && name[1] == '\0') {
        return locals[name[0] - '0'];
    }
    return -1;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when it connects stdout/stderr to
 * the journal (systemd.exec(5)); it is inherited by children whose stderr
 * may point elsewhere, hence the comparison with stderr itself. */
static bool stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char tail;

    if (env == NULL ||
        sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2 ||
        fstat(STDERR_FILENO, &st) != 0) {
        return false;
    }
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

enum vip_log_sink vip_log_setup(enum vip_log_sink sink, int facility)
{
    log_to_syslog = false;
    log_to_journal = false;
    if (sink == VIP_LOG_SYSLOG) {
        openlog("vipd", LOG_PID, facility);
        log_to_syslog = true;
        return VIP_LOG_SYSLOG;
    }
    if (sink == VIP_LOG_AUTO && stderr_is_journal()) {
        log_to_journal = true;
    }
    return VIP_LOG_CONSOLE;
}

int vip_log_is_journal(void)
{
    return log_to_journal;
}

static void log_line(int level, const char *file, int line, const char *msg)
{
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
    if (log_to_journal) {
        /* One write per line: journald splits the stream on newlines. */
        fprintf(stderr, "<%d>n%u:%c %s\n", level, log_node_id, log_role, msg);
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

void vip_log_emit(int level, const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_line(level, file, line, msg);
}

void vip_log_state_change(const char *instance, const char *state,
                          const char *reason)
{
    int level = strcmp(state, "FAULT") == 0 ? LOG_WARNING : LOG_NOTICE;

    if (level <= vip_log_level) {
        vip_log_emit(level, __FILE__, __LINE__, "(%s) Entering %s STATE (%s)",
                     instance, state, reason);
    }
}
