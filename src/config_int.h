/* Internals of the config parser, shared by src/config_*.c only.
 *
 * Pipeline: config_lex.c turns the file and everything it includes into one
 * token array (includes are inlined, each token remembers its file and
 * line); config_parse.c walks that array with keyword tables and fills
 * struct vip_config; config_check.c validates across objects. Diagnostics
 * go through cfgp_error()/cfgp_warn(). */
#ifndef VIPD_SRC_CONFIG_INT_H
#define VIPD_SRC_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vipd/config.h"

#define CFG_INCLUDE_DEPTH_MAX 16          /* nested includes */
#define CFG_LINE_MAX          (64 * 1024) /* longer lines are rejected */
#define CFG_FILE_MAX          (256 * 1024 * 1024) /* larger files are rejected */
#define CFG_MESSAGES_MAX      200 /* emitted; the rest are counted */
#define CFG_UNSET             UINT32_MAX /* instance value inherited from global_defs */

enum cfg_tok_type { CFG_TOK_WORD, CFG_TOK_LBRACE, CFG_TOK_RBRACE, CFG_TOK_EOF };

/* One token. @text is NUL-terminated and owned by the token list. */
struct cfg_tok
{
    enum cfg_tok_type type;
    bool quoted; /* came from "..." (never a keyword, never a comment) */
    bool bol;    /* first token of its physical line */
    struct cfg_where where;
    const char *text;
    size_t len;
};

/* Parser state: the tokens, the output and the diagnostics sink. */
struct cfgp
{
    struct vip_config *cfg;
    struct cfg_report *report;
    struct cfg_tok *toks; /* ends with one CFG_TOK_EOF */
    size_t n_toks;
    size_t pos;
    char *arena; /* token texts */
    bool oom;    /* an allocation failed: the result is VIP_ENOMEM */
    unsigned n_emitted;
    bool unwinding; /* a block was found unclosed: enclosing blocks end too */
    const char *main_file; /* for messages without a location */
    const char *config_id; /* for @ID line prefixes */
};

/* A statement: a keyword, its arguments on the same line, and whether a
 * `{` follows (possibly on the next line). */
struct cfg_stmt
{
    const struct cfg_tok *kw;
    const struct cfg_tok *args;
    size_t n_args;
    bool has_block;
};

/****** Diagnostics (config_value.c) ******/

/* Report an error or a warning at @where (NULL or line 0: file only). */
void cfgp_error(struct cfgp *p,
                const struct cfg_where *where,
                const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));
void cfgp_warn(struct cfgp *p,
               const struct cfg_where *where,
               const char *fmt,
               ...) __attribute__((format(printf, 3, 4)));

/****** Line preprocessing (config_subst.c) ******/

/* A growing string; allocation failure sets p->oom. */
struct cfg_buf
{
    char *s;
    size_t len, cap;
};

struct cfg_def
{
    char *name;
    char *value; /* may hold several lines, separated by '\n' */
};

/* keepalived's @ID prefixes, $NAME=VALUE parameters and ~SEQ blocks. */
struct cfg_subst
{
    const char *config_id;
    struct cfg_def *defs;
    size_t n_defs;
    char *ml_name;          /* a multi-line definition being read */
    struct cfg_buf ml_value;
    unsigned budget;        /* lines the current physical line may make */
};

typedef void (*cfg_line_fn)(void *data,
                            const char *s,
                            size_t n,
                            const struct cfg_where *w);

/* Preprocess one physical line @s[0..@n) read at @w; every resulting line
 * (none, one, or several) goes to @emit with the same location. */
void cfg_subst_line(struct cfgp *p,
                    struct cfg_subst *st,
                    const struct cfg_where *w,
                    const char *s,
                    size_t n,
                    cfg_line_fn emit,
                    void *data);
/* A multi-line definition still open at the end of a file: report it at
 * @w and drop it. */
void cfg_subst_end_file(struct cfgp *p,
                        struct cfg_subst *st,
                        const struct cfg_where *w);
void cfg_subst_free(struct cfg_subst *st);

/****** Lexer (config_lex.c) ******/

/* Read @path (or, when @text is not NULL, the @len bytes of @text named
 * @path) and every file it includes into p->toks / p->arena, recording file
 * names in p->cfg->files. Lexical problems are reported and skipped; only
 * allocation failure returns VIP_ENOMEM. */
int cfg_lex(struct cfgp *p, const char *path, const char *text, size_t len);

/* Release the token list. */
void cfg_lex_free(struct cfgp *p);

/****** Values (config_value.c) ******/

/* Copies that set p->oom and return NULL on allocation failure. */
char *cfgp_strdup(struct cfgp *p, const char *s);
/* Append one zeroed element of @size bytes to the array *@array of *@n
 * elements; returns it, or NULL (p->oom set). */
void *cfgp_append(struct cfgp *p, void **array, size_t *n, size_t size);

/* Each parser reports its own error against @t (naming @what) and returns
 * false on bad input, leaving *out untouched. */
bool cfgp_uint(struct cfgp *p,
               const struct cfg_tok *t,
               const char *what,
               unsigned long min,
               unsigned long max,
               unsigned long *out);
bool cfgp_int(struct cfgp *p,
              const struct cfg_tok *t,
              const char *what,
              long min,
              long max,
              long *out);
/* Seconds with up to 6 decimals ("1", "0.5", "2.25") into milliseconds;
 * @max_ms bounds the result. Sets *fraction if not whole seconds. */
bool cfgp_seconds(struct cfgp *p,
                  const struct cfg_tok *t,
                  const char *what,
                  uint32_t max_ms,
                  uint32_t *out_ms,
                  bool *fraction);
bool cfgp_ip(struct cfgp *p,
             const struct cfg_tok *t,
             const char *what,
             struct cfg_ip *out);
/* A multicast group address of @family (0: either). */
bool cfgp_mcast_group(struct cfgp *p,
                      const struct cfg_tok *t,
                      const char *what,
                      int family,
                      struct cfg_ip *out);
/* `ADDR[/PREFIX]`: prefix defaults to the full length. */
bool cfgp_prefix(struct cfgp *p,
                 const struct cfg_tok *t,
                 const char *what,
                 struct cfg_ip *out,
                 uint8_t *prefix);
/* `HOST[:PORT]`, `[V6]:PORT`, or a bare IPv6 literal; the port defaults to
 * @default_port. @host gets the host without brackets. */
bool cfgp_hostport(struct cfgp *p,
                   const struct cfg_tok *t,
                   const char *what,
                   uint16_t default_port,
                   char *host,
                   size_t host_size,
                   uint16_t *port);
/* Copy a name into a fixed buffer; too long is an error. */
bool cfgp_name(struct cfgp *p,
               const struct cfg_tok *t,
               const char *what,
               char *out,
               size_t size);
/* An interface name as the kernel accepts it. */
bool cfgp_ifname(struct cfgp *p,
                 const struct cfg_tok *t,
                 const char *what,
                 char *out);
/* Free a NULL-ended array of strings (cfg_track_process.argv). */
void cfg_argv_free(char **argv);
/* Join the arguments with single spaces (keepalived's unquoted scripts). */
char *cfgp_join(struct cfgp *p, const struct cfg_tok *args, size_t n);

/****** Parser engine (config_parse.c) ******/

struct cfg_kw;
typedef void (*cfg_kw_fn)(struct cfgp *p, void *obj, const struct cfg_stmt *s);
/* A list block item: consumes 1..@n of @toks, returns how many. */
typedef size_t (*cfg_item_fn)(struct cfgp *p,
                              void *obj,
                              const struct cfg_tok *toks,
                              size_t n);

enum cfg_kw_kind {
    CFG_KW_VALUE,       /* keyword ARGS */
    CFG_KW_BLOCK,       /* keyword [ARGS] { ... }: @fn parses the block */
    CFG_KW_NOT_ACTED,   /* keepalived's, no effect on what vipd does (SMTP,
                           scheduling, receive-side VRRP checks): a note
                           (warning) saying why, then skipped */
    CFG_KW_UNSUPPORTED, /* keepalived's, would change behaviour but vipd
                           does not implement it: an error with a hint */
};

struct cfg_kw
{
    const char *name;
    enum cfg_kw_kind kind;
    unsigned min_args;
    unsigned max_args; /* CFG_ARGS_ANY: no limit */
    cfg_kw_fn fn;
    const char *hint; /* NOT_ACTED: why it has no effect; UNSUPPORTED: what
                         to do instead (NULL: none) */
};
#define CFG_ARGS_ANY 0xffffu

/* Table entries for keepalived keywords vipd does not act on: NOT_ACTED
 * with the reason it makes no difference, UNSUPPORTED with what to do
 * instead. The name comes first so tools listing keywords find it. */
#define NOT_ACTED(name, why)                               \
    {                                                      \
        name, CFG_KW_NOT_ACTED, 0, CFG_ARGS_ANY, NULL, why \
    }
#define UNSUPPORTED(name, hint)                               \
    {                                                         \
        name, CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL, hint \
    }

/* Parse the statements of a block whose `{` is at p->pos, up to and
 * including its `}`. @name names the block in messages. */
void cfgp_block(struct cfgp *p,
                const struct cfg_kw *table,
                void *obj,
                const char *name);
/* Same for a block of list items (virtual_ipaddress, unicast_peer...). */
void cfgp_list(struct cfgp *p, cfg_item_fn item, void *obj, const char *name);
/* Skip a `{ ... }` at p->pos, nested blocks included. */
void cfgp_skip_block(struct cfgp *p);

/* True if the token at p->pos, first on its line and unknown to @table,
 * opens a top-level block (`vrrp_instance X {`): inside a block, that
 * means a `}` is missing. */
bool cfgp_opens_toplevel(const struct cfgp *p, const struct cfg_kw *table);

/* Top-level block handlers (config_blocks.c). */
void cfg_global_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);
void cfg_script_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);
void cfg_track_file_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);
void cfg_track_process_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);
void cfg_group_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);
void cfg_cluster_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);

/* Shared keyword handlers (config_parse.c). */
void cfgp_notify_kw(struct cfgp *p,
                    struct cfg_notify *n,
                    const struct cfg_stmt *s);
char *cfgp_command(struct cfgp *p, const struct cfg_stmt *s);

/****** vrrp_instance (config_instance.c) ******/

void cfg_instance_kw(struct cfgp *p, void *obj, const struct cfg_stmt *s);

/****** Cross-object checks (config_check.c) ******/

void cfg_check(struct cfgp *p);

#endif /* VIPD_SRC_CONFIG_INT_H */
