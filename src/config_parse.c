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

#include "src/config_int.h"
#include "vipd/error.h"

static const struct cfg_kw toplevel_kws[] = {
    {"global_defs", CFG_KW_BLOCK, 0, 0, cfg_global_kw},
    {"vrrp_script", CFG_KW_BLOCK, 1, 1, cfg_script_kw},
    {"track_file", CFG_KW_BLOCK, 1, 1, cfg_track_file_kw},
    {"vrrp_track_file", CFG_KW_BLOCK, 1, 1, cfg_track_file_kw},
    {"vrrp_instance", CFG_KW_BLOCK, 1, 1, cfg_instance_kw},
    {"vrrp_sync_group", CFG_KW_BLOCK, 1, 1, cfg_group_kw},
    {"cluster", CFG_KW_BLOCK, 0, 0, cfg_cluster_kw},
    {"virtual_server", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"virtual_server_group", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"static_ipaddress", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"static_routes", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"static_rules", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"vrrp_track_process", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"bfd_instance", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"garp_group", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"linkbeat_interfaces", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {"real_server", CFG_KW_UNSUPPORTED, 0, CFG_ARGS_ANY, NULL},
    {NULL, 0, 0, 0, NULL},
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
        cfgp_warn(p, &s.kw->where, "unknown keyword '%.80s'%s%s, ignored",
                  s.kw->text, block ? " in " : "", block ? block : "");
    } else if (k->kind == CFG_KW_NOT_ACTED) {
        cfgp_warn(p, &s.kw->where, "'%s' is accepted but not acted on by vipd",
                  k->name);
    } else if (k->kind == CFG_KW_UNSUPPORTED) {
        cfgp_warn(p, &s.kw->where, "'%s' is not supported by vipd%s, ignored",
                  k->name,
                  strncmp(k->name, "virtual_server", 14) == 0 ||
                          strcmp(k->name, "real_server") == 0
                      ? " (LVS is out of scope)"
                      : "");
    } else if (s.n_args < k->min_args) {
        cfgp_error(p, &s.kw->where, "'%s' needs %u argument%s", k->name,
                   k->min_args, k->min_args == 1 ? "" : "s");
    } else if (k->kind == CFG_KW_BLOCK && !s.has_block) {
        cfgp_error(p, &s.kw->where, "'%s' needs a '{ ... }' block", k->name);
        return;
    } else {
        if (s.n_args > k->max_args) {
            cfgp_warn(p, &s.args[k->max_args].where,
                      "extra argument '%.80s' after '%s' ignored",
                      s.args[k->max_args].text, k->name);
            s.n_args = k->max_args;
        }
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

    if (*slot != NULL) {
        cfgp_warn(p, &s->kw->where, "'%s' given again, the last one is used",
                  k);
        free(*slot);
    }
    *slot = cfgp_command(p, s);
    if (s->args[0].quoted && s->n_args > 1) {
        cfgp_warn(p, &s->args[1].where,
                  "per-script user '%.80s' is not acted on by vipd; "
                  "notify scripts run as script_user",
                  s->args[1].text);
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
    c->election_timeout_ms = 500;
    c->lease_mode = CFG_LEASE_NORMAL;
    c->snapshot_threshold = 1024;
    c->snapshot_trailing = 128;
}

static int load(struct vip_config *cfg,
                const char *path,
                const char *text,
                size_t len,
                struct cfg_report *report)
{
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
    return load(cfg, path, NULL, 0, report);
}

int vip_config_load_string(struct vip_config *cfg,
                           const char *name,
                           const char *text,
                           size_t len,
                           struct cfg_report *report)
{
    return load(cfg, name, text ? text : "", text ? len : 0, report);
}
