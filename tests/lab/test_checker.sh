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
# between WHAT VALUE LOW HIGH: the event lasted at least LOW (measured
# from the end of the command that started it to the start of the one that
# ended it) and at most HIGH (start of the first to end of the last), give
# or take SLACK for the 10 ms sampling. Bounds, not a tolerance around one
# figure, so a loaded machine (slow `ip` spawns) cannot fail a correct
# checker.
SLACK=25
between() {
    if [ "$2" -ge $(($3 - SLACK)) ] && [ "$2" -le $(($4 + SLACK)) ]; then
        echo "ok: $1 = $2 ms (in $3..$4)"
    else
        echo "FAIL: $1 = $2 ms, want $3..$4 +- $SLACK"
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
tl0=$(now_ms)
for i in $(seq 1 20); do
    del 1; add 2; del 2; add 3; del 3; add 1
done
tl1=$(now_ms)
sleep 0.05
kill -USR2 "$LAB_CHECKER_PID"
# Two holders for a measured while.
t0=$(now_ms); add 2; ta=$(now_ms); sleep 0.3; tb=$(now_ms); del 2; t1=$(now_ms)
# No holder for a measured while.
sleep 0.1
t2=$(now_ms); del 1; t2a=$(now_ms); sleep 0.5; t3b=$(now_ms); add 3; t3=$(now_ms)
# Fault mark, then a new holder 0.4 s later.
sleep 0.1
t4=$(now_ms); kill -USR1 "$LAB_CHECKER_PID"; t4a=$(now_ms)
sleep 0.4; lab_exec 3 arping -q -U -c1 -w1 -I eth0 "$LAB_VIP" >/dev/null 2>&1
del 3; t5b=$(now_ms); add 1; t5=$(now_ms)
lab_exec 1 arping -q -U -c1 -w1 -I eth0 "$LAB_VIP" >/dev/null 2>&1
lab_exec c ping -c1 -W1 -q "$LAB_VIP" >/dev/null
# Carrier loss: the address stays, the node no longer counts.
tdown=$(now_ms)
lab_link_down 1
sleep 0.2
kill -TERM "$LAB_CHECKER_PID"
tend=$(now_ms)
wait "$LAB_CHECKER_PID"
LAB_CHECKER_PID=
cat "$LAB_DIR/timeline"

if [ "$(fig mark1_overlap_ms)" != 0 ]; then
    echo "FAIL: $(fig mark1_overlap_ms) ms of overlap seen in back-to-back handovers"
    fail=1
else
    echo "ok: no overlap in $(fig mark1_changes) back-to-back holder changes"
fi
between "overlap" "$(fig overlap_ms)" $((tb - ta)) $((t1 - t0))
# Zero time: the 0.5 s without a holder, the handover gaps, the 0.2 s
# without carrier at the end.
z=$(fig zero_ms)
# At most: that gap, the gaps of the handover loop, the del/add after the
# mark, and the time without carrier at the end.
zmax=$((t3 - t2 + tl1 - tl0 + t5 - t5b + tend - tdown + SLACK))
if [ "$z" -ge $((t3b - t2a - SLACK)) ] && [ "$z" -le "$zmax" ]; then
    echo "ok: zero_ms = $z (>= $((t3b - t2a - SLACK)))"
else
    echo "FAIL: zero_ms = $z, want $((t3b - t2a - SLACK))..$zmax"
    fail=1
fi
[ "$(fig max_holders)" = 2 ] || { echo "FAIL: max_holders $(fig max_holders)"; fail=1; }
[ "$(fig final_holders)" = - ] || {
    echo "FAIL: a node without carrier counted as holder"; fail=1; }
[ "$(fig mark3_holders)" = 3 ] || { echo "FAIL: mark3_holders $(fig mark3_holders)"; fail=1; }
between "new holder after mark" "$(fig mark3_new_holder_ms)" $((t5b - t4a)) $((t5 - t4))
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
if [ "$cc" -ge $((cn + 100 - SLACK)) ]; then
    echo "ok: several VIPs: new holder after $cn ms, complete after $cc ms"
else
    echo "FAIL: several VIPs: complete_ms $cc not after new_holder_ms $cn + 100"
    fail=1
fi

# 60 handovers, sampled every 10 ms: many of them must have been seen.
ch=$(fig mark1_changes)
[ "$ch" -ge 20 ] || { echo "FAIL: only $ch holder changes seen"; fail=1; }
exit $fail
