/* keepalived's line preprocessing, applied to each physical line before
 * it is tokenized (see keepalived.conf(5), "Conditional configuration",
 * "Parameter substitution", "Sequence blocks"):
 *   @ID rest       rest is read only if ID is the config id (-i, default
 *                  the host name up to its first dot); `@^ID` inverts it;
 *   $NAME=VALUE    defines NAME (empty allowed; a value of only `\` starts
 *                  a multi-line value, each further line ending in `\`
 *                  but the last);
 *   $NAME / ${NAME} is replaced by its value when defined (recursively,
 *                  at use time), `$NAME` only when followed by a blank or
 *                  the end of the line; undefined names stay as written;
 *   ~SEQ(VAR, START, STEP, END) rest, ~SEQx(...) in hexadecimal: rest is
 *                  read once per value of $VAR.
 * Pre-defined: ${_PWD} (directory of the current file), ${_INSTANCE}
 * (the config id). Expansion depth, sequence length and line length are
 * bounded, so a malformed file gets an error, never a hang. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "src/config_int.h"

#define SUBST_DEPTH_MAX 16     /* nested expansions of one line */
#define SUBST_PASSES_MAX 64    /* recursive replacement passes */
#define SUBST_SEQ_MAX 4096     /* values of one ~SEQ */
#define SUBST_LINES_MAX 65536  /* lines processed for one physical line */
#define SUBST_LEN_MAX (1024 * 1024) /* a line after substitution */
#define SUBST_DEFS_MAX 10000   /* parameters defined */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool buf_add(struct cfgp *p, struct cfg_buf *b, const char *s, size_t n)
{
    if (p->oom) {
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (b->len + n + 1 > cap) {
            cap *= 2;
        }
        char *ns = realloc(b->s, cap);
        if (ns == NULL) {
            p->oom = true;
            return false;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

static struct cfg_def *def_find(struct cfg_subst *st,
                                const char *name,
                                size_t len)
{
    for (size_t i = 0; i < st->n_defs; i++) {
        if (strlen(st->defs[i].name) == len &&
            memcmp(st->defs[i].name, name, len) == 0) {
            return &st->defs[i];
        }
    }
    return NULL;
}

static void def_set(struct cfgp *p,
                    struct cfg_subst *st,
                    const struct cfg_where *w,
                    const char *name,
                    size_t nlen,
                    const char *value,
                    size_t vlen)
{
    char *v = malloc(vlen + 1);
    if (v == NULL) {
        p->oom = true;
        return;
    }
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    struct cfg_def *d = def_find(st, name, nlen);
    if (d == NULL && st->n_defs == SUBST_DEFS_MAX) {
        free(v);
        cfgp_error(p, w, "more than %d parameters defined",
                   SUBST_DEFS_MAX);
        return;
    }
    if (d == NULL) {
        char *n = malloc(nlen + 1);
        struct cfg_def *defs =
            n ? realloc(st->defs, (st->n_defs + 1) * sizeof *defs) : NULL;
        if (defs == NULL) {
            free(n);
            free(v);
            p->oom = true;
            return;
        }
        memcpy(n, name, nlen);
        n[nlen] = '\0';
        st->defs = defs;
        d = &defs[st->n_defs++];
        d->name = n;
        d->value = NULL;
    }
    free(d->value);
    d->value = v;
}

/* The value of a pre-defined or defined name, or NULL. @tmp holds a
 * computed value. */
static const char *lookup(struct cfg_subst *st,
                          const struct cfg_where *w,
                          const char *name,
                          size_t len,
                          struct cfg_buf *tmp,
                          struct cfgp *p)
{
    struct cfg_def *d = def_find(st, name, len);
    if (d != NULL) {
        return d->value;
    }
    if (len == 4 && memcmp(name, "_PWD", 4) == 0) {
        const char *slash = strrchr(w->file, '/');
        tmp->len = 0;
        if (slash == NULL) {
            buf_add(p, tmp, ".", 1);
        } else {
            buf_add(p, tmp, w->file,
                    slash == w->file ? 1 : (size_t)(slash - w->file));
        }
        return tmp->s;
    }
    if (len == 9 && memcmp(name, "_INSTANCE", 9) == 0) {
        return st->config_id;
    }
    return NULL;
}

/* One replacement pass over @s into @out; returns how many replacements. */
static unsigned subst_pass(struct cfgp *p,
                           struct cfg_subst *st,
                           const struct cfg_where *w,
                           const char *s,
                           size_t n,
                           struct cfg_buf *out)
{
    struct cfg_buf tmp = {0};
    unsigned count = 0;
    size_t i = 0;

    out->len = 0;
    buf_add(p, out, "", 0);
    while (i < n && !p->oom && out->len <= SUBST_LEN_MAX) {
        const char *dollar = memchr(s + i, '$', n - i);
        size_t stop = dollar ? (size_t)(dollar - s) : n;
        buf_add(p, out, s + i, stop - i);
        if (dollar == NULL) {
            break;
        }
        i = stop;
        size_t ns, ne, end;
        if (i + 1 < n && s[i + 1] == '{') {
            const char *close = memchr(s + i + 2, '}', n - i - 2);
            ns = i + 2;
            ne = close ? (size_t)(close - s) : ns;
            end = ne + 1;
        } else {
            ns = i + 1;
            ne = ns;
            while (ne < n && name_char(s[ne])) {
                ne++;
            }
            end = ne;
            if (ne < n && !is_blank(s[ne])) {
                ne = ns; /* `$NAME` not followed by a blank: not a use */
            }
        }
        const char *v = NULL;
        if (ne > ns && name_start(s[ns])) {
            v = lookup(st, w, s + ns, ne - ns, &tmp, p);
        }
        if (v != NULL) {
            buf_add(p, out, v, strlen(v));
            count++;
            i = end;
        } else {
            buf_add(p, out, "$", 1);
            i++;
        }
    }
    free(tmp.s);
    return count;
}

static void process(struct cfgp *p,
                    struct cfg_subst *st,
                    const struct cfg_where *w,
                    const char *s,
                    size_t n,
                    unsigned depth,
                    bool cond,
                    cfg_line_fn emit,
                    void *data);

/* `~SEQ(VAR, [START,] [STEP,] END)` at @s; returns the length of the
 * prefix, or 0 (and an error) if malformed. */
static size_t parse_seq(struct cfgp *p,
                        const struct cfg_where *w,
                        const char *s,
                        size_t n,
                        bool *hex,
                        char *var,
                        size_t var_size,
                        long vals[3],
                        int *n_vals)
{
    size_t i = 4;
    *hex = n > 4 && s[4] == 'x';
    i += *hex;
    const char *close = i < n && s[i] == '(' ? memchr(s + i, ')', n - i)
                                             : NULL;
    if (close == NULL) {
        cfgp_error(p, w, "~SEQ: expected '(VAR, START, STEP, END)'");
        return 0;
    }
    char args[128];
    size_t alen = (size_t)(close - s) - i - 1;
    if (alen >= sizeof args) {
        cfgp_error(p, w, "~SEQ: arguments too long");
        return 0;
    }
    memcpy(args, s + i + 1, alen);
    args[alen] = '\0';
    char *save = NULL;
    char *tok = strtok_r(args, ",", &save);
    *n_vals = 0;
    for (int k = 0; tok != NULL; k++, tok = strtok_r(NULL, ",", &save)) {
        while (is_blank(*tok)) {
            tok++;
        }
        size_t tl = strlen(tok);
        while (tl > 0 && is_blank(tok[tl - 1])) {
            tok[--tl] = '\0';
        }
        if (k == 0) {
            if (!name_start(tok[0]) || tl >= var_size) {
                cfgp_error(p, w, "~SEQ: bad variable name '%.40s'", tok);
                return 0;
            }
            for (size_t j = 0; j < tl; j++) {
                if (!name_char(tok[j])) {
                    cfgp_error(p, w, "~SEQ: bad variable name '%.40s'", tok);
                    return 0;
                }
            }
            memcpy(var, tok, tl + 1);
            continue;
        }
        char *end;
        long v = strtol(tok, &end, 0);
        if (*n_vals == 3 || end == tok || *end != '\0' || v < -1000000000L ||
            v > 1000000000L) {
            cfgp_error(p, w, "~SEQ: bad number '%.40s'", tok);
            return 0;
        }
        vals[(*n_vals)++] = v;
    }
    if (*n_vals == 0) {
        cfgp_error(p, w, "~SEQ: expected '(VAR, START, STEP, END)'");
        return 0;
    }
    return (size_t)(close - s) + 1;
}

static void process_seq(struct cfgp *p,
                        struct cfg_subst *st,
                        const struct cfg_where *w,
                        const char *s,
                        size_t n,
                        unsigned depth,
                        cfg_line_fn emit,
                        void *data)
{
    char var[CFG_NAME_MAX];
    long v[3];
    int nv;
    bool hex;
    size_t used = parse_seq(p, w, s, n, &hex, var, sizeof var, v, &nv);
    if (used == 0) {
        return;
    }
    /* keepalived: (END), (START, END) or (START, STEP, END). */
    long end = v[nv - 1];
    long start = nv >= 2 ? v[0] : (end >= 0 ? 1 : -1);
    long step = nv == 3 ? v[1] : (end >= start ? 1 : -1);
    if (step == 0 || (step > 0 && start > end) || (step < 0 && start < end)) {
        if (step == 0) {
            cfgp_error(p, w, "~SEQ: step 0");
        }
        return;
    }
    if ((end - start) / step >= SUBST_SEQ_MAX) {
        cfgp_error(p, w, "~SEQ: more than %d values", SUBST_SEQ_MAX);
        return;
    }
    for (long x = start; (step > 0 ? x <= end : x >= end) && st->budget > 0;
         x += step) {
        char num[32];
        int len = snprintf(num, sizeof num, hex ? "%lx" : "%ld", x);
        def_set(p, st, w, var, strlen(var), num, (size_t)len);
        if (p->oom) {
            return;
        }
        process(p, st, w, s + used, n - used, depth + 1, true, emit, data);
    }
}

/* The end of @s[0..n) without a trailing comment (a word starting with
 * `#` or `!` outside quotes) and trailing blanks. */
static size_t strip_comment(const char *s, size_t n)
{
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            quoted = !quoted;
        } else if (!quoted && (s[i] == '#' || s[i] == '!') &&
                   (i == 0 || is_blank(s[i - 1]))) {
            n = i;
            break;
        }
    }
    while (n > 0 && is_blank(s[n - 1])) {
        n--;
    }
    return n;
}

static void process(struct cfgp *p,
                    struct cfg_subst *st,
                    const struct cfg_where *w,
                    const char *s,
                    size_t n,
                    unsigned depth,
                    bool cond,
                    cfg_line_fn emit,
                    void *data)
{
    if (st->budget == 0 || p->oom) {
        return;
    }
    if (--st->budget == 0) {
        cfgp_error(p, w, "more than %d lines made from this line, the rest "
                   "ignored", SUBST_LINES_MAX);
        return;
    }
    if (depth > SUBST_DEPTH_MAX) {
        cfgp_error(p, w, "parameter substitution nested deeper than %d",
                   SUBST_DEPTH_MAX);
        return;
    }
    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    if (cond && n > 0 && s[0] == '@') {
        bool neg = n > 1 && s[1] == '^';
        size_t i = neg ? 2 : 1;
        size_t j = i;
        while (j < n && !is_blank(s[j])) {
            j++;
        }
        bool match = j - i == strlen(st->config_id) &&
                     memcmp(s + i, st->config_id, j - i) == 0;
        if (j == i) {
            cfgp_error(p, w, "'@' needs a config id right after it");
        } else if (match != neg) {
            /* keepalived reads one condition per line: the rest of the
             * line may not start with another. */
            process(p, st, w, s + j, n - j, depth + 1, false, emit, data);
        }
        return;
    }
    if (n >= 5 && memcmp(s, "~SEQ", 4) == 0) {
        process_seq(p, st, w, s, n, depth, emit, data);
        return;
    }
    if (n > 1 && s[0] == '$' && name_start(s[1])) {
        size_t j = 1;
        while (j < n && name_char(s[j])) {
            j++;
        }
        if (j < n && s[j] == '=') {
            size_t vn = strip_comment(s + j + 1, n - j - 1);
            const char *v = s + j + 1;
            while (vn > 0 && is_blank(*v)) {
                v++;
                vn--;
            }
            if (vn == 1 && v[0] == '\\' && depth == 0) {
                /* A multi-line definition: collected by cfg_subst_line. */
                free(st->ml_name);
                st->ml_name = malloc(j);
                if (st->ml_name == NULL) {
                    p->oom = true;
                    return;
                }
                memcpy(st->ml_name, s + 1, j - 1);
                st->ml_name[j - 1] = '\0';
                st->ml_value.len = 0;
                buf_add(p, &st->ml_value, "", 0);
                return;
            }
            def_set(p, st, w, s + 1, j - 1, v, vn);
            return;
        }
    }
    if (memchr(s, '$', n) == NULL) {
        emit(data, s, n, w);
        return;
    }
    /* Substitute until nothing changes; then a result with several lines
     * (a multi-line value) or a new prefix is read again line by line. */
    struct cfg_buf a = {0}, b = {0};
    unsigned total = 0, passes = 0, k;
    buf_add(p, &a, s, n);
    while (!p->oom && (k = subst_pass(p, st, w, a.s, a.len, &b)) > 0) {
        struct cfg_buf t = a;
        a = b;
        b = t;
        total += k;
        if (a.len > SUBST_LEN_MAX) {
            cfgp_error(p, w, "more than %d bytes after parameter substitution",
                       SUBST_LEN_MAX);
            goto out;
        }
        if (++passes > SUBST_PASSES_MAX) {
            cfgp_error(p, w,
                       "parameter substitution does not end (a parameter "
                       "refers to itself?)");
            goto out;
        }
    }
    if (p->oom) {
        goto out;
    }
    if (total == 0) {
        emit(data, s, n, w);
        goto out;
    }
    for (size_t i = 0; i <= a.len;) {
        const char *nl = memchr(a.s + i, '\n', a.len - i);
        size_t e = nl ? (size_t)(nl - a.s) : a.len;
        process(p, st, w, a.s + i, e - i, depth + 1, true, emit, data);
        i = e + 1;
    }
out:
    free(a.s);
    free(b.s);
}

void cfg_subst_line(struct cfgp *p,
                    struct cfg_subst *st,
                    const struct cfg_where *w,
                    const char *s,
                    size_t n,
                    cfg_line_fn emit,
                    void *data)
{
    if (st->ml_name != NULL) {
        size_t e = strip_comment(s, n);
        bool more = e > 0 && s[e - 1] == '\\';
        if (more) {
            e--;
        }
        if (st->ml_value.len + e + 1 > SUBST_LEN_MAX) {
            cfgp_error(p, w, "multi-line definition of $%s longer than %d "
                       "bytes", st->ml_name, SUBST_LEN_MAX);
            free(st->ml_name);
            st->ml_name = NULL;
            return;
        }
        if (st->ml_value.len > 0) {
            buf_add(p, &st->ml_value, "\n", 1);
        }
        buf_add(p, &st->ml_value, s, e);
        if (!more && !p->oom) {
            def_set(p, st, w, st->ml_name, strlen(st->ml_name), st->ml_value.s,
                    st->ml_value.len);
            free(st->ml_name);
            st->ml_name = NULL;
        }
        return;
    }
    st->budget = SUBST_LINES_MAX;
    process(p, st, w, s, n, 0, true, emit, data);
}

void cfg_subst_end_file(struct cfgp *p,
                        struct cfg_subst *st,
                        const struct cfg_where *w)
{
    if (st->ml_name != NULL) {
        cfgp_error(p, w,
                   "the multi-line definition of $%s is not ended (its last "
                   "line must not end with '\\')",
                   st->ml_name);
        free(st->ml_name);
        st->ml_name = NULL;
    }
}

void cfg_subst_free(struct cfg_subst *st)
{
    for (size_t i = 0; i < st->n_defs; i++) {
        free(st->defs[i].name);
        free(st->defs[i].value);
    }
    free(st->defs);
    free(st->ml_name);
    free(st->ml_value.s);
    memset(st, 0, sizeof *st);
}
