#!/bin/bash
# Dual master (active-active) on three real vipd processes in network
# namespaces (tests/netns/vip_lib.sh: bridge ${VV}br, nodes ${VV}n1..n3 =
# 10.77.0.1..3, unicast, one cluster). Two vrrp_instances, two units
# (docs/DESIGN.md 4.9):
#   VI_1  10.77.0.100  priority n1 150 > n2 120 > n3 100
#   VI_2  10.77.0.101  priority n2 150 > n1 120 > n3 100
# Steps, each awaited with a deadline, never slept on:
#   0. VI_1 on n1 only, VI_2 on n2 only.
#   1. Grantee crash: kill -9 of the holder (n1 or n2) that does not lead
#      Raft; its instance moves to the other one, and the other instance,
#      held there, never has no holder nor two. Restart: the instance
#      returns to its preferred node (preempt), the other stays put.
#   2. Leader crash: kill -9 of the Raft leader. If it held an instance,
#      that instance moves; the instance held under a grant elsewhere
#      never has no holder (a grant outlives the leader). Restart: both
#      back on their preferred nodes.
#   3. Partition: n2 cut off from n1 and n3 (nft, both ways): VI_2 moves
#      to n1, VI_1 stays on n1 without a gap; healed, VI_2 returns to n2.
# Between the faults nothing moves: an instance that no fault concerns
# never has no holder, checked over every moment after the placement
# (from each step's mark to the next).
# Two lab checkers (tests/lab/checker.c), one per VIP, sample every node's
# eth0 (dead nodes included) every 10 ms; two holders of either VIP at any
# sample fails the test. Marks split their figures per step; the "without
# a holder" and failover times are printed ("bench:" lines), the pass/fail
# conditions are the ones above. Exit 77 when not root.
#
# `dual_master.sh witness` (tests/netns/dual_witness.sh): two nodes and a
# witness instead: n3 is `witness yes` with no vrrp_instance (as in
# deploy/examples/pair-witness), n1 and n2 run VI_1 and VI_2 as above.
# Steps: 0 as above; crash n1 (kill -9): VI_1 moves to n2 while VI_2 stays
# on n2 without a gap; restart: VI_1 back on n1, VI_2 untouched; the same
# with n2 crashed.
set -u
WITNESS=0
[ "${1:-}" = witness ] && WITNESS=1
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
B=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD=$B/vipd
VIPCTL=$B/vipctl
CHECKER=$B/tests/lab/checker
VIP1=10.77.0.100
VIP2=10.77.0.101
[ -x "$VIPD" ] && [ -x "$CHECKER" ] || { echo "SKIP: $VIPD or $CHECKER not built"; exit 77; }
vv_skip_unless_root python3 nft

declare -a PID=("" "" "" "")
# Priority of node $2 for instance VI_$1.
prio() {
    case $1:$2 in
    1:1 | 2:2) echo 150 ;;
    1:2 | 2:1) echo 120 ;;
    *) echo 100 ;;
    esac
}

fail() {
    local i v
    echo "FAIL: $*" >&2
    for v in 1 2; do
        echo "--- VI_$v holder changes (checker timeline):" >&2
        cat "$VV_TMP/timeline$v" >&2
    done
    for i in 1 2 3; do
        echo "--- n$i status:" >&2
        cat "$VV_TMP/st$i.json" >&2 2>/dev/null
        echo "--- n$i log (tail):" >&2
        grep -v 'raft: ' "$VV_TMP/n$i.log" | tail -n 15 >&2
    done
    # Leadership moves release what the leader held itself.
    echo "--- leadership handovers:" >&2
    grep -H "handing over\|handed leadership" "$VV_TMP"/n[123].log >&2
    exit 1
}

vv_bridge
head -c 32 /dev/urandom | base64 >"$VV_TMP/key"
chmod 600 "$VV_TMP/key"
for i in 1 2 3; do
    vv_node n$i $i
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $VV_TMP/d$i"
        echo "    secret_file $VV_TMP/key"
        echo "    control_socket $VV_TMP/n$i.sock"
        echo "    election_timeout 500"
        [ $WITNESS = 1 ] && [ $i = 3 ] && echo "    witness yes"
        echo "}"
        [ $WITNESS = 1 ] && [ $i = 3 ] && continue
        for v in 1 2; do
            echo "vrrp_instance VI_$v {"
            echo "    interface eth0"
            echo "    virtual_router_id $((50 + v))"
            echo "    priority $(prio $v $i)"
            echo "    advert_int 1"
            echo "    unicast_src_ip 10.77.0.$i"
            echo "    unicast_peer {"
            for j in 1 2 $((3 - WITNESS)); do [ $j = $i ] || echo "        10.77.0.$j"; done
            echo "    }"
            echo "    virtual_ipaddress { 10.77.0.$((99 + v))/24 }"
            echo "}"
        done
    } >"$VV_TMP/n$i.conf"
    ip netns exec "${VV}n$i" "$VIPD" -t -f "$VV_TMP/n$i.conf" >"$VV_TMP/check$i.out" 2>&1 ||
        fail "n$i: config rejected: $(cat "$VV_TMP/check$i.out")"
done

start_node() {
    ip netns exec "${VV}n$1" "$VIPD" -f "$VV_TMP/n$1.conf" >>"$VV_TMP/n$1.log" 2>&1 &
    PID[$1]=$!
    VV_PIDS+=("$!")
}
kill_node() {
    kill -9 "${PID[$1]}"
    wait "${PID[$1]}" 2>/dev/null
    PID[$1]=""
}

# One checker per VIP; its timeline has "MS holders=N[,N] ..." per change
# and "MS mark fault|heal" per mark.
declare -a CK=("" "" "")
for v in 1 2; do
    "$CHECKER" -a "10.77.0.$((99 + v))" -n ${VV}n1,${VV}n2,${VV}n3 \
        -o "$VV_TMP/timeline$v" -r "$VV_TMP/ready$v" \
        >"$VV_TMP/figures$v" 2>"$VV_TMP/checker$v.err" &
    CK[$v]=$!
    VV_PIDS+=("$!")
done
for v in 1 2; do
    vv_wait 5000 test -f "$VV_TMP/ready$v" ||
        fail "checker $v not ready: $(cat "$VV_TMP/checker$v.err")"
done
# Every await also fails at once on two holders of either VIP.
no_violation() {
    local v
    for v in 1 2; do
        ! grep -q "holders=[0-9]*," "$VV_TMP/timeline$v" ||
            fail "two holders of VI_$v: $(grep -m1 "holders=[0-9]*," "$VV_TMP/timeline$v")"
    done
}
# seen V: VI_V's holder set as its checker last saw it ("-" for none).
seen() { grep holders= "$VV_TMP/timeline$1" | tail -n 1 | sed -n 's/.*holders=\([^ ]*\).*/\1/p'; }
# mark: a step boundary in both checkers' figures (a new segment).
N_MARKS=0
mark() {
    kill -USR1 "${CK[1]}" "${CK[2]}"
    N_MARKS=$((N_MARKS + 1))
    # Wait until both timelines show it, so later lines are after it.
    vv_wait 2000 eval '[ "$(grep -c " mark " "$VV_TMP/timeline1")" = $N_MARKS ] &&
        [ "$(grep -c " mark " "$VV_TMP/timeline2")" = $N_MARKS ]' ||
        fail "the checkers did not record mark $N_MARKS"
}
# since_mark V: VI_V's timeline lines after the last mark.
since_mark() {
    awk '/ mark / { n++; delete l; c = 0; next } { l[++c] = $0 }
        END { for (i = 1; i <= c; i++) print l[i] }' "$VV_TMP/timeline$1"
}
# never_lost V WHAT: since the last mark, VI_V never had no holder.
never_lost() {
    local gap
    gap=$(since_mark "$1" | grep -m1 "holders=- ")
    [ -z "$gap" ] || fail "$2: VI_$1 without a holder: $gap"
}

# status N EXPR: Python expression EXPR on node N's `vipctl status --json`
# (as s, node = nodes by id) is true.
status() {
    "$VIPCTL" -s "$VV_TMP/n$1.sock" status --json >"$VV_TMP/st$1.json" 2>/dev/null
    python3 - "$VV_TMP/st$1.json" "$2" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
node = {n["id"]: n for n in s["nodes"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
await() { # SECONDS WHAT COMMAND...
    local s=$1 what=$2; shift 2
    vv_wait $((s * 1000)) "$@" ||
        fail "$what (not within $s s; now VI_1: $(seen 1), VI_2: $(seen 2))"
    no_violation
}
# placed A B: VI_1 on node A only and VI_2 on node B only.
placed() { [ "$(seen 1)" = "$1" ] && [ "$(seen 2)" = "$2" ]; }
# settled: VI_1 on n1, VI_2 on n2, and a leader that sees every node;
# sets L to the leader.
settled() {
    local i
    placed 1 2 || return 1
    for i in 1 2 3; do
        [ -n "${PID[$i]}" ] && status $i "s['leader_id'] == $i and all(
            n['reachable'] for n in s['nodes'])" && L=$i && return 0
    done
    return 1
}
# new_leader_without X: a live node other than X leads and sees X
# unreachable; sets L.
new_leader_without() {
    local i
    for i in 1 2 3; do
        [ $i != "$1" ] && [ -n "${PID[$i]}" ] &&
            status $i "s['leader_id'] == $i and not node[$1]['reachable']" && L=$i && return 0
    done
    return 1
}
# figure V K STEP: key K of VI_V's segment STEP (1-based mark number).
figure() { sed -n "s/^mark$3_$2=//p" "$VV_TMP/figures$1"; }
# nogap V STEP WHAT: VI_V had a holder at every sample of segment STEP.
nogap() { # V STEP WHAT
    [ "$(figure "$1" zero_ms "$2")" = 0 ] ||
        fail "$3: VI_$1 had no holder for $(figure "$1" zero_ms "$2") ms"
}
# stop_checkers: their figures; never two holders of either VIP.
stop_checkers() {
    local v
    for v in 1 2; do kill -TERM "${CK[$v]}"; done
    for v in 1 2; do wait "${CK[$v]}"; done
    no_violation
    for v in 1 2; do
        grep -qx "max_holders=1" "$VV_TMP/figures$v" && grep -qx "overlap_ms=0" "$VV_TMP/figures$v" ||
            fail "VI_$v checker figures: $(cat "$VV_TMP/figures$v")"
    done
}

# 0. Each VIP on its preferred node.
for i in 1 2 3; do start_node $i; done
await 30 "VI_1 not on n1 alone and VI_2 not on n2 alone, or no leader seeing all" settled
echo "0. VI_1 on n1, VI_2 on n2; Raft leader n$L"
# From here on every moment belongs to a step (a checker segment, from
# its mark to the next); once placed, nothing moves without a fault.
mark
S0=$N_MARKS

# crash_step X WHAT: kill -9 node X (1 or 2, holder of VI_X); VI_X moves
# to the other one, Y, and VI_Y stays there without a gap. Then restart X:
# VI_X returns to X, VI_Y still without a gap.
crash_step() {
    local x=$1 what=$2 y=$((3 - $1)) t0 step
    mark
    step=$N_MARKS
    t0=$(vv_ms)
    kill_node "$x"
    await 20 "$what: VI_$x did not move to n$y after kill -9 of n$x" \
        eval '[ "$(seen '"$x"')" = '"$y"' ]'
    echo "   VI_$x on n$y $(( $(vv_ms) - t0 )) ms after kill -9 of n$x"
    never_lost "$y" "$what: kill -9 of n$x"
    [ "$(seen "$y")" = "$y" ] || fail "$what: VI_$y left n$y: $(seen "$y")"
    mark
    start_node "$x"
    await 30 "$what: VI_$x did not return to restarted n$x" settled
    never_lost "$y" "$what: restart of n$x"
    echo "   n$x restarted: VI_$x back on n$x, VI_$y stayed on n$y; leader n$L"
    STEP=$step
}

if [ $WITNESS = 1 ]; then
    # Two nodes and a witness: each holder crashes once.
    for x in 1 2; do
        echo "$x. kill -9 of n$x (holder of VI_$x, leader n$L)"
        crash_step $x "crash of n$x"
        eval "W$x=\$STEP"
    done
    stop_checkers
    nogap 1 $S0 "placed, no fault"
    nogap 2 $S0 "placed, no fault"
    for x in 1 2; do
        eval "s=\$W$x"
        nogap $((3 - x)) $s "crash of n$x"
        nogap $((3 - x)) $((s + 1)) "restart of n$x"
        printf 'bench: crash of n%d  VI_%d new_holder_ms=%s zero_ms=%s  VI_%d zero_ms=%s\n' \
            $x $x "$(figure $x new_holder_ms $s)" "$(figure $x zero_ms $s)" \
            $((3 - x)) "$(figure $((3 - x)) zero_ms $s)"
    done
    echo "PASS"
    exit 0
fi

# 1. The grantee: the holder of VI_1 or VI_2 that does not lead.
x=2
[ "$L" = 2 ] && x=1
echo "1. kill -9 of grantee n$x (holder of VI_$x, leader n$L)"
crash_step $x "grantee crash"
S1=$STEP
X1=$x

# 2. The leader.
dead=$L
X2=$L
echo "2. kill -9 of the leader n$dead"
if [ "$dead" = 3 ]; then
    # It holds nothing: both instances stay, granted to n1 and n2.
    mark
    S2=$N_MARKS
    kill_node 3
    await 20 "no new leader after kill -9 of leader n3" new_leader_without 3
    never_lost 1 "leader crash"
    never_lost 2 "leader crash"
    placed 1 2 || fail "leader crash: VIPs moved (VI_1: $(seen 1), VI_2: $(seen 2))"
    echo "   new leader n$L; VI_1 stayed on n1, VI_2 on n2"
    mark
    start_node 3
    await 30 "restarted n3 not seen by a leader" settled
    never_lost 1 "leader restart"
    never_lost 2 "leader restart"
else
    crash_step "$dead" "leader crash"
    S2=$STEP
fi

# 3. n2 cut off from n1 and n3.
echo "3. n2 cut off from n1 and n3"
mark
S3=$N_MARKS
ip netns exec "${VV}n2" nft -f - <<'NFT' || fail "nft"
table inet vvcut {
    chain in { type filter hook input priority 0; ip saddr { 10.77.0.1, 10.77.0.3 } drop; }
    chain out { type filter hook output priority 0; ip daddr { 10.77.0.1, 10.77.0.3 } drop; }
}
NFT
await 20 "partition: VI_2 did not move to n1" placed 1 1
echo "   VI_2 on n1, VI_1 on n1"
mark
ip netns exec "${VV}n2" nft delete table inet vvcut
await 30 "partition healed: VIPs not back on n1 and n2" settled
echo "   healed: VI_1 on n1, VI_2 on n2"

stop_checkers
# By the figures too (the whole segment, up to the next mark): the
# instance that was not on a crashed node never lost its holder.
nogap $((3 - X1)) $S1 "grantee crash of n$X1"
nogap $((3 - X1)) $((S1 + 1)) "restart of grantee n$X1"
for s in $S2 $((S2 + 1)); do
    for v in 1 2; do
        [ $v = "$X2" ] || nogap $v $s "crash or restart of leader n$X2"
    done
done
nogap 1 $S0 "placed, no fault"
nogap 2 $S0 "placed, no fault"
nogap 1 $S3 "partition of n2"
nogap 1 $((S3 + 1)) "partition of n2 healed"
# The figures of each step (segment = from its mark to the next).
for s in "grantee:$S1" "leader:$S2" "partition:$S3"; do
    n=${s#*:}
    printf 'bench: %-9s crash/cut' "${s%:*}"
    for v in 1 2; do
        printf '  VI_%d new_holder_ms=%s zero_ms=%s overlap_ms=%s' "$v" \
            "$(figure $v new_holder_ms "$n")" "$(figure $v zero_ms "$n")" \
            "$(figure $v overlap_ms "$n")"
    done
    echo
done
echo "PASS"
