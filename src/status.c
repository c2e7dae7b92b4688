/* The status model of include/vipd/status.h: builders and names. */
#include <stdlib.h>
#include <string.h>

#include "vipd/error.h"
#include "vipd/status.h"

/* Grow *@arr by one zeroed element of @size bytes; NULL when out of memory
 * (the array is left as it was). */
static void *status_grow(void **arr, size_t *n, size_t size)
{
    if (*n >= (size_t)-1 / size - 1) {
        return NULL;
    }
    char *p = realloc(*arr, (*n + 1) * size);
    if (p == NULL) {
        return NULL;
    }
    *arr = p;
    memset(p + *n * size, 0, size);
    return p + (*n)++ * size;
}

void vip_status_copy(char *dst, size_t size, const char *src)
{
    size_t len = src != NULL ? strnlen(src, size - 1) : 0;
    if (len > 0) {
        memcpy(dst, src, len);
    }
    dst[len] = '\0';
}

void vip_status_init(struct vip_status *st)
{
    memset(st, 0, sizeof *st);
}

void vip_status_free(struct vip_status *st)
{
    for (size_t i = 0; i < st->n_nodes; i++) {
        free(st->nodes[i].checks);
        free(st->nodes[i].priorities);
    }
    for (size_t i = 0; i < st->n_instances; i++) {
        free(st->instances[i].vips);
    }
    free(st->nodes);
    free(st->instances);
    memset(st, 0, sizeof *st);
}

struct vip_status_node *vip_status_add_node(struct vip_status *st)
{
    return status_grow((void **)&st->nodes, &st->n_nodes, sizeof *st->nodes);
}

struct vip_status_instance *vip_status_add_instance(struct vip_status *st)
{
    return status_grow((void **)&st->instances, &st->n_instances,
                       sizeof *st->instances);
}

struct vip_status_check *vip_status_add_check(struct vip_status_node *node,
                                              const char *name)
{
    struct vip_status_check *c = status_grow(
        (void **)&node->checks, &node->n_checks, sizeof *node->checks);
    if (c != NULL) {
        vip_status_copy(c->name, sizeof c->name, name);
    }
    return c;
}

struct vip_status_priority *vip_status_add_priority(
    struct vip_status_node *node,
    const char *instance)
{
    struct vip_status_priority *p =
        status_grow((void **)&node->priorities, &node->n_priorities,
                    sizeof *node->priorities);
    if (p != NULL) {
        vip_status_copy(p->instance, sizeof p->instance, instance);
    }
    return p;
}

int vip_status_add_vip(struct vip_status_instance *inst, const char *vip)
{
    if (strlen(vip) >= VIP_STATUS_VIP_SIZE) {
        return VIP_EINVAL;
    }
    char *slot =
        status_grow((void **)&inst->vips, &inst->n_vips, sizeof *inst->vips);
    if (slot == NULL) {
        return VIP_ENOMEM;
    }
    strcpy(slot, vip);
    return 0;
}

const struct vip_status_node *vip_status_node(const struct vip_status *st,
                                              uint64_t id)
{
    for (size_t i = 0; i < st->n_nodes; i++) {
        if (st->nodes[i].id == id) {
            return &st->nodes[i];
        }
    }
    return NULL;
}

void vip_event_list_init(struct vip_event_list *l)
{
    memset(l, 0, sizeof *l);
}

void vip_event_list_free(struct vip_event_list *l)
{
    free(l->events);
    memset(l, 0, sizeof *l);
}

struct vip_event *vip_event_list_add(struct vip_event_list *l)
{
    return status_grow((void **)&l->events, &l->n_events, sizeof *l->events);
}

/****** Names ******/

static const char *const role_names[] = {
    [VIP_ROLE_UNKNOWN] = "unknown",
    [VIP_ROLE_FOLLOWER] = "follower",
    [VIP_ROLE_CANDIDATE] = "candidate",
    [VIP_ROLE_LEADER] = "leader",
};

static const char *const member_names[] = {
    [VIP_MEMBER_VOTER] = "voter",
    [VIP_MEMBER_STANDBY] = "standby",
    [VIP_MEMBER_SPARE] = "spare",
};

static const char *const check_names[] = {
    [VIP_CHECK_UNKNOWN] = "unknown",
    [VIP_CHECK_OK] = "ok",
    [VIP_CHECK_FAIL] = "fail",
};

static const char *const kind_names[] = {
    [VIP_EVENT_OTHER] = "other",
    [VIP_EVENT_HOLDER] = "holder",
    [VIP_EVENT_HEALTH] = "health",
    [VIP_EVENT_MEMBER] = "member",
    [VIP_EVENT_MAINTENANCE] = "maintenance",
    [VIP_EVENT_TRANSFER] = "transfer",
    [VIP_EVENT_LEADER] = "leader",
};

#define N_OF(a) (sizeof(a) / sizeof *(a))

static const char *status_name(const char *const *names, size_t n, unsigned v)
{
    return v < n ? names[v] : names[0];
}

static int status_parse(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *vip_role_name(enum vip_role role)
{
    return status_name(role_names, N_OF(role_names), (unsigned)role);
}

const char *vip_member_name(enum vip_member member)
{
    return status_name(member_names, N_OF(member_names), (unsigned)member);
}

const char *vip_check_state_name(enum vip_check_state state)
{
    return status_name(check_names, N_OF(check_names), (unsigned)state);
}

const char *vip_event_kind_name(enum vip_event_kind kind)
{
    return status_name(kind_names, N_OF(kind_names), (unsigned)kind);
}

int vip_role_parse(const char *name, enum vip_role *out)
{
    int i = status_parse(role_names, N_OF(role_names), name);
    if (i < 0) {
        return VIP_EINVAL;
    }
    *out = (enum vip_role)i;
    return 0;
}

int vip_member_parse(const char *name, enum vip_member *out)
{
    int i = status_parse(member_names, N_OF(member_names), name);
    if (i < 0) {
        return VIP_EINVAL;
    }
    *out = (enum vip_member)i;
    return 0;
}

int vip_check_state_parse(const char *name, enum vip_check_state *out)
{
    int i = status_parse(check_names, N_OF(check_names), name);
    if (i < 0) {
        return VIP_EINVAL;
    }
    *out = (enum vip_check_state)i;
    return 0;
}

int vip_event_kind_parse(const char *name, enum vip_event_kind *out)
{
    int i = status_parse(kind_names, N_OF(kind_names), name);
    *out = i < 0 ? VIP_EVENT_OTHER : (enum vip_event_kind)i;
    return 0;
}
