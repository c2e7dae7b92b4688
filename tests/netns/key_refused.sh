#!/bin/bash
# A peer with another cluster key shows in `vipctl status` as such: three
# real vipd processes in namespaces (10.77.0.1..3, a static three-node
# cluster), node 3 with a different key. Nodes 1 and 2 elect a leader and
# one of them holds the VIP, and keeps holding; `vipctl status` on either
# says of node 3 "key refused" (text) and `key_refused: true` with its time
# and age (JSON), and says it of no other node. Node 3 never gets the VIP
# (`nopreempt`: the first holder keeps it).
# Exit 77 when not root or without ip netns / python3.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD_BUILDDIR=$BUILD
VIPD=$BUILD/vipd
VIPCTL=$BUILD/vipctl
VIP=10.77.0.100
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root python3
W=$VV_TMP

fail() {
    echo "FAIL: $*" >&2
    for i in 1 2 3; do
        echo "--- node $i log (tail):" >&2
        grep -v 'raft: ' "$W/log$i" | tail -n 12 >&2
    done
    exit 1
}

vv_bridge
head -c 32 /dev/urandom | base64 >"$W/key"
head -c 32 /dev/urandom | base64 >"$W/other.key"
chmod 600 "$W/key" "$W/other.key"
for i in 1 2 3; do
    vv_node n$i $i
    key=$W/key
    [ $i = 3 ] && key=$W/other.key
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $W/d$i"
        echo "    secret_file $key"
        echo "    control_socket $W/n$i.sock"
        echo "    election_timeout 500"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 51"
        echo "    priority 100"
        echo "    nopreempt"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$W/n$i.conf"
    ip netns exec "${VV}n$i" "$VIPD" -f "$W/n$i.conf" >"$W/log$i" 2>&1 &
    VV_PIDS+=($!)
done

holder() {
    local i
    for i in 1 2 3; do
        if vv_has_addr n$i $VIP; then echo $i; fi
    done
}
good_holder() { H=$(holder); [ "$H" = 1 ] || [ "$H" = 2 ]; }
vv_wait 20000 good_holder || fail "nodes 1 and 2 elected no holder (holder: '$(holder)')"
echo "holder: node $H"

# Status polling dials every peer each second: the refusal is there soon.
refused_text() {
    "$VIPCTL" -s "$W/n$1.sock" status >"$W/status$1.txt" 2>&1
    grep -q ' n3 .* key refused  voter ' "$W/status$1.txt" &&
        grep -q '^Key refused: n3 ([0-9]*) [0-9]*s ago' "$W/status$1.txt"
}
for i in 1 2; do
    vv_wait 10000 refused_text $i ||
        fail "node $i: status does not show node 3 as key refused: $(cat "$W/status$i.txt")"
    if grep -v ' n3 ' "$W/status$i.txt" | grep -qi 'key refused'; then
        fail "node $i: another node shown as key refused: $(cat "$W/status$i.txt")"
    fi
    "$VIPCTL" -s "$W/n$i.sock" status --json >"$W/status$i.json"
    python3 - "$W/status$i.json" <<'PY' || fail "node $i JSON: $(cat "$W/status$i.json")"
import json, sys, time
st = json.load(open(sys.argv[1]))
nodes = {n["id"]: n for n in st["nodes"]}
assert len(nodes) == 3, nodes
bad = [n for n in nodes.values() if n["address"] == "10.77.0.3:5405"]
assert len(bad) == 1, nodes
bad = bad[0]
assert bad["key_refused"] is True, bad
assert not bad["reachable"], bad
# Polled every second: the latest refusal is recent.
assert 0 <= bad["key_refused_age_s"] <= 10, bad
assert abs(bad["key_refused_ms"] / 1000 - time.time()) < 30, bad
for n in nodes.values():
    if n is not bad:
        assert "key_refused" not in n, n
assert st["leader_id"] in [n["id"] for n in nodes.values() if n is not bad], st
PY
    echo "node $i: node 3 shown as key refused (text and JSON)"
done

# The good pair keeps holding: never node 3, never two at once (a start-up
# handover between 1 and 2 is allowed), and one of them holds at the end.
for _ in $(seq 40); do
    h=$(holder)
    case "$h" in 1|2|"") ;; *) fail "holders: '$h'" ;; esac
    sleep 0.05
done
vv_wait 5000 good_holder || fail "nodes 1 and 2 stopped holding"
echo "PASS: key refusal shown; nodes 1 and 2 elected and hold"
