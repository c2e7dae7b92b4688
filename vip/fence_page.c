/* The fence's shared-page protocol: a double-buffered sequence latch with
 * one writer (the daemon) and one reader (the fence), see vip/fence.h. */
#include "vip/fence.h"

#include <string.h>
#include <sys/socket.h>

void fence_page_init(struct fence_page *p)
{
    memset(p->sets, 0, sizeof p->sets);
    atomic_store(&p->seq, 0);
    atomic_store(&p->wait_until, UINT64_MAX);
}

void fence_progress_init(struct fence_progress *pr)
{
    pr->seq = UINT64_MAX;
    pr->done_ms = 0;
}

struct fence_set *fence_page_begin(struct fence_page *p)
{
    /* Only this process writes seq: a relaxed read is exact. */
    uint64_t seq = atomic_load_explicit(&p->seq, memory_order_relaxed);
    struct fence_set *set = &p->sets[(seq + 1) & 1];

    set->until_ms = 0;
    set->n_addrs = 0;
    return set;
}

int fence_set_add(struct fence_set *set,
                  const struct ifaddr_spec *s,
                  uint64_t until_ms)
{
    size_t len = s->family == AF_INET ? 4 : s->family == AF_INET6 ? 16 : 0;
    struct fence_addr *a;

    if (len == 0 || s->prefix > len * 8 || s->ifindex <= 0 || until_ms == 0) {
        return VIP_EINVAL;
    }
    if (set->n_addrs >= FENCE_MAX_ADDRS) {
        return VIP_ERANGE;
    }
    a = &set->addrs[set->n_addrs];
    memset(a, 0, sizeof *a);
    a->until_ms = until_ms;
    a->ifindex = s->ifindex;
    a->family = (uint8_t)s->family;
    a->prefix = s->prefix;
    memcpy(a->addr, s->addr, len);
    set->n_addrs++;
    if (set->until_ms == 0 || until_ms < set->until_ms) {
        set->until_ms = until_ms;
    }
    return 0;
}

bool fence_page_commit(struct fence_page *p)
{
    uint64_t seq = atomic_load_explicit(&p->seq, memory_order_relaxed);
    /* The earliest deadline of the set, kept by fence_set_add(). */
    uint64_t until_ms = p->sets[(seq + 1) & 1].until_ms;

    /* Sequentially consistent store, then load: either the fence's
     * re-check in fence_page_sleep_ok() sees the new seq, or we see the
     * deadline it announced before that re-check (and wake it if ours is
     * earlier). No wake-up is lost between the two processes. */
    atomic_store(&p->seq, seq + 1);
    return until_ms != 0 && until_ms < atomic_load(&p->wait_until);
}

uint64_t fence_page_read(struct fence_page *p, struct fence_set *out)
{
    for (;;) {
        uint64_t seq = atomic_load_explicit(&p->seq, memory_order_acquire);
        const struct fence_set *set = &p->sets[seq & 1];
        uint32_t n = set->n_addrs;

        /* The writer only ever fills sets[(seq + 1) & 1]: the published
         * one changes only after a second commit, which the re-read of seq
         * below detects. The copy may be torn then, and is discarded. */
        out->until_ms = set->until_ms;
        out->n_addrs = n > FENCE_MAX_ADDRS ? FENCE_MAX_ADDRS : n;
        memcpy(out->addrs, set->addrs, out->n_addrs * sizeof *out->addrs);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->seq, memory_order_relaxed) == seq) {
            return seq;
        }
    }
}

bool fence_addr_due(const struct fence_addr *a,
                    const struct fence_progress *pr,
                    uint64_t now_ms)
{
    return a->until_ms > pr->done_ms && a->until_ms <= now_ms;
}

bool fence_decide(const struct fence_set *set,
                  uint64_t seq,
                  struct fence_progress *pr,
                  uint64_t now_ms,
                  uint64_t *wake_ms)
{
    bool any_due = false;

    /* A new record: nothing of it enforced yet. (An address the fence
     * removed under an older record may be due again: removing it twice
     * is harmless, skipping one that was re-added is not.) */
    if (seq != pr->seq) {
        pr->seq = seq;
        pr->done_ms = 0;
    }
    *wake_ms = UINT64_MAX;
    for (uint32_t i = 0; i < set->n_addrs && i < FENCE_MAX_ADDRS; i++) {
        const struct fence_addr *a = &set->addrs[i];
        if (fence_addr_due(a, pr, now_ms)) {
            any_due = true;
        } else if (a->until_ms > now_ms && a->until_ms < *wake_ms) {
            *wake_ms = a->until_ms;
        }
    }
    return any_due;
}

void fence_progress_done(struct fence_progress *pr, uint64_t now_ms)
{
    if (now_ms > pr->done_ms) {
        pr->done_ms = now_ms;
    }
}

bool fence_page_sleep_ok(struct fence_page *p, uint64_t seq, uint64_t wake_ms)
{
    atomic_store(&p->wait_until, wake_ms);
    return atomic_load(&p->seq) == seq;
}
