#!/bin/bash
# `vipctl transfer NAME` and `vipctl remove NAME` with a name that several
# nodes carry (keepalived's `router_id LVS_DEVEL` pasted onto every node):
# refused with a hint to use the node id, the VIP stays where it is, no
# member is removed; a unique name still works (the control case), and so
# does the id of a node that shares the name (src/daemon_ctl.c:
# node_lookup).
#
# Three vipd nodes in namespaces vn$$n1..n3 on a bridge vn$$b, addresses
# 10.78.0.0/24 inside them only; n1 and n2 say `router_id LVS_DEVEL`, n3
# says `router_id lb3`. Exit 77 (skip) when not root or without ip netns.
. "$(dirname "$0")/node_lib.sh"
nl_setup vn 10.78.0 3
name_of() { [ "$1" = 3 ] && echo lb3 || echo LVS_DEVEL; }
for i in 1 2 3; do
    nl_conf $i "$(name_of $i)" 52 "node_id $i"
    nl_start $i info
done
holder() { jq_status 3 's["instances"][0]["holder"]'; }
ready() {
    [ "$(jq_status 3 'sorted((n["id"], n["name"], n["member"]) for n in s["nodes"])')" = \
      "[(1, 'LVS_DEVEL', 'voter'), (2, 'LVS_DEVEL', 'voter'), (3, 'lb3', 'voter')]" ] &&
        [ -n "$(holder)" ] && [ "$(holder)" != None ]
}
until_ok 30 ready || die "no 3-node cluster with a holder (status: $(ctl 3 status 2>&1 | head -5))"
ok "cluster up: n1 and n2 named LVS_DEVEL, n3 lb3, holder $(holder)"
before=$(holder)

# Refused, from any node, with the reason and the way out.
for cmd in transfer remove; do
    ctl 3 "$cmd" LVS_DEVEL >"$T/$cmd.out" 2>&1
    st=$?
    if [ $st -ne 0 ] && grep -q "several members have that name" "$T/$cmd.out" &&
        grep -q "node id" "$T/$cmd.out"; then
        ok "$cmd LVS_DEVEL refused (exit $st): $(head -n 1 "$T/$cmd.out")"
    else
        bad "$cmd LVS_DEVEL: exit $st: $(cat "$T/$cmd.out")"
    fi
done
# Nothing changed: same holder, still three voters.
[ "$(holder)" = "$before" ] && ok "holder unchanged ($before)" ||
    bad "holder moved from $before to $(holder)"
[ "$(jq_status 3 'len(s["nodes"])')" = 3 ] && ok "no member removed" ||
    bad "members now: $(jq_status 3 's["nodes"]')"

# Control: a unique name resolves, and so does the id of a shared one.
vip_on() { ip -n "${P}n$1" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
ctl 1 transfer lb3 >"$T/t3.out" 2>&1 || bad "transfer lb3: $(cat "$T/t3.out")"
until_ok 15 vip_on 3 && ok "transfer lb3 moved the VIP to n3" ||
    bad "transfer lb3: holder $(holder)"
ctl 3 transfer n2 >"$T/t2.out" 2>&1 || bad "transfer n2: $(cat "$T/t2.out")"
until_ok 15 vip_on 2 && ok "transfer n2 (by id) moved the VIP to n2" ||
    bad "transfer n2: holder $(holder)"

[ $fail = 0 ] && echo "PASS" || { for f in "$T"/n*.log; do echo "== $f"; tail -n 10 "$f"; done; }
exit $fail
