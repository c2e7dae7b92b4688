/* Command line splitting, program lookup, script user and script security,
 * following keepalived's rules (see script_cmd.h). */
#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/script_cmd.h"
#include "vipd/log.h"

#define SCRIPT_DEFAULT_USER "keepalived_script"

/****** Splitting ******/

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return tolower((unsigned char)c) - 'a' + 10;
}

/* Decode the escape after a backslash at *@pp into *@out; advances *@pp. */
static void split_escape(const char **pp, char *out)
{
    const char *p = *pp;
    int v;

    if (*p == 'x' && isxdigit((unsigned char)p[1])) {
        p++;
        v = 0;
        for (int i = 0; i < 2 && isxdigit((unsigned char)*p); i++, p++) {
            v = v * 16 + hexval(*p);
        }
    } else if (*p == 'c' && p[1] != '\0') {
        v = p[1] & 0x1f; /* \cX: control character */
        p += 2;
    } else if (*p >= '0' && *p <= '7') {
        v = 0;
        for (int i = 0; i < 3 && *p >= '0' && *p <= '7'; i++, p++) {
            v = v * 8 + (*p - '0');
        }
    } else {
        switch (*p) {
        case 'a':
            v = '\a';
            break;
        case 'b':
            v = '\b';
            break;
        case 'E':
            v = 0x1b;
            break;
        case 'f':
            v = '\f';
            break;
        case 'n':
            v = '\n';
            break;
        case 'r':
            v = '\r';
            break;
        case 't':
            v = '\t';
            break;
        case 'v':
            v = '\v';
            break;
        default:
            v = (unsigned char)*p;
            break; /* \\ \" \' \  ... */
        }
        p++;
    }
    *out = (char)(v & 0xff);
    *pp = p;
}

int script_cmd_init(struct script_cmd *cmd, const char *line)
{
    memset(cmd, 0, sizeof *cmd);
    if (line == NULL) {
        errmsg_printf(cmd->errmsg, "empty command");
        return VIP_EINVAL;
    }
    size_t len = strlen(line);
    if (len > SCRIPT_CMD_MAX_LEN) {
        errmsg_printf(cmd->errmsg, "command longer than %d bytes",
                      SCRIPT_CMD_MAX_LEN);
        return VIP_EINVAL;
    }
    /* Words never grow: one buffer holds all of them, NUL-separated. */
    char *words = malloc(len + 1);
    char **argv = calloc(SCRIPT_CMD_MAX_ARGS + 1, sizeof *argv);
    if (words == NULL || argv == NULL) {
        free(words);
        free(argv);
        return VIP_ENOMEM;
    }
    const char *p = line;
    char *o = words;
    size_t argc = 0;
    int rv = 0;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
               *p == '\v' || *p == '\f') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (argc == SCRIPT_CMD_MAX_ARGS) {
            errmsg_printf(cmd->errmsg, "more than %d words",
                          SCRIPT_CMD_MAX_ARGS);
            rv = VIP_EINVAL;
            goto err;
        }
        argv[argc++] = o;
        char quote = 0;
        while (*p != '\0') {
            if (*p == '\\') {
                p++;
                if (*p == '\0') {
                    errmsg_printf(cmd->errmsg, "backslash at end of '%s'",
                                  line);
                    rv = VIP_EINVAL;
                    goto err;
                }
                split_escape(&p, o);
                if (*o == '\0') {
                    /* keepalived would silently cut the word here. */
                    errmsg_printf(cmd->errmsg, "NUL escape in '%s'", line);
                    rv = VIP_EINVAL;
                    goto err;
                }
                o++;
            } else if (quote != 0) {
                if (*p == quote) {
                    quote = 0;
                } else {
                    *o++ = *p;
                }
                p++;
            } else if (*p == '"' || *p == '\'') {
                quote = *p++;
            } else if (isspace((unsigned char)*p)) {
                break;
            } else {
                *o++ = *p++;
            }
        }
        if (quote != 0) {
            errmsg_printf(cmd->errmsg, "missing terminating %c in '%s'", quote,
                          line);
            rv = VIP_EINVAL;
            goto err;
        }
        *o++ = '\0';
    }
    if (argc == 0) {
        errmsg_printf(cmd->errmsg, "empty command");
        rv = VIP_EINVAL;
        goto err;
    }
    /* argv[0] owns the buffer: words is where argv[0] points. */
    cmd->argv = argv;
    cmd->argc = argc;
    return 0;
err:
    free(words);
    free(argv);
    return rv;
}

void script_cmd_close(struct script_cmd *cmd)
{
    if (cmd->argv != NULL) {
        free(cmd->argv[0]);
        free(cmd->argv);
    }
    free(cmd->path);
    cmd->argv = NULL;
    cmd->path = NULL;
    cmd->argc = 0;
}

const char *script_cmd_str(const struct script_cmd *cmd, char *buf, size_t size)
{
    size_t n = 0;

    if (size == 0) {
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < cmd->argc && n + 1 < size; i++) {
        int w =
            snprintf(buf + n, size - n, i == 0 ? "%s" : " %s", cmd->argv[i]);
        if (w < 0) {
            break;
        }
        n += (size_t)w;
    }
    return buf;
}

/****** Program lookup ******/

static bool file_is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

/* Search @name in $PATH, as execvp would. */
static int lookup_path(struct script_cmd *cmd, const char *name)
{
    const char *env = getenv("PATH");
    const char *dirs =
        env != NULL && env[0] != '\0' ? env : SCRIPT_DEFAULT_PATH;
    char candidate[PATH_MAX];
    bool seen_eacces = false;

    while (*dirs != '\0') {
        const char *end = strchrnul(dirs, ':');
        size_t dlen = (size_t)(end - dirs);
        const char *dir = dlen == 0 ? "." : dirs;
        if (dlen == 0) {
            dlen = 1;
        }
        int w = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dlen, dir,
                         name);
        if (w > 0 && (size_t)w < sizeof candidate) {
            if (file_is_executable(candidate)) {
                cmd->path = strdup(candidate);
                return cmd->path != NULL ? 0 : VIP_ENOMEM;
            }
            if (access(candidate, F_OK) == 0) {
                seen_eacces = true;
            }
        }
        dirs = *end == ':' ? end + 1 : end;
    }
    if (seen_eacces) {
        errmsg_printf(cmd->errmsg, "'%s' found in PATH but not executable",
                      name);
        return -EACCES;
    }
    errmsg_printf(cmd->errmsg, "'%s' not found in PATH", name);
    return -ENOENT;
}

/****** User ******/

static int lookup_user(struct script_cmd *cmd,
                       const char *user,
                       const char *group,
                       bool enable_security)
{
    struct passwd *pw;
    struct group *gr;
    bool is_default = false;

    if (user == NULL || user[0] == '\0') {
        user = SCRIPT_DEFAULT_USER;
        is_default = true;
    }
    /* getpwnam() runs once per script at start-up, before the loop runs. */
    pw = getpwnam(user);
    if (pw == NULL) {
        if (is_default && !enable_security) {
            /* keepalived: no keepalived_script user, run as ourselves. */
            cmd->set_ids = false;
            return 0;
        }
        errmsg_printf(cmd->errmsg,
                      is_default ? "default script user '%s' does not exist "
                                   "(set script_user)"
                                 : "script user '%s' does not exist",
                      user);
        return VIP_EINVAL;
    }
    cmd->set_ids = true;
    cmd->uid = pw->pw_uid;
    cmd->gid = pw->pw_gid;
    if (group != NULL && group[0] != '\0') {
        gr = getgrnam(group);
        if (gr == NULL) {
            errmsg_printf(cmd->errmsg, "script group '%s' does not exist",
                          group);
            return VIP_EINVAL;
        }
        cmd->gid = gr->gr_gid;
    }
    return 0;
}

/****** Security ******/

/* One path component: owned by root, and not writable by a non-root group
 * or by others unless it is a sticky directory (keepalived
 * check_security()). */
static int check_component(const char *path, bool is_last, char *errmsg)
{
    struct stat st;

    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int rv = -errno;
        errmsg_printf(errmsg, "cannot stat '%s': %s", path, strerror(errno));
        return rv;
    }
    /* A root-owned symlink is fine (what it points to is checked through
     * the resolved path; who may replace it is decided by its directory):
     * /bin -> usr/bin on merged-/usr systems. */
    if ((!is_last && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) ||
        (is_last && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))) {
        errmsg_printf(errmsg, "'%s' has the wrong file type", path);
        return -EPERM;
    }
    bool is_checked =
        S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && !(st.st_mode & S_ISVTX));
    if (st.st_uid != 0) {
        errmsg_printf(errmsg, "'%s' is owned by uid %u, not root", path,
                      (unsigned)st.st_uid);
        return -EPERM;
    }
    if (is_checked && ((st.st_gid != 0 && (st.st_mode & S_IWGRP)) ||
                       (st.st_mode & S_IWOTH))) {
        errmsg_printf(errmsg, "'%s' is writable by %s", path,
                      (st.st_mode & S_IWOTH) ? "everyone" : "a non-root group");
        return -EPERM;
    }
    return 0;
}

int script_path_check(const char *path, char *errmsg)
{
    char prefix[PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof prefix) {
        errmsg_printf(errmsg, "bad path length");
        return VIP_EINVAL;
    }
    /* "/" first, then each prefix ending before a '/', then the file. */
    for (size_t i = 0; i <= len; i++) {
        bool is_last = i == len;
        if (!is_last && path[i] != '/') {
            continue;
        }
        size_t n = i == 0 ? 1 : i; /* the root directory itself */
        if (i > 0 && path[i - 1] == '/') {
            continue; /* "//": same directory again */
        }
        memcpy(prefix, path, n);
        prefix[n] = '\0';
        int rv = check_component(prefix, is_last, errmsg);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

int script_cmd_prepare(struct script_cmd *cmd,
                       const char *user,
                       const char *group,
                       bool enable_security)
{
    const char *prog = cmd->argv[0];
    int rv;

    cmd->is_refused = false;
    if (strchr(prog, '/') == NULL) {
        rv = lookup_path(cmd, prog);
        if (rv != 0) {
            return rv;
        }
        prog = cmd->path;
    } else if (!file_is_executable(prog)) {
        errmsg_printf(cmd->errmsg, "'%s' is not an executable file", prog);
        return access(prog, F_OK) == 0 ? -EACCES : -ENOENT;
    }
    if (geteuid() != 0) {
        /* Not root: scripts run as we do; nothing to protect. */
        cmd->set_ids = false;
        return 0;
    }
    rv = lookup_user(cmd, user, group, enable_security);
    if (rv != 0) {
        return rv;
    }
    struct stat st;
    if (stat(prog, &st) != 0) {
        rv = -errno;
        errmsg_printf(cmd->errmsg, "stat '%s': %s", prog, strerror(errno));
        return rv;
    }
    bool runs_privileged = !cmd->set_ids || cmd->uid == 0 || cmd->gid == 0 ||
                           (st.st_uid == 0 && (st.st_mode & S_ISUID)) ||
                           (st.st_gid == 0 && (st.st_mode & S_ISGID));
    if (!runs_privileged) {
        return 0;
    }
    char reason[VIP_ERRMSG_SIZE];
    rv = script_path_check(prog, reason);
    if (rv == 0) {
        char *real = realpath(prog, NULL);
        if (real == NULL) {
            rv = -errno;
            errmsg_printf(reason, "realpath '%s': %s", prog, strerror(errno));
        } else {
            if (strcmp(real, prog) != 0) {
                rv = script_path_check(real, reason);
            }
            free(real);
        }
    }
    if (rv == 0) {
        return 0;
    }
    if (enable_security) {
        cmd->is_refused = true;
        errmsg_printf(cmd->errmsg,
                      "refusing to run '%s' as root: %s "
                      "(enable_script_security)",
                      prog, reason);
        return -EPERM;
    }
    vip_warn(
        "script '%s' runs as root with unsafe permissions: %s "
        "(set enable_script_security to refuse it)",
        prog, reason);
    return 0;
}
