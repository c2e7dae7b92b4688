#!/bin/bash
# Prometheus endpoint (metrics_listen, src/daemon_metrics.c): three nodes
# in namespaces, each with metrics_listen 10.78.0.K:9405.
# - a scrape of a follower is valid text exposition (every sample has a
#   # TYPE, counters end in _total, vipd_ prefix) and names the holder in
#   vipd_vip_holder_node_id{vrrp_instance="VI_1"}, one raft role set to 1, the
#   check and peer series;
# - a node that served scrapes exits 0 on SIGTERM (handles closed);
# - after the holder is stopped (SIGTERM), the same follower's scrape
#   names the new holder, vipd_holder_changes_total went up, and the old
#   holder's vipd_peer_up drops to 0;
# - /other is 404, POST is 405, garbage does not stop the endpoint;
# - a metrics_listen without a port or with a host name is refused by
#   vipd -t with FILE:LINE.
. "$(dirname "$0")/ops_lib.sh"
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 77; }
OPS_CLUSTER_EXTRA='    metrics_listen 10.78.0.@K@:9405'
OPS_TOP_EXTRA='vrrp_script chk_tcp {
    tcp_check 10.78.0.@K@:5405
    interval 1
    weight 0
}'
OPS_INSTANCE_EXTRA='    track_script { chk_tcp }'
ops_setup 3
for k in 1 2 3; do ops_start $k --; done

scrape() { ip netns exec ${PFX}n$1 curl -sS -m 5 "http://10.78.0.$1:9405/metrics"; }
metric() { # NODE SERIES -> value
    scrape "$1" | awk -v s="$2" '$1 == s { print $2 }'
}
# Node 1 has the highest priority: whoever wins the first election hands
# over to it. Wait for that settled state before reading the roles.
holder_is() { [ "$(ops_holder)" = "$1" ]; }
wait_for 30 holder_is 1 || fail "node 1 does not hold (holder: $(ops_holder))"
H=1 F=2
has_holder() { [ "$(metric $F 'vipd_vip_holder_node_id{vrrp_instance="VI_1"}')" = "$1" ]; }
wait_for 10 has_holder "$H" || fail "node $F does not report holder $H: $(scrape $F | grep holder)"
follower() { [ "$(metric $F 'vipd_raft_role{role="follower"}')" = 1 ]; }
wait_for 10 follower || fail "node $F is not a follower: $(scrape $F | grep role)"

scrape $F >"$WORK/m1" || fail "scrape failed"
# Format: comments are HELP/TYPE; every sample's family has a TYPE line.
bad=$(grep -v '^# \(HELP\|TYPE\) vipd_' "$WORK/m1" |
    grep -Ev '^vipd_[a-z0-9_]+(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+-]+$' | head -3)
[ -z "$bad" ] || fail "malformed lines: $bad"
for fam in $(sed -n 's/^\(vipd_[a-z0-9_]*\).*/\1/p' "$WORK/m1" | sort -u); do
    grep -q "^# TYPE $fam \(gauge\|counter\)$" "$WORK/m1" || fail "$fam has no TYPE"
done
for fam in $(sed -n 's/^# TYPE \(vipd_[a-z0-9_]*\) counter$/\1/p' "$WORK/m1"); do
    case $fam in *_total) ;; *) fail "counter $fam does not end in _total" ;; esac
done
for s in 'vipd_raft_role{role="follower"} 1' 'vipd_raft_term ' 'vipd_raft_commit_index ' \
    'vipd_raft_applied_index ' 'vipd_holder_changes_total ' 'vipd_lease_renewals_total ' \
    "vipd_peer_up{node=\"$H\"" 'vipd_check_value{check="chk_tcp",kind="tcp"} 1' \
    'vipd_check_duration_seconds{check="chk_tcp"' 'vipd_vrrp_foreign_adverts_total{vrrp_instance="VI_1"} 0' \
    'vipd_instance_state{vrrp_instance="VI_1",state="BACKUP"} 1' 'vipd_lease_expired_total '; do
    grep -qF "$s" "$WORK/m1" || fail "no '$s' in the scrape"
done
[ "$(metric $H 'vipd_raft_role{role="leader"}')" = 1 ] || fail "the holder is not leader in its metrics"
[ "$(metric $H 'vipd_lease_renewals_total')" -gt 0 ] || fail "the holder renewed no lease"
changes0=$(metric $F vipd_holder_changes_total)
# The follower sees every member up, not only the leader (node 3 is a
# follower too).
n3_up() { scrape $F | grep -q "vipd_peer_up{node=\"3\".*} 1"; }
wait_for 10 n3_up || fail "node $F: node 3 not up: $(scrape $F | grep peer_up)"

kill -TERM "${PIDS[$H]}"
wait "${PIDS[$H]}" || fail "node $H: exit status $? after SIGTERM"
PIDS[$H]=""
new_holder() { local h; h=$(metric $F 'vipd_vip_holder_node_id{vrrp_instance="VI_1"}'); [ -n "$h" ] && [ "$h" != 0 ] && [ "$h" != "$H" ]; }
wait_for 20 new_holder || fail "no new holder in node $F's metrics: $(scrape $F | grep holder)"
H2=$(metric $F 'vipd_vip_holder_node_id{vrrp_instance="VI_1"}')
wait_for 10 ops_has_vip "$H2" || fail "metrics name n$H2, which has no VIP"
[ "$(metric $F vipd_holder_changes_total)" -gt "$changes0" ] || fail "vipd_holder_changes_total did not grow"
peer_down() { [ "$(scrape $F | grep -F "vipd_peer_up{node=\"$H\"" | awk '{print $2}')" = 0 ]; }
wait_for 20 peer_down || fail "the stopped node is still up in vipd_peer_up"

code=$(ip netns exec ${PFX}n$F curl -s -o /dev/null -w '%{http_code}' "http://10.78.0.$F:9405/other")
[ "$code" = 404 ] || fail "/other: HTTP $code"
code=$(ip netns exec ${PFX}n$F curl -s -o /dev/null -w '%{http_code}' -X POST "http://10.78.0.$F:9405/metrics")
[ "$code" = 405 ] || fail "POST: HTTP $code"
# Garbage and a half-sent request are libmicrohttpd's to refuse; the
# daemon keeps serving.
ip netns exec ${PFX}n$F bash -c 'exec 3<>/dev/tcp/10.78.0.'$F'/9405 &&
    printf "\x00\xff\x01 GET /metrics HTTP/9.9\r\nX: \x7f\r\n\r\n" >&3 &&
    timeout 5 cat <&3 >/dev/null; exec 4<>/dev/tcp/10.78.0.'$F'/9405 &&
    printf "GET /metr" >&4' 2>/dev/null
scrape $F | grep -q '^vipd_raft_term ' || fail "no valid scrape after garbage"
ctype=$(ip netns exec ${PFX}n$F curl -s -o /dev/null -w '%{content_type}' "http://10.78.0.$F:9405/metrics")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "content type '$ctype'"

for bad in 'metrics_listen 127.0.0.1' 'metrics_listen localhost:9405'; do
    sed "s/^    metrics_listen .*/    $bad/" "$WORK/n1.conf" >"$WORK/bad.conf"
    out=$("$VIPD" -t -f "$WORK/bad.conf" 2>&1) && fail "vipd -t accepted '$bad'"
    grep -q "bad.conf:[0-9]*: .*metrics_listen" <<<"$out" || fail "'$bad': $out"
done
# A node that served scrapes stops cleanly (all handles closed, no leak
# under ASan).
kill -TERM "${PIDS[$F]}"
wait "${PIDS[$F]}" || fail "node $F: exit status $? after SIGTERM"
PIDS[$F]=""
echo "PASS: /metrics shows the holder change n$H -> n$H2"
