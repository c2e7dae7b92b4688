/* Placement units for the control backend: status, transfer, events. */
#include <stdio.h>
#include <string.h>

#include "src/ctl_units.h"
#include "vipd/error.h"

/* Where the instance names come from: this node's configuration, or a
 * member's replicated NODE record when it configures none (a witness). */
struct unit_src
{
    const struct vip_config *cfg; /* NULL: use @m */
    const struct fsm_member *m;   /* NULL with @cfg NULL: no instances */
    size_t n;
};

static struct unit_src src_of(const struct vip_config *cfg,
                              const struct fsm_state *fs)
{
    struct unit_src s = {NULL, NULL, 0};

    if (cfg != NULL && cfg->n_instances > 0) {
        s.cfg = cfg;
        s.n = cfg->n_instances;
        return s;
    }
    /* The holder's record first, as the group-wide status always did. */
    s.m = fsm_member(fs, fs->holder);
    if (s.m != NULL && s.m->node.n_instances == 0) {
        s.m = NULL;
    }
    for (unsigned i = 0; s.m == NULL && i < fs->n_members; i++) {
        if (fs->members[i].has_node && fs->members[i].node.n_instances > 0) {
            s.m = &fs->members[i];
        }
    }
    s.n = s.m != NULL ? s.m->node.n_instances : 0;
    return s;
}

static const char *src_name(const struct unit_src *s, size_t i)
{
    return s->cfg != NULL ? s->cfg->instances[i].name
                          : s->m->node.instances[i].name;
}

static const char *src_unit(const struct unit_src *s, size_t i)
{
    return s->cfg != NULL ? vip_config_unit_of(s->cfg, i)
                          : entry_instance_unit(&s->m->node.instances[i]);
}

void ctl_unit_fill(const struct fsm_state *fs,
                   const char *unit,
                   struct vip_status_instance *in)
{
    const struct fsm_unit *u = fsm_unit(fs, unit);

    vip_status_copy(in->unit, sizeof in->unit, unit);
    if (u == NULL) {
        in->holder_id = fs->holder;
        in->since_ms = (int64_t)fs->holder_since_ms;
        in->term = fs->term; /* the TICK that named the holder */
        vip_status_copy(in->reason, sizeof in->reason,
                        entry_hold_reason_name(fs->holder_reason));
        return;
    }
    in->holder_id = u->holder;
    in->since_ms = (int64_t)u->since_wall_ms;
    in->term = u->term;
    vip_status_copy(in->reason, sizeof in->reason,
                    u->holder == 0     ? CTL_UNIT_REASON_NONE
                    : u->leader_bound ? CTL_UNIT_REASON_LEADER
                                      : CTL_UNIT_REASON_GRANTED);
}

size_t ctl_unit_count(const struct vip_config *cfg, const struct fsm_state *fs)
{
    struct unit_src s = src_of(cfg, fs);
    size_t n = 0;

    for (size_t i = 0; i < s.n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(src_unit(&s, i), src_unit(&s, j)) == 0;
        }
        n += !seen;
    }
    return n;
}

/* Append @text to @buf (@size bytes, @*len used); on overflow end the
 * buffer in "..." and return false. */
static bool append(char *buf, size_t size, size_t *len, const char *text)
{
    size_t n = strlen(text);

    if (*len + n + 1 <= size) {
        memcpy(buf + *len, text, n + 1);
        *len += n;
        return true;
    }
    if (size >= 4) {
        size_t at = *len + 4 <= size ? *len : size - 4;
        memcpy(buf + at, "...", 4);
        *len = at + 3;
    }
    return false;
}

size_t ctl_unit_instances(const struct vip_config *cfg,
                          const struct fsm_state *fs,
                          const char *unit,
                          char *buf,
                          size_t size)
{
    struct unit_src s = src_of(cfg, fs);
    size_t count = 0;
    size_t len = 0;
    bool fits = true;

    if (size > 0) {
        buf[0] = '\0';
    }
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(src_unit(&s, i), unit) != 0) {
            continue;
        }
        if (fits && count > 0) {
            fits = append(buf, size, &len, ", ");
        }
        if (fits) {
            fits = append(buf, size, &len, src_name(&s, i));
        }
        count++;
    }
    return count;
}

/* The unit of the instance (or sync group) named @name; NULL if none. */
static const char *unit_of_name(const struct unit_src *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(src_name(s, i), name) == 0) {
            return src_unit(s, i);
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(src_unit(s, i), name) == 0) {
            return src_unit(s, i);
        }
    }
    return NULL;
}

int ctl_unit_transfer_plan(const struct vip_config *cfg,
                           const struct fsm_state *fs,
                           const char *name,
                           char *unit,
                           char *message,
                           size_t size,
                           char *errmsg)
{
    struct unit_src s = src_of(cfg, fs);
    const char *u = unit_of_name(&s, name);
    char list[160];
    size_t n;

    unit[0] = '\0';
    if (u == NULL) {
        size_t len = 0;
        list[0] = '\0';
        for (size_t i = 0; i < s.n; i++) {
            if (!append(list, sizeof list, &len, i == 0 ? "" : ", ") ||
                !append(list, sizeof list, &len, src_name(&s, i))) {
                break;
            }
        }
        errmsg_printf(errmsg, "no instance named '%.64s' (instances: %s)",
                      name, s.n > 0 ? list : "none");
        return VIP_ENOENT;
    }
    n = ctl_unit_instances(cfg, fs, u, list, sizeof list);
    if (ctl_unit_count(cfg, fs) <= 1) {
        /* One unit: the leader holds it, so leadership moves, as for a
         * transfer without an instance. */
        snprintf(message, size,
                 "switchover requested (%s is the only unit: all the VIPs "
                 "move)",
                 u);
        return 0;
    }
    if (fsm_unit(fs, u) == NULL) {
        errmsg_printf(errmsg,
                      "%.64s (unit %.64s) has not been placed yet; try again "
                      "once it has a holder",
                      name, u);
        return VIP_ENOENT;
    }
    snprintf(unit, ENTRY_NAME_MAX, "%s", u);
    if (n > 1 || strcmp(u, name) != 0) {
        snprintf(message, size,
                 "switchover of %s requested: sync group %s moves as a whole "
                 "(%s)",
                 name, u, list);
    } else {
        snprintf(message, size, "switchover of %s requested", name);
    }
    return 0;
}

/* "VI_1, VI_2 (unit VG" or "VI_2" (no parenthesis opened) or "unit VG"
 * (no instance known here); returns whether a parenthesis is open. */
static bool subject(const struct vip_config *cfg,
                    const struct fsm_state *fs,
                    const char *unit,
                    char *buf,
                    size_t size)
{
    char list[160];
    size_t n = ctl_unit_instances(cfg, fs, unit, list, sizeof list);

    if (n == 0) {
        snprintf(buf, size, "unit %s", unit);
        return false;
    }
    if (n == 1 && strcmp(list, unit) == 0) {
        snprintf(buf, size, "%s", list);
        return false;
    }
    snprintf(buf, size, "%s (unit %s", list, unit);
    return true;
}

bool ctl_unit_event_text(const struct vip_config *cfg,
                         const struct fsm_state *fs,
                         const struct fsm_event *e,
                         char *text,
                         size_t size)
{
    char subj[256];
    char was[32] = "";
    bool open;

    if (e->name[0] == '\0' ||
        (e->type != FSM_EV_HOLDER && e->type != FSM_EV_TRANSFER)) {
        return false;
    }
    open = subject(cfg, fs, e->name, subj, sizeof subj);
    if (e->type == FSM_EV_TRANSFER) {
        char to[32];
        if (e->node != 0) {
            snprintf(to, sizeof to, "n%llu", (unsigned long long)e->node);
        } else {
            snprintf(to, sizeof to, "the preferred node");
        }
        snprintf(text, size, "transfer of %s%s to %s requested by n%llu", subj,
                 open ? ")" : "", to, (unsigned long long)e->other);
        return true;
    }
    if (e->other != 0) {
        snprintf(was, sizeof was, "%swas n%llu", open ? "; " : " (",
                 (unsigned long long)e->other);
    }
    if (e->node != 0) {
        snprintf(text, size, "n%llu holds %s%s%s", (unsigned long long)e->node,
                 subj, was, open || was[0] != '\0' ? ")" : "");
    } else {
        snprintf(text, size, "nobody holds %s%s%s", subj, was,
                 open || was[0] != '\0' ? ")" : "");
    }
    return true;
}
