#!/bin/bash
# vipd shuts down valgrind-clean: three vipd nodes in namespaces vg$$-n1..3
# (bridge in vg$$-br, 10.78.0.0/24), node 1 under valgrind (memcheck, full
# leak check) with the highest priority. Once node 1 holds the VIP (so the
# shutdown below releases a held VIP and hands over under valgrind; the
# test fails if it never does) and `vipctl status` says so on node 1,
# SIGTERM node 1: it must exit 0 and leave no VIP behind; valgrind's 99 means memory errors or
# definite/indirect leaks (the valgrind log is printed). Exit 77 when not
# root, without ip netns or valgrind, or when vipd is ASan-instrumented
# (valgrind and ASan do not mix; tests/run-all.sh runs this test again in a
# plain build). libraft-internal padding writes are suppressed (see
# valgrind_libraft.supp). VG_EXTRA adds valgrind options; VG_KEEP=1 keeps
# the work directory.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
VIPD=$BUILD/vipd
VIPCTL=$BUILD/vipctl
VIP=10.78.0.100
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and ip netns"; exit 77
fi
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing"; exit 77; }
if nm "$VIPD" 2>/dev/null | grep -q __asan_init ||
    ldd "$VIPD" 2>/dev/null | grep -q libasan; then
    echo "SKIP: $VIPD is ASan-instrumented (valgrind needs a plain build)"; exit 77
fi

WORK=$(mktemp -d /tmp/vg-shutdown.XXXXXX)
PFX=vg$$
declare -a PIDS=("" "" "" "")

cleanup() {
    for i in 1 2 3; do
        [ -n "${PIDS[$i]}" ] && { kill -9 "${PIDS[$i]}"; wait "${PIDS[$i]}"; } 2>/dev/null
    done
    for ns in $PFX-n1 $PFX-n2 $PFX-n3 $PFX-br; do ip netns del "$ns" 2>/dev/null; done
    if [ "${VG_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*"
    for i in 1 2 3; do
        echo "--- node $i log (tail):"; grep -v 'raft: ' "$WORK/log$i" | tail -n 15
    done
    echo "--- valgrind log (node 1):"; cat "$WORK/valgrind.log" 2>/dev/null
    exit 1
}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS COMMAND...: poll every 100 ms until COMMAND succeeds.
wait_for() {
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while [ "$(ms)" -lt $deadline ]; do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
has_vip() { ip -n $PFX-n$1 -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
holder() { local i; for i in 1 2 3; do has_vip $i && { H=$i; return 0; }; done; return 1; }
status_answers() {
    "$VIPCTL" -s "$WORK/n1.sock" status >"$WORK/status.out" 2>&1
    local rc=$?
    [ $rc = 0 ] || [ $rc = 3 ]
}

ip netns add $PFX-br || { echo "SKIP: cannot create namespaces"; exit 77; }
ip -n $PFX-br link add br0 type bridge
ip -n $PFX-br link set br0 type bridge forward_delay 0 stp_state 0
ip -n $PFX-br link set br0 up
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/key")
chmod 600 "$WORK/key"
for i in 1 2 3; do
    ns=$PFX-n$i
    ip netns add $ns
    ip -n $ns link add eth0 type veth peer name p$i netns $PFX-br || fail "veth"
    ip -n $PFX-br link set p$i master br0 up
    ip -n $ns link set lo up
    ip -n $ns addr add 10.78.0.$i/24 dev eth0
    ip -n $ns link set eth0 up
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.78.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.78.0.$j:5405"; done
        echo "    data_dir $WORK/d$i"
        echo "    secret_file $WORK/key"
        echo "    control_socket $WORK/n$i.sock"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 52"
        echo "    priority $(( i == 1 ? 200 : 100 ))"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$WORK/n$i.conf"
done
ip netns exec $PFX-n1 "$VIPD" -t -f "$WORK/n1.conf" >"$WORK/check.out" 2>&1 ||
    fail "config rejected: $(cat "$WORK/check.out")"

t0=$(ms)
ip netns exec $PFX-n1 valgrind --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --track-fds=no ${VG_EXTRA:-} \
    --suppressions="$SRC/tests/netns/valgrind_libraft.supp" --log-file="$WORK/valgrind.log" \
    "$VIPD" -f "$WORK/n1.conf" >"$WORK/log1" 2>&1 &
PIDS[1]=$!
for i in 2 3; do
    ip netns exec $PFX-n$i "$VIPD" -f "$WORK/n$i.conf" >"$WORK/log$i" 2>&1 &
    PIDS[$i]=$!
done

wait_for 30 holder || fail "no node holds the VIP"
wait_for 20 status_answers || fail "vipctl status does not answer on node 1: $(cat "$WORK/status.out")"
echo "node $H holds the VIP after $(( $(ms) - t0 )) ms; node 1 status:"
cat "$WORK/status.out"
# Node 1 has the highest priority (and preempts): it must take the VIP, so
# that the shutdown below releases a held VIP under valgrind.
wait_for 30 has_vip 1 || fail "node 1 (priority 200, under valgrind) never held the VIP"
echo "node 1 (under valgrind) holds the VIP"
# vipctl status exits 0 only when this node holds.
node1_holds() { "$VIPCTL" -s "$WORK/n1.sock" status >"$WORK/status.out" 2>&1; }
wait_for 10 node1_holds || fail "vipctl status on node 1: not holding: $(cat "$WORK/status.out")"

kill -TERM "${PIDS[1]}"
t_term=$(ms)
exited() { ! kill -0 "${PIDS[1]}" 2>/dev/null; }
wait_for 30 exited || fail "node 1 did not exit within 30 s of SIGTERM"
wait "${PIDS[1]}"
rc=$?
PIDS[1]=""
echo "node 1 exited with $rc $(( $(ms) - t_term )) ms after SIGTERM"
[ $rc = 0 ] || fail "node 1 under valgrind exited $rc (99: memory errors or leaks)"
grep -q "ERROR SUMMARY: 0 errors" "$WORK/valgrind.log" || fail "valgrind reported errors"
has_vip 1 && fail "node 1 kept the VIP after a clean shutdown"
echo "PASS: valgrind-clean shutdown in $(( $(ms) - t0 )) ms"
exit 0
