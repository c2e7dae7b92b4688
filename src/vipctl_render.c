/* vipctl's human output. Column widths follow the data, capped so that
 * every line fits VIPCTL_COLUMNS; cut text ends in '~'. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "src/vipctl_render.h"

#define C_RESET  "\033[0m"
#define C_BOLD   "\033[1m"
#define C_GREEN  "\033[32m"
#define C_RED    "\033[31m"
#define C_YELLOW "\033[33m"

bool vipctl_use_colour(int fd)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    if (nc != NULL && nc[0] != '\0') {
        return false;
    }
    if (term != NULL && strcmp(term, "dumb") == 0) {
        return false;
    }
    return isatty(fd) == 1;
}

const char *vipctl_format_time(int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);

    if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
        snprintf(buf, size, "-");
    }
    return buf;
}

/* Print the first @n bytes of @text with control characters as '?': names
 * and texts come from other nodes, and must not move the cursor, clear the
 * screen or retitle the operator's terminal. */
static void put_text(FILE *out, const char *text, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
    }
}

/* Print @text in a cell of @width columns (left-aligned, cut with '~'),
 * coloured with @col when @colour. @last: no padding after it. */
static void cell(FILE *out,
                 const char *text,
                 int width,
                 const char *col,
                 bool colour,
                 bool last)
{
    int len = (int)strlen(text);
    bool cut = len > width;
    int shown = cut ? width - 1 : len;

    if (shown < 0) {
        shown = 0;
    }
    /* Never cut inside a UTF-8 sequence: back up to its first byte. */
    while (cut && shown > 0 && ((unsigned char)text[shown] & 0xc0) == 0x80) {
        shown--;
    }
    if (colour && col != NULL) {
        fputs(col, out);
    }
    put_text(out, text, shown);
    if (cut) {
        fputc('~', out);
    }
    if (colour && col != NULL) {
        fputs(C_RESET, out);
    }
    if (!last) {
        fprintf(out, "%*s", width - shown - (cut ? 1 : 0) + 2, "");
    }
}

/* Right-aligned number cell of @width columns plus two spaces. */
static void num(FILE *out, uint64_t v, int width)
{
    fprintf(out, "%*" PRIu64 "  ", width, v);
}

static int digits(uint64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static const char *role_colour(enum vip_role r)
{
    return r == VIP_ROLE_LEADER    ? C_GREEN C_BOLD
           : r == VIP_ROLE_UNKNOWN ? C_RED
                                   : NULL;
}

/* "name (id)" of node @id, "-" for none, "id N" for one not in the list. */
static const char *node_label(const struct vip_status *st,
                              uint64_t id,
                              char *buf,
                              size_t size)
{
    const struct vip_status_node *n = id != 0 ? vip_status_node(st, id) : NULL;
    if (id == 0) {
        snprintf(buf, size, "-");
    } else if (n != NULL && n->name[0] != '\0') {
        snprintf(buf, size, "%s (%" PRIu64 ")", n->name, id);
    } else {
        snprintf(buf, size, "id %" PRIu64, id);
    }
    return buf;
}

static void render_summary(FILE *out, const struct vip_status *st, bool colour)
{
    char self[96];
    char leader[96];
    uint64_t term = 0;
    const struct vip_status_node *ln = vip_status_node(st, st->leader_id);

    if (ln != NULL) {
        term = ln->term;
    }
    node_label(st, st->node_id, self, sizeof self);
    node_label(st, st->leader_id, leader, sizeof leader);
    fprintf(out, "Cluster: %zu node%s, leader ", st->n_nodes,
            st->n_nodes == 1 ? "" : "s");
    cell(out, st->leader_id ? leader : "none", 40, st->leader_id ? NULL : C_RED,
         colour, true);
    if (term != 0) {
        fprintf(out, ", term %" PRIu64, term);
    }
    fprintf(out, "\nThis node: ");
    cell(out, self, 40, NULL, colour, true);
    fprintf(out, ", ");
    /* With one holder per unit a node may hold some instances only. */
    size_t n_held = 0;
    for (size_t i = 0; i < st->n_instances; i++) {
        n_held += st->instances[i].holds;
    }
    char some[48];
    snprintf(some, sizeof some, "holds %zu of %zu instances", n_held,
             st->n_instances);
    cell(out,
         st->holds    ? "holds the VIPs"
         : n_held > 0 ? some
                      : "does not hold the VIPs",
         30, st->holds || n_held > 0 ? C_GREEN C_BOLD : NULL, colour, true);
    fprintf(out, "\n");
    if (st->n_voters > 0) {
        /* Raft keeps working while a majority of the voters is up. */
        char tol[96];
        snprintf(tol, sizeof tol, "%u node failure%s", st->failures_tolerated,
                 st->failures_tolerated == 1 ? "" : "s");
        fprintf(out, "Tolerates: ");
        cell(out, tol, 30, st->failures_tolerated == 0 ? C_RED : NULL, colour,
             true);
        fprintf(out, " (%u voter%s)%s\n", st->n_voters,
                st->n_voters == 1 ? "" : "s",
                st->n_voters == 2 ? ": add a witness" : "");
    }
}

static void render_nodes(FILE *out, const struct vip_status *st, bool colour)
{
    int w_id = 2, w_name = 4, w_addr = 7, w_term = 4, w_ci = 6, w_ai = 7;
    int w_role = 9;

    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        w_id = imax(w_id, digits(n->id));
        w_name = imax(w_name, (int)strlen(n->name));
        w_addr = imax(w_addr, (int)strlen(n->address));
        w_term = imax(w_term, digits(n->term));
        w_ci = imax(w_ci, digits(n->commit_index));
        w_ai = imax(w_ai, digits(n->applied_index));
        if (n->key_refused) {
            w_role = 11; /* "key refused" */
        }
    }
    /* Fixed part: ROLE 9 (11), MEMBER 7, REACH 5, MAINT 5, and 2 spaces
     * after every column but the last. */
    int fixed = w_id + w_term + w_ci + w_ai + w_role + 7 + 5 + 5 + 9 * 2;
    int room = VIPCTL_COLUMNS - fixed;
    w_name = imin(w_name, imax(4, room / 3));
    w_addr = imin(w_addr, imax(4, room - w_name - 2));

    fprintf(out, "\n%*s  ", w_id, "ID");
    cell(out, "NAME", w_name, NULL, false, false);
    cell(out, "ADDRESS", w_addr, NULL, false, false);
    fprintf(out, "%-*s  %-7s  %*s  %*s  %*s  %-5s  MAINT\n", w_role, "ROLE",
            "MEMBER", w_term, "TERM", w_ci, "COMMIT", w_ai, "APPLIED",
            "REACH");
    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        num(out, n->id, w_id);
        cell(out, n->name, w_name, n->id == st->node_id ? C_BOLD : NULL, colour,
             false);
        cell(out, n->address, w_addr, NULL, colour, false);
        /* A witness shows as such: it never holds, whatever its Raft
         * role (the summary line names the leader). A peer that refused
         * our key has no role we could know: say why instead. */
        if (n->key_refused) {
            cell(out, "key refused", w_role, C_RED, colour, false);
        } else {
            cell(out, n->witness ? "witness" : vip_role_name(n->role), w_role,
                 n->witness ? NULL : role_colour(n->role), colour, false);
        }
        cell(out, vip_member_name(n->member), 7, NULL, colour, false);
        num(out, n->term, w_term);
        num(out, n->commit_index, w_ci);
        num(out, n->applied_index, w_ai);
        cell(out, n->reachable ? "yes" : "no", 5, n->reachable ? NULL : C_RED,
             colour, false);
        cell(out, n->maintenance ? "on" : "off", 5,
             n->maintenance ? C_YELLOW : NULL, colour, true);
        fputc('\n', out);
    }
    /* What the logs alone used to say, with the age of the latest try. */
    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        char what[VIPCTL_COLUMNS + 1];
        if (!n->key_refused) {
            continue;
        }
        snprintf(what, sizeof what,
                 "Key refused: %.24s (%" PRIu64 ") %us ago: the keys differ "
                 "(secret_file)",
                 n->name, n->id, (unsigned)n->key_refused_age_s);
        cell(out, what, VIPCTL_COLUMNS, C_RED, colour, true);
        fputc('\n', out);
    }
}

static void render_checks(FILE *out, const struct vip_status *st, bool colour)
{
    int w_node = 4, w_check = 5;
    size_t total = 0;
    char when[32];

    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        total += n->n_checks;
        w_node = imax(w_node, (int)strlen(n->name));
        for (size_t j = 0; j < n->n_checks; j++) {
            w_check = imax(w_check, (int)strlen(n->checks[j].name));
        }
    }
    if (total == 0) {
        return;
    }
    /* STATE 7, VALUE 11, CHANGED 19. */
    w_node = imin(w_node, 20);
    w_check = imin(w_check, VIPCTL_COLUMNS - w_node - 7 - 11 - 19 - 8);
    fprintf(out, "\n");
    cell(out, "NODE", w_node, NULL, false, false);
    cell(out, "CHECK", w_check, NULL, false, false);
    fprintf(out, "%-7s  %11s  CHANGED\n", "STATE", "VALUE");
    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        for (size_t j = 0; j < n->n_checks; j++) {
            const struct vip_status_check *c = &n->checks[j];
            cell(out, n->name, w_node, NULL, colour, false);
            cell(out, c->name, w_check, NULL, colour, false);
            cell(out, vip_check_state_name(c->state), 7,
                 c->state == VIP_CHECK_FAIL ? C_RED
                 : c->state == VIP_CHECK_OK ? C_GREEN
                                            : C_YELLOW,
                 colour, false);
            fprintf(out, "%11" PRId32 "  %s\n", c->value,
                    vipctl_format_time(c->changed_ms, when, sizeof when));
        }
    }
}

static void render_priorities(FILE *out,
                              const struct vip_status *st,
                              bool colour)
{
    int w_node = 4, w_inst = 8;
    size_t total = 0;

    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        total += n->n_priorities;
        w_node = imax(w_node, (int)strlen(n->name));
        for (size_t j = 0; j < n->n_priorities; j++) {
            w_inst = imax(w_inst, (int)strlen(n->priorities[j].instance));
        }
    }
    if (total == 0) {
        return;
    }
    w_node = imin(w_node, 30); /* 30 + 40 + PRIORITY, ELIGIBLE: 92 */
    w_inst = imin(w_inst, 40);
    fprintf(out, "\n");
    cell(out, "NODE", w_node, NULL, false, false);
    cell(out, "INSTANCE", w_inst, NULL, false, false);
    fprintf(out, "PRIORITY  ELIGIBLE\n");
    for (size_t i = 0; i < st->n_nodes; i++) {
        const struct vip_status_node *n = &st->nodes[i];
        for (size_t j = 0; j < n->n_priorities; j++) {
            const struct vip_status_priority *p = &n->priorities[j];
            cell(out, n->name, w_node, NULL, colour, false);
            cell(out, p->instance, w_inst, NULL, colour, false);
            fprintf(out, "%8d  ", p->priority);
            cell(out, p->eligible ? "yes" : "no", 8,
                 p->eligible ? NULL : C_YELLOW, colour, true);
            fputc('\n', out);
        }
    }
}

/* The VIPs of @in on their own lines, wrapped at the column limit. */
static void render_vips(FILE *out, const struct vip_status_instance *in)
{
    int col = fprintf(out, "  vips:");
    if (in->n_vips == 0) {
        fprintf(out, " none");
    }
    for (size_t j = 0; j < in->n_vips; j++) {
        int len = (int)strlen(in->vips[j]) + 1;
        if (col + len > VIPCTL_COLUMNS) {
            col = fprintf(out, "\n        ") - 1;
        }
        fputc(' ', out);
        put_text(out, in->vips[j], len - 1);
        col += len;
    }
    fputc('\n', out);
}

/* The instance table of a daemon that reports units (one holder per
 * unit): UNIT (when a sync group exists), HERE (this node holds it) and
 * the placing leader's TERM as well. */
static void render_units(FILE *out, const struct vip_status *st, bool colour)
{
    int w_inst = 8, w_unit = 4, w_holder = 6, w_term = 4;
    bool groups = false;
    char label[96];
    char when[32];

    for (size_t i = 0; i < st->n_instances; i++) {
        const struct vip_status_instance *in = &st->instances[i];
        w_inst = imax(w_inst, (int)strlen(in->name));
        w_unit = imax(w_unit, (int)strlen(in->unit));
        groups = groups || strcmp(in->unit, in->name) != 0;
        node_label(st, in->holder_id, label, sizeof label);
        w_holder = imax(w_holder, (int)strlen(label));
        w_term = imax(w_term, digits(in->term));
    }
    w_inst = imin(w_inst, 16);
    w_unit = groups ? imin(w_unit, 12) : 0;
    w_holder = imin(w_holder, 20);
    /* HERE 4, TERM, SINCE 19, at least 10 for the reason; the names give
     * way to a long term. */
    int room = VIPCTL_COLUMNS - (4 + 2 + w_term + 2 + 19 + 2) - 10;
    while (w_inst + 2 + (groups ? w_unit + 2 : 0) + w_holder + 2 > room) {
        if (w_holder >= w_inst && w_holder >= w_unit && w_holder > 4) {
            w_holder--;
        } else if (w_inst >= w_unit && w_inst > 4) {
            w_inst--;
        } else if (w_unit > 4) {
            w_unit--;
        } else {
            break;
        }
    }
    int w_reason = VIPCTL_COLUMNS - (w_inst + 2 + (groups ? w_unit + 2 : 0) +
                                     w_holder + 2 + 4 + 2 + w_term + 2 + 19 + 2);
    fprintf(out, "\n");
    cell(out, "INSTANCE", w_inst, NULL, false, false);
    if (groups) {
        cell(out, "UNIT", w_unit, NULL, false, false);
    }
    cell(out, "HOLDER", w_holder, NULL, false, false);
    fprintf(out, "HERE  %*s  %-19s  REASON\n", w_term, "TERM", "SINCE");
    for (size_t i = 0; i < st->n_instances; i++) {
        const struct vip_status_instance *in = &st->instances[i];
        cell(out, in->name, w_inst, NULL, colour, false);
        if (groups) {
            cell(out, in->unit, w_unit, NULL, colour, false);
        }
        node_label(st, in->holder_id, label, sizeof label);
        cell(out, in->holder_id ? label : "none", w_holder,
             in->holder_id ? C_GREEN : C_RED, colour, false);
        cell(out, in->holds ? "yes" : "-", 4,
             in->holds ? C_GREEN C_BOLD : NULL, colour, false);
        num(out, in->term, w_term);
        fprintf(out, "%-19s  ",
                vipctl_format_time(in->since_ms, when, sizeof when));
        cell(out, in->reason[0] ? in->reason : "-", w_reason, NULL, colour,
             true);
        fputc('\n', out);
        render_vips(out, in);
    }
}

static void render_instances(FILE *out,
                             const struct vip_status *st,
                             bool colour)
{
    int w_inst = 8, w_holder = 6;
    char label[96];
    char when[32];

    if (st->n_instances == 0) {
        fprintf(out, "\nNo instances.\n");
        return;
    }
    for (size_t i = 0; i < st->n_instances; i++) {
        if (st->instances[i].unit[0] != '\0') {
            render_units(out, st, colour);
            return;
        }
    }
    for (size_t i = 0; i < st->n_instances; i++) {
        const struct vip_status_instance *in = &st->instances[i];
        w_inst = imax(w_inst, (int)strlen(in->name));
        node_label(st, in->holder_id, label, sizeof label);
        w_holder = imax(w_holder, (int)strlen(label));
    }
    w_inst = imin(w_inst, 20);
    w_holder = imin(w_holder, 24);
    int w_reason = VIPCTL_COLUMNS - w_inst - w_holder - 19 - 6;
    fprintf(out, "\n");
    cell(out, "INSTANCE", w_inst, NULL, false, false);
    cell(out, "HOLDER", w_holder, NULL, false, false);
    fprintf(out, "%-19s  REASON\n", "SINCE");
    for (size_t i = 0; i < st->n_instances; i++) {
        const struct vip_status_instance *in = &st->instances[i];
        cell(out, in->name, w_inst, NULL, colour, false);
        node_label(st, in->holder_id, label, sizeof label);
        cell(out, in->holder_id ? label : "none", w_holder,
             in->holder_id ? C_GREEN : C_RED, colour, false);
        fprintf(out, "%-19s  ",
                vipctl_format_time(in->since_ms, when, sizeof when));
        cell(out, in->reason[0] ? in->reason : "-", w_reason, NULL, colour,
             true);
        fputc('\n', out);
        render_vips(out, in);
    }
}

void vipctl_render_status(FILE *out, const struct vip_status *st, bool colour)
{
    render_summary(out, st, colour);
    render_nodes(out, st, colour);
    render_checks(out, st, colour);
    render_priorities(out, st, colour);
    render_instances(out, st, colour);
}

void vipctl_render_events_header(FILE *out, bool colour)
{
    (void)colour;
    fprintf(out, "%-19s  %6s  %8s  %-11s  %-4s  %s\n", "TIME", "TERM", "INDEX",
            "KIND", "NODE", "TEXT");
}

static int event_columns = VIPCTL_COLUMNS;

void vipctl_render_set_event_columns(int columns)
{
    event_columns = columns;
}

int vipctl_output_columns(int fd)
{
    struct winsize ws;

    if (isatty(fd) != 1) {
        return 0;
    }
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
        return ws.ws_col;
    }
    return VIPCTL_COLUMNS;
}

void vipctl_render_event(FILE *out, const struct vip_event *ev, bool colour)
{
    char when[32];
    char node[24];
    const char *col = ev->kind == VIP_EVENT_HOLDER   ? C_GREEN
                      : ev->kind == VIP_EVENT_HEALTH ? C_YELLOW
                                                     : NULL;

    if (ev->node_id != 0) {
        snprintf(node, sizeof node, "%" PRIu64, ev->node_id);
    } else {
        snprintf(node, sizeof node, "-");
    }
    /* TIME 19, TERM 6, INDEX 8, KIND 11, NODE 4 (wider numbers shift the
     * row), and the text gets what is left of the line. */
    int used = fprintf(out, "%-19s  %6" PRIu64 "  %8" PRIu64 "  ",
                       vipctl_format_time(ev->time_ms, when, sizeof when),
                       ev->term, ev->index);
    cell(out, vip_event_kind_name(ev->kind), 11, col, colour, false);
    int w_node = imax(4, (int)strlen(node)); /* ids are never cut */
    cell(out, node, w_node, NULL, colour, false);
    /* Piped (no width): the whole text, never cut. */
    int w_text = event_columns <= 0
                     ? imax(10, (int)strnlen(ev->text, sizeof ev->text))
                     : imax(10, event_columns - used - 11 - 2 - w_node - 2);
    cell(out, ev->text, w_text, NULL, colour, true);
    fputc('\n', out);
}
