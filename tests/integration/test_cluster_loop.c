/* Three real cluster nodes (raft_uv, our TCP transport, the FSM) on one
 * libuv loop over loopback: one holder at a time; a follower's health
 * transition is forwarded to the leader and applied on every node; a
 * retried proposal with the same sequence number is acknowledged but not
 * applied again (exactly once); an entry on behalf of another node is
 * refused; a REMOVED notice (raft/cluster_member.c: serve_removed) from
 * a node that is not the leader, or naming another node, is refused and
 * changes nothing, while the leader's makes the node leave; everything
 * closes and uv_loop_close() returns 0. */
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/lib/loop.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/cluster.h"
#include "raft/vm_member.h"
#include "vipd/clock.h"
#include "tests/lib/test_ports.h"

#define N 3

struct node
{
    struct vip_config cfg;
    struct cfg_instance inst;
    struct cluster c;
    bool holds;
    bool closed;
    bool left;
    char dir[256];
};

struct fixture
{
    uv_loop_t loop;
    struct node nodes[N];
    char root[128];
    char key[160];    /* the cluster key file, shared by the nodes */
    int max_holders;
    /* raw RPC exchange */
    struct vr_rpc_connect req;
    struct vr_rpc_conn *conn;
    bool got_reply;
    struct vr_rpc_reply reply;
    struct vm_member_reply vm_reply;
    bool conn_closed;
};

static struct fixture *F;

static int n_holding(void)
{
    int n = 0;
    for (int i = 0; i < N; i++) {
        n += F->nodes[i].holds;
    }
    return n;
}

static void on_hold(void *data, uint64_t until)
{
    struct node *nd = data;
    assert_true(until > vip_now_ms());
    nd->holds = true;
    if (n_holding() > F->max_holders) {
        F->max_holders = n_holding();
    }
}

static void on_release(void *data)
{
    struct node *nd = data;
    nd->holds = false;
}

static void on_left(void *data)
{
    struct node *nd = data;
    nd->left = true;
}

static void on_closed(struct cluster *c)
{
    struct node *nd = c->cbs.data;
    nd->closed = true;
}

#define RUN_UNTIL(cond, ms) LOOP_RUN_UNTIL(&F->loop, cond, ms)

static int leader_index(void)
{
    for (int i = 0; i < N; i++) {
        if (cluster_is_leader(&F->nodes[i].c) && F->nodes[i].holds) {
            return i;
        }
    }
    return -1;
}

static bool health_is(int on, uint64_t id, int32_t value)
{
    const struct fsm_member *m = fsm_member(cluster_state(&F->nodes[on].c), id);
    int32_t v;
    return m != NULL &&
           fsm_member_health(m, ENTRY_TRACK_SCRIPT, "chk", &v) && v == value;
}

static bool health_everywhere(uint64_t id, int32_t value)
{
    for (int i = 0; i < N; i++) {
        if (!health_is(i, id, value)) {
            return false;
        }
    }
    return true;
}

/****** Raw RPC client (as a follower would send) ******/

static void raw_frame_cb(struct vr_rpc_conn *c, const struct vr_rpc_frame *f)
{
    (void)c;
    if (f->type == VR_RPC_REMOVED_REPLY) {
        assert_int_equal(
            vm_member_reply_decode(f->body, f->body_len, &F->vm_reply), 0);
        F->got_reply = true;
        return;
    }
    assert_int_equal(f->type, VR_RPC_PROPOSE_REPLY);
    assert_int_equal(vr_rpc_reply_decode(f->body, f->body_len, &F->reply), 0);
    F->got_reply = true;
}

static void raw_closed_cb(struct vr_rpc_conn *c, int status)
{
    (void)c;
    (void)status;
    F->conn_closed = true;
}

static void raw_connect_cb(struct vr_rpc_connect *req, uv_stream_t *stream,
                           int status)
{
    (void)req;
    assert_int_equal(status, 0);
    F->conn = vr_rpc_conn_alloc(stream, F, raw_frame_cb, raw_closed_cb);
    assert_non_null(F->conn);
}

/* Send HEALTH(chk=@value) with origin (@origin, @seq) from node @from's
 * transport to the leader; return the reply status. */
static int32_t raw_propose(int from, int leader, uint64_t origin, uint64_t seq,
                           int32_t value)
{
    struct entry e;
    uint8_t buf[256];
    size_t len;

    memset(&e, 0, sizeof e);
    e.kind = ENTRY_HEALTH;
    e.u.health.origin.node_id = origin;
    e.u.health.origin.seq = seq;
    e.u.health.kind = ENTRY_TRACK_SCRIPT;
    snprintf(e.u.health.name, sizeof e.u.health.name, "chk");
    e.u.health.value = value;
    assert_int_equal(entry_encode(&e, buf, sizeof buf, &len, NULL), 0);
    if (F->conn == NULL) {
        F->req.data = F;
        assert_int_equal(vr_transport_connect_rpc(
                             &F->nodes[from].c.node.transport, &F->req,
                             F->nodes[leader].c.node.address, raw_connect_cb),
                         0);
        RUN_UNTIL(F->conn != NULL, 5000);
    }
    F->got_reply = false;
    assert_int_equal(vr_rpc_conn_send(F->conn, VR_RPC_PROPOSE, 99, buf, len),
                     0);
    RUN_UNTIL(F->got_reply, 5000);
    return F->reply.status;
}

/* From node @from's transport, tell node @to that the leader removed node
 * @target (VR_RPC_REMOVED, as the leader sends it); return the reply
 * status. Uses and closes its own connection. */
static int32_t raw_removed(int from, int to, uint64_t target)
{
    struct vm_member_req rq;
    uint8_t buf[VM_REQ_FIXED + VR_RPC_ADDR_MAX];
    size_t len;

    memset(&rq, 0, sizeof rq);
    rq.target = target;
    assert_int_equal(vm_member_req_encode(&rq, buf, sizeof buf, &len), 0);
    F->conn = NULL;
    F->conn_closed = false;
    F->req.data = F;
    assert_int_equal(vr_transport_connect_rpc(&F->nodes[from].c.node.transport,
                                              &F->req,
                                              F->nodes[to].c.node.address,
                                              raw_connect_cb),
                     0);
    RUN_UNTIL(F->conn != NULL, 5000);
    F->got_reply = false;
    assert_int_equal(vr_rpc_conn_send(F->conn, VR_RPC_REMOVED, 7, buf, len),
                     0);
    RUN_UNTIL(F->got_reply, 5000);
    vr_rpc_conn_close(F->conn, 0);
    RUN_UNTIL(F->conn_closed, 2000);
    return F->vm_reply.status;
}

/****** The test ******/

static void test_cluster_loop(void **state)
{
    unsigned base = test_port(0);
    int leader, follower, other;
    uint64_t fid, seq, dup_before;
    (void)state;

    F = calloc(1, sizeof *F);
    assert_non_null(F);
    snprintf(F->root, sizeof F->root, "/tmp/vr-loop.%d", (int)getpid());
    assert_int_equal(mkdir(F->root, 0700), 0);
    snprintf(F->key, sizeof F->key, "%s/cluster.key", F->root);
    {
        int fd = open(F->key, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "00112233445566778899aabbccddeeff"
                                   "00112233445566778899aabbccddeeff\n",
                               65),
                         65);
        close(fd);
    }
    assert_int_equal(uv_loop_init(&F->loop), 0);
    for (int i = 0; i < N; i++) {
        struct node *nd = &F->nodes[i];
        struct cfg_cluster *cc = &nd->cfg.cluster;
        struct cluster_cbs cbs = {.data = nd, .hold = on_hold, .release = on_release,
                                  .left = on_left};
        cc->present = true;
        snprintf(cc->listen_host, sizeof cc->listen_host, "127.0.0.1");
        cc->listen_port = (uint16_t)(base + (unsigned)i);
        for (int j = 0; j < N; j++) {
            snprintf(cc->peers[j].host, sizeof cc->peers[j].host, "127.0.0.1");
            cc->peers[j].port = (uint16_t)(base + (unsigned)j);
        }
        cc->n_peers = N;
        snprintf(nd->dir, sizeof nd->dir, "%s/n%d", F->root, i);
        cc->data_dir = nd->dir;
        cc->secret_file = F->key;
        cc->election_timeout_ms = 300;
        cc->heartbeat_ms = 30;
        snprintf(nd->inst.name, sizeof nd->inst.name, "VI_1");
        nd->inst.priority = 100;
        nd->inst.nopreempt = true;
        nd->cfg.instances = &nd->inst;
        nd->cfg.n_instances = 1;
        assert_int_equal(cluster_init(&nd->c, &F->loop, &nd->cfg, &cbs), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(cluster_start(&F->nodes[i].c), 0);
    }

    /* One holder, the leader; never two at once. */
    RUN_UNTIL(leader_index() >= 0, 10000);
    leader = leader_index();
    follower = (leader + 1) % N;
    other = (leader + 2) % N;
    fid = F->nodes[follower].c.node.id;

    /* A follower's transition reaches every FSM (forwarded). */
    assert_int_equal(cluster_propose_health(&F->nodes[follower].c, "chk", 0),
                     0);
    seq = F->nodes[follower].c.props.next_seq - 1;
    RUN_UNTIL(health_everywhere(fid, 0), 5000);
    RUN_UNTIL(F->nodes[follower].c.props.n_props == 0, 5000);

    /* The same proposal again (a retry after a lost reply), even with
     * another value: acknowledged, not applied. */
    leader = leader_index();
    assert_true(leader >= 0);
    dup_before = F->nodes[leader].c.node.fsm.n_duplicate;
    assert_int_equal(raw_propose(follower, leader, fid, seq, 1), 0);
    assert_true(F->nodes[leader].c.node.fsm.n_duplicate == dup_before + 1);
    assert_true(health_everywhere(fid, 0));

    /* A node cannot speak for another. */
    assert_int_equal(raw_propose(follower, leader, F->nodes[other].c.node.id,
                                 seq + 1000000, 1),
                     VIP_EPROTO);
    assert_false(health_is(leader, F->nodes[other].c.node.id, 1));

    /* A newer sequence number applies. */
    assert_int_equal(raw_propose(follower, leader, fid, seq + 1, 1), 0);
    RUN_UNTIL(health_everywhere(fid, 1), 5000);
    assert_int_equal(F->max_holders, 1);

    vr_rpc_conn_close(F->conn, 0);
    RUN_UNTIL(F->conn_closed, 2000);

    /* "You were removed" counts only from the leader we follow, and only
     * for ourselves; the reply comes after the decision, so a wrongly
     * believed notice would show at once. */
    leader = leader_index();
    assert_true(leader >= 0);
    follower = (leader + 1) % N;
    other = (leader + 2) % N;
    assert_int_equal(raw_removed(other, follower,
                                 F->nodes[follower].c.node.id),
                     VIP_ENOTLEADER);
    assert_int_equal(raw_removed(leader, follower, F->nodes[other].c.node.id),
                     VIP_EINVAL);
    assert_false(F->nodes[follower].c.own.has_left);
    assert_false(F->nodes[follower].left);
    /* The leader's notice: the node stops (the daemon then exits 0). */
    assert_int_equal(raw_removed(leader, follower,
                                 F->nodes[follower].c.node.id),
                     0);
    RUN_UNTIL(F->nodes[follower].left, 5000);
    assert_false(F->nodes[follower].holds);

    /* Shutdown: the holder releases, everything closes. */
    for (int i = 0; i < N; i++) {
        cluster_close(&F->nodes[i].c, on_closed);
    }
    RUN_UNTIL(F->nodes[0].closed && F->nodes[1].closed && F->nodes[2].closed,
              10000);
    assert_int_equal(n_holding(), 0);
    uv_run(&F->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&F->loop), 0);
    {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", F->root);
        assert_int_equal(system(cmd), 0);
    }
    free(F);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_loop),
    };
    /* As vipd does (src/daemon.c): a write to a peer that is closing must
     * fail with EPIPE, not kill the process (seen here 1 run in 6). */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
