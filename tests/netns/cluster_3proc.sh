#!/bin/bash
# Three real vipd nodes: they elect, exactly one holds; kill -9 the holder,
# another takes over; restart the killed node, it rejoins from its data dir
# as a follower (nopreempt) with a term and applied index at least as high
# as before (no data loss); SIGTERM stops all cleanly (exit 0, which
# includes uv_loop_close() == 0).
#
# Runs in network namespaces vr$$-n1..3 on a bridge in vr$$-br when root and
# `ip netns` work, otherwise on 127.0.0.1 with distinct ports. Holding is
# (VR_NO_NETNS=1 forces loopback) observed through each node's VIPD_STATUS_FILE (the VIPs themselves once
# vip/ is wired in). Set VR_KEEP=1 to keep the work directory.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
NODE=$BUILD/tests/netns/vr_node
[ -x "$NODE" ] || { echo "SKIP: $NODE not built"; exit 77; }

WORK=$(mktemp -d /tmp/vr-3proc.XXXXXX)
PFX=vr$$
declare -a PIDS=("" "" "" "")
USE_NS=0
if [ "${VR_NO_NETNS:-0}" != 1 ] && [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1; then
    USE_NS=1
fi

cleanup() {
    for i in 1 2 3; do
        if [ -n "${PIDS[$i]}" ] && kill -0 "${PIDS[$i]}" 2>/dev/null; then
            kill -9 "${PIDS[$i]}" 2>/dev/null
        fi
    done
    if [ $USE_NS = 1 ]; then
        for ns in $PFX-n1 $PFX-n2 $PFX-n3 $PFX-br; do
            ip netns del "$ns" 2>/dev/null
        done
    fi
    if [ "${VR_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*"
    for i in 1 2 3; do
        echo "--- node $i status:"; cat "$WORK/s$i" 2>/dev/null
        echo "--- node $i log (tail):"; tail -n 15 "$WORK/log$i" 2>/dev/null
    done
    exit 1
}

if [ $USE_NS = 1 ]; then
    ip netns add $PFX-br || fail "netns add"
    ip -n $PFX-br link add br0 type bridge
    ip -n $PFX-br link set br0 up
    for i in 1 2 3; do
        ip netns add $PFX-n$i
        ip link add name eth0 netns $PFX-n$i type veth peer name p$i netns $PFX-br ||
            fail "veth"
        ip -n $PFX-br link set p$i master br0 up
        ip -n $PFX-n$i link set lo up
        ip -n $PFX-n$i addr add 10.77.0.$i/24 dev eth0
        ip -n $PFX-n$i link set eth0 up
        ADDR[$i]=10.77.0.$i:5405
    done
else
    base=$((20000 + $$ % 20000))
    for i in 1 2 3; do ADDR[$i]=127.0.0.1:$((base + i)); done
fi

start_node() {
    local i=$1
    local args=(--listen "${ADDR[$i]}" --data-dir "$WORK/d$i" --nopreempt)
    for j in 1 2 3; do args+=(--peer "${ADDR[$j]}"); done
    if [ $USE_NS = 1 ]; then
        VIPD_STATUS_FILE=$WORK/s$i ip netns exec $PFX-n$i "$NODE" "${args[@]}" \
            >>"$WORK/log$i" 2>&1 &
    else
        VIPD_STATUS_FILE=$WORK/s$i "$NODE" "${args[@]}" >>"$WORK/log$i" 2>&1 &
    fi
    PIDS[$i]=$!
}

alive() { [ -n "${PIDS[$1]}" ] && kill -0 "${PIDS[$1]}" 2>/dev/null; }
field() { sed -n "s/^$2=//p" "$WORK/s$1" 2>/dev/null; }

# Holders among live nodes; fails at once if two hold at the same sample.
holders() {
    local h="" n=0
    for i in 1 2 3; do
        if alive $i && [ "$(field $i holding)" = 1 ]; then h="$h $i"; n=$((n + 1)); fi
    done
    if [ $n -gt 1 ]; then
        echo "two holders at once:$h" >>"$WORK/violation"
        fail "two holders at once:$h"
    fi
    echo $h
}
check_violation() { [ ! -f "$WORK/violation" ] || fail "$(cat "$WORK/violation")"; }

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
    local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
    while [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ]; do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

one_holder() { H=$(holders); check_violation; [ -n "$H" ]; }
holder_not() { H=$(holders); check_violation; [ -n "$H" ] && [ "$H" != "$1" ]; }

for i in 1 2 3; do start_node $i; done
wait_for 20 one_holder || fail "no holder elected"
first=$H
[ "$(field $first role)" = leader ] || fail "holder $first is not the leader"
# Let the cluster settle (it may hand over to the preferred node), then
# re-read the holder.
wait_for 10 one_holder || fail "holder lost while settling"
t0=$(date +%s%N)
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2500 ]; do holders >/dev/null; sleep 0.05; done
wait_for 5 one_holder || fail "no holder after settling"
victim=$H
term_before=$(field $victim term)
applied_before=$(field $victim applied)
echo "holder: node $victim (term $term_before, applied $applied_before)"

kill -9 "${PIDS[$victim]}"
wait "${PIDS[$victim]}" 2>/dev/null
t_kill=$(date +%s%N)
wait_for 15 holder_not "$victim" || fail "nobody took over from node $victim"
echo "node $H took over after $(( ($(date +%s%N) - t_kill) / 1000000 )) ms"
new=$H

start_node $victim
rejoined() {
    local role term applied
    role=$(field $victim role); term=$(field $victim term)
    applied=$(field $victim applied)
    [ "$role" = follower ] && [ -n "$term" ] && [ "$term" -ge "$term_before" ] &&
        [ -n "$applied" ] && [ "$applied" -ge "$applied_before" ] &&
        [ "$(field $victim leader)" = "$new" ]
}
wait_for 15 rejoined || fail "node $victim did not rejoin as a follower"
H=$(holders); check_violation
[ "$H" = "$new" ] || fail "holder changed to '$H' after the rejoin (nopreempt)"
grep -q "resuming from" "$WORK/log$victim" || fail "node $victim did not resume"
echo "node $victim rejoined: term $(field $victim term), applied $(field $victim applied)"

for i in 1 2 3; do kill -TERM "${PIDS[$i]}"; done
for i in 1 2 3; do
    wait "${PIDS[$i]}"; rc=$?
    [ $rc = 0 ] || fail "node $i exited with $rc after SIGTERM"
    PIDS[$i]=""
done
grep -q "cluster: closed" "$WORK/log$new" || fail "node $new did not close"
echo "PASS"
exit 0
