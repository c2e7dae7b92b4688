#!/bin/bash
# `vipctl remove --force` of a node that runs: the leader tells it over the
# RPC port once the removal committed (raft/cluster_member.c:
# serve_tell_removed; raft 0.15 stops replicating to a removed server at
# once, so raft alone never tells it), and the removed node stops like
# after `vipctl leave`: exit 0, a message saying to wipe its data dir
# before it rejoins, no campaign (the others' term and leader stay).
#
# Three static nodes (`peer` lines) in namespaces vm$$n1..3 on a bridge in
# vm$$b, 10.78.0.0/24 inside them only. The removal is asked of a third
# node, neither the leader nor the target, so the request goes through
# the leader's redirect as an operator's would. Exit 77 (skip) when not
# root or without ip netns.
. "$(dirname "$0")/node_lib.sh"
nl_setup vm 10.78.0 3
for i in 1 2 3; do nl_conf $i n$i 52 "election_timeout 500"; done
ip netns exec "${P}n1" "$VIPD" -t -f "$T/n1.conf" >"$T/check.out" 2>&1 ||
    { cat "$T/check.out"; die "config rejected"; }
for i in 1 2 3; do nl_start $i; done
settled() { # N: sees n1 (the preferred node, where leadership ends up) lead three voters
    [ "$(jq_status "$1" 's["leader_id"] == 1 and len([n for n in s["nodes"] if n["member"]=="voter"]) == 3')" = True ]
}
for i in 1 2 3; do until_ok 20 settled $i || die "n$i never saw a leader and 3 voters"; done
L=$(jq_status 1 's["leader_id"]')
[ -n "$L" ] && [ "$L" != 0 ] || die "no leader"
# Static ids follow the sorted addresses: node i is n$i (raft/cluster.h).
for i in 1 2 3; do [ "$i" != "$L" ] && { F=$i; break; }; done
for i in 1 2 3; do [ "$i" != "$L" ] && [ "$i" != "$F" ] && R=$i; done
echo "leader n$L, removing n$F from n$R"

ctl "$R" remove "n$F" --force >"$T/rm.out" 2>&1 || { cat "$T/rm.out"; die "remove n$F --force"; }
ok "remove n$F --force: $(head -n 1 "$T/rm.out")"

if until_ok 15 eval '! kill -0 "${pid[n$F]}"'; then
    wait "${pid[n$F]}"; st=$?
    unset "pid[n$F]"
    [ $st = 0 ] && ok "n$F stopped after its removal (exit 0)" || bad "n$F exited $st after its removal"
else
    bad "n$F still runs after its removal" # cleanup() stops it
fi
grep -q "n$F was removed from the cluster by the leader n$L" "$T/n$F.log" &&
    ok "n$F says who removed it" || bad "n$F: no 'removed by' message"
grep -q "left the cluster and stops here. To rejoin: wipe its data dir" "$T/n$F.log" &&
    ok "n$F says how to rejoin" || bad "n$F: no 'what next' message"
grep -q "membership: .*telling n$F at 10.78.0.$F:5405 that it was removed" "$T/n$L.log" &&
    ok "the leader told n$F" || bad "the leader did not tell n$F"

# The others go on with two voters; nobody campaigns (a ghost would
# within 2 T): the term and the leader stay over a window of several
# election timeouts (a check that something does not happen needs one).
for i in $L $R; do
    until_ok 10 eval '[ "$(jq_status $i "len([n for n in s[\"nodes\"] if n[\"member\"]==\"voter\"])")" = 2 ]' ||
        bad "n$i does not see 2 voters: $(jq_status $i 's["nodes"]')"
done
term_of() { jq_status "$1" "[n['term'] for n in s['nodes'] if n['name']=='n$1'][0]"; }
term1=$(term_of "$L")
end=$((SECONDS + 4))
while [ $SECONDS -lt $end ]; do
    t=$(term_of "$L"); l=$(jq_status "$R" 's["leader_id"]')
    [ "$t" = "$term1" ] && [ "$l" = "$L" ] || { bad "term $term1 -> $t, leader n$L -> n$l after the removal"; break; }
    sleep 0.2
done
[ $fail = 0 ] && ok "term $term1 and leader n$L kept after the removal"
ip -n "${P}n$F" -4 addr show dev eth0 | grep -q "inet $VIP/" && bad "n$F left the VIP behind"
[ $fail = 0 ] && ok "removed node stops" || for f in "$T"/n*.log; do echo "== $f"; grep -v 'raft: ' "$f" | tail -n 20; done
exit $fail
