/* Tokenizer for keepalived's configuration syntax.
 *
 * The input is read line by line (any of LF, CRLF; CR, VT, FF and tabs are
 * blanks). A line holds words, `{`, `}` and "quoted strings"; `!` or `#` at
 * the start of a word begins a comment that runs to the end of the line.
 * A line whose first word is `include` names files (glob patterns, relative
 * to the including file) whose tokens are inlined in place, as keepalived
 * does. Bad input (control bytes, overlong lines, unterminated quotes,
 * missing or looping includes) is reported and skipped, never fatal. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/config_int.h"
#include "vipd/error.h"

struct lexer
{
    struct cfgp *p;
    size_t cap_toks;
    size_t arena_len;
    size_t arena_cap;
    struct
    {
        dev_t dev;
        ino_t ino;
    } stack[CFG_INCLUDE_DEPTH_MAX + 1]; /* files being read, for loops */
    int depth;
    struct cfg_subst subst; /* keepalived's parameters, across includes */
};

static int lex_file(struct lexer *lx,
                    const char *path,
                    const struct cfg_where *inc);

/* Append a token whose text is @s[0..@len). While lexing, tok->text holds
 * the offset of the text in the arena (the arena moves as it grows); it is
 * turned into a pointer once everything is read. */
static struct cfg_tok *lex_push(struct lexer *lx,
                                enum cfg_tok_type type,
                                const char *s,
                                size_t len)
{
    struct cfgp *p = lx->p;

    if (p->oom) {
        return NULL;
    }
    if (p->n_toks == lx->cap_toks) {
        size_t cap = lx->cap_toks ? lx->cap_toks * 2 : 256;
        struct cfg_tok *toks = realloc(p->toks, cap * sizeof *toks);
        if (toks == NULL) {
            p->oom = true;
            return NULL;
        }
        p->toks = toks;
        lx->cap_toks = cap;
    }
    if (lx->arena_len + len + 1 > lx->arena_cap) {
        size_t cap = lx->arena_cap ? lx->arena_cap : 4096;
        while (lx->arena_len + len + 1 > cap) {
            cap *= 2;
        }
        char *arena = realloc(p->arena, cap);
        if (arena == NULL) {
            p->oom = true;
            return NULL;
        }
        p->arena = arena;
        lx->arena_cap = cap;
    }
    struct cfg_tok *t = &p->toks[p->n_toks++];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->text = (const char *)(uintptr_t)lx->arena_len;
    t->len = len;
    if (len > 0) {
        memcpy(p->arena + lx->arena_len, s, len);
    }
    p->arena[lx->arena_len + len] = '\0';
    lx->arena_len += len + 1;
    return t;
}

static const char *tok_text(struct lexer *lx, const struct cfg_tok *t)
{
    return lx->p->arena + (uintptr_t)t->text;
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_binary(unsigned char c)
{
    return (c < 0x20 && !is_blank(c)) || c == 0x7f;
}

/* A "quoted string" starting at @s[*i]: backslash escapes only `\"` and
 * `\\`; anything else is kept verbatim, as keepalived does. */
static struct cfg_tok *lex_quoted(struct lexer *lx,
                                  const char *s,
                                  size_t n,
                                  size_t *i,
                                  const struct cfg_where *w)
{
    size_t j = *i + 1;
    char *buf = malloc(n - *i + 1);
    size_t len = 0;
    bool closed = false;

    if (buf == NULL) {
        lx->p->oom = true;
        return NULL;
    }
    while (j < n) {
        char c = s[j];
        if (c == '"') {
            closed = true;
            j++;
            break;
        }
        if (c == '\\' && j + 1 < n && (s[j + 1] == '"' || s[j + 1] == '\\')) {
            c = s[j + 1];
            j++;
        }
        buf[len++] = c;
        j++;
    }
    if (!closed) {
        cfgp_error(lx->p, w, "unterminated quoted string");
    }
    struct cfg_tok *t = lex_push(lx, CFG_TOK_WORD, buf, len);
    free(buf);
    if (t != NULL) {
        t->quoted = true;
    }
    *i = j;
    return t;
}

static bool has_glob_magic(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* One `include` pattern, relative to the directory of @from. */
static void lex_include(struct lexer *lx,
                        const char *from,
                        const char *pat,
                        const struct cfg_where *w)
{
    char *full;
    const char *slash = strrchr(from, '/');

    if (pat[0] == '/' || slash == NULL) {
        full = strdup(pat);
    } else {
        size_t dlen = (size_t)(slash - from) + 1;
        full = malloc(dlen + strlen(pat) + 1);
        if (full != NULL) {
            memcpy(full, from, dlen);
            strcpy(full + dlen, pat);
        }
    }
    if (full == NULL) {
        lx->p->oom = true;
        return;
    }
    glob_t g;
    int rv = glob(full, 0, NULL, &g);
    if (rv == GLOB_NOMATCH) {
        if (has_glob_magic(pat)) {
            cfgp_warn(lx->p, w, "include '%s' matches no file", full);
        } else {
            cfgp_error(lx->p, w, "include '%s': %s", full, strerror(ENOENT));
        }
    } else if (rv == GLOB_NOSPACE) {
        lx->p->oom = true;
    } else if (rv != 0) {
        cfgp_error(lx->p, w, "include '%s': cannot read the directory", full);
    } else {
        for (size_t k = 0; k < g.gl_pathc && !lx->p->oom; k++) {
            lex_file(lx, g.gl_pathv[k], w);
        }
    }
    if (rv != GLOB_NOMATCH && rv != GLOB_NOSPACE) {
        globfree(&g);
    }
    free(full);
}

/* Tokenize one physical line @s[0..@n) of file @w->file. */
static void lex_line(struct lexer *lx,
                     const char *s,
                     size_t n,
                     const struct cfg_where *w)
{
    struct cfgp *p = lx->p;
    size_t first = p->n_toks;
    size_t i = 0;
    bool bol = true;

    while (i < n && !p->oom) {
        unsigned char c = (unsigned char)s[i];
        struct cfg_tok *t = NULL;
        if (is_blank(c)) {
            i++;
            continue;
        }
        if (is_binary(c)) {
            cfgp_error(p, w, "binary data (byte 0x%02x), rest of line ignored",
                       c);
            break;
        }
        if (c == '!' || c == '#') {
            break;
        }
        if (c == '{' || c == '}') {
            t = lex_push(lx, c == '{' ? CFG_TOK_LBRACE : CFG_TOK_RBRACE, s + i,
                         1);
            i++;
        } else if (c == '"') {
            t = lex_quoted(lx, s, n, &i, w);
        } else {
            size_t j = i;
            while (j < n) {
                unsigned char d = (unsigned char)s[j];
                if (is_blank(d) || is_binary(d) || d == '{' || d == '}' ||
                    d == '"') {
                    break;
                }
                j++;
            }
            t = lex_push(lx, CFG_TOK_WORD, s + i, j - i);
            i = j;
        }
        if (t == NULL) {
            return;
        }
        t->bol = bol;
        t->where = *w;
        bol = false;
    }
    if (p->n_toks == first || p->oom) {
        return;
    }
    struct cfg_tok *t0 = &p->toks[first];
    if (t0->type != CFG_TOK_WORD || t0->quoted ||
        strcmp(tok_text(lx, t0), "include") != 0) {
        return;
    }
    /* An include line: its words are patterns; drop its tokens and inline
     * the files. The texts stay in the arena until the end. */
    size_t last = p->n_toks;
    p->n_toks = first;
    if (last == first + 1) {
        cfgp_error(p, w, "include needs a file name");
        return;
    }
    /* Copy the patterns first: lex_include() reuses the token slots and
     * may move the arena. */
    char **pats = calloc(last - first - 1, sizeof *pats);
    size_t n_pats = 0;
    if (pats == NULL) {
        p->oom = true;
        return;
    }
    for (size_t k = first + 1; k < last; k++) {
        const struct cfg_tok *a = &p->toks[k];
        if (a->type != CFG_TOK_WORD) {
            cfgp_error(p, w, "unexpected '%c' in include line",
                       *tok_text(lx, a));
            continue;
        }
        pats[n_pats] = strdup(tok_text(lx, a));
        if (pats[n_pats] == NULL) {
            p->oom = true;
            break;
        }
        n_pats++;
    }
    for (size_t k = 0; k < n_pats; k++) {
        if (!p->oom) {
            lex_include(lx, w->file, pats[k], w);
        }
        free(pats[k]);
    }
    free(pats);
}

static void lex_emit(void *data,
                     const char *s,
                     size_t n,
                     const struct cfg_where *w)
{
    struct lexer *lx = data;

    if (n > CFG_LINE_MAX) {
        cfgp_error(lx->p, w, "line longer than %d bytes after substitution, "
                   "ignored", CFG_LINE_MAX);
        return;
    }
    lex_line(lx, s, n, w);
}

static void lex_buffer(struct lexer *lx,
                       const char *buf,
                       size_t len,
                       const char *file)
{
    size_t pos = 0;
    struct cfg_where w = {.file = file, .line = 1};

    while (pos < len && !lx->p->oom) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (end - pos > CFG_LINE_MAX) {
            cfgp_error(lx->p, &w, "line longer than %d bytes, ignored",
                       CFG_LINE_MAX);
        } else {
            cfg_subst_line(lx->p, &lx->subst, &w, buf + pos, end - pos,
                           lex_emit, lx);
        }
        pos = end + 1;
        w.line++;
    }
    w.line--;
    cfg_subst_end_file(lx->p, &lx->subst, &w);
}

/* Remember @path in cfg->files; returns the stored copy or NULL (OOM). */
static const char *lex_add_file(struct lexer *lx, const char *path)
{
    struct vip_config *cfg = lx->p->cfg;
    char *copy = strdup(path);
    char **files;

    if (copy == NULL) {
        lx->p->oom = true;
        return NULL;
    }
    files = realloc(cfg->files, (cfg->n_files + 1) * sizeof *files);
    if (files == NULL) {
        free(copy);
        lx->p->oom = true;
        return NULL;
    }
    cfg->files = files;
    cfg->files[cfg->n_files++] = copy;
    return copy;
}

/* Read all of @fd, up to CFG_FILE_MAX bytes. Returns 0, -errno, or
 * VIP_ERANGE if the file is larger. */
static int lex_read_all(int fd, char **out, size_t *out_len)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    struct stat st;

    if (buf == NULL) {
        return VIP_ENOMEM;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if (st.st_size > CFG_FILE_MAX) {
            free(buf);
            return VIP_ERANGE;
        }
    }
    for (;;) {
        if (len == cap) {
            if (cap > CFG_FILE_MAX) {
                free(buf);
                return VIP_ERANGE;
            }
            char *nbuf = realloc(buf, cap * 2);
            if (nbuf == NULL) {
                free(buf);
                return VIP_ENOMEM;
            }
            buf = nbuf;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            int rv = -errno;
            free(buf);
            return rv;
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* Read and tokenize @path; @inc is where it was included from (NULL for the
 * main file), which is where its problems are reported. */
static int lex_file(struct lexer *lx,
                    const char *path,
                    const struct cfg_where *inc)
{
    struct cfgp *p = lx->p;
    struct cfg_where top = {.file = path, .line = 0};
    const struct cfg_where *w = inc ? inc : &top;
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int fd, rv;

    if (lx->depth >= CFG_INCLUDE_DEPTH_MAX) {
        cfgp_error(p, w, "includes nested deeper than %d, '%s' not read",
                   CFG_INCLUDE_DEPTH_MAX, path);
        return 0;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        cfgp_error(p, w, "cannot open '%s': %s", path, strerror(errno));
        return 0;
    }
    if (fstat(fd, &st) != 0) {
        cfgp_error(p, w, "cannot read '%s': %s", path, strerror(errno));
        close(fd);
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        /* Devices and FIFOs could block or never end (/dev/zero). */
        cfgp_error(
            p, w, "cannot read '%s': %s", path,
            S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        close(fd);
        return 0;
    }
    for (int k = 0; k < lx->depth; k++) {
        if (lx->stack[k].dev == st.st_dev && lx->stack[k].ino == st.st_ino) {
            cfgp_error(p, w, "include loop: '%s' is already being read", path);
            close(fd);
            return 0;
        }
    }
    rv = lex_read_all(fd, &buf, &len);
    close(fd);
    if (rv == VIP_ENOMEM) {
        p->oom = true;
        return rv;
    }
    if (rv != 0) {
        cfgp_error(
            p, w, "cannot read '%s': %s", path,
            rv == VIP_ERANGE ? "file larger than 256 MiB" : strerror(-rv));
        return 0;
    }
    const char *name = lex_add_file(lx, path);
    if (name != NULL) {
        lx->stack[lx->depth].dev = st.st_dev;
        lx->stack[lx->depth].ino = st.st_ino;
        lx->depth++;
        lex_buffer(lx, buf, len, name);
        lx->depth--;
    }
    free(buf);
    return p->oom ? VIP_ENOMEM : 0;
}

int cfg_lex(struct cfgp *p, const char *path, const char *text, size_t len)
{
    struct lexer lx;

    memset(&lx, 0, sizeof lx);
    lx.p = p;
    lx.subst.config_id = p->config_id ? p->config_id : "";
    if (text != NULL) {
        const char *name = lex_add_file(&lx, path);
        if (name != NULL) {
            lex_buffer(&lx, text, len, name);
        }
    } else {
        lex_file(&lx, path, NULL);
    }
    struct cfg_where end = {.file = path, .line = 0};
    if (p->n_toks > 0) {
        end = p->toks[p->n_toks - 1].where;
    }
    if (lex_push(&lx, CFG_TOK_EOF, "", 0) != NULL) {
        p->toks[p->n_toks - 1].where = end;
        p->toks[p->n_toks - 1].bol = true;
    }
    cfg_subst_free(&lx.subst);
    if (p->oom) {
        return VIP_ENOMEM;
    }
    for (size_t i = 0; i < p->n_toks; i++) {
        p->toks[i].text = tok_text(&lx, &p->toks[i]);
    }
    return 0;
}

void cfg_lex_free(struct cfgp *p)
{
    free(p->toks);
    free(p->arena);
    p->toks = NULL;
    p->arena = NULL;
    p->n_toks = 0;
}
