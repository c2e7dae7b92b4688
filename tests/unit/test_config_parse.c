/* Config parser: every supported keyword lands in the typed config with
 * keepalived's meaning, and every default is keepalived's. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "config_helper.h"

/****** Defaults ******/

/* A minimal instance gets keepalived's defaults; global and cluster too. */
static void test_defaults(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_instance VI_1 {\n"
        " interface eth0\n"
        " virtual_router_id 7\n"
        " virtual_ipaddress { 10.0.0.1 }\n"
        "}\n");
    ASSERT_CLEAN(l);
    const struct vip_config *c = &l->cfg;
    assert_int_equal(c->n_instances, 1);
    const struct cfg_instance *in = &c->instances[0];
    assert_string_equal(in->name, "VI_1");
    assert_int_equal(in->state, CFG_STATE_BACKUP);
    assert_string_equal(in->interface, "eth0");
    assert_int_equal(in->vrid, 7);
    assert_int_equal(in->priority, 100);
    assert_int_equal(in->version, 2);
    assert_int_equal(in->family, AF_INET);
    assert_int_equal(in->advert_int_ms, 1000);
    assert_int_equal(in->auth_type, CFG_AUTH_NONE);
    assert_false(in->nopreempt);
    assert_int_equal(in->preempt_delay_ms, 0);
    assert_int_equal(in->garp_master_delay_ms, 5000);
    assert_int_equal(in->garp_master_repeat, 5);
    assert_int_equal(in->garp_master_refresh_ms, 0);
    assert_int_equal(in->garp_master_refresh_repeat, 1);
    assert_int_equal(in->garp_interval_ms, 0);
    assert_int_equal(in->gna_interval_ms, 0);
    assert_int_equal(in->unicast_src_ip.family, 0);
    assert_int_equal(in->n_unicast_peers, 0);
    assert_null(in->notify.master);
    assert_int_equal(in->n_vips, 1);
    assert_int_equal(in->vips[0].prefix, 32);
    assert_int_equal(in->vips[0].scope, RT_SCOPE_UNIVERSE);
    assert_string_equal(in->vips[0].dev, "");
    assert_int_equal(in->vips[0].where.line, 4);
    assert_int_equal(in->where.line, 1);
    assert_string_equal(in->where.file, "t.conf");

    assert_int_equal(c->global.vrrp_version, 2);
    assert_int_equal(c->global.garp_master_delay_ms, 5000);
    assert_false(c->global.enable_script_security);

    const struct cfg_cluster *cl = &c->cluster;
    assert_false(cl->present);
    assert_int_equal(cl->listen_port, 5405);
    assert_int_equal(cl->election_timeout_ms, 500);
    assert_int_equal(cl->heartbeat_ms, 50);
    assert_int_equal(cl->lease_mode, CFG_LEASE_NORMAL);
    assert_int_equal(cl->takeover_wait_ms, 0);
    assert_int_equal(cl->snapshot_threshold, 1024);
    assert_int_equal(cl->snapshot_trailing, 128);
    assert_string_equal(cl->data_dir, "/var/lib/vipd");
    assert_string_equal(cl->secret_file, "/etc/vipd/cluster.key");
    assert_string_equal(cl->control_socket, "/run/vipd/vipd.sock");
    loaded_free(l);
}

/* An initial MASTER without a priority is the address owner (255). */
static void test_master_priority(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_instance A { state MASTER\n"
        " interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.0.1 } }\n");
    ASSERT_CLEAN(l);
    assert_int_equal(l->cfg.instances[0].state, CFG_STATE_MASTER);
    assert_int_equal(l->cfg.instances[0].priority, 255);
    loaded_free(l);
}

/* `preempt` (keepalived's default) undoes an earlier `nopreempt`;
 * `smtp_alert false` is stored, and warned as not acted on. */
static void test_preempt_smtp(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
        " nopreempt\n preempt\n smtp_alert false\n"
        " virtual_ipaddress { 10.0.0.1 }\n}\n");
    assert_int_equal(l->rv, 0);
    assert_false(l->cfg.instances[0].nopreempt);
    assert_false(l->cfg.instances[0].smtp_alert);
    ASSERT_LINE(l,
                "t.conf:6: warning: 'smtp_alert' is accepted but not "
                "acted on by vipd: vipd sends no mail; use a notify script");
    assert_int_equal(l->cap.n, 1);
    loaded_free(l);
}

/* vrrp_script defaults: interval 1 s, timeout = interval, fall/rise 1. */
static void test_script_defaults(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script s {\n script /bin/true\n"
        " interval 3\n}\n");
    ASSERT_CLEAN(l);
    const struct cfg_script *s = vip_config_script(&l->cfg, "s");
    assert_non_null(s);
    assert_int_equal(s->kind, CFG_CHECK_SCRIPT);
    assert_string_equal(s->command, "/bin/true");
    assert_int_equal(s->interval_ms, 3000);
    assert_int_equal(s->timeout_ms, 3000);
    assert_int_equal(s->weight, 0);
    assert_false(s->weight_reverse);
    assert_int_equal(s->fall, 1);
    assert_int_equal(s->rise, 1);
    assert_string_equal(s->user, "");
    assert_false(s->init_fail);
    assert_null(vip_config_script(&l->cfg, "nope"));
    loaded_free(l);
}

/****** Every keyword ******/

/* global_defs: what vipd acts on, and the mail keys warned as not acted
 * on. */
static void test_global_defs(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "global_defs {\n"
        "  router_id lb1\n"
        "  vrrp_version 3\n"
        "  script_user nobody nogroup\n"
        "  enable_script_security\n"
        "  vrrp_garp_master_delay 2\n"
        "  vrrp_garp_master_repeat 4\n"
        "  vrrp_garp_master_refresh 30\n"
        "  vrrp_garp_master_refresh_repeat 2\n"
        "  vrrp_garp_interval 0.001\n"
        "  vrrp_gna_interval 0.25\n"
        "  notification_email {\n    a@example.com\n  }\n" /* 12-14 */
        "  notification_email_from b@example.com\n"
        "  smtp_server 127.0.0.1\n"
        "  smtp_connect_timeout 30\n"
        "  vrrp_strict\n" /* 18 */
        "}\n"
        "vrrp_instance I { interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.0.1 } }\n");
    assert_int_equal(l->rv, 0);
    const struct cfg_global *g = &l->cfg.global;
    assert_string_equal(g->router_id, "lb1");
    assert_int_equal(g->vrrp_version, 3);
    assert_string_equal(g->script_user, "nobody");
    assert_string_equal(g->script_group, "nogroup");
    assert_true(g->enable_script_security);
    assert_int_equal(g->garp_master_delay_ms, 2000);
    assert_int_equal(g->garp_master_repeat, 4);
    assert_int_equal(g->garp_master_refresh_ms, 30000);
    assert_int_equal(g->garp_master_refresh_repeat, 2);
    assert_int_equal(g->garp_interval_ms, 1);
    assert_int_equal(g->gna_interval_ms, 250);
    ASSERT_LINE(l,
                "t.conf:12: warning: 'notification_email' is accepted but "
                "not acted on by vipd: vipd sends no mail; use a notify script");
    ASSERT_LINE(l,
                "t.conf:15: warning: 'notification_email_from' is "
                "accepted but not acted on by vipd: vipd sends no mail; use a notify script");
    ASSERT_LINE(l,
                "t.conf:16: warning: 'smtp_server' is accepted but not "
                "acted on by vipd: vipd sends no mail; use a notify script");
    ASSERT_LINE(l,
                "t.conf:17: warning: 'smtp_connect_timeout' is accepted "
                "but not acted on by vipd: vipd sends no mail; use a notify script");
    ASSERT_LINE(l,
                "t.conf:18: warning: 'vrrp_strict' is accepted but not acted "
                "on by vipd: vipd elects the holder by Raft, not from "
                "received VRRP adverts, so receive-side VRRP rules do not "
                "apply (no iptables/nftables drop rules are installed: the "
                "VIP answers)");
    assert_int_equal(l->report.n_warnings, 5);
    /* Inherited by the instance, which uses VRRPv3 from global_defs. */
    const struct cfg_instance *in = &l->cfg.instances[0];
    assert_int_equal(in->version, 3);
    assert_int_equal(in->garp_master_delay_ms, 2000);
    assert_int_equal(in->garp_master_repeat, 4);
    assert_int_equal(in->garp_master_refresh_ms, 30000);
    assert_int_equal(in->garp_master_refresh_repeat, 2);
    assert_int_equal(in->garp_interval_ms, 1);
    assert_int_equal(in->gna_interval_ms, 250);
    loaded_free(l);
}

/* vrrp_script: every keyword, and the native tcp/http checks. */
static void test_scripts(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script a {\n"
        "  script \"/usr/bin/pgrep -x \\\"ha proxy\\\"\"\n"
        "  interval 2\n  timeout 0.5\n  weight -20 reverse\n"
        "  fall 3\n  rise 2\n  user www data\n  init_fail\n}\n"
        "vrrp_script b {\n  script /usr/bin/killall -0 haproxy\n}\n"
        "vrrp_script t {\n  tcp_check [2001:db8::1]:5432\n}\n"
        "vrrp_script h {\n  http_check http://web.example:8080/health "
        "status 204\n}\n"
        "vrrp_script h2 {\n  http_check http://10.0.0.1\n}\n"
        "vrrp_script s {\n  http_check https://api.example:6443/healthz\n"
        "  tls_ca_file /etc/kubernetes/pki/ca.crt\n}\n"
        "vrrp_script s2 {\n  http_check HTTPS://10.0.0.1/\n"
        "  tls_verify no\n}\n");
    ASSERT_CLEAN(l);
    const struct cfg_script *a = vip_config_script(&l->cfg, "a");
    assert_string_equal(a->command, "/usr/bin/pgrep -x \"ha proxy\"");
    assert_int_equal(a->interval_ms, 2000);
    assert_int_equal(a->timeout_ms, 500);
    assert_int_equal(a->weight, -20);
    assert_true(a->weight_reverse);
    assert_int_equal(a->fall, 3);
    assert_int_equal(a->rise, 2);
    assert_string_equal(a->user, "www");
    assert_string_equal(a->group, "data");
    assert_true(a->init_fail);
    assert_int_equal(a->where.line, 1);
    const struct cfg_script *b = vip_config_script(&l->cfg, "b");
    assert_string_equal(b->command, "/usr/bin/killall -0 haproxy");
    const struct cfg_script *t = vip_config_script(&l->cfg, "t");
    assert_int_equal(t->kind, CFG_CHECK_TCP);
    assert_string_equal(t->target, "[2001:db8::1]:5432");
    assert_string_equal(t->host, "2001:db8::1");
    assert_int_equal(t->port, 5432);
    const struct cfg_script *h = vip_config_script(&l->cfg, "h");
    assert_int_equal(h->kind, CFG_CHECK_HTTP);
    assert_string_equal(h->host, "web.example");
    assert_int_equal(h->port, 8080);
    assert_string_equal(h->http_path, "/health");
    assert_int_equal(h->http_status, 204);
    const struct cfg_script *h2 = vip_config_script(&l->cfg, "h2");
    assert_string_equal(h2->host, "10.0.0.1");
    assert_int_equal(h2->port, 80);
    assert_string_equal(h2->http_path, "/");
    assert_int_equal(h2->http_status, 200);
    assert_null(h2->tls_ca_file);
    const struct cfg_script *hs = vip_config_script(&l->cfg, "s");
    assert_int_equal(hs->kind, CFG_CHECK_HTTP);
    assert_int_equal(hs->port, 6443);
    assert_string_equal(hs->http_path, "/healthz");
    assert_string_equal(hs->tls_ca_file, "/etc/kubernetes/pki/ca.crt");
    assert_false(hs->tls_no_verify);
    const struct cfg_script *hs2 = vip_config_script(&l->cfg, "s2");
    assert_int_equal(hs2->port, 443);
    assert_true(hs2->tls_no_verify);
    loaded_free(l);
}

/* vrrp_instance: every keyword. */
static void test_instance_keywords(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script chk { script /bin/true }\n"
        "track_file tf {\n file /run/tf\n weight -5 reverse\n}\n"
        "vrrp_instance VI_1 {\n" /* 6 */
        "  state BACKUP\n"
        "  interface eth0\n"
        "  virtual_router_id 51\n"
        "  priority 150\n"
        "  advert_int 2\n" /* 11 */
        "  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n"
        "  virtual_ipaddress {\n" /* 16 */
        "    10.0.0.100/24 brd 10.0.0.255 dev eth1 label eth1:vip scope "
        "link\n"
        "    10.0.0.101 no_track\n"
        "  }\n"
        "  virtual_ipaddress_excluded {\n    2001:db8::5/64\n  }\n"
        "  track_script {\n    chk weight 30\n  }\n" /* 23-25 */
        "  track_interface {\n    eth2 weight -10 reverse\n    eth3\n  }\n"
        "  track_file {\n    tf\n  }\n" /* 30-32 */
        "  nopreempt\n"
        "  preempt_delay 0\n"
        "  unicast_src_ip 10.0.0.11\n"
        "  unicast_peer {\n    10.0.0.12\n    10.0.0.13\n  }\n" /* 36-39 */
        "  mcast_src_ip 10.0.0.11\n"
        "  notify_master \"/n.sh master\"\n" /* 41 */
        "  notify_backup /n.sh backup\n"
        "  notify_fault \"/n.sh fault\"\n"
        "  notify_stop \"/n.sh stop\"\n"
        "  notify /n.sh\n"
        "  garp_master_delay 1\n" /* 46 */
        "  garp_master_repeat 2\n"
        "  garp_master_refresh 10\n"
        "  garp_master_refresh_repeat 3\n"
        "  garp_interval 0.01\n"
        "  gna_interval 0.02\n" /* 51 */
        "}\n"
        "cluster { listen 10.0.0.11 }\n");
    ASSERT_CLEAN(l);
    const struct cfg_instance *in = vip_config_instance(&l->cfg, "VI_1");
    assert_non_null(in);
    assert_int_equal(in->priority, 150);
    assert_int_equal(in->advert_int_ms, 2000);
    assert_int_equal(in->auth_type, CFG_AUTH_PASS);
    assert_string_equal(in->auth_pass, "1111");
    assert_int_equal(in->n_vips, 2);
    const struct cfg_vip *v = &in->vips[0];
    assert_string_equal(ip_str(&v->addr), "10.0.0.100");
    assert_int_equal(v->prefix, 24);
    assert_string_equal(ip_str(&v->brd), "10.0.0.255");
    assert_string_equal(v->dev, "eth1");
    assert_string_equal(v->label, "eth1:vip");
    assert_int_equal(v->scope, RT_SCOPE_LINK);
    assert_false(v->no_track);
    assert_int_equal(v->where.line, 17);
    assert_true(in->vips[1].no_track);
    assert_int_equal(in->vips[1].brd.family, 0);
    assert_int_equal(in->n_vips_excluded, 1);
    assert_int_equal(in->vips_excluded[0].addr.family, AF_INET6);
    assert_int_equal(in->vips_excluded[0].prefix, 64);
    assert_int_equal(in->n_track_scripts, 1);
    assert_string_equal(in->track_scripts[0].name, "chk");
    assert_true(in->track_scripts[0].has_weight);
    assert_int_equal(in->track_scripts[0].weight, 30);
    assert_int_equal(in->track_scripts[0].where.line, 24);
    assert_int_equal(in->n_track_interfaces, 2);
    assert_int_equal(in->track_interfaces[0].weight, -10);
    assert_true(in->track_interfaces[0].weight_reverse);
    assert_false(in->track_interfaces[1].has_weight);
    assert_int_equal(in->n_track_files, 1);
    assert_string_equal(in->track_files[0].name, "tf");
    assert_true(in->nopreempt);
    assert_string_equal(ip_str(&in->unicast_src_ip), "10.0.0.11");
    assert_int_equal(in->n_unicast_peers, 2);
    assert_string_equal(ip_str(&in->unicast_peers[1]), "10.0.0.13");
    assert_string_equal(ip_str(&in->mcast_src_ip), "10.0.0.11");
    assert_string_equal(in->notify.master, "/n.sh master");
    assert_string_equal(in->notify.backup, "/n.sh backup");
    assert_string_equal(in->notify.fault, "/n.sh fault");
    assert_string_equal(in->notify.stop, "/n.sh stop");
    assert_string_equal(in->notify.any, "/n.sh");
    assert_int_equal(in->garp_master_delay_ms, 1000);
    assert_int_equal(in->garp_master_repeat, 2);
    assert_int_equal(in->garp_master_refresh_ms, 10000);
    assert_int_equal(in->garp_master_refresh_repeat, 3);
    assert_int_equal(in->garp_interval_ms, 10);
    assert_int_equal(in->gna_interval_ms, 20);
    const struct cfg_track_file *tf = vip_config_track_file(&l->cfg, "tf");
    assert_string_equal(tf->path, "/run/tf");
    assert_int_equal(tf->weight, -5);
    assert_true(tf->weight_reverse);
    loaded_free(l);
}

/* IPv6 instances use VRRPv3 with sub-second adverts in centiseconds. */
static void test_ipv6_v3(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_instance V6 {\n interface eth0\n virtual_router_id 9\n"
        " advert_int 0.25\n virtual_ipaddress { fe80::1/64 2001:db8::1 }\n"
        "}\n"
        "vrrp_instance V4 {\n interface eth0\n virtual_router_id 9\n"
        " version 3\n advert_int 0.015\n virtual_ipaddress { 10.1.1.1 }\n}\n");
    assert_int_equal(l->rv, 0);
    const struct cfg_instance *v6 = &l->cfg.instances[0];
    assert_int_equal(v6->family, AF_INET6);
    assert_int_equal(v6->version, 3);
    assert_int_equal(v6->advert_int_ms, 250);
    assert_int_equal(v6->n_vips, 2);
    assert_int_equal(v6->vips[1].prefix, 128);
    /* Same VRID on the same interface is fine across families. */
    const struct cfg_instance *v4 = &l->cfg.instances[1];
    assert_int_equal(v4->advert_int_ms, 20);
    ASSERT_LINE(l,
                "t.conf:11: warning: vrrp_instance 'V4': advert_int "
                "rounded up to 20 ms (VRRPv3 uses centiseconds)");
    ASSERT_LINE(l,
                "t.conf:11: warning: election_timeout 250 ms (the floor), "
                "from advert_int 20 ms of vrrp_instance 'V4' (set "
                "election_timeout in the cluster block to choose another)");
    assert_int_equal(l->cap.n, 2);
    loaded_free(l);
}

/* The advert group: mcast_dst_ip, else vrrp_mcast_group4/6 (which may
 * come after the instance), else RFC 5798's. */
static void test_mcast_groups(void **state)
{
    (void)state;
    char buf[INET6_ADDRSTRLEN];
    struct loaded *l = load_text(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.1.1.1 }\n}\n"
        "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n"
        " mcast_dst_ip 239.0.0.7\n virtual_ipaddress { 10.1.1.2 }\n}\n"
        "vrrp_instance C {\n interface eth0\n virtual_router_id 3\n"
        " virtual_ipaddress { 2001:db8::3 }\n}\n"
        "global_defs {\n vrrp_mcast_group4 224.0.0.19\n}\n");
    ASSERT_CLEAN(l);
    assert_string_equal(
        cfg_ip_str(&l->cfg.instances[0].mcast_dst_ip, buf, sizeof buf),
        "224.0.0.19");
    assert_string_equal(
        cfg_ip_str(&l->cfg.instances[1].mcast_dst_ip, buf, sizeof buf),
        "239.0.0.7");
    assert_string_equal(
        cfg_ip_str(&l->cfg.instances[2].mcast_dst_ip, buf, sizeof buf),
        "ff02::12");
    loaded_free(l);
}

/* Without election_timeout, vipd's timing follows the smallest advert_int:
 * 1 s keeps 500 ms, 0.5 s halves it, 0.1 s stops at the floor; a given
 * election_timeout wins. */
static void test_timing_from_advert_int(void **state)
{
    (void)state;
    static const struct
    {
        const char *advert_a, *advert_b, *cluster_extra;
        uint32_t want;
        const char *note;
    } cases[] = {
        {"1", "2", "", 500, NULL},
        {"0.5", "1", "", 250,
         "t.conf:4: warning: election_timeout 250 ms, from advert_int 500 ms "
         "of vrrp_instance 'A' (set election_timeout in the cluster block to "
         "choose another)"},
        {"1", "0.1", "", 250,
         "t.conf:11: warning: election_timeout 250 ms (the floor), from "
         "advert_int 100 ms of vrrp_instance 'B' (set election_timeout in "
         "the cluster block to choose another)"},
        {"0.1", "1", " election_timeout 120\n", 120, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                 " advert_int %s\n version 3\n"
                 " virtual_ipaddress { 10.1.1.1 }\n}\n"
                 "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n"
                 " advert_int %s\n version 3\n"
                 " virtual_ipaddress { 10.1.1.2 }\n}\n"
                 "cluster {\n listen 10.0.0.1\n%s}\n",
                 cases[i].advert_a, cases[i].advert_b, cases[i].cluster_extra);
        struct loaded *l = load_text(text);
        assert_int_equal(l->rv, 0);
        assert_int_equal(l->cfg.cluster.election_timeout_ms, cases[i].want);
        assert_int_equal(l->cfg.cluster.heartbeat_ms, cases[i].want / 10);
        if (cases[i].note != NULL) {
            ASSERT_LINE(l, cases[i].note);
            assert_int_equal(l->cap.n, 1);
        } else {
            assert_int_equal(l->cap.n, 0);
        }
        loaded_free(l);
    }
}

/* vrrp_sync_group: members and notify scripts. */
static void test_sync_group(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_sync_group G {\n group {\n  A\n  B\n }\n"
        " notify_master \"/g master\"\n notify_backup /g\n notify_fault /f\n"
        " notify_stop /s\n notify /any\n smtp_alert\n}\n"
        "vrrp_instance A { interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.0.1 } }\n"
        "vrrp_instance B { interface eth1\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.1.1 } }\n");
    assert_int_equal(l->rv, 0);
    ASSERT_LINE(l,
                "t.conf:11: warning: 'smtp_alert' is accepted but not "
                "acted on by vipd: vipd sends no mail; use a notify script");
    const struct cfg_sync_group *g = &l->cfg.groups[0];
    assert_string_equal(g->name, "G");
    assert_int_equal(g->n_instances, 2);
    assert_string_equal(g->instances[0], "A");
    assert_string_equal(g->instances[1], "B");
    assert_string_equal(g->notify.master, "/g master");
    assert_string_equal(g->notify.backup, "/g");
    assert_string_equal(g->notify.any, "/any");
    assert_true(g->smtp_alert);
    loaded_free(l);
}

/* Placement units: a sync group is one unit named after it, a lone
 * instance its own; listed at their first instance, in config order. */
static void test_units(void **state)
{
    (void)state;
    const char *names[4] = {NULL};
    struct loaded *l = load_text(
        "vrrp_instance L1 { interface eth0\n virtual_router_id 1\n"
        " virtual_ipaddress { 10.0.0.1 } }\n"
        "vrrp_sync_group G {\n group {\n  A\n  B\n }\n}\n"
        "vrrp_instance A { interface eth0\n virtual_router_id 2\n"
        " virtual_ipaddress { 10.0.0.2 } }\n"
        "vrrp_instance L2 { interface eth0\n virtual_router_id 3\n"
        " virtual_ipaddress { 10.0.0.3 } }\n"
        "vrrp_instance B { interface eth0\n virtual_router_id 4\n"
        " virtual_ipaddress { 10.0.0.4 } }\n");
    assert_int_equal(l->rv, 0);
    assert_string_equal(vip_config_unit_of(&l->cfg, 0), "L1");
    assert_string_equal(vip_config_unit_of(&l->cfg, 1), "G");
    assert_string_equal(vip_config_unit_of(&l->cfg, 2), "L2");
    assert_string_equal(vip_config_unit_of(&l->cfg, 3), "G");
    assert_null(vip_config_unit_of(&l->cfg, 4));
    assert_null(vip_config_sync_group_of(&l->cfg, 0));
    assert_ptr_equal(vip_config_sync_group_of(&l->cfg, 3), &l->cfg.groups[0]);
    assert_true(vip_config_in_unit(&l->cfg, 3, "G"));
    assert_false(vip_config_in_unit(&l->cfg, 3, "B"));
    assert_int_equal(vip_config_units(&l->cfg, names, 4), 3);
    assert_string_equal(names[0], "L1");
    assert_string_equal(names[1], "G");
    assert_string_equal(names[2], "L2");
    assert_null(names[3]);
    assert_int_equal(vip_config_units(&l->cfg, names, 1), 3); /* counts */
    loaded_free(l);

    /* A group may share its name with one of its own instances... */
    l = load_text("vrrp_sync_group A {\n group {\n  A\n  B\n }\n}\n"
                  "vrrp_instance A { interface eth0\n virtual_router_id 2\n"
                  " virtual_ipaddress { 10.0.0.2 } }\n"
                  "vrrp_instance B { interface eth0\n virtual_router_id 4\n"
                  " virtual_ipaddress { 10.0.0.4 } }\n");
    assert_int_equal(l->rv, 0);
    assert_int_equal(vip_config_units(&l->cfg, NULL, 0), 1);
    loaded_free(l);
    /* ...not with an instance outside it. */
    l = load_text("vrrp_sync_group C {\n group {\n  A\n  B\n }\n}\n"
                  "vrrp_instance A { interface eth0\n virtual_router_id 2\n"
                  " virtual_ipaddress { 10.0.0.2 } }\n"
                  "vrrp_instance B { interface eth0\n virtual_router_id 4\n"
                  " virtual_ipaddress { 10.0.0.4 } }\n"
                  "vrrp_instance C { interface eth0\n virtual_router_id 5\n"
                  " virtual_ipaddress { 10.0.0.5 } }\n");
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf:1: error: vrrp_sync_group 'C' has the name of "
                   "vrrp_instance 'C' (t.conf:13), which is not in it: a "
                   "sync group and an instance outside it need different "
                   "names");
    loaded_free(l);
}

/* cluster: every keyword; explicit peers. */
static void test_cluster(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "cluster {\n node_id 3\n listen [2001:db8::3]:6000\n"
        " peer 10.0.0.1:6000\n peer node2.example.com\n peer [::1]:7\n"
        " peer fe80::2\n"
        " data_dir /d\n secret_file /k\n control_socket /s.sock\n"
        " control_group adm\n election_timeout 500\n heartbeat 40\n"
        " lease_mode strict\n takeover_wait 300\n snapshot_threshold 99\n"
        " snapshot_trailing 9\n}\n");
    ASSERT_CLEAN(l);
    const struct cfg_cluster *c = &l->cfg.cluster;
    assert_true(c->present);
    assert_int_equal(c->node_id, 3);
    assert_string_equal(c->listen_host, "2001:db8::3");
    assert_int_equal(c->listen_port, 6000);
    assert_int_equal(c->n_peers, 4);
    assert_false(c->peers_from_unicast);
    assert_string_equal(c->peers[0].host, "10.0.0.1");
    assert_int_equal(c->peers[0].port, 6000);
    assert_string_equal(c->peers[1].host, "node2.example.com");
    assert_int_equal(c->peers[1].port, 6000); /* no port: the listen port */
    assert_string_equal(c->peers[2].host, "::1");
    assert_int_equal(c->peers[2].port, 7);
    assert_string_equal(c->peers[3].host, "fe80::2");
    assert_int_equal(c->peers[3].where.line, 7);
    assert_string_equal(c->data_dir, "/d");
    assert_string_equal(c->secret_file, "/k");
    assert_string_equal(c->control_socket, "/s.sock");
    assert_string_equal(c->control_group, "adm");
    assert_int_equal(c->election_timeout_ms, 500);
    assert_int_equal(c->heartbeat_ms, 40);
    assert_int_equal(c->lease_mode, CFG_LEASE_STRICT);
    assert_int_equal(c->takeover_wait_ms, 300);
    assert_int_equal(c->snapshot_threshold, 99);
    assert_int_equal(c->snapshot_trailing, 9);
    loaded_free(l);
}

/* Without peer lines, the first instance's unicast peers are the members,
 * on the listen port; the daemon check passes. */
static void test_cluster_peers_from_unicast(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "cluster { listen 10.0.0.11 }\n"
        "vrrp_instance A { interface eth0\n virtual_router_id 1\n"
        " unicast_peer { 10.0.0.12 10.0.0.13 }\n"
        " virtual_ipaddress { 10.0.0.1 } }\n");
    ASSERT_CLEAN(l);
    const struct cfg_cluster *c = &l->cfg.cluster;
    assert_true(c->peers_from_unicast);
    assert_int_equal(c->n_peers, 2);
    assert_string_equal(c->peers[0].host, "10.0.0.12");
    assert_int_equal(c->peers[0].port, 5405);
    assert_string_equal(c->peers[1].host, "10.0.0.13");
    assert_int_equal(vip_config_check_runnable(&l->cfg, &l->report), 0);
    loaded_free(l);
}

/* A keepalived file without a cluster block is valid, but not runnable. */
static void test_runnable(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_instance A { interface eth0\n"
        " virtual_router_id 1 }\n");
    assert_int_equal(l->rv, 0);
    assert_int_equal(vip_config_check_runnable(&l->cfg, &l->report),
                     VIP_ECONFIG);
    ASSERT_LINE(l,
                "t.conf: error: no cluster block: vipd needs 'cluster { "
                "listen HOST:PORT secret_file PATH ... }' to run, or "
                "unicast_src_ip and unicast_peer in the first vrrp_instance "
                "to derive it");
    ASSERT_LINE(l,
                "t.conf:1: error: vrrp_instance 'A' has no "
                "virtual_ipaddress");
    loaded_free(l);
    l = load_text("");
    assert_int_equal(l->rv, 0);
    assert_int_equal(vip_config_check_runnable(&l->cfg, &l->report),
                     VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf: error: no vrrp_instance: nothing to hold (a node "
                   "that only votes needs 'witness yes' in its cluster block)");
    loaded_free(l);
    /* A witness needs no instance. */
    l = load_text("cluster {\n listen 10.0.0.3:5405\n peer 10.0.0.1:5405\n"
                  " witness yes\n}\n");
    assert_int_equal(l->rv, 0);
    assert_true(l->cfg.cluster.witness);
    assert_int_equal(vip_config_check_runnable(&l->cfg, &l->report), 0);
    loaded_free(l);
}

/* vip_config_free() accepts a zeroed config, twice. */
static void test_free_zeroed(void **state)
{
    struct vip_config cfg;
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    vip_config_free(&cfg);
    vip_config_free(&cfg);
    char buf[8];
    struct cfg_ip none = {0};
    assert_string_equal(cfg_ip_str(&none, buf, sizeof buf), "(none)");
}

/* An http_check URL that `vipd -t` accepts is one the probe can send:
 * blanks, control and non-ASCII bytes in the path, or a path too long for
 * the request, are refused here rather than by the daemon at start-up. */
static void test_http_check_path_refused(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script h {\n  http_check \"http://10.0.0.1/a b\"\n}\n"
        "vrrp_script h2 {\n  http_check http://10.0.0.1/caf\xc3\xa9\n}\n");
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l,
                "t.conf:2: error: http_check: the path of "
                "'http://10.0.0.1/a b' has a space, control or non-ASCII "
                "byte (percent-encode it)");
    ASSERT_LINE(l,
                "t.conf:5: error: http_check: the path of "
                "'http://10.0.0.1/caf\xc3\xa9' has a space, control or "
                "non-ASCII byte (percent-encode it)");
    loaded_free(l);

    char text[1300];
    char path[1100];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    snprintf(text, sizeof text,
             "vrrp_script h {\n  http_check http://h/%s\n}\n", path);
    l = load_text(text);
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf:2: error: http_check: path longer than 1023 bytes");
    loaded_free(l);
}

/* TLS settings belong to an https:// check, and only one of them counts. */
static void test_tls_options_refused(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script a {\n  http_check http://10.0.0.1/\n"
        "  tls_verify no\n}\n"
        "vrrp_script b {\n  tcp_check 10.0.0.1:443\n"
        "  tls_ca_file /ca.pem\n}\n"
        "vrrp_script c {\n  http_check https://10.0.0.1/\n"
        "  tls_verify maybe\n}\n"
        "vrrp_script d {\n  http_check https://10.0.0.1/\n"
        "  tls_ca_file /ca.pem\n  tls_verify no\n}\n"
        "vrrp_script e {\n  http_check ftp://10.0.0.1/\n}\n");
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf:3: error: vrrp_script 'a': tls_ca_file and "
                   "tls_verify apply to an https:// http_check only");
    ASSERT_LINE(l, "t.conf:7: error: vrrp_script 'b': tls_ca_file and "
                   "tls_verify apply to an https:// http_check only");
    ASSERT_LINE(l, "t.conf:11: error: tls_verify: 'maybe' is not 'yes' or "
                   "'no'");
    ASSERT_LINE(l, "t.conf:15: error: vrrp_script 'd': tls_ca_file with "
                   "'tls_verify no' would never be used");
    ASSERT_LINE(l, "t.conf:19: error: http_check: 'ftp://10.0.0.1/' is not "
                   "an http:// or https:// URL");
    loaded_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_master_priority),
        cmocka_unit_test(test_preempt_smtp),
        cmocka_unit_test(test_script_defaults),
        cmocka_unit_test(test_global_defs),
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_http_check_path_refused),
        cmocka_unit_test(test_tls_options_refused),
        cmocka_unit_test(test_instance_keywords),
        cmocka_unit_test(test_ipv6_v3),
        cmocka_unit_test(test_mcast_groups),
        cmocka_unit_test(test_timing_from_advert_int),
        cmocka_unit_test(test_sync_group),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_cluster),
        cmocka_unit_test(test_cluster_peers_from_unicast),
        cmocka_unit_test(test_runnable),
        cmocka_unit_test(test_free_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
