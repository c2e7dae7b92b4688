#!/bin/bash
# A node admitted with `vipctl join` (`bootstrap no`) and restarted from
# its data dir takes its stored id for the ownership step too (raft/
# cluster.c: cluster_init sets the step's self after the node read
# DATA_DIR/node-id): transferred to, it leads and holds the VIP. With the
# step's self left at 0 it could never be the preferred node it is.
#
# Two nodes in namespaces vj$$n1, vj$$n2 on a bridge in vj$$b,
# 10.79.0.0/24 inside them only: n1 forms a one-node cluster, n2 joins,
# n2 is restarted, then `vipctl transfer n2`. Exit 77 (skip) when not root
# or without ip netns.
. "$(dirname "$0")/node_lib.sh"
nl_setup vj 10.79.0 2
nl_conf 1 n1 53 nopeers "election_timeout 500"
nl_conf 2 n2 53 nopeers "bootstrap no" "election_timeout 500"
vip_on() { ip -n "${P}n$1" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
voters2() { [ "$(jq_status "$1" 'len([n for n in s["nodes"] if n["member"]=="voter"])')" = 2 ]; }

nl_start 1
until_ok 15 test -S "$T/n1.sock" || die "n1 control socket never appeared"
until_ok 15 vip_on 1 || die "n1 never held the VIP alone"
nl_start 2
until_ok 15 test -S "$T/n2.sock" || die "n2 control socket never appeared"
ctl 2 join 10.79.0.1:5405 >"$T/join.out" 2>&1 || { cat "$T/join.out"; die "join n2"; }
until_ok 15 voters2 1 || die "n1 does not see 2 voters"
id2=$(jq_status 1 "[n['id'] for n in s['nodes'] if n['name']=='n2'][0]")
ok "n2 joined as node $id2"

kill -TERM "${pid[n2]}"
wait "${pid[n2]}"; st=$?
unset 'pid[n2]'
[ $st = 0 ] || bad "n2 exited $st on SIGTERM"
nl_start 2
until_ok 15 test -S "$T/n2.sock" || die "n2 control socket never appeared (restart)"
until_ok 15 eval '[ "$(jq_status 2 "s[\"leader_id\"]")" = "$(jq_status 1 "s[\"leader_id\"]")" ] && voters2 2' ||
    die "restarted n2 does not follow the leader"
ok "n2 restarted from its data dir"

ctl 1 transfer n2 >"$T/transfer.out" 2>&1 || { cat "$T/transfer.out"; bad "transfer to n2 refused"; }
if until_ok 15 eval 'vip_on 2 && ! vip_on 1 && [ "$(jq_status 2 "s[\"instances\"][0][\"holder\"]")" = "$id2" ]'; then
    ok "the restarted joined node holds the VIP after the transfer"
else
    bad "after the transfer to n2: holder $(jq_status 1 's["instances"][0]["holder"]'), leader $(jq_status 1 's["leader_id"]'), VIP on n1: $(vip_on 1 && echo yes || echo no), on n2: $(vip_on 2 && echo yes || echo no)"
fi
[ $fail = 0 ] && ok "joined node restarts" || for f in "$T"/n*.log; do echo "== $f"; grep -v 'raft: ' "$f" | tail -n 20; done
exit $fail
