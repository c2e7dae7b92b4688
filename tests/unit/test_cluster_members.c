/* Static membership: node ids derived from the sorted member addresses are
 * the same on every node, whatever order the peers are listed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "raft/cluster.h"

static void set_peer(struct cfg_cluster *cc, const char *host, uint16_t port)
{
    snprintf(cc->peers[cc->n_peers].host, sizeof cc->peers[0].host, "%s",
             host);
    cc->peers[cc->n_peers].port = port;
    cc->n_peers++;
}

/* Three nodes listing each other in different orders agree on every id. */
static void test_members_same_everywhere(void **state)
{
    const char *hosts[] = {"10.0.0.12", "10.0.0.11", "fd00::13"};
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    char first[3][VR_ADDR_MAX + 1];
    unsigned n, self;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    for (int me = 0; me < 3; me++) {
        struct vip_config cfg;
        memset(&cfg, 0, sizeof cfg);
        snprintf(cfg.cluster.listen_host, sizeof cfg.cluster.listen_host,
                 "%s", hosts[me]);
        cfg.cluster.listen_port = 5405;
        /* Peers in rotating order, including the node itself once. */
        for (int k = 0; k < 3; k++) {
            set_peer(&cfg.cluster, hosts[(me + k) % 3], 5405);
        }
        assert_int_equal(cluster_members(&cfg, ids, addrs, &n, &self, errmsg),
                         0);
        assert_int_equal(n, 3);
        assert_string_equal(addrs[self], me == 2 ? "[fd00::13]:5405"
                                                 : (me == 0 ? "10.0.0.12:5405"
                                                            : "10.0.0.11:5405"));
        for (unsigned i = 0; i < n; i++) {
            assert_true(ids[i] == i + 1);
            if (me == 0) {
                memcpy(first[i], addrs[i], sizeof first[i]);
            } else {
                assert_string_equal(addrs[i], first[i]);
            }
        }
    }
    assert_string_equal(first[0], "10.0.0.11:5405");
    assert_string_equal(first[1], "10.0.0.12:5405");
    assert_string_equal(first[2], "[fd00::13]:5405");
}

/* node_id must match the derived id; missing addresses are errors. */
static void test_members_errors(void **state)
{
    struct vip_config cfg;
    raft_id ids[CFG_MAX_PEERS + 1];
    char addrs[CFG_MAX_PEERS + 1][VR_ADDR_MAX + 1];
    unsigned n, self;
    char errmsg[VIP_ERRMSG_SIZE];
    (void)state;

    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(cluster_members(&cfg, ids, addrs, &n, &self, errmsg),
                     VIP_ECONFIG);
    snprintf(cfg.cluster.listen_host, sizeof cfg.cluster.listen_host,
             "10.0.0.12");
    cfg.cluster.listen_port = 5405;
    set_peer(&cfg.cluster, "10.0.0.11", 5405);
    cfg.cluster.node_id = 2;
    assert_int_equal(cluster_members(&cfg, ids, addrs, &n, &self, errmsg), 0);
    assert_true(ids[self] == 2);
    cfg.cluster.node_id = 1;
    assert_int_equal(cluster_members(&cfg, ids, addrs, &n, &self, errmsg),
                     VIP_ECONFIG);
    assert_non_null(strstr(errmsg, "node_id 1"));
    cfg.cluster.node_id = 0;
    set_peer(&cfg.cluster, "", 5405);
    assert_int_equal(cluster_members(&cfg, ids, addrs, &n, &self, errmsg),
                     VIP_ECONFIG);
}

/* raft's error codes map to ours. */
static void test_cluster_rv(void **state)
{
    (void)state;
    assert_int_equal(cluster_rv(0), 0);
    assert_int_equal(cluster_rv(RAFT_NOMEM), VIP_ENOMEM);
    assert_int_equal(cluster_rv(RAFT_NOTLEADER), VIP_ENOTLEADER);
    assert_int_equal(cluster_rv(RAFT_LEADERSHIPLOST), VIP_ENOTLEADER);
    assert_int_equal(cluster_rv(RAFT_IOERR), VIP_ERAFT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_same_everywhere),
        cmocka_unit_test(test_members_errors),
        cmocka_unit_test(test_cluster_rv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
