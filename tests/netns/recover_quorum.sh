#!/bin/bash
# Recovery after losing quorum: `vipd --force-new-cluster` on the last of
# three voters (the pair + witness of tests/netns/pair_lib.sh).
#   - refused while this node's vipd runs;
#   - refused while a majority is reachable (n2 stopped, n1 and w up), and
#     nothing written;
#   - n1 and w crash: refused without confirmation; with --yes it rebuilds
#     a one-member configuration, and once vipd starts again n2 holds the
#     VIP (awaited; the time from the command is printed as "bench:");
#     `vipctl status` then shows one voter;
#   - n1 rejoins with an empty data dir (`bootstrap no`, `vipctl join`);
#     before that, a join whose node cannot write its data dir is refused
#     before it asks, and leaves no member behind.
set -u
. "$(dirname "$0")/vip_lib.sh"
VIPD_BUILDDIR=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
[ -x "$VIPD_BUILDDIR/vipd" ] || { echo "SKIP: vipd not built"; exit 77; }
vv_skip_unless_root python3
. "$(dirname "$0")/pair_lib.sh"

fail() { pw_dump; echo "--- recover output:"; cat "$VV_TMP/rec.out" 2>/dev/null; vv_fail "$*"; }
recover() { # recover ARGS...: in n2's namespace, output in rec.out
    ip netns exec "${VV}n2" "$VIPD" --force-new-cluster -f "$VV_TMP/n2.conf" "$@" \
        >"$VV_TMP/rec.out" 2>&1
}
stop() { # stop NAME: SIGTERM and wait for the exit
    local pid
    pid=$(pw_pid "$1")
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
}

pw_setup
for n in n1 n2 w; do pw_start "$n"; done
vv_wait 20000 pw_holder_is n1 || fail "n1 does not hold"
vv_wait 20000 eval '[ "$(pw_field n2 leader)" = "$(pw_field n1 id)" ]' || fail "n2 does not follow n1"

recover --yes </dev/null && fail "recovery ran next to a running vipd"
grep -q "is in use: stop vipd on this node first" "$VV_TMP/rec.out" || fail "no reason given"

stop n2
recover --yes </dev/null && fail "recovery ran with a majority reachable"
grep -q "recover refused: 3 of 3 voters are reachable, a majority" "$VV_TMP/rec.out" ||
    fail "refusal not explained"
[ -e "$VV_TMP/n2.d/recovered" ] && fail "a refused recovery wrote something"
echo "ok: refused while a majority is reachable"
pw_start n2
vv_wait 20000 eval '[ "$(pw_field n2 leader)" = "$(pw_field n1 id)" ]' || fail "n2 did not rejoin"

# Two of three gone for good.
pw_crash n1
pw_crash w
stop n2
echo no | recover && fail "recovery ran without confirmation"
grep -q "not confirmed, nothing changed" "$VV_TMP/rec.out" || fail "no confirmation asked"
[ -e "$VV_TMP/n2.d/recovered" ] && fail "an unconfirmed recovery wrote something"
t0=$(vv_ms)
recover --yes </dev/null || fail "recovery failed"
grep -q "2 unreachable\|1 of 3 voters reachable: no majority" "$VV_TMP/rec.out" || fail "no plan shown"
grep -q "recover: node 2 at 10.77.0.2:5405 is now the only member" "$VV_TMP/rec.out" ||
    fail "the recovery is not logged"
pw_start n2
vv_wait 20000 pw_holder_is n2 || fail "n2 does not hold after the recovery"
t1=$(vv_ms)
echo "bench: recovery on the last of 3 voters -> VIP up in $((t1 - t0)) ms (command + restart)"
"$VIPCTL" -s "$VV_TMP/n2.sock" status --json >"$VV_TMP/st.json" 2>&1
python3 -c '
import json,sys
s=json.load(open(sys.argv[1]))
sys.exit(0 if s["voters"]==1 and len(s["nodes"])==1 else 1)' "$VV_TMP/st.json" ||
    fail "status after recovery: $(cat "$VV_TMP/st.json")"
# The recovery is in the replicated history: the dropped nodes removed.
vv_wait 10000 eval '"$VIPCTL" -s "$VV_TMP/n2.sock" events 2>/dev/null | grep -q "n1 removed by n2" &&
    "$VIPCTL" -s "$VV_TMP/n2.sock" events 2>/dev/null | grep -q "n3 removed by n2"' ||
    fail "events: $("$VIPCTL" -s "$VV_TMP/n2.sock" events 2>&1 | tail -n 5)"
[ -e "$VV_TMP/n2.d/recovered-drop" ] && fail "the drop list stays"
echo "ok: recovered: n2 alone holds the VIP; events show n1 and n3 removed"

# n1 comes back as a new member: empty data dir, `bootstrap no`, join.
rm -rf "$VV_TMP/n1.d"
sed -i 's|^cluster {|cluster {\n    bootstrap no|' "$VV_TMP/n1.conf"
pw_revive n1
vv_wait 10000 grep -q "waits to be joined" "$VV_TMP/n1.log" || fail "n1 does not wait to be joined"
# A join the new node could not finish is refused before it asks: here
# its data dir is gone (a file in its place); the cluster stays as it was.
rm -rf "$VV_TMP/n1.d"
touch "$VV_TMP/n1.d"
ip netns exec "${VV}n1" "$VIPCTL" -s "$VV_TMP/n1.sock" join 10.77.0.2:5405 \
    >"$VV_TMP/join.out" 2>&1 && fail "join with an unusable data dir succeeded"
grep -q "data_dir $VV_TMP/n1.d is not writable" "$VV_TMP/join.out" ||
    fail "join refusal not explained: $(cat "$VV_TMP/join.out")"
"$VIPCTL" -s "$VV_TMP/n2.sock" status --json 2>/dev/null | python3 -c '
import json,sys
s=json.load(sys.stdin)
sys.exit(0 if len(s["nodes"])==1 else 1)' || fail "the refused join left a member behind"
rm -f "$VV_TMP/n1.d"
mkdir -m 700 "$VV_TMP/n1.d"
ip netns exec "${VV}n1" "$VIPCTL" -s "$VV_TMP/n1.sock" join 10.77.0.2:5405 \
    >"$VV_TMP/join.out" 2>&1 || fail "join: $(cat "$VV_TMP/join.out")"
vv_wait 20000 eval '"$VIPCTL" -s "$VV_TMP/n2.sock" status --json 2>/dev/null | python3 -c "
import json,sys
s=json.load(sys.stdin)
sys.exit(0 if s[\"voters\"]==2 else 1)"' || fail "n1 did not become a voter again"
vv_wait 20000 pw_one_holder || fail "no single holder after the rejoin"
echo "ok: n1 rejoined with an empty data dir"
echo "PASS"
