/* A script command line made ready to run: split keepalived-style, the
 * program found, the user chosen, and enable_script_security applied.
 *
 * keepalived (core/notify.c, lib/parser.c) never uses a shell: the command
 * is split into words (whitespace separates; '...' and "..." group; a
 * backslash escapes the next character, with C escapes \n \t \xHH \NNN
 * ...; quotes and escapes work inside both quote kinds), a bare program
 * name is searched in PATH, and the program is exec'd directly. We do the
 * same, so `script "pgrep -x haproxy"` and `script "/bin/sh -c 'a | b'"`
 * mean what they mean in keepalived. */
#ifndef VIPD_SRC_SCRIPT_CMD_H
#define VIPD_SRC_SCRIPT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vipd/error.h"

/* The PATH of every script (src/script_run.h), and where a bare program
 * name is searched when the daemon has no PATH. */
#define SCRIPT_DEFAULT_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Longest accepted command line and word count. */
#define SCRIPT_CMD_MAX_LEN  4096
#define SCRIPT_CMD_MAX_ARGS 64

struct script_cmd
{
    char **argv; /* NULL-terminated words, owned; argv[0] as written */
    size_t argc;
    char *path;   /* program to exec (PATH-resolved), owned, or NULL */
    bool set_ids; /* true: spawn with uid/gid below (we run as root) */
    uid_t uid;
    gid_t gid;
    bool is_refused; /* insecure under enable_script_security: never run */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* Split @line into @cmd->argv (keepalived quoting rules above). @cmd is
 * zeroed first. Returns 0, VIP_EINVAL (empty, unmatched quote, trailing
 * backslash, NUL escape, too long; message in @cmd->errmsg) or VIP_ENOMEM.
 * Call script_cmd_close() in every case. */
int script_cmd_init(struct script_cmd *cmd, const char *line);

/* Resolve the program and the identity it runs as, and apply keepalived's
 * script security. @user/@group: the script's own, else the global
 * script_user/script_group (empty strings: unset).
 *
 * - A name without '/' is searched in $PATH (default
 *   /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); not
 *   found or not executable: -ENOENT / -EACCES.
 * - When the process runs as root (euid 0): the script runs as @user
 *   (group: @group, else the user's primary group); with no user
 *   configured, as `keepalived_script` if that user exists, else as root
 *   (with @enable_security, a missing default user is an error, as in
 *   keepalived). Unknown user/group: VIP_EINVAL.
 * - If it will run as uid 0 or gid 0, or is set-uid/gid root, every
 *   component of the program's path, as written and resolved, must be
 *   owned by root and not writable by a non-root group or by others
 *   (sticky directories such as /tmp excepted). If not: with
 *   @enable_security, sets @cmd->is_refused and returns -EPERM; without,
 *   logs a warning and returns 0 (keepalived's behaviour).
 * Messages go to @cmd->errmsg. */
int script_cmd_prepare(struct script_cmd *cmd,
                       const char *user,
                       const char *group,
                       bool enable_security);

/* Check the security rule above for @path alone: 0 if every component is
 * safe, -EPERM (unsafe) or -errno (cannot stat) with a message. */
int script_path_check(const char *path, char *errmsg);

/* The command as one printable line (for logs), in @buf of @size. */
const char *script_cmd_str(const struct script_cmd *cmd,
                           char *buf,
                           size_t size);

/* Release what @cmd owns; safe on a zeroed or failed one. */
void script_cmd_close(struct script_cmd *cmd);

#endif /* VIPD_SRC_SCRIPT_CMD_H */
