#!/bin/bash
# Faults around the holder, on three real vipd processes in network
# namespaces (tests/netns/vip_lib.sh: bridge ${VV}br, nodes ${VV}n1..n3 =
# 10.77.0.1..3, VIP 10.77.0.100).
#   0. Leader != holder: every node tracks an interface "trk" that is down
#      at start, so all are FAULT and the leader holds nothing. kill -9 of
#      that non-holding leader: `vipctl status` and `--json` on the new
#      leader and on a follower must show the new leader and not name it
#      as the holder (none, see below). Then trk comes up and n1, the
#      highest priority, holds.
#   1. kill -9 of a follower, then its restart: the holder never changes.
#   2. SIGSTOP of a follower until the leader sees it unreachable, then
#      SIGCONT: the holder never changes, and the term neither (a returning
#      node must not disrupt the cluster).
#   3. A failed handover: `vipctl transfer n3` while n3's vipd is
#      SIGSTOPped. The holder releases, the transfer fails, and the VIP
#      comes back on a node other than n3 (raft/cluster_own.c resumes
#      after a failed handover) and stays while n3 is frozen (no retry to
#      a dead node); n3 restarted, one node leads and holds.
# The lab checker samples every node's eth0 (dead or stopped ones
# included) every 10 ms and fails the test if two ever hold the VIP.
# Everything is awaited with a deadline, never slept on. Exit 77 when not
# root.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
B=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD=$B/vipd
VIPCTL=$B/vipctl
CHECKER=$B/tests/lab/checker
VIP=10.77.0.100
[ -x "$VIPD" ] && [ -x "$CHECKER" ] || { echo "SKIP: $VIPD or $CHECKER not built"; exit 77; }
vv_skip_unless_root python3

declare -a PID=("" "" "" "")

fail() {
    local i
    echo "FAIL: $*" >&2
    echo "--- holder changes (checker timeline):" >&2
    cat "$VV_TMP/timeline" >&2
    for i in 1 2 3; do
        echo "--- n$i status:" >&2
        cat "$VV_TMP/st$i.json" >&2 2>/dev/null
        echo "--- n$i log (tail):" >&2
        grep -v 'raft: ' "$VV_TMP/n$i.log" | tail -n 12 >&2
    done
    exit 1
}

vv_bridge
head -c 32 /dev/urandom | base64 >"$VV_TMP/key"
chmod 600 "$VV_TMP/key"
for i in 1 2 3; do
    vv_node n$i $i
    ip -n ${VV}n$i link add trk type veth peer name trkp
    ip -n ${VV}n$i link set trkp up
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $VV_TMP/d$i"
        echo "    secret_file $VV_TMP/key"
        echo "    control_socket $VV_TMP/n$i.sock"
        echo "    election_timeout 500"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 51"
        echo "    priority $(( i == 1 ? 150 : 100 ))"
        echo "    advert_int 1"
        echo "    track_interface { trk }"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$VV_TMP/n$i.conf"
done
ip netns exec "${VV}n1" "$VIPD" -t -f "$VV_TMP/n1.conf" >"$VV_TMP/check.out" 2>&1 ||
    fail "config rejected: $(cat "$VV_TMP/check.out")"

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

# The lab checker (tests/lab/checker.c) samples every node's eth0 over
# netlink every 10 ms, dead or stopped nodes included, and confirms two
# holders by a re-read; its timeline has one "MS holders=N[,N] ..." line
# per change.
"$CHECKER" -a $VIP -n ${VV}n1,${VV}n2,${VV}n3 -o "$VV_TMP/timeline" \
    -r "$VV_TMP/ready" >"$VV_TMP/figures" 2>"$VV_TMP/checker.err" &
CHECKER_PID=$!
VV_PIDS+=("$!")
vv_wait 5000 test -f "$VV_TMP/ready" || fail "checker not ready: $(cat "$VV_TMP/checker.err")"
no_violation() {
    ! grep -q "holders=[0-9]*," "$VV_TMP/timeline" ||
        fail "two holders: $(grep -m1 "holders=[0-9]*," "$VV_TMP/timeline")"
}
# The current holder set as the checker last saw it ("-" for none).
seen() { tail -n 1 "$VV_TMP/timeline" | sed -n 's/.*holders=\([^ ]*\).*/\1/p'; }
changes() { wc -l <"$VV_TMP/timeline"; }

# status N EXPR: evaluate the Python expression EXPR on node N's `vipctl
# status --json` (as s); succeeds when it is true.
status() {
    "$VIPCTL" -s "$VV_TMP/n$1.sock" status --json >"$VV_TMP/st$1.json" 2>/dev/null
    python3 - "$VV_TMP/st$1.json" "$2" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
node = {n["id"]: n for n in s["nodes"]}
holder = s["instances"][0]["holder"]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
await() { # SECONDS WHAT COMMAND...
    local s=$1 what=$2; shift 2
    vv_wait $((s * 1000)) "$@" || fail "$what (not within $s s)"
    no_violation
}
only_n1() { [ "$(seen)" = 1 ] && status 1 'holder == 1 and s["holds"]'; }

# text_status N M H: node N's text status shows leader nM and holder H
# ("none" or a node number), exit status 3 (this node does not hold).
text_status() {
    local rc want
    "$VIPCTL" -s "$VV_TMP/n$1.sock" status >"$VV_TMP/text$1" 2>&1
    rc=$?
    [ $rc = 3 ] || fail "vipctl status on n$1 exited $rc while it does not hold"
    grep -q "leader n$2 ($2)" "$VV_TMP/text$1" ||
        fail "n$1: leader n$2 not shown: $(cat "$VV_TMP/text$1")"
    want=$3
    [ "$want" = none ] || want="n$3 \\($3\\)"
    grep -Eq "^VI_1 +$want " "$VV_TMP/text$1" ||
        fail "n$1: the holder is not '$want': $(cat "$VV_TMP/text$1")"
}
# leader_among EXCEPT: sets L to the node (not EXCEPT) that leads with
# every live node reachable and F to another live node (a follower).
leader_among() {
    local i
    for i in 1 2 3; do
        [ $i != "$1" ] && status $i "s['leader_id'] == $i and all(
            n['reachable'] for n in s['nodes'] if n['id'] != ${1:-0})" &&
            L=$i && F=$(( i % 3 + 1 )) && { [ $F != "$1" ] || F=$(( F % 3 + 1 )); } &&
            return 0
    done
    return 1
}

# 0. All FAULT (trk down): a leader, nobody holds. The replicated holder
#    record is the intended holder: a leader elected before the FAULT
#    records were applied may have recorded itself, and a release without
#    handover never clears it (raft/cluster_own.c; the core's rewrite is
#    to fix that). After kill -9 of the leader, the new leader M writes no
#    record (it never wants to hold), so the status must show M as leader
#    and not as holder, unless M itself had been recorded at start-up.
for i in 1 2 3; do start_node $i; done
await 20 "no leader with every node reachable while all are FAULT" leader_among ""
await 10 "n$L: status does not show leader n$L, not holding, trk failed" \
    status $L "s['leader_id'] == $L and not s['holds'] and [
        c['value'] for n in s['nodes'] for c in n['checks'] if c['name'] == 'if:trk'
        ] == [0, 0, 0]"
[ "$(seen)" = - ] || fail "n$(seen) holds while every node is FAULT"
echo "0. all FAULT: leader n$L, nobody holds"
dead=$L
kill_node $dead
await 15 "no new leader after kill -9 of the non-holding leader n$dead" leader_among $dead
M=$L
# Nodes ever recorded as holder (the replicated history).
"$VIPCTL" -s "$VV_TMP/n$M.sock" events --json >"$VV_TMP/events.json" 2>&1 ||
    fail "vipctl events on n$M: $(cat "$VV_TMP/events.json")"
recorded=$(python3 - "$VV_TMP/events.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
try:
    evs = json.loads(text)
except ValueError:
    evs = [json.loads(l) for l in text.splitlines() if l.strip()]
if isinstance(evs, dict):
    evs = evs.get("events", [])
print(" ".join(sorted({str(e["node"]) for e in evs
                       if e["kind"] == "holder" and e["node"] is not None})))
PY
) || fail "cannot read the events of n$M: $(cat "$VV_TMP/events.json")"
if [[ " $recorded " == *" $M "* ]]; then
    echo "   note: new leader n$M was recorded as holder at start-up: leader != holder not checkable"
else
    for i in $M $F; do
        await 10 "n$i: status does not show new leader n$M and a holder other than n$M" \
            status $i "s['leader_id'] == $M and holder != $M and not s['holds'] and (
                holder is None or str(holder) in '$recorded'.split())"
        h=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][0]["holder"])' \
            "$VV_TMP/st$i.json")
        text_status $i $M "${h/None/none}"
    done
    echo "   kill -9 of non-holding leader n$dead: new leader n$M; status: holder ${h/None/none}, not n$M"
fi
[ "$(seen)" = - ] || fail "n$(seen) holds while every node is FAULT"
start_node $dead
await 15 "restarted n$dead does not follow n$L" \
    status $dead "s['leader_id'] == $L and node[$dead]['role'] == 'follower'"
for i in 1 2 3; do ip -n ${VV}n$i link set trk up; done
await 20 "n1 (highest priority) does not hold alone" only_n1
await 10 "n1 does not see every node reachable" \
    status 1 'all(n["reachable"] for n in s["nodes"])'
status 1 'True'
term=$(python3 -c 'import json,sys
print([n["term"] for n in json.load(open(sys.argv[1]))["nodes"] if n["id"] == 1][0])' \
    "$VV_TMP/st1.json")
echo "n1 holds (term $term)"

# 1. kill -9 of a follower, restart: the holder never changes.
c0=$(changes)
kill_node 3
await 10 "n1 does not see killed n3 unreachable" status 1 'not node[3]["reachable"]'
start_node 3
await 15 "restarted n3 does not follow n1" \
    status 3 's["leader_id"] == 1 and node[3]["role"] == "follower"'
await 10 "n1 does not see n3 back" status 1 'node[3]["reachable"]'
[ "$(changes)" = "$c0" ] && [ "$(seen)" = 1 ] ||
    fail "the holder changed around kill -9 and restart of follower n3"
echo "1. kill -9 and restart of a follower: n1 held throughout"

# 2. SIGSTOP a follower until the leader counts it unreachable, then
#    SIGCONT: no holder change, no new term.
c0=$(changes)
kill -STOP "${PID[2]}"
await 10 "n1 does not see stopped n2 unreachable" status 1 'not node[2]["reachable"]'
kill -CONT "${PID[2]}"
await 10 "n2 does not follow n1 after SIGCONT" \
    status 2 's["leader_id"] == 1 and node[2]["role"] == "follower"'
await 10 "n1 does not see n2 back" status 1 'node[2]["reachable"]'
status 1 "s['leader_id'] == 1 and node[1]['term'] == $term" ||
    fail "n1 lost leadership or the term moved after n2's SIGSTOP: $(cat "$VV_TMP/st1.json")"
[ "$(changes)" = "$c0" ] && [ "$(seen)" = 1 ] ||
    fail "the holder changed around SIGSTOP/SIGCONT of follower n2"
echo "2. SIGSTOP/SIGCONT of a follower: n1 held throughout, term $term"

# 3. A handover to a frozen node fails; the VIP must come back.
kill -STOP "${PID[3]}"
t0=$(vv_ms)
c0=$(changes)
"$VIPCTL" -s "$VV_TMP/n2.sock" transfer n3 >"$VV_TMP/transfer.out" 2>&1 ||
    fail "vipctl transfer n3: $(cat "$VV_TMP/transfer.out")"
released() { tail -n +$((c0 + 1)) "$VV_TMP/timeline" | grep -q "holders=- "; }
await 10 "n1 did not release for the transfer to n3" released
await 15 "the VIP did not come back after the failed handover to n3" \
    eval '[ "$(seen)" != - ]'
echo "3. failed handover to frozen n3: n$(seen) holds again after $(( $(vv_ms) - t0 )) ms"
[ "$(seen)" != 3 ] || fail "frozen n3 holds the VIP"
# Not retried while n3 stays frozen: once the holder's status shows n3
# unreachable, no new release within 4 T (a retry would come after 2 T).
await 10 "n$(seen) does not see frozen n3 unreachable" status $(seen) 'not node[3]["reachable"]'
c1=$(changes)
if vv_wait 2000 eval '[ "$(changes)" != "$c1" ]'; then
    fail "the VIP moved again while n3 was frozen (a handover retried to a dead node?)"
fi
# n3 comes back as a new process: a SIGCONT here would let it act on the
# stale TimeoutNow still queued in its socket (CF_CONT=1 does that; it has
# crashed the old leader with SIGSEGV).
if [ "${CF_CONT:-0}" = 1 ]; then
    kill -CONT "${PID[3]}"
else
    kill_node 3
    start_node 3
fi
# The switchover request pins the VIPs to n3 (raft/priority.c), so they
# may move there now that it is back: wait for one holder that leads, with
# every node reachable.
settled() {
    local h
    h=$(seen)
    [ ${#h} = 1 ] && [ "$h" != - ] &&
        status "$h" "s['leader_id'] == $h and holder == $h and s['holds'] and all(
                     n['reachable'] for n in s['nodes'])" && L=$h
}
await 20 "no single leading holder with all nodes reachable after n3 came back" settled
echo "   n3 back: n$L leads and holds"

kill -TERM $CHECKER_PID
wait $CHECKER_PID
no_violation
grep -qx "max_holders=1" "$VV_TMP/figures" && grep -qx "overlap_ms=0" "$VV_TMP/figures" ||
    fail "checker figures: $(cat "$VV_TMP/figures")"
echo "PASS"
