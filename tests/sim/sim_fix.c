/* A work-around for raft 0.15's fixture disk, installed on every server. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/entry.h"
#include "tests/sim/sim.h"

/****** Fixture work-around ******/

/* raft 0.15's fixture truncates its in-memory disk by absolute count
 * (memcpy of index - 1 entries) although appends still in flight (disk
 * latency) or an installed snapshot leave fewer entries there: a heap
 * overflow. We count the entries really there and never ask for more. The
 * fixture's disk copy is only read back at start, which the simulation
 * never repeats, so keeping a few stale entries there changes nothing. */
static struct sim *io_sim(struct raft_io *io, unsigned *i)
{
    /* raft_init() sets io->data to the raft instance, which the fixture
     * embeds in servers[id - 1]; the sim embeds the fixture first. */
    struct raft *r = io->data;
    struct raft_fixture_server *srv =
        (struct raft_fixture_server *)((char *)r -
                                       offsetof(struct raft_fixture_server,
                                                raft));
    *i = (unsigned)(r->id - 1);
    return (struct sim *)((char *)(srv - *i) -
                          offsetof(struct raft_fixture, servers));
}

static void io_fix_append_cb(struct raft_io_append *proxy, int status)
{
    struct sim_append *a = (struct sim_append *)proxy;
    struct raft_io_append *req = a->req;

    if (status == 0) {
        a->s->nodes[a->i].n_stored += a->n;
    }
    free(a);
    req->cb(req, status);
}

static int io_fix_append(struct raft_io *io,
                         struct raft_io_append *req,
                         const struct raft_entry entries[],
                         unsigned n,
                         raft_io_append_cb cb)
{
    unsigned i;
    struct sim *s = io_sim(io, &i);
    struct sim_append *a = calloc(1, sizeof *a);
    int rv;

    if (a == NULL) {
        return RAFT_NOMEM;
    }
    a->req = req;
    req->cb = cb;
    a->s = s;
    a->i = i;
    a->n = n;
    rv = s->nodes[i].orig_append(io, &a->proxy, entries, n, io_fix_append_cb);
    if (rv != 0) {
        free(a);
    }
    return rv;
}

static int io_fix_truncate(struct raft_io *io, raft_index index)
{
    unsigned i;
    struct sim *s = io_sim(io, &i);
    struct sim_node *n = &s->nodes[i];
    int rv;

    if (index - 1 > n->n_stored) {
        index = n->n_stored + 1;
        n->n_truncate_clamped++;
    }
    rv = n->orig_truncate(io, index);
    if (rv == 0) {
        n->n_stored = index - 1;
    }
    return rv;
}

void sim_fix_install(struct sim *s, unsigned i)
{
    struct raft_io *io = &s->f.servers[i].io;
    s->nodes[i].orig_append = io->append;
    s->nodes[i].orig_truncate = io->truncate;
    io->append = io_fix_append;
    io->truncate = io_fix_truncate;
}

void sim_fix_restart_timer(struct raft *r)
{
    /* The fixture cannot restart a server from its disk; a restarted
     * process's election timer starts at boot, so emulate that part (the
     * known leader is forgotten through raft/raft015.c). Test-only: the
     * daemon never writes this field. */
    r->election_timer_start = r->io->time(r->io);
}
