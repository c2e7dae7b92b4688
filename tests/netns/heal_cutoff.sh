#!/bin/bash
# A returning node must not disrupt a healthy cluster: three real vipd
# processes in network namespaces (tests/netns/vip_lib.sh: 10.77.0.1..3,
# VIP 10.77.0.100, T = 500 ms), n1 the preferred holder, n3 the lowest.
#   1. n3 starts with the wrong cluster key and runs so for 8 s (the
#      others refuse it: it hears nobody), then restarts with the right key.
#   2. n3 is cut off from n1 and n2 (nft, both ways) for 8 s, then healed.
#      Its tracked interface, down before the cut (every node saw n3
#      FAULT), comes up during the cut: after the heal every node must
#      show it up again (the figure: ms after the heal).
# Either way n3 stays far longer than the pre-vote guard's stuck time
# (raft/prevote.h: 3 T) without a leader. After each: n3 follows n1, n1
# still leads in the same term and the VIP never left n1 (the lab checker
# samples every node's eth0 every 10 ms: no change at all in its timeline,
# never two holders). Before raft/prevote.h kept pre-vote on in a node
# that hears no majority, n3's term climbed and its return made n1 step
# down (about a second without a holder).
# Everything is awaited with a deadline; the only sleeps are the 8 s the
# faults last. Exit 77 when not root.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
B=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD=$B/vipd
VIPCTL=$B/vipctl
CHECKER=$B/tests/lab/checker
VIP=10.77.0.100
CUT_S=${HEAL_CUT_S:-8}
[ -x "$VIPD" ] && [ -x "$CHECKER" ] || { echo "SKIP: $VIPD or $CHECKER not built"; exit 77; }
vv_skip_unless_root python3 nft

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
head -c 32 /dev/urandom | base64 >"$VV_TMP/n3.key"
chmod 600 "$VV_TMP/key" "$VV_TMP/n3.key"
for i in 1 2 3; do
    vv_node n$i $i
    ip -n ${VV}n$i link add trk type veth peer name trkp
    ip -n ${VV}n$i link set trkp up
    ip -n ${VV}n$i link set trk up
    key=$VV_TMP/key
    [ $i = 3 ] && key=$VV_TMP/n3.key # wrong for now
    {
        echo "global_defs { router_id n$i }"
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $VV_TMP/d$i"
        echo "    secret_file $key"
        echo "    control_socket $VV_TMP/n$i.sock"
        echo "    election_timeout 500"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 51"
        echo "    priority $(( 200 - 50 * i ))"
        echo "    advert_int 1"
        echo "    track_interface { trk }"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$VV_TMP/n$i.conf"
done

start_node() {
    ip netns exec "${VV}n$1" "$VIPD" -f "$VV_TMP/n$1.conf" >>"$VV_TMP/n$1.log" 2>&1 &
    PID[$1]=$!
    VV_PIDS+=("$!")
}

"$CHECKER" -a $VIP -n ${VV}n1,${VV}n2,${VV}n3 -o "$VV_TMP/timeline" \
    -r "$VV_TMP/ready" >"$VV_TMP/figures" 2>"$VV_TMP/checker.err" &
CHECKER_PID=$!
VV_PIDS+=("$!")
vv_wait 5000 test -f "$VV_TMP/ready" || fail "checker not ready: $(cat "$VV_TMP/checker.err")"
no_violation() {
    ! grep -q "holders=[0-9]*," "$VV_TMP/timeline" ||
        fail "two holders: $(grep -m1 "holders=[0-9]*," "$VV_TMP/timeline")"
}
seen() { tail -n 1 "$VV_TMP/timeline" | sed -n 's/.*holders=\([^ ]*\).*/\1/p'; }
changes() { wc -l <"$VV_TMP/timeline"; }

# status N EXPR: the Python expression EXPR on node N's `vipctl status
# --json` (as s; node: id -> node entry) is true.
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
    vv_wait $(($1 * 1000)) "${@:3}" || fail "$2 (not within $1 s)"
    no_violation
}
term_of() {
    python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))
print([n["term"] for n in s["nodes"] if n["id"] == int(sys.argv[2])][0])' \
        "$VV_TMP/st$1.json" "$1"
}
# n1 leads and holds, alone.
n1_holds() { [ "$(seen)" = 1 ] && status 1 's["leader_id"] == 1 and s["holds"]'; }
# N follows n1 and n1 sees it.
back() {
    status "$1" "s['leader_id'] == 1 and node[$1]['role'] == 'follower'" &&
        status 1 "node[$1]['reachable']"
}
# after LABEL: n3 is back; n1 must still lead in term $term, no VIP move.
after() {
    await 20 "$1: n3 does not follow n1 again" back 3
    status 1 "s['leader_id'] == 1 and node[1]['term'] == $term" ||
        fail "$1: n1 lost leadership or its term moved (was $term): $(cat "$VV_TMP/st1.json")"
    [ "$(changes)" = "$c0" ] && [ "$(seen)" = 1 ] ||
        fail "$1: the VIP left n1 (timeline: $(tail -n +$((c0 + 1)) "$VV_TMP/timeline" | tr '\n' ' '))"
}

for i in 1 2 3; do start_node $i; done
await 30 "n1 does not lead and hold with n2 following" eval 'n1_holds && back 2'
status 1 True
term=$(term_of 1)
c0=$(changes)
echo "n1 holds (term $term)"

# 1. n3 with the wrong key: it hears nobody.
status 3 'True' || fail "n3 does not answer status"
sleep "$CUT_S"
status 3 True
echo "   n3 after ${CUT_S} s with the wrong key: term $(term_of 3)"
kill -TERM "${PID[3]}"
wait "${PID[3]}"
cp "$VV_TMP/key" "$VV_TMP/n3.key"
start_node 3
after "n3's key fixed"
echo "1. n3 with the wrong key for ${CUT_S} s, restarted with the right one: n1 held throughout, term $term"

# 2. n3 cut off from the others, both ways; its check recovers meanwhile.
# trk_is N V: node N shows n3's interface check with value V.
trk_is() {
    status "$1" "[c['value'] for c in node[3]['checks'] if c['name'] == 'if:trk'] == [$2]"
}
all_trk_are() { trk_is 1 "$1" && trk_is 2 "$1" && trk_is 3 "$1"; }
ip -n ${VV}n3 link set trk down
await 10 "not every node sees n3's trk down" all_trk_are 0
c0=$(changes)
ip netns exec "${VV}n3" nft -f - <<'NFT' || fail "nft"
table inet vvcut {
    chain in { type filter hook input priority 0; ip saddr { 10.77.0.1, 10.77.0.2 } drop; }
    chain out { type filter hook output priority 0; ip daddr { 10.77.0.1, 10.77.0.2 } drop; }
}
NFT
ups() { grep -c "check if:trk -> 1" "$VV_TMP/n3.log"; }
u0=$(ups)
ip -n ${VV}n3 link set trk up
# Status shows the replicated state: n3's own log tells the check changed.
await 5 "n3's daemon does not see its trk up" eval '[ "$(ups)" -gt "$u0" ]'
trk_is 1 0 || fail "n1 saw n3's trk up through the cut"
sleep "$CUT_S"
status 3 True
echo "   n3 after ${CUT_S} s cut off: term $(term_of 3), role $(python3 -c 'import json,sys
print([n["role"] for n in json.load(open(sys.argv[1]))["nodes"] if n["id"] == 3][0])' "$VV_TMP/st3.json")"
ip netns exec "${VV}n3" nft delete table inet vvcut
t0=$(vv_ms)
await 10 "n3's check, up during the cut, is not up on every node after the heal" \
    all_trk_are 1
echo "   n3's check up on every node $(( $(vv_ms) - t0 )) ms after the heal"
after "cut-off n3 healed"
echo "2. n3 cut off for ${CUT_S} s, healed: n1 held throughout, term $term"

kill -TERM $CHECKER_PID
wait $CHECKER_PID
no_violation
grep -qx "max_holders=1" "$VV_TMP/figures" && grep -qx "overlap_ms=0" "$VV_TMP/figures" ||
    fail "checker figures: $(cat "$VV_TMP/figures")"
echo "PASS"
