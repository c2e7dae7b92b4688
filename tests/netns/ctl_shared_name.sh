#!/bin/bash
# `vipctl transfer NAME` and `vipctl remove NAME` with a name that several
# nodes carry (keepalived's `router_id LVS_DEVEL` pasted onto every node):
# refused with a hint to use the node id, the VIP stays where it is, no
# member is removed; a unique name still works (the control case), and so
# does the id of a node that shares the name (src/daemon_ctl.c:
# node_lookup).
#
# Three vipd nodes in namespaces vn$$n1..n3 on a bridge vn$$b, addresses
# 10.78.0.0/24 inside them only; n1 and n2 say `router_id LVS_DEVEL`, n3
# says `router_id lb3`. Exit 77 (skip) when not root or without ip netns.
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
VIPD=$B/vipd
VIPCTL=$B/vipctl
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "skip: no ip netns"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

P=vn$$
T=$(mktemp -d /tmp/vn-shared.XXXXXX)
VIP=10.78.0.100
declare -A pid
cleanup() {
    for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null; done
    for n in "${!pid[@]}"; do
        for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pid[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    for ns in b n1 n2 n3; do ip netns del "$P$ns" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*"; for f in "$T"/n*.log; do echo "== $f"; tail -n 20 "$f"; done; exit 1; }

ip netns add "${P}b" || { echo "skip: cannot create namespaces"; exit 77; }
ip -n "${P}b" link add br0 type bridge
ip -n "${P}b" link set br0 up
for i in 1 2 3; do
    ns=$P"n$i"
    ip netns add "$ns"
    ip -n "$ns" link add eth0 type veth peer name "p$i" netns "${P}b"
    ip -n "${P}b" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.78.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done

head -c 32 /dev/urandom | base64 >"$T/cluster.key"
chmod 600 "$T/cluster.key"
name_of() { [ "$1" = 3 ] && echo lb3 || echo LVS_DEVEL; }
for i in 1 2 3; do
    {
        echo "global_defs { router_id $(name_of $i) }"
        echo "cluster {"
        echo "    node_id $i"
        echo "    listen 10.78.0.$i:5405"
        for j in 1 2 3; do [ "$j" = "$i" ] || echo "    peer 10.78.0.$j:5405"; done
        echo "    data_dir $T/data$i"
        echo "    secret_file $T/cluster.key"
        echo "    control_socket $T/n$i.sock"
        echo "}"
        cat <<EOF
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 52
    priority $((110 - i))
    advert_int 1
    virtual_ipaddress { $VIP/24 }
}
EOF
    } >"$T/n$i.conf"
    ip netns exec "${P}n$i" "$VIPD" -f "$T/n$i.conf" -l info >"$T/n$i.log" 2>&1 &
    pid[n$i]=$!
done

ctl() { local n=$1; shift; "$VIPCTL" -s "$T/n$n.sock" "$@"; }
until_ok() { # SECONDS COMMAND...: poll every 100 ms until it succeeds
    local end=$((SECONDS + $1)); shift
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
holder() { jq_status 3 's["instances"][0]["holder"]'; }
ready() {
    [ "$(jq_status 3 'sorted((n["id"], n["name"], n["member"]) for n in s["nodes"])')" = \
      "[(1, 'LVS_DEVEL', 'voter'), (2, 'LVS_DEVEL', 'voter'), (3, 'lb3', 'voter')]" ] &&
        [ -n "$(holder)" ] && [ "$(holder)" != None ]
}
until_ok 30 ready || die "no 3-node cluster with a holder (status: $(ctl 3 status 2>&1 | head -5))"
ok "cluster up: n1 and n2 named LVS_DEVEL, n3 lb3, holder $(holder)"
before=$(holder)

# Refused, from any node, with the reason and the way out.
for cmd in transfer remove; do
    ctl 3 "$cmd" LVS_DEVEL >"$T/$cmd.out" 2>&1
    st=$?
    if [ $st -ne 0 ] && grep -q "several members have that name" "$T/$cmd.out" &&
        grep -q "node id" "$T/$cmd.out"; then
        ok "$cmd LVS_DEVEL refused (exit $st): $(head -n 1 "$T/$cmd.out")"
    else
        bad "$cmd LVS_DEVEL: exit $st: $(cat "$T/$cmd.out")"
    fi
done
# Nothing changed: same holder, still three voters.
[ "$(holder)" = "$before" ] && ok "holder unchanged ($before)" ||
    bad "holder moved from $before to $(holder)"
[ "$(jq_status 3 'len(s["nodes"])')" = 3 ] && ok "no member removed" ||
    bad "members now: $(jq_status 3 's["nodes"]')"

# Control: a unique name resolves, and so does the id of a shared one.
vip_on() { ip -n "${P}n$1" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
ctl 1 transfer lb3 >"$T/t3.out" 2>&1 || bad "transfer lb3: $(cat "$T/t3.out")"
until_ok 15 vip_on 3 && ok "transfer lb3 moved the VIP to n3" ||
    bad "transfer lb3: holder $(holder)"
ctl 3 transfer n2 >"$T/t2.out" 2>&1 || bad "transfer n2: $(cat "$T/t2.out")"
until_ok 15 vip_on 2 && ok "transfer n2 (by id) moved the VIP to n2" ||
    bad "transfer n2: holder $(holder)"

[ $fail = 0 ] && echo "PASS" || { for f in "$T"/n*.log; do echo "== $f"; tail -n 10 "$f"; done; }
exit $fail
