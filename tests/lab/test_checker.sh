#!/bin/bash
# The checker against real namespaces: it counts time with two holders and
# with none, sees a link without carrier as not holding, follows the
# client's ARP entry, and reports no overlap for back-to-back handovers
# (remove on one node, then add on the next), which a naive sweep over the
# nodes would sometimes see as two holders.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lab_skip_unless_possible
CHECKER=${CHECKER:-${VIPD_BUILDDIR:-.}/tests/lab/checker}
[ -x "$CHECKER" ] || { echo "checker not built: $CHECKER"; exit 77; }
fail=0
now_ms() { echo $(($(date +%s%N) / 1000000)); }
fig() { sed -n "s/^$1=//p" "$LAB_DIR/figures"; }
within() { # what value want tolerance
    local d=$(($2 - $3))
    if [ "${d#-}" -le "$4" ]; then
        echo "ok: $1 = $2 ms (want $3 +- $4)"
    else
        echo "FAIL: $1 = $2 ms, want $3 +- $4"
        fail=1
    fi
}
add() { lab_exec "$1" ip addr add "$LAB_VIP/24" dev eth0; }
del() { lab_exec "$1" ip addr del "$LAB_VIP/24" dev eth0; }

lab_up 3
"$CHECKER" -a "$LAB_VIP" -n "$(lab_node_ns 1),$(lab_node_ns 2),$(lab_node_ns 3)" \
    -c "$(lab_client_ns)" -o "$LAB_DIR/timeline" -r "$LAB_DIR/ready" \
    >"$LAB_DIR/figures" &
LAB_CHECKER_PID=$!
deadline=$((SECONDS + 5))
until [ -f "$LAB_DIR/ready" ]; do
    [ $SECONDS -lt $deadline ] || { echo "FAIL: checker did not start"; exit 1; }
    sleep 0.01
done
add 1
lab_exec c ping -c1 -W1 -q "$LAB_VIP" >/dev/null
# 60 handovers 1 -> 2 -> 3 -> 1, each remove-then-add: never two holders.
# Marks (SIGUSR2) fence them off as segment 1.
sleep 0.05
kill -USR2 "$LAB_CHECKER_PID"
for i in $(seq 1 20); do
    del 1; add 2; del 2; add 3; del 3; add 1
done
sleep 0.05
kill -USR2 "$LAB_CHECKER_PID"
# Two holders for a measured while.
t0=$(now_ms); add 2; sleep 0.3; del 2; t1=$(now_ms)
# No holder for a measured while.
sleep 0.1
t2=$(now_ms); del 1; sleep 0.5; add 3; t3=$(now_ms)
# Fault mark, then a new holder 0.4 s later.
sleep 0.1
kill -USR1 "$LAB_CHECKER_PID"; t4=$(now_ms)
sleep 0.4; lab_exec 3 arping -q -U -c1 -w1 -I eth0 "$LAB_VIP" >/dev/null 2>&1
del 3; add 1; t5=$(now_ms)
lab_exec 1 arping -q -U -c1 -w1 -I eth0 "$LAB_VIP" >/dev/null 2>&1
lab_exec c ping -c1 -W1 -q "$LAB_VIP" >/dev/null
# Carrier loss: the address stays, the node no longer counts.
lab_link_down 1
sleep 0.2
kill -TERM "$LAB_CHECKER_PID"
wait "$LAB_CHECKER_PID"
LAB_CHECKER_PID=
cat "$LAB_DIR/timeline"

if [ "$(fig mark1_overlap_ms)" != 0 ]; then
    echo "FAIL: $(fig mark1_overlap_ms) ms of overlap seen in back-to-back handovers"
    fail=1
else
    echo "ok: no overlap in $(fig mark1_changes) back-to-back holder changes"
fi
within "overlap" "$(fig overlap_ms)" $((t1 - t0)) 40
# Zero time: the 0.5 s without a holder, the handover gaps, the 0.2 s
# without carrier at the end.
z=$(fig zero_ms)
if [ "$z" -ge $((t3 - t2 - 40)) ] && [ "$z" -le $((t3 - t2 + 1000)) ]; then
    echo "ok: zero_ms = $z (>= $((t3 - t2 - 40)))"
else
    echo "FAIL: zero_ms = $z, want about $((t3 - t2)) plus handover gaps"
    fail=1
fi
[ "$(fig max_holders)" = 2 ] || { echo "FAIL: max_holders $(fig max_holders)"; fail=1; }
[ "$(fig final_holders)" = - ] || {
    echo "FAIL: a node without carrier counted as holder"; fail=1; }
[ "$(fig mark3_holders)" = 3 ] || { echo "FAIL: mark3_holders $(fig mark3_holders)"; fail=1; }
within "new holder after mark" "$(fig mark3_new_holder_ms)" $((t5 - t4)) 60
c=$(fig mark3_client_ms)
if [ "$c" -lt "$(fig mark3_new_holder_ms)" ]; then
    echo "FAIL: client followed ($c ms) before the new holder existed"; fail=1
else
    echo "ok: client's ARP entry followed the new holder after $c ms"
fi
# Several VIPs: overlap is one VIP on two nodes; disjoint parts are not.
V2=${LAB_VIP%.*}.$((${LAB_VIP##*.} + 1))
lab_link_up 1
lab_wait_links
lab_exec 1 ip addr flush dev eth0 to "$LAB_VIP/32"
"$CHECKER" -a "$LAB_VIP,$V2" -n "$(lab_node_ns 1),$(lab_node_ns 2),$(lab_node_ns 3)" \
    -r "$LAB_DIR/ready2" >"$LAB_DIR/figures2" &
LAB_CHECKER_PID=$!
deadline=$((SECONDS + 5))
until [ -f "$LAB_DIR/ready2" ]; do
    [ $SECONDS -lt $deadline ] || { echo "FAIL: checker did not start"; exit 1; }
    sleep 0.01
done
add 1; lab_exec 1 ip addr add "$V2/24" dev eth0
sleep 0.1
lab_exec 1 ip addr del "$V2/24" dev eth0; lab_exec 2 ip addr add "$V2/24" dev eth0
sleep 0.3  # disjoint: n1 has VIP 1, n2 has VIP 2
kill -USR1 "$LAB_CHECKER_PID"
sleep 0.1
del 1; lab_exec 2 ip addr del "$V2/24" dev eth0
add 3; sleep 0.1; lab_exec 3 ip addr add "$V2/24" dev eth0
sleep 0.2
kill -TERM "$LAB_CHECKER_PID"
wait "$LAB_CHECKER_PID"
LAB_CHECKER_PID=
fig2() { sed -n "s/^$1=//p" "$LAB_DIR/figures2"; }
[ "$(fig2 overlap_ms)" = 0 ] || {
    echo "FAIL: disjoint VIPs counted as overlap ($(fig2 overlap_ms) ms)"; fail=1; }
[ "$(fig2 max_holders)" = 2 ] || { echo "FAIL: max_holders $(fig2 max_holders)"; fail=1; }
cn=$(fig2 mark1_new_holder_ms)
cc=$(fig2 mark1_complete_ms)
if [ "$cc" -ge $((cn + 60)) ]; then
    echo "ok: several VIPs: new holder after $cn ms, complete after $cc ms"
else
    echo "FAIL: several VIPs: complete_ms $cc not after new_holder_ms $cn + 100"
    fail=1
fi

# 60 handovers, sampled every 10 ms: many of them must have been seen.
ch=$(fig mark1_changes)
[ "$ch" -ge 20 ] || { echo "FAIL: only $ch holder changes seen"; fail=1; }
exit $fail
