/* Config parser engine: statements, blocks, list blocks, the top-level
 * keyword table and the vip_config_load*() entry points.
 *
 * A statement is a keyword and the words after it on the same line, plus a
 * `{ ... }` block if one follows (also on the next line, as keepalived
 * allows). Inside a one-line block (`vrrp_script c { script "x" fall 2 }`)
 * a statement ends at the next keyword of the block, a vipd extension so
 * the compact form of docs/DESIGN.md 1 reads as intended. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "src/config_int.h"
#include "vipd/error.h"

static const struct cfg_kw toplevel_kws[] = {
    {"global_defs", CFG_KW_BLOCK, 0, 0, cfg_global_kw, NULL},
    {"vrrp_script", CFG_KW_BLOCK, 1, 1, cfg_script_kw, NULL},
    {"track_file", CFG_KW_BLOCK, 1, 1, cfg_track_file_kw, NULL},
    {"vrrp_track_file", CFG_KW_BLOCK, 1, 1, cfg_track_file_kw, NULL},
    {"vrrp_instance", CFG_KW_BLOCK, 1, 1, cfg_instance_kw, NULL},
    {"vrrp_sync_group", CFG_KW_BLOCK, 1, 1, cfg_group_kw, NULL},
    {"cluster", CFG_KW_BLOCK, 0, 0, cfg_cluster_kw, NULL},
#define LVS "LVS is out of scope for vipd; keep keepalived's checker or " \
            "ipvsadm for the virtual servers"
    UNSUPPORTED("virtual_server", LVS),
    UNSUPPORTED("virtual_server_group", LVS),
    UNSUPPORTED("real_server", LVS),
#undef LVS
    UNSUPPORTED("static_ipaddress", "configure static addresses with the "
                                    "system's network configuration"),
    UNSUPPORTED("static_routes", "configure static routes with the system's "
                                 "network configuration"),
    UNSUPPORTED("static_rules", "configure static rules with the system's "
                                "network configuration"),
    {"vrrp_track_process", CFG_KW_BLOCK, 1, 1, cfg_track_process_kw, NULL},
    UNSUPPORTED("bfd_instance", "vipd has no BFD; use a vrrp_script with "
                                "tcp_check or a script"),
    UNSUPPORTED("garp_group", "use garp_master_delay/garp_master_refresh "
                              "per instance"),
    NOT_ACTED("linkbeat_interfaces",
              "vipd follows link state through netlink"),
    {NULL, 0, 0, 0, NULL, NULL},
};

static const struct cfg_kw *kw_find(const struct cfg_kw *table,
                                    const char *name)
{
    for (; table && table->name; table++) {
        if (strcmp(table->name, name) == 0) {
            return table;
        }
    }
    return NULL;
}

bool cfgp_opens_toplevel(const struct cfgp *p, const struct cfg_kw *table)
{
    const struct cfg_tok *t = &p->toks[p->pos];
    size_t i = p->pos + 1;

    if (t->type != CFG_TOK_WORD || !t->bol || t->quoted ||
        kw_find(toplevel_kws, t->text) == NULL ||
        kw_find(table, t->text) != NULL) {
        return false;
    }
    while (p->toks[i].type == CFG_TOK_WORD && !p->toks[i].bol) {
        i++;
    }
    return p->toks[i].type == CFG_TOK_LBRACE;
}

/* Read the statement at p->pos (a word) into @s. */
static void read_stmt(struct cfgp *p,
                      const struct cfg_kw *table,
                      struct cfg_stmt *s)
{
    const struct cfg_tok *kw = &p->toks[p->pos++];
    const struct cfg_kw *k = kw_find(table, kw->text);
    size_t start = p->pos;
    size_t min = k ? k->min_args : 0;

    while (p->toks[p->pos].type == CFG_TOK_WORD && !p->toks[p->pos].bol) {
        const struct cfg_tok *a = &p->toks[p->pos];
        if (!kw->bol && p->pos - start >= min && !a->quoted &&
            kw_find(table, a->text) != NULL) {
            break; /* one-line block: the next keyword starts here */
        }
        p->pos++;
    }
    s->kw = kw;
    s->args = &p->toks[start];
    s->n_args = p->pos - start;
    s->has_block = p->toks[p->pos].type == CFG_TOK_LBRACE;
}

void cfgp_skip_block(struct cfgp *p)
{
    const struct cfg_tok *open = &p->toks[p->pos];
    unsigned depth = 0;

    for (;;) {
        const struct cfg_tok *t = &p->toks[p->pos];
        if (t->type == CFG_TOK_EOF) {
            if (!p->unwinding) {
                cfgp_error(p, &open->where, "'{' is never closed");
                p->unwinding = true;
            }
            return;
        }
        p->pos++;
        if (t->type == CFG_TOK_LBRACE) {
            depth++;
        } else if (t->type == CFG_TOK_RBRACE && --depth == 0) {
            return;
        }
    }
}

/* Edit distance between @a and @b, capped at 3 (enough for "did you mean"). */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[64];

    if (la >= 63 || lb >= 63) {
        return 3;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = (unsigned)j;
    }
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > 3 ? 3 : row[lb];
}

/* The keyword of @table closest to @word, if it is a plausible typo. */
static const char *closest_kw(const struct cfg_kw *table, const char *word)
{
    const char *best = NULL;
    unsigned best_d = 3;

    for (; table && table->name; table++) {
        unsigned d = edit_distance(word, table->name);
        size_t wl = strlen(word), kl = strlen(table->name);
        bool prefix = wl >= 4 && kl >= 4 &&
                      strncmp(table->name, word, wl < kl ? wl : kl) == 0;
        if (d < best_d || (best_d == 3 && prefix &&
                           (best == NULL || kl > strlen(best)))) {
            best = table->name;
            best_d = d;
        }
    }
    return best;
}

/* A shell prompt or command pasted from a tutorial: `[root@lb1 ~]# vim
 * keepalived.conf`, `root@lb1:~$ ...`, `$ sudo ...`, `vim /etc/...`. */
static bool looks_like_shell(const char *w)
{
    static const char *const cmds[] = {
        "vim", "vi", "nano", "cat", "sudo", "systemctl", "service", "yum",
        "apt", "apt-get", "dnf", "cp", "mv", "echo", "EOF", "ip", "keepalived",
    };
    if (w[0] == '[' || w[0] == '$' || strchr(w, '@') != NULL ||
        strstr(w, ":~") != NULL) {
        return true;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(w, cmds[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void unknown_kw(struct cfgp *p,
                       const struct cfg_kw *table,
                       const struct cfg_stmt *s,
                       const char *block)
{
    const char *w = s->kw->text;
    const char *near = closest_kw(table, w);

    if (w[0] == '@') {
        cfgp_error(p, &s->kw->where,
                   "'%.80s' is not a keyword: a line takes one @ID "
                   "condition, at its start",
                   w);
    } else if (block == NULL && looks_like_shell(w)) {
        cfgp_error(p, &s->kw->where,
                   "'%.80s' is not a keyword; this looks like a pasted shell "
                   "prompt or command, remove the line",
                   w);
    } else if (near != NULL) {
        cfgp_error(p, &s->kw->where,
                   "unknown keyword '%.80s'%s%s; did you mean '%s'?", w,
                   block ? " in " : "", block ? block : "", near);
    } else {
        cfgp_error(p, &s->kw->where, "unknown keyword '%.80s'%s%s", w,
                   block ? " in " : "", block ? block : "");
    }
}

static void run_stmt(struct cfgp *p,
                     const struct cfg_kw *table,
                     void *obj,
                     const char *block)
{
    struct cfg_stmt s;
    const struct cfg_kw *k;

    read_stmt(p, table, &s);
    k = kw_find(table, s.kw->text);
    if (k == NULL || s.kw->quoted) {
        unknown_kw(p, table, &s, block);
    } else if (k->kind == CFG_KW_NOT_ACTED) {
        cfgp_warn(p, &s.kw->where, "'%s' is accepted but not acted on by vipd: %s",
                  k->name, k->hint);
    } else if (k->kind == CFG_KW_UNSUPPORTED) {
        cfgp_error(p, &s.kw->where, "'%s' is not implemented by vipd: %s",
                   k->name, k->hint);
    } else if (s.n_args < k->min_args) {
        cfgp_error(p, &s.kw->where, "'%s' needs %u argument%s", k->name,
                   k->min_args, k->min_args == 1 ? "" : "s");
    } else if (k->kind == CFG_KW_BLOCK && !s.has_block) {
        cfgp_error(p, &s.kw->where, "'%s' needs a '{ ... }' block", k->name);
        return;
    } else if (s.n_args > k->max_args) {
        cfgp_error(p, &s.args[k->max_args].where,
                   "unexpected '%.80s' after '%s' (it takes %s%u "
                   "argument%s)",
                   s.args[k->max_args].text, k->name,
                   k->min_args == k->max_args ? "" : "at most ", k->max_args,
                   k->max_args == 1 ? "" : "s");
    } else {
        k->fn(p, obj, &s);
        if (k->kind == CFG_KW_BLOCK) {
            return; /* the handler consumed the block */
        }
        if (s.has_block) {
            cfgp_error(p, &p->toks[p->pos].where, "unexpected '{' after '%s'",
                       k->name);
        }
    }
    if (p->toks[p->pos].type == CFG_TOK_LBRACE) {
        cfgp_skip_block(p);
    }
}

/* Handle the token at p->pos inside a block: returns false when the block
 * ends (its `}`, end of input, or a missing `}` detected). */
static bool block_step(struct cfgp *p,
                       const struct cfg_tok *open,
                       const char *name,
                       const struct cfg_kw *table)
{
    const struct cfg_tok *t = &p->toks[p->pos];

    if (p->unwinding) {
        return false;
    }
    switch (t->type) {
    case CFG_TOK_EOF:
        cfgp_error(p, &open->where, "'%s' block is never closed", name);
        p->unwinding = true;
        return false;
    case CFG_TOK_RBRACE:
        p->pos++;
        return false;
    case CFG_TOK_LBRACE:
        cfgp_error(p, &t->where, "unexpected '{' in '%s'", name);
        cfgp_skip_block(p);
        return true;
    default:
        if (cfgp_opens_toplevel(p, table)) {
            cfgp_error(p, &open->where,
                       "'%s' block is not closed before '%s' at line %u", name,
                       t->text, t->where.line);
            p->unwinding = true;
            return false;
        }
        return true;
    }
}

void cfgp_block(struct cfgp *p,
                const struct cfg_kw *table,
                void *obj,
                const char *name)
{
    const struct cfg_tok *open = &p->toks[p->pos++];

    while (block_step(p, open, name, table)) {
        if (p->toks[p->pos].type == CFG_TOK_WORD) {
            run_stmt(p, table, obj, name);
        }
    }
}

void cfgp_list(struct cfgp *p, cfg_item_fn item, void *obj, const char *name)
{
    const struct cfg_tok *open = &p->toks[p->pos++];

    while (block_step(p, open, name, NULL)) {
        if (p->toks[p->pos].type != CFG_TOK_WORD) {
            continue;
        }
        /* The words of one line, split into items by @item's grammar. */
        size_t start = p->pos++;
        while (p->toks[p->pos].type == CFG_TOK_WORD && !p->toks[p->pos].bol) {
            p->pos++;
        }
        const struct cfg_tok *toks = &p->toks[start];
        size_t n = p->pos - start;
        while (n > 0 && !p->oom) {
            size_t used = item(p, obj, toks, n);
            if (used == 0 || used > n) {
                used = n;
            }
            toks += used;
            n -= used;
        }
    }
}

char *cfgp_command(struct cfgp *p, const struct cfg_stmt *s)
{
    if (s->args[0].len == 0) {
        cfgp_error(p, &s->args[0].where, "'%s': empty command", s->kw->text);
        return NULL;
    }
    if (s->args[0].quoted || s->n_args == 1) {
        return cfgp_strdup(p, s->args[0].text);
    }
    return cfgp_join(p, s->args, s->n_args);
}

void cfgp_notify_kw(struct cfgp *p,
                    struct cfg_notify *n,
                    const struct cfg_stmt *s)
{
    const char *k = s->kw->text;
    char **slot = strcmp(k, "notify_master") == 0   ? &n->master
                  : strcmp(k, "notify_backup") == 0 ? &n->backup
                  : strcmp(k, "notify_fault") == 0  ? &n->fault
                  : strcmp(k, "notify_stop") == 0   ? &n->stop
                                                    : &n->any;
    struct cfg_run_as *as = slot == &n->master   ? &n->master_as
                            : slot == &n->backup ? &n->backup_as
                            : slot == &n->fault  ? &n->fault_as
                            : slot == &n->stop   ? &n->stop_as
                                                 : &n->any_as;

    if (*slot != NULL) {
        cfgp_warn(p, &s->kw->where, "'%s' given again, the last one is used",
                  k);
        free(*slot);
    }
    memset(as, 0, sizeof *as);
    if (!s->args[0].quoted) {
        *slot = cfgp_command(p, s); /* unquoted: the words are the command */
        return;
    }
    /* keepalived: `notify_master "CMD ARGS" [USER [GROUP]]`. */
    *slot = cfgp_command(p, s);
    if (s->n_args > 3) {
        cfgp_error(p, &s->args[3].where,
                   "unexpected '%.80s' after '%s \"...\" USER GROUP'",
                   s->args[3].text, k);
    }
    if (s->n_args > 1) {
        cfgp_name(p, &s->args[1], "user", as->user, sizeof as->user);
    }
    if (s->n_args > 2) {
        cfgp_name(p, &s->args[2], "group", as->group, sizeof as->group);
    }
}

static void toplevel(struct cfgp *p)
{
    for (;;) {
        const struct cfg_tok *t = &p->toks[p->pos];
        p->unwinding = false;
        if (t->type == CFG_TOK_EOF) {
            return;
        }
        if (t->type == CFG_TOK_RBRACE) {
            cfgp_error(p, &t->where, "unmatched '}'");
            p->pos++;
        } else if (t->type == CFG_TOK_LBRACE) {
            cfgp_error(p, &t->where, "unexpected '{'");
            cfgp_skip_block(p);
        } else {
            run_stmt(p, toplevel_kws, p->cfg, NULL);
        }
    }
}

static void set_defaults(struct vip_config *cfg)
{
    struct cfg_global *g = &cfg->global;
    struct cfg_cluster *c = &cfg->cluster;

    g->vrrp_version = 2;
    g->garp_master_delay_ms = 5000;
    g->garp_master_repeat = 5;
    g->garp_master_refresh_ms = 0;
    g->garp_master_refresh_repeat = 1;
    c->listen_port = 5405;
    c->election_timeout_ms = CFG_ELECTION_TIMEOUT_DEFAULT_MS;
    c->lease_mode = CFG_LEASE_NORMAL;
    c->snapshot_threshold = 1024;
    c->snapshot_trailing = 128;
}

/* keepalived's default config id: the node name up to its first dot. */
static char *default_config_id(struct cfgp *p)
{
    struct utsname u;

    if (uname(&u) != 0) {
        return cfgp_strdup(p, "");
    }
    char *dot = strchr(u.nodename, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
    return cfgp_strdup(p, u.nodename);
}

static int load(struct vip_config *cfg,
                const char *path,
                const struct cfg_options *opts,
                struct cfg_report *report)
{
    const char *text = opts ? opts->text : NULL;
    size_t len = opts ? opts->text_len : 0;
    struct cfg_report local = {0};
    struct cfgp p;
    int rv;

    memset(cfg, 0, sizeof *cfg);
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.report = report ? report : &local;
    p.main_file = path;
    set_defaults(cfg);
    cfg->cluster.data_dir = cfgp_strdup(&p, "/var/lib/vipd");
    cfg->cluster.secret_file = cfgp_strdup(&p, "/etc/vipd/cluster.key");
    cfg->cluster.control_socket = cfgp_strdup(&p, "/run/vipd/vipd.sock");
    cfg->config_id = opts && opts->config_id ? cfgp_strdup(&p, opts->config_id)
                                              : default_config_id(&p);
    p.config_id = cfg->config_id;
    unsigned errors_before = p.report->n_errors;
    rv = p.oom ? VIP_ENOMEM : cfg_lex(&p, path, text, len);
    if (rv == 0) {
        toplevel(&p);
        if (!p.oom) {
            cfg_check(&p);
        }
    }
    cfg_lex_free(&p);
    if (p.oom) {
        return VIP_ENOMEM;
    }
    return p.report->n_errors > errors_before ? VIP_ECONFIG : 0;
}

int vip_config_load(struct vip_config *cfg,
                    const char *path,
                    struct cfg_report *report)
{
    return load(cfg, path, NULL, report);
}

int vip_config_load_opts(struct vip_config *cfg,
                         const char *path,
                         const struct cfg_options *opts,
                         struct cfg_report *report)
{
    return load(cfg, path, opts, report);
}

int vip_config_load_string(struct vip_config *cfg,
                           const char *name,
                           const char *text,
                           size_t len,
                           struct cfg_report *report)
{
    struct cfg_options opts = {
        .text = text ? text : "",
        .text_len = text ? len : 0,
    };
    return load(cfg, name, &opts, report);
}
