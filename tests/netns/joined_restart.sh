#!/bin/bash
# A node admitted with `vipctl join` (`bootstrap no`) and restarted from
# its data dir takes its stored id for the ownership step too (raft/
# cluster.c: cluster_init sets the step's self after the node read
# DATA_DIR/node-id): transferred to, it leads and holds the VIP. With the
# step's self left at 0 it could never be the preferred node it is.
#
# Two nodes in namespaces vj$$n1, vj$$n2 on a bridge in vj$$b,
# 10.79.0.0/24 inside them only: n1 forms a one-node cluster, n2 joins,
# n2 is restarted, then `vipctl transfer n2`. Exit 77 (skip) when not root
# or without ip netns.
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
VIPD=$B/vipd
VIPCTL=$B/vipctl
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "skip: no ip netns"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

P=vj$$
T=$(mktemp -d /tmp/vj-restart.XXXXXX)
VIP=10.79.0.100
declare -A pid
cleanup() {
    for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null; done
    for n in "${!pid[@]}"; do
        for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pid[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    for ns in b n1 n2; do ip netns del "$P$ns" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*"; for f in "$T"/n*.log; do echo "== $f"; grep -v 'raft: ' "$f" | tail -n 30; done; exit 1; }

ip netns add "${P}b" || { echo "skip: cannot create namespaces"; exit 77; }
ip -n "${P}b" link add br0 type bridge
ip -n "${P}b" link set br0 up
for i in 1 2; do
    ns=$P"n$i"
    ip netns add "$ns"
    ip -n "$ns" link add eth0 type veth peer name "p$i" netns "${P}b"
    ip -n "${P}b" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.79.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done
head -c 32 /dev/urandom | base64 >"$T/cluster.key"
chmod 600 "$T/cluster.key"
for i in 1 2; do
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        [ $i = 1 ] || echo "    bootstrap no"
        echo "    listen 10.79.0.$i:5405"
        echo "    data_dir $T/data$i"
        echo "    secret_file $T/cluster.key"
        echo "    control_socket $T/n$i.sock"
        echo "    election_timeout 500"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 53"
        echo "    priority $((110 - i))"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$T/n$i.conf"
done
start() {
    rm -f "$T/n$1.sock"
    ip netns exec "${P}n$1" "$VIPD" -f "$T/n$1.conf" -l debug >>"$T/n$1.log" 2>&1 &
    pid[n$1]=$!
}
ctl() { local n=$1; shift; "$VIPCTL" -s "$T/n$n.sock" "$@"; }
until_ok() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
jq_status() { # N PYTHON-EXPR on s (the status object)
    ctl "$1" status --json 2>/dev/null | python3 -c "import json,sys
s=json.load(sys.stdin)
print($2)"
}
vip_on() { ip -n "${P}n$1" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
voters2() { [ "$(jq_status "$1" 'len([n for n in s["nodes"] if n["member"]=="voter"])')" = 2 ]; }

start 1
until_ok 15 test -S "$T/n1.sock" || die "n1 control socket never appeared"
until_ok 15 vip_on 1 || die "n1 never held the VIP alone"
start 2
until_ok 15 test -S "$T/n2.sock" || die "n2 control socket never appeared"
ctl 2 join 10.79.0.1:5405 >"$T/join.out" 2>&1 || { cat "$T/join.out"; die "join n2"; }
until_ok 15 voters2 1 || die "n1 does not see 2 voters"
id2=$(jq_status 1 "[n['id'] for n in s['nodes'] if n['name']=='n2'][0]")
ok "n2 joined as node $id2"

kill -TERM "${pid[n2]}"
wait "${pid[n2]}"; st=$?
unset 'pid[n2]'
[ $st = 0 ] || bad "n2 exited $st on SIGTERM"
start 2
until_ok 15 test -S "$T/n2.sock" || die "n2 control socket never appeared (restart)"
until_ok 15 eval '[ "$(jq_status 2 "s[\"leader_id\"]")" = "$(jq_status 1 "s[\"leader_id\"]")" ] && voters2 2' ||
    die "restarted n2 does not follow the leader"
ok "n2 restarted from its data dir"

ctl 1 transfer n2 >"$T/transfer.out" 2>&1 || { cat "$T/transfer.out"; bad "transfer to n2 refused"; }
if until_ok 15 eval 'vip_on 2 && ! vip_on 1 && [ "$(jq_status 2 "s[\"instances\"][0][\"holder\"]")" = "$id2" ]'; then
    ok "the restarted joined node holds the VIP after the transfer"
else
    bad "after the transfer to n2: holder $(jq_status 1 's["instances"][0]["holder"]'), leader $(jq_status 1 's["leader_id"]'), VIP on n1: $(vip_on 1 && echo yes || echo no), on n2: $(vip_on 2 && echo yes || echo no)"
fi
[ $fail = 0 ] && ok "joined node restarts" || for f in "$T"/n*.log; do echo "== $f"; grep -v 'raft: ' "$f" | tail -n 20; done
exit $fail
