#!/bin/bash
# Three real vipd processes in network namespaces vr$$-n1..3 (bridge in
# vr$$-br, 10.77.0.0/24), `lease_mode strict`: they elect and exactly one
# holds the VIP 10.77.0.100 on its eth0, not before the strict wait (2 s +
# T after its election) has passed; kill -9 the holder: its VIP expires by
# the kernel lifetime and only then (strict mode waits for that bound)
# another node takes over, again after the strict wait, whose `vipctl
# status` never shows
# the dead node reachable or "leader"; restart the killed node: it rejoins
# from its data dir as a follower (nopreempt) with a term and applied index
# at least as high as before (no data loss) and the holder stays; a
# follower's `vipctl status` shows every node's forwarded records; `vipctl
# transfer` moves the VIP to the named node; a fourth node with a
# different cluster key gets nowhere (no VIP, both sides log the failed
# authentication with the peer's address); SIGTERM
# stops all cleanly (exit 0, which includes uv_loop_close() == 0).
#
# "Holds" is observed on the wire side: the VIP on a node's eth0, dead or
# alive (a killed holder's leftover VIP counts until the kernel drops it).
# Strict mode is what makes a SIGKILLed holder safe when its fence dies
# with it (vip/fence.h): the lease alone does not cover a dead process's
# kernel lifetime. Each node
# also writes VIPD_STATUS_FILE (role, term, indexes). Exit 77 when not
# root or without ip netns. VR_KEEP=1 keeps the work directory.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD=$BUILD/vipd
VIPCTL=$BUILD/vipctl
VIP=10.77.0.100
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and ip netns"
    exit 77
fi

WORK=$(mktemp -d /tmp/vr-3proc.XXXXXX)
PFX=vr$$
declare -a PIDS=("" "" "" "" "")

cleanup() {
    for i in 1 2 3 4; do
        [ -n "${PIDS[$i]}" ] && kill -9 "${PIDS[$i]}" 2>/dev/null
    done
    for ns in $PFX-n1 $PFX-n2 $PFX-n3 $PFX-n4 $PFX-br; do
        ip netns del "$ns" 2>/dev/null
    done
    if [ "${VR_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*"
    for i in 1 2 3; do
        echo "--- node $i status:"; cat "$WORK/s$i" 2>/dev/null
        echo "--- node $i log (tail):"; grep -v 'raft: ' "$WORK/log$i" | tail -n 15
    done
    exit 1
}

ip netns add $PFX-br || { echo "SKIP: cannot create namespaces"; exit 77; }
ip -n $PFX-br link add br0 type bridge
ip -n $PFX-br link set br0 type bridge forward_delay 0 stp_state 0
ip -n $PFX-br link set br0 up
head -c 32 /dev/urandom | base64 >"$WORK/key"
head -c 32 /dev/urandom | base64 >"$WORK/wrong.key"
chmod 600 "$WORK/key" "$WORK/wrong.key"
for i in 1 2 3 4; do
    ns=$PFX-n$i
    ip netns add $ns
    ip -n $ns link add eth0 type veth peer name p$i netns $PFX-br || fail "veth"
    ip -n $PFX-br link set p$i master br0 up
    ip -n $ns link set lo up
    ip -n $ns addr add 10.77.0.$i/24 dev eth0
    ip -n $ns link set eth0 up
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $WORK/d$i"
        if [ $i = 4 ]; then
            echo "    secret_file $WORK/wrong.key"
        else
            echo "    secret_file $WORK/key"
        fi
        echo "    control_socket $WORK/n$i.sock"
        echo "    election_timeout 500"
        echo "    lease_mode strict"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 51"
        echo "    priority 100"
        echo "    nopreempt"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$WORK/n$i.conf"
done
ip netns exec $PFX-n1 "$VIPD" -t -f "$WORK/n1.conf" >"$WORK/check.out" 2>&1 ||
    fail "config rejected: $(cat "$WORK/check.out")"

start_node() {
    local i=$1
    VIPD_STATUS_FILE=$WORK/s$i ip netns exec $PFX-n$i "$VIPD" -f "$WORK/n$i.conf" \
        >>"$WORK/log$i" 2>&1 &
    PIDS[$i]=$!
}

alive() { [ -n "${PIDS[$1]}" ] && kill -0 "${PIDS[$1]}" 2>/dev/null; }
field() { sed -n "s/^$2=//p" "$WORK/s$1" 2>/dev/null; }
has_vip() { ip -n $PFX-n$1 -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }

# Nodes with the VIP, killed ones included; records a violation when two
# have it at once.
holders() {
    local h="" n=0
    for i in 1 2 3 4; do
        if has_vip $i; then h="$h $i"; n=$((n + 1)); fi
    done
    [ $n -le 1 ] || echo "two holders at once:$h" >>"$WORK/violation"
    echo $h
}
check_violation() { [ ! -f "$WORK/violation" ] || fail "$(head -1 "$WORK/violation")"; }

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while [ "$(ms)" -lt $deadline ]; do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
one_holder() { H=$(holders); check_violation; [ -n "$H" ]; }
holder_not() { H=$(holders); check_violation; [ -n "$H" ] && [ "$H" != "$1" ]; }
vip_gone() { ! has_vip $1; }

# Strict mode (raft/lease.c, strict_wait_ms): a leader holds 2 s + T
# (T = election_timeout, 500 ms above) after its election at the earliest,
# and nobody is elected before the nodes start: no VIP before 2.5 s.
STRICT_MS=2500
t_start=$(ms)
for i in 1 2 3; do start_node $i; done
wait_for 20 one_holder || fail "no holder elected"
dt=$(( $(ms) - t_start ))
[ $dt -ge $STRICT_MS ] ||
    fail "node $H held $dt ms after the start: lease_mode strict did not wait ${STRICT_MS} ms"
echo "first holder after $dt ms (strict wait ${STRICT_MS} ms)"
# Watch for 2.5 s: the holder may hand over once (start-up order), never
# two at once.
end=$(( $(ms) + 2500 ))
while [ "$(ms)" -lt $end ]; do holders >/dev/null; check_violation; sleep 0.05; done
wait_for 5 one_holder || fail "no holder after settling"
victim=$H
[ "$(field $victim role)" = leader ] || fail "holder $victim is not the leader"
term_before=$(field $victim term)
applied_before=$(field $victim applied)
echo "holder: node $victim (term $term_before, applied $applied_before)"

# Every node's NODE record and its interface check were proposed by the
# node itself (followers forward to the leader) and applied exactly once:
# a follower's `vipctl status` shows all three with a priority and if:eth0.
follower=$(( victim % 3 + 1 ))
"$VIPCTL" -s "$WORK/n$follower.sock" status --json >"$WORK/status.json"
[ $? = 3 ] || fail "vipctl status on follower $follower: unexpected exit status"
python3 - "$WORK/status.json" "$victim" <<'PY' || fail "status from node $follower: $(cat "$WORK/status.json")"
import json, sys
st = json.load(open(sys.argv[1]))
holder = int(sys.argv[2])
assert st["leader_id"] == holder, st["leader_id"]
assert not st["holds"]
names = sorted(n["name"] for n in st["nodes"])
assert names == ["n1", "n2", "n3"], names
for n in st["nodes"]:
    assert [p["instance"] for p in n["priorities"]] == ["VI_1"], n
    assert n["priorities"][0]["priority"] == 100 and n["priorities"][0]["eligible"], n
    checks = [c for c in n["checks"] if c["name"] == "if:eth0"]
    assert len(checks) == 1 and checks[0]["value"] == 1, n
assert st["instances"][0]["holder"] == holder, st["instances"]
# Status gathering: every node's own view of role, term and indexes.
roles = {n["id"]: n["role"] for n in st["nodes"]}
assert all(n["reachable"] for n in st["nodes"]), st["nodes"]
assert sorted(roles.values()) == ["follower", "follower", "leader"], roles
assert len({n["term"] for n in st["nodes"]}) == 1, st["nodes"]
assert all(n["applied_index"] > 0 for n in st["nodes"]), st["nodes"]
assert all(n["commit_index"] > 0 for n in st["nodes"]), st["nodes"]
PY
echo "status from follower $follower: 3 nodes described, holder $victim"

# A node with another cluster key: both sides log the failed handshake with
# the peer's address; it never gets a leader or the VIP, and the cluster
# keeps its holder.
start_node 4
auth_logged() {
    grep -q "authentication failed" "$WORK/log4" &&
        grep -q "10.77.0.4:[0-9]*: authentication failed" \
            "$WORK/log1" "$WORK/log2" "$WORK/log3"
}
wait_for 10 auth_logged || fail "wrong-key node: no authentication failure logged"
alive 4 || fail "wrong-key node exited: $(tail -n 3 "$WORK/log4")"
has_vip 4 && fail "wrong-key node holds the VIP"
[ "$(field 4 leader)" = "" ] || [ "$(field 4 leader)" = 0 ] ||
    fail "wrong-key node sees leader $(field 4 leader)"
H=$(holders); check_violation
[ "$H" = "$victim" ] || fail "holder changed to '$H' while the wrong-key node ran"
kill -9 "${PIDS[4]}"; wait "${PIDS[4]}" 2>/dev/null; PIDS[4]=""
echo "wrong-key node: rejected and logged on both sides"

# The clock is read before the kill: every later event is at least that far
# from it.
# The daemon and its fence are killed together (systemctl kill, a
# cgroup-wide OOM kill): only the kernel lifetime removes the VIP, and
# strict mode is what waits that out.
fence_pid=$(pgrep -P "${PIDS[$victim]}" -x vipd-fence) ||
    fail "node $victim's vipd has no vipd-fence child"
t_kill=$(ms)
kill -9 "${PIDS[$victim]}" "$fence_pid"
wait "${PIDS[$victim]}" 2>/dev/null
wait_for 15 holder_not "$victim" || fail "nobody took over from node $victim"
new=$H
dt=$(( $(ms) - t_kill ))
echo "node $new took over after $dt ms"
[ $dt -ge $STRICT_MS ] ||
    fail "node $new held $dt ms after the kill: lease_mode strict did not wait ${STRICT_MS} ms"
# The new leader's `vipctl status`, from the moment it holds: the killed
# node is never shown reachable or in its stale role "leader" (every reply
# is checked, exit 2 = violation); poll until every live node is reachable
# with a commit index > 0 (exit 1 = not yet).
status_after_kill() {
    local rc
    "$VIPCTL" -s "$WORK/n$new.sock" status --json >"$WORK/status2.json" 2>/dev/null
    python3 - "$WORK/status2.json" "$victim" "$new" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
dead, new = int(sys.argv[2]), int(sys.argv[3])
nodes = {n["id"]: n for n in st["nodes"]}
if nodes[dead]["reachable"] or nodes[dead]["role"] == "leader":
    sys.exit(2)
assert st["leader_id"] == new and nodes[new]["role"] == "leader"
assert all(n["reachable"] and n["commit_index"] > 0
           for i, n in nodes.items() if i != dead)
PY
    rc=$?
    [ $rc = 2 ] && cp "$WORK/status2.json" "$WORK/stale.json"
    [ $rc = 0 ] || [ $rc = 2 ]
}
wait_for 10 status_after_kill ||
    fail "new leader $new: live nodes not all reachable and committed: $(cat "$WORK/status2.json")"
[ -f "$WORK/stale.json" ] &&
    fail "new leader $new shows killed node $victim live or leader: $(cat "$WORK/stale.json")"
echo "new leader's status: node $victim unreachable, not leader; live nodes committed"
# The killed process cannot remove its VIP: the kernel lifetime did, before
# the new holder took it (holders() counts the dead node too).
vip_gone "$victim" || fail "the VIP of killed node $victim is still there"

start_node $victim
rejoined() {
    local role term applied
    H=$(holders); check_violation
    role=$(field $victim role); term=$(field $victim term)
    applied=$(field $victim applied)
    [ "$role" = follower ] && [ -n "$term" ] && [ "$term" -ge "$term_before" ] &&
        [ -n "$applied" ] && [ "$applied" -ge "$applied_before" ] &&
        [ "$(field $victim leader)" = "$new" ]
}
wait_for 15 rejoined || fail "node $victim did not rejoin as a follower"
grep -q "resuming from" "$WORK/log$victim" || fail "node $victim did not resume"
H=$(holders); check_violation
[ "$H" = "$new" ] || fail "holder changed to '$H' after the rejoin (nopreempt)"
echo "node $victim rejoined: term $(field $victim term), applied $(field $victim applied)"

# Planned switchover from a follower's socket: the holder releases, then
# hands leadership to the named node, which takes the VIP.
target=$(( new % 3 + 1 ))
"$VIPCTL" -s "$WORK/n$victim.sock" transfer n$target >/dev/null ||
    fail "vipctl transfer n$target failed"
holder_is() { H=$(holders); check_violation; [ "$H" = "$1" ]; }
wait_for 10 holder_is $target || fail "switchover to node $target did not happen (holder '$H')"
echo "switchover: node $target holds"

for i in 1 2 3; do kill -TERM "${PIDS[$i]}"; done
for i in 1 2 3; do
    wait "${PIDS[$i]}"; rc=$?
    PIDS[$i]=""
    [ $rc = 0 ] || fail "node $i exited with $rc after SIGTERM"
done
for i in 1 2 3; do vip_gone $i || fail "node $i kept the VIP after SIGTERM"; done
echo "PASS"
exit 0
