/* Config lexer and error paths: comments, quotes, line endings, braces,
 * includes, junk; and every error and warning with its exact FILE:LINE. */
#include <sys/stat.h>
#include <unistd.h>

#include "config_helper.h"

#define INST(body)                                                    \
    "vrrp_instance I {\n interface eth0\n virtual_router_id 1\n" body \
    " virtual_ipaddress { 10.0.0.1 }\n}\n"

/****** Lexer ******/

/* `!` and `#` start comments anywhere a word may start; quotes protect
 * them; CRLF, tabs, VT and FF are blanks; braces need no blanks. */
static void test_lex_comments_quotes(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "! comment\r\n# comment\r\n"
        "vrrp_script s{script \"/bin/echo ! # {}\"\t# trailing\r\n"
        "\v\finterval 2 ! more\r\n}\r\n"
        "vrrp_instance I\r\n{\r\n interface eth0 # x\r\n"
        " virtual_router_id 1\r\n virtual_ipaddress {10.0.0.1/8}\r\n}");
    ASSERT_CLEAN(l);
    const struct cfg_script *s = vip_config_script(&l->cfg, "s");
    assert_string_equal(s->command, "/bin/echo ! # {}");
    assert_int_equal(s->interval_ms, 2000);
    assert_int_equal(l->cfg.instances[0].where.line, 6);
    assert_int_equal(l->cfg.instances[0].vips[0].prefix, 8);
    assert_int_equal(l->cfg.instances[0].vips[0].where.line, 10);
    loaded_free(l);
}

/* A word containing `!` or `#` after its first character stays a word. */
static void test_lex_hash_inside_word(void **state)
{
    (void)state;
    struct loaded *l = load_text("vrrp_script s {\n script /bin/a#b!c\n}\n");
    ASSERT_CLEAN(l);
    assert_string_equal(vip_config_script(&l->cfg, "s")->command, "/bin/a#b!c");
    loaded_free(l);
}

/* An unterminated quote runs to the end of the line and is an error. */
static void test_lex_unterminated_quote(void **state)
{
    (void)state;
    struct loaded *l = load_text(
        "vrrp_script s {\n script \"/bin/x\n"
        " interval 1\n}\n");
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf:2: error: unterminated quoted string");
    assert_string_equal(vip_config_script(&l->cfg, "s")->command, "/bin/x");
    loaded_free(l);
}

/* Control bytes and NULs are reported once per line; the parser goes on. */
static void test_lex_binary(void **state)
{
    (void)state;
    static const char text[] =
        "global_defs {\n router_id a\001b\n"
        " \0\0\0\n}\n" INST("");
    struct loaded *l = calloc(1, sizeof *l);
    l->report.emit = capture_emit;
    l->report.data = &l->cap;
    l->rv = vip_config_load_string(&l->cfg, "t.conf", text, sizeof text - 1,
                                   &l->report);
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l,
                "t.conf:2: error: binary data (byte 0x01), rest of line "
                "ignored");
    ASSERT_LINE(l,
                "t.conf:3: error: binary data (byte 0x00), rest of line "
                "ignored");
    assert_int_equal(l->report.n_errors, 2);
    assert_string_equal(l->cfg.global.router_id, "a");
    assert_int_equal(l->cfg.n_instances, 1);
    loaded_free(l);
}

/* A line longer than 64 KiB is skipped with an error. */
static void test_lex_long_line(void **state)
{
    (void)state;
    size_t n = 70000;
    char *text = malloc(n + 64);
    memset(text, 'x', n);
    strcpy(text + n, "\nglobal_defs {\n router_id r\n}\n");
    struct loaded *l = load_text(text);
    free(text);
    assert_int_equal(l->rv, VIP_ECONFIG);
    ASSERT_LINE(l, "t.conf:1: error: line longer than 65536 bytes, ignored");
    assert_string_equal(l->cfg.global.router_id, "r");
    loaded_free(l);
}

/* After 200 messages the rest are counted, not emitted. */
static void test_message_cap(void **state)
{
    (void)state;
    size_t n = 300;
    char *text = malloc(n * 8 + 1);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(text, "}\n");
    }
    struct loaded *l = load_text(text);
    free(text);
    assert_int_equal(l->rv, VIP_ECONFIG);
    assert_int_equal(l->report.n_errors, 300);
    assert_int_equal(l->cap.n, 201);
    ASSERT_LINE(l, "t.conf:200: error: unmatched '}'");
    ASSERT_LINE(l, "t.conf: error: too many problems, further ones not shown");
    loaded_free(l);
}

/****** Includes ******/

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A glob include relative to the including file's directory; tokens keep
 * their own file and line; an include can sit inside a block. */
static void test_include_glob(void **state)
{
    (void)state;
    char dir[] = "/tmp/vipd-cfgtest-XXXXXX";
    char path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/sub/b.conf", dir);
    write_file(path,
               "vrrp_instance B {\n interface eth0\n"
               " virtual_router_id 2\n include ../vips.inc\n}\n");
    snprintf(path, sizeof path, "%s/sub/a.conf", dir);
    write_file(path,
               "vrrp_instance A {\n interface eth0\n"
               " virtual_router_id 1\n include ../vips.inc\n}\n");
    snprintf(path, sizeof path, "%s/vips.inc", dir);
    write_file(path, "\n virtual_ipaddress { 10.0.0.9 }\n frob\n");
    snprintf(path, sizeof path, "%s/main.conf", dir);
    write_file(path, "include sub/*.conf\n");
    struct loaded *l = load_file(path);
    assert_int_equal(l->rv, VIP_ECONFIG);
    assert_int_equal(l->cfg.n_instances, 2);
    assert_string_equal(l->cfg.instances[0].name, "A"); /* sorted */
    assert_int_equal(l->cfg.instances[1].vips[0].where.line, 2);
    char want[400];
    snprintf(want, sizeof want,
             "%s/sub/../vips.inc:3: error: unknown keyword 'frob' in "
             "vrrp_instance",
             dir);
    ASSERT_LINE(l, want);
    assert_int_equal(l->cfg.n_files, 5); /* vips.inc twice */
    loaded_free(l);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Include loops, missing files, patterns matching nothing, deep nesting. */
static void test_include_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/vipd-cfgtest-XXXXXX";
    char path[256], want[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.conf", dir);
    write_file(path, "! a\ninclude b.conf\n");
    snprintf(path, sizeof path, "%s/b.conf", dir);
    write_file(path,
               "include a.conf\ninclude missing.conf\n"
               "include none*.conf\ninclude\n");
    snprintf(path, sizeof path, "%s/a.conf", dir);
    struct loaded *l = load_file(path);
    assert_int_equal(l->rv, VIP_ECONFIG);
    snprintf(want, sizeof want,
             "%s/b.conf:1: error: include loop: '%s/a.conf' is already "
             "being read",
             dir, dir);
    ASSERT_LINE(l, want);
    snprintf(want, sizeof want,
             "%s/b.conf:2: error: include '%s/missing.conf': No such file "
             "or directory",
             dir, dir);
    ASSERT_LINE(l, want);
    snprintf(want, sizeof want,
             "%s/b.conf:3: warning: include '%s/none*.conf' matches no file",
             dir, dir);
    ASSERT_LINE(l, want);
    snprintf(want, sizeof want, "%s/b.conf:4: error: include needs a file name",
             dir);
    ASSERT_LINE(l, want);
    assert_int_equal(l->report.n_errors, 3);
    loaded_free(l);

    /* A self-including file stops at the loop, not at the depth limit. */
    snprintf(path, sizeof path, "%s/self.conf", dir);
    write_file(path, "include self.conf\n");
    l = load_file(path);
    assert_int_equal(l->report.n_errors, 1);
    loaded_free(l);

    /* 20 nested files: the 17th level is refused. */
    for (int i = 0; i < 20; i++) {
        char body[64];
        snprintf(path, sizeof path, "%s/n%d.conf", dir, i);
        snprintf(body, sizeof body, "include n%d.conf\n", i + 1);
        write_file(path, body);
    }
    snprintf(path, sizeof path, "%s/n0.conf", dir);
    l = load_file(path);
    snprintf(want, sizeof want,
             "%s/n15.conf:1: error: includes nested deeper than 16, "
             "'%s/n16.conf' not read",
             dir, dir);
    ASSERT_LINE(l, want);
    loaded_free(l);

    snprintf(path, sizeof path, "%s/nope.conf", dir);
    l = load_file(path);
    snprintf(want, sizeof want,
             "%s: error: cannot open '%s': No such file or directory", path,
             path);
    ASSERT_LINE(l, want);
    assert_int_equal(l->rv, VIP_ECONFIG);
    loaded_free(l);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/****** Error paths, each with its exact line ******/

struct error_case
{
    const char *text;
    const char *line; /* the message expected */
    bool is_error;    /* else a warning and rv 0 */
};

static const struct error_case error_cases[] = {
    /* Structure. */
    {"}\n", "t.conf:1: error: unmatched '}'", true},
    {"\n{ x }\n", "t.conf:2: error: unexpected '{'", true},
    {"vrrp_instance I {\n interface eth0\n",
     "t.conf:1: error: 'vrrp_instance' block is never closed", true},
    {"global_defs {\n router_id x\nvrrp_instance I {\n}\n",
     "t.conf:1: error: 'global_defs' block is not closed before "
     "'vrrp_instance' at line 3",
     true},
    {"vrrp_instance I\n",
     "t.conf:1: error: 'vrrp_instance' needs a '{ ... }' "
     "block",
     true},
    {"vrrp_instance {\n}\n",
     "t.conf:1: error: 'vrrp_instance' needs 1 "
     "argument",
     true},
    {INST(" priority 5 {\n x }\n"),
     "t.conf:4: error: unexpected '{' after 'priority'", true},
    {INST(" priority\n"), "t.conf:4: error: 'priority' needs 1 argument", true},
    {INST(" priority 5 6\n"),
     "t.conf:4: error: unexpected '6' after 'priority' (it takes 1 "
     "argument)",
     true},
    {INST(" { x }\n"),
     "t.conf:4: error: unexpected '{' after 'virtual_router_id'", true},
    {INST(" \"quoted\" 1\n"),
     "t.conf:4: error: unknown keyword 'quoted' in vrrp_instance", true},
    {"frob { a { b } }\n",
     "t.conf:1: error: unknown keyword 'frob'", true},
    {"global_defs {\n router_idd lb1\n}\n",
     "t.conf:2: error: unknown keyword 'router_idd' in global_defs; did you "
     "mean 'router_id'?",
     true},
    {"cluster {\n listen 10.0.0.1\n secret_fil /k\n}\n",
     "t.conf:3: error: unknown keyword 'secret_fil' in cluster; did you mean "
     "'secret_file'?",
     true},
    {"[root@haproxy01 ~]# vim /etc/keepalived/keepalived.conf\n",
     "t.conf:1: error: '[root@haproxy01' is not a keyword; this looks like a "
     "pasted shell prompt or command, remove the line",
     true},
    {"$ sudo systemctl restart keepalived\n",
     "t.conf:1: error: '$' is not a keyword; this looks like a pasted shell "
     "prompt or command, remove the line",
     true},
    {INST(" track_bfd {\n  bfd1\n }\n"),
     "t.conf:4: error: 'track_bfd' is not implemented by vipd: vipd has no "
     "BFD; use a vrrp_script with tcp_check or a script",
     true},
    {INST(" virtual_routes {\n  10.1.0.0/16 via 10.0.0.1\n }\n"),
     "t.conf:4: error: 'virtual_routes' is not implemented by vipd: add the "
     "routes in a notify_master script, or keep them static",
     true},
    {INST(" authentication {\n  auth_type AH\n  auth_pass x\n }\n"),
     "t.conf:4: error: vrrp_instance 'I': auth_type AH is not implemented by "
     "vipd; use auth_type PASS, or no authentication (the cluster traffic is "
     "authenticated by the key)",
     true},
    {"global_defs {\n vrrp_startup_delay 5\n}\n",
     "t.conf:2: error: 'vrrp_startup_delay' is not implemented by vipd: delay "
     "vipd's start in its systemd unit (ExecStartPre=sleep)",
     true},
    {"virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 { }\n}\n",
     "t.conf:1: error: 'virtual_server' is not implemented by vipd: LVS is "
     "out of scope for vipd; keep keepalived's checker or ipvsadm for the "
     "virtual servers",
     true},
    {"virtual_server_group G {\n}\n",
     "t.conf:1: error: 'virtual_server_group' is not implemented by vipd: "
     "LVS is out of scope for vipd; keep keepalived's checker or ipvsadm for "
     "the virtual servers",
     true},
    {"static_routes {\n 10.0.0.0/8 via 10.0.0.1\n}\n",
     "t.conf:1: error: 'static_routes' is not implemented by vipd: configure "
     "static routes with the system's network configuration",
     true},
    {INST(" use_vmac\n"),
     "t.conf:4: error: 'use_vmac' is not implemented by vipd: vipd adds the "
     "VIPs to the interface itself; remove use_vmac",
     true},
    {"global_defs {\n vrrp_mcast_group4 10.0.0.1\n}\n",
     "t.conf:2: error: vrrp_mcast_group4: '10.0.0.1' is not a multicast "
     "address",
     true},
    {"global_defs {\n vrrp_mcast_group4 ff02::13\n}\n",
     "t.conf:2: error: vrrp_mcast_group4: 'ff02::13' is not an IPv4 address",
     true},
    {INST(" mcast_dst_ip ff02::13\n"),
     "t.conf:4: error: vrrp_instance 'I': mcast_dst_ip ff02::13 is not of "
     "the instance's address family",
     true},
    {"global_defs {\n smtp_server 10.0.0.1\n}\n",
     "t.conf:2: warning: 'smtp_server' is accepted but not acted on by vipd: "
     "vipd sends no mail; use a notify script",
     false},
    /* Instance values. */
    {INST(" virtual_router_id 0\n"),
     "t.conf:4: error: virtual_router_id: 0 is out of range [1, 255]", true},
    {INST(" priority 256\n"),
     "t.conf:4: error: priority: 256 is out of range [1, 255]", true},
    {INST(" priority -1\n"), "t.conf:4: error: priority: '-1' is not a number",
     true},
    {INST(" priority 99999999999999999999\n"),
     "t.conf:4: error: priority: 99999999999999999999 is out of range [1, "
     "255]",
     true},
    {INST(" state master\n"),
     "t.conf:4: error: state: 'master' is not MASTER or BACKUP", true},
    {INST(" interface this-name-is-too-long\n"),
     "t.conf:4: error: interface: 'this-name-is-too-long' is not a valid "
     "interface name",
     true},
    {INST(" advert_int 1.5\n"),
     "t.conf:4: error: vrrp_instance 'I': VRRPv2 advert_int must be whole "
     "seconds, not 1.500 (use version 3 for fractions)",
     true},
    {INST(" advert_int 0\n"), "t.conf:4: error: advert_int: must be > 0", true},
    {INST(" advert_int 1.2.3\n"),
     "t.conf:4: error: advert_int: '1.2.3' is not a number of seconds", true},
    {INST(" version 3\n advert_int 41\n"),
     "t.conf:5: error: vrrp_instance 'I': VRRPv3 advert_int is at most "
     "40.95 s",
     true},
    {INST(" version 4\n"),
     "t.conf:4: error: version: 4 is out of range [2, "
     "3]",
     true},
    {INST(" preempt_delay 1001\n"),
     "t.conf:4: error: preempt_delay: 1001 is out of range [0, 1000.000]",
     true},
    {INST(" authentication {\n auth_type MD5\n }\n"),
     "t.conf:5: error: auth_type: 'MD5' is not PASS or AH", true},
    {INST(" authentication {\n auth_type PASS\n }\n"),
     "t.conf:4: warning: vrrp_instance 'I': authentication without "
     "auth_pass, ignored",
     false},
    {INST(" authentication {\n auth_type PASS\n auth_pass 123456789\n }\n"),
     "t.conf:6: warning: auth_pass: longer than 8 characters, truncated to "
     "'12345678'",
     false},
    {INST(" unicast_src_ip 10.0.0.256\n"),
     "t.conf:4: error: unicast_src_ip: '10.0.0.256' is not an IPv4 or IPv6 "
     "address",
     true},
    {INST(" unicast_peer {\n  10.0.0.2 10.0.0.2\n }\n"),
     "t.conf:5: warning: unicast_peer '10.0.0.2' is listed twice", false},
    {INST(" unicast_peer {\n  2001:db8::2\n }\n"),
     "t.conf:1: error: vrrp_instance 'I': unicast_peer 2001:db8::2 is not of "
     "the instance's address family",
     true},
    {INST(" unicast_src_ip ::1\n"),
     "t.conf:4: error: vrrp_instance 'I': unicast_src_ip ::1 is not of the "
     "instance's address family",
     true},
    {INST(" unicast_peer {\n  10.0.0.2 min_ttl 1\n }\n"),
     "t.conf:5: warning: 'min_ttl' is not acted on by vipd", false},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress {\n  10.0.0.1 brd\n }\n}\n",
     "t.conf:5: error: virtual_ipaddress: 'brd' needs a value", true},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress {\n  10.0.0.1 scope galaxy\n }\n}\n",
     "t.conf:5: error: scope: unknown scope 'galaxy'", true},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress {\n  10.0.0.1 brd ::1\n }\n}\n",
     "t.conf:5: error: virtual_ipaddress: brd family differs from the "
     "address",
     true},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress {\n  10.0.0.1\n  10.0.0.1/24\n }\n}\n",
     "t.conf:6: warning: virtual_ipaddress: '10.0.0.1/24' is listed twice",
     false},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress {\n  10.0.0.1 dev eth0 preferred_lft 0\n }\n}\n",
     "t.conf:5: warning: 'preferred_lft' is not acted on by vipd (VIP "
     "lifetimes follow the lease)",
     false},
    {INST(" track_script {\n  nope\n }\n"),
     "t.conf:5: error: track_script: no vrrp_script named 'nope'", true},
    {INST(" track_file {\n  nope weight 1\n }\n"),
     "t.conf:5: error: track_file: no track_file named 'nope'", true},
    {INST(" track_interface {\n  eth1 weight 254\n }\n"),
     "t.conf:5: error: weight: 254 is out of range [-253, 253]", true},
    {INST(" track_interface {\n  eth1 weight\n }\n"),
     "t.conf:5: error: 'weight' needs a value", true},
    {INST(" track_interface {\n  eth0\n }\n"),
     "t.conf:5: warning: track_interface eth0 is the instance's own "
     "interface, which is always tracked; ignored",
     false},
    {INST(" track_interface {\n  eth1\n  eth1\n }\n"),
     "t.conf:6: warning: 'eth1' is tracked twice", false},
    {INST(" nopreempt\n preempt_delay 5\n"),
     "t.conf:4: warning: vrrp_instance 'I': preempt_delay has no effect with "
     "nopreempt, ignored",
     false},
    {INST(" state MASTER\n priority 200\n nopreempt\n"),
     "t.conf:6: warning: vrrp_instance 'I': nopreempt needs state BACKUP; "
     "the initial state is only a hint to vipd",
     false},
    {INST(" notify_master \"/a\" root wheel extra\n"),
     "t.conf:4: error: unexpected 'extra' after 'notify_master \"...\" USER "
     "GROUP'",
     true},
    {INST(" notify_master /a\n notify_master /b\n"),
     "t.conf:5: warning: 'notify_master' given again, the last one is used",
     false},
    {"vrrp_instance I {\n virtual_router_id 1\n}\n",
     "t.conf:1: error: vrrp_instance 'I': no 'interface'", true},
    {"vrrp_instance I {\n interface eth0\n}\n",
     "t.conf:1: error: vrrp_instance 'I': no 'virtual_router_id' (1-255)",
     true},
    {"vrrp_instance I {\n interface eth0\n virtual_router_id 1\n}\n",
     "t.conf:1: warning: vrrp_instance 'I': no virtual_ipaddress", false},
    {INST("") INST(""),
     "t.conf:6: error: vrrp_instance 'I' is already "
     "defined at line 1",
     true},
    {INST("") "vrrp_instance J {\n interface eth0\n virtual_router_id 1\n}\n",
     "t.conf:8: error: vrrp_instance 'J': virtual_router_id 1 on eth0 is "
     "already used by 'I' at t.conf:3",
     true},
    /* Scripts and track files. */
    {"vrrp_script s {\n script \"\"\n}\n",
     "t.conf:2: error: 'script': empty command", true},
    {INST(" notify \"\"\n"), "t.conf:4: error: 'notify': empty command", true},
    {"track_file f {\n file \"\"\n}\n", "t.conf:2: error: file: empty path",
     true},
    {"vrrp_script s {\n interval 1\n}\n",
     "t.conf:1: error: vrrp_script 's' has no script, tcp_check or "
     "http_check",
     true},
    {"vrrp_script s {\n script /a\n tcp_check 10.0.0.1:1\n}\n",
     "t.conf:3: error: vrrp_script 's': only one of script, tcp_check and "
     "http_check may be given",
     true},
    {"vrrp_script s {\n tcp_check 10.0.0.1\n}\n",
     "t.conf:2: error: tcp_check: '10.0.0.1' has no port", true},
    {"vrrp_script s {\n tcp_check 10.0.0.1:0\n}\n",
     "t.conf:2: error: tcp_check: bad port in '10.0.0.1:0'", true},
    {"vrrp_script s {\n http_check ftp://x/\n}\n",
     "t.conf:2: error: http_check: 'ftp://x/' is not an http:// or https:// "
     "URL",
     true},
    {"vrrp_script s {\n http_check http:///x\n}\n",
     "t.conf:2: error: http_check: no host in 'http:///x'", true},
    {"vrrp_script s {\n http_check http://x/ code 200\n}\n",
     "t.conf:2: error: http_check: expected 'status CODE' after the URL", true},
    {"vrrp_script s {\n http_check http://x/ status 600\n}\n",
     "t.conf:2: error: http_check status: 600 is out of range [100, 599]",
     true},
    {"vrrp_script s {\n script /a\n interval 0\n}\n",
     "t.conf:3: error: interval: must be more than 0", true},
    {"vrrp_script s {\n script /a\n timeout 0\n}\n",
     "t.conf:3: error: timeout: must be more than 0", true},
    {"vrrp_script s {\n script /a\n fall 0\n}\n",
     "t.conf:3: error: fall: 0 is out of range [1, 1000000]", true},
    {"vrrp_script s {\n script /a\n weight -254\n}\n",
     "t.conf:3: error: weight: -254 is out of range [-253, 253]", true},
    {"vrrp_script s {\n script /a\n weight 1 backwards\n}\n",
     "t.conf:3: error: weight: expected 'reverse', not 'backwards'", true},
    {"vrrp_script s {\n script \"/a\" x\n}\n",
     "t.conf:2: error: unexpected 'x' after the quoted script", true},
    {"vrrp_script s { script /a }\nvrrp_script s { script /b }\n",
     "t.conf:2: error: vrrp_script 's' is already defined at line 1", true},
    {"track_file f {\n weight 2\n}\n",
     "t.conf:1: error: track_file 'f' has no 'file'", true},
    {"track_file f {\n file /x\n weight 255\n}\n",
     "t.conf:3: error: weight: 255 is out of range [-254, 254]", true},
    {"track_file f { file /x }\ntrack_file f { file /y }\n",
     "t.conf:2: error: track_file 'f' is already defined at line 1", true},
    /* Global. */
    {"global_defs {\n vrrp_version 1\n}\n",
     "t.conf:2: error: vrrp_version: 1 is out of range [2, 3]", true},
    {"global_defs {\n router_id "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n}\n",
     "t.conf:2: error: router_id: name "
     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
     "must "
     "have 1 to 63 characters",
     true},
    /* Sync groups. */
    {INST("") "vrrp_sync_group G {\n group {\n  I\n  X\n }\n}\n",
     "t.conf:6: error: vrrp_sync_group 'G': no vrrp_instance named 'X'", true},
    {INST("") "vrrp_sync_group G {\n group { I }\n}\n"
              "vrrp_sync_group H {\n group { I }\n}\n",
     "t.conf:9: error: vrrp_sync_group 'H': 'I' is already in sync group "
     "'G'",
     true},
    {"vrrp_sync_group G {\n group {\n }\n}\n",
     "t.conf:1: warning: vrrp_sync_group 'G' has 0 instances; a sync group is "
     "meant for two or more",
     false},
    {"vrrp_sync_group G {\n}\nvrrp_sync_group G {\n}\n",
     "t.conf:3: error: vrrp_sync_group 'G' is already defined at line 1", true},
    /* Cluster. */
    {"cluster {\n node_id 1\n}\n",
     "t.conf:1: error: cluster: 'listen HOST:PORT' is missing", true},
    {"cluster {\n listen a\n}\ncluster {\n listen b\n}\n",
     "t.conf:4: error: a second cluster block (the first is at line 1)", true},
    {"cluster {\n listen 10.0.0.1:x\n}\n",
     "t.conf:2: error: listen: bad port in '10.0.0.1:x'", true},
    {"cluster {\n listen [::1\n}\n",
     "t.conf:2: error: listen: '[::1' is not HOST:PORT (IPv4, [IPv6] or host "
     "name)",
     true},
    {"cluster {\n listen ::1:5405x\n}\n",
     "t.conf:2: error: listen: '::1:5405x' is not HOST:PORT (IPv4, [IPv6] or "
     "host name)",
     true},
    {"cluster {\n listen a\n node_id 0\n}\n",
     "t.conf:3: error: node_id: 0 is out of range [1, 4294967295]", true},
    {"cluster {\n listen a\n peer b:1\n peer b:1\n}\n",
     "t.conf:4: error: peer 'b:1' is already listed at line 3", true},
    {"cluster {\n listen a:1\n peer a:1\n}\n",
     "t.conf:3: error: cluster: peer a is this node's listen address", true},
    {"cluster {\n listen a\n data_dir relative/dir\n}\n",
     "t.conf:3: error: 'relative/dir' must be an absolute path", true},
    {"cluster {\n listen a\n election_timeout 50\n}\n",
     "t.conf:3: error: election_timeout (ms): 50 is out of range [100, "
     "60000]",
     true},
    {"cluster {\n listen a\n election_timeout 200\n heartbeat 200\n}\n",
     "t.conf:1: error: cluster: heartbeat (200 ms) must be shorter than "
     "election_timeout (200 ms)",
     true},
    {"cluster {\n listen a\n takeover_wait 2000\n}\n",
     "t.conf:1: warning: cluster: takeover_wait (2000 ms) is longer than "
     "election_timeout (500 ms); it only slows failover",
     false},
    {"cluster {\n listen a\n lease_mode loose\n}\n",
     "t.conf:3: error: lease_mode: 'loose' is not 'normal' or 'strict'", true},
    {"cluster {\n listen a\n control_socket /" /* 120 bytes */
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n}\n",
     "t.conf:3: error: control_socket: path longer than 107 bytes", true},
};

/* Each case reports its message at its line, with the right verdict. */
static void test_error_cases(void **state)
{
    size_t failed = 0;
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        struct loaded *l = load_text(c->text);
        if (!has_line(l, c->line) || l->rv != (c->is_error ? VIP_ECONFIG : 0)) {
            fprintf(stderr, "case %zu: rv %d, want line: %s\n", i, l->rv,
                    c->line);
            dump_lines(l);
            failed++;
        }
        loaded_free(l);
    }
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_comments_quotes),
        cmocka_unit_test(test_lex_hash_inside_word),
        cmocka_unit_test(test_lex_unterminated_quote),
        cmocka_unit_test(test_lex_binary),
        cmocka_unit_test(test_lex_long_line),
        cmocka_unit_test(test_message_cap),
        cmocka_unit_test(test_include_glob),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_error_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
