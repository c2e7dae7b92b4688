#!/bin/bash
# vipctl against real vipd nodes in network namespaces (issue 7):
# build a one-node cluster, join two more with `vipctl join`, check that
# `vipctl status --json` agrees from every node, transfer to each node in
# turn, maintenance on the holder moves the VIP, remove a killed node, and
# `vipctl events` shows every step in order, and a `leave` that would
# leave the live voters without a majority is refused. Bad input (unknown command,
# wrong key, bad JSON on the socket, a non-root caller) gets a clear error
# and changes nothing. A checker samples every namespace's addresses and
# fails the test if two ever hold the VIP.
#
# Bootstrap rule (raft/cluster.h): each node's config lists only its own
# `listen` address (no peer lines); node 1 starts first and forms a
# one-node cluster; nodes 2, 3 (and 4) say `bootstrap no` and start with
# empty data dirs, so they wait to be joined. Namespaces: vc$$b (bridge), vc$$n1..vc$$n4; addresses
# 10.77.0.0/24 inside them only.
#
# Exit 77 (skip) when not root or without ip netns.
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
VIPD=$B/vipd
VIPCTL=$B/vipctl
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "skip: no ip netns"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

P=vc$$
T=$(mktemp -d /tmp/vc-cluster.XXXXXX)
VIP=10.77.0.100
declare -A pid
checker=
cleanup() {
    [ -n "$checker" ] && kill "$checker" 2>/dev/null
    for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null; done
    for n in "${!pid[@]}"; do
        for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pid[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    for ns in b n1 n2 n3 n4; do ip netns del "$P$ns" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*"; for f in "$T"/n*.log; do echo "== $f"; tail -n 30 "$f"; done; exit 1; }

# ---- network: a bridge namespace and one veth per node ----
ip netns add "${P}b" || { echo "skip: cannot create namespaces"; exit 77; }
ip -n "${P}b" link add br0 type bridge
ip -n "${P}b" link set br0 up
for i in 1 2 3 4; do
    ns=$P"n$i"
    ip netns add "$ns"
    ip -n "$ns" link add eth0 type veth peer name "p$i" netns "${P}b"
    ip -n "${P}b" link set "p$i" master br0 up
    ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done

head -c 32 /dev/urandom | base64 >"$T/cluster.key"
head -c 32 /dev/urandom | base64 >"$T/wrong.key"
chmod 600 "$T"/*.key
config() { # N KEYFILE
    local boot=
    [ "$1" = 1 ] || boot="bootstrap no"
    cat >"$T/n$1.conf" <<EOF
global_defs { router_id n$1 }
cluster {
    $boot
    listen 10.77.0.$1:5405
    data_dir $T/data$1
    secret_file $2
    control_socket $T/n$1.sock
    election_timeout 500
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $((110 - $1))
    advert_int 1
    virtual_ipaddress { $VIP/24 }
}
EOF
}
start() { # N [KEYFILE]
    config "$1" "${2:-$T/cluster.key}"
    ip netns exec "${P}n$1" "$VIPD" -f "$T/n$1.conf" -l debug >"$T/n$1.log" 2>&1 &
    pid[n$1]=$!
}
ctl() { local n=$1; shift; "$VIPCTL" -s "$T/n$n.sock" "$@"; }
# until SECONDS COMMAND...: poll the command every 100 ms until it succeeds
# (use `eval '[ "$(...)" = x ]'` so that substitutions run on every poll)
until_ok() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
jq_status() { # N PYTHON-EXPR on s (the status object): prints the result
    ctl "$1" status --json 2>/dev/null | python3 -c "import json,sys
s=json.load(sys.stdin)
print($2)"
}
holder() { jq_status "$1" 's["instances"][0]["holder"]'; }
vip_on() { ip -n "${P}n$1" -4 addr show dev eth0 | grep -q "inet $VIP/"; }

# ---- node 1 alone ----
config 1 "$T/cluster.key"
if ! ip netns exec "${P}n1" "$VIPD" -t -f "$T/n1.conf" >"$T/check.out" 2>&1; then
    cat "$T/check.out"; die "n1.conf rejected"
fi
start 1
for _ in $(seq 50); do
    [ -S "$T/n1.sock" ] && break
    if ! kill -0 "${pid[n1]}" 2>/dev/null; then
        wait "${pid[n1]}"; st=$?
        tail -n 5 "$T/n1.log"; die "vipd n1 exited with $st"
    fi
    sleep 0.1
done
[ -S "$T/n1.sock" ] || die "n1 control socket never appeared"
until_ok 15 ctl 1 status || die "n1 never held the VIP as a one-node cluster"
ok "one-node cluster holds the VIP"

# The invariant checker: never two holders, sampled every 20 ms. One sweep
# reads the namespaces one after the other, so a VIP moving from n1 to n2
# during a sweep shows up on both; a second sweep in the opposite order
# (which cannot see such a move twice) confirms before it counts. Overlaps
# shorter than a sweep are the failover benchmarks' job (tests/netns/vip_*).
(
    while :; do
        a=
        for i in 1 2 3 4; do vip_on $i && a="$a n$i"; done
        if [ $(wc -w <<<"$a") -gt 1 ]; then
            b=
            for i in 4 3 2 1; do vip_on $i && b="$b n$i"; done
            [ $(wc -w <<<"$b") -gt 1 ] &&
                echo "TWO HOLDERS at $(date +%s.%N):$a /$b" >>"$T/overlap"
        fi
        sleep 0.02
    done
) &
checker=$!

# ---- join two nodes ----
for i in 2 3; do
    start $i
    until_ok 10 test -S "$T/n$i.sock" || die "n$i control socket never appeared"
    t0=$(date +%s%N)
    ctl $i join 10.77.0.1:5405 >"$T/join$i.out" 2>&1 ||
        { cat "$T/join$i.out"; die "join n$i"; }
    echo "join n$i took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    [ "$(wc -l <"$T/join$i.out")" -ge 2 ] && ok "join n$i showed progress" ||
        bad "join n$i: no progress lines"
done
three_voters() { [ "$(jq_status "$1" 'sum(1 for n in s["nodes"] if n["member"]=="voter")')" = 3 ]; }
for i in 1 2 3; do until_ok 20 three_voters $i || die "n$i does not see 3 voters"; done
ok "three voters"

# The same answer from any node: membership, leader and holder agree.
same_view() {
    local a b
    a=$(jq_status 1 '[(n["id"],n["name"],n["member"]) for n in s["nodes"]],s["leader_id"],s["instances"][0]["holder"]')
    for i in 2 3; do
        b=$(jq_status $i '[(n["id"],n["name"],n["member"]) for n in s["nodes"]],s["leader_id"],s["instances"][0]["holder"]')
        [ "$a" = "$b" ] || return 1
    done
}
until_ok 10 same_view && ok "status agrees on every node" || bad "status differs between nodes"

# ---- transfer to each node in turn ----
node_id() { jq_status 1 "[n['id'] for n in s['nodes'] if n['name']=='n$1'][0]"; }
for i in 2 3 1; do
    id=$(node_id $i)
    ctl 1 transfer "n$i" >/dev/null 2>&1 || ctl $i transfer "n$i" || bad "transfer to n$i refused"
    if until_ok 15 eval '[ "$(holder 1)" = "$id" ]' && until_ok 10 vip_on $i; then
        ok "transfer to n$i"
    else
        bad "transfer to n$i: holder $(holder 1)"
    fi
    ctl $i status >/dev/null; [ $? = 0 ] || bad "status exit on the holder n$i"
    for j in 1 2 3; do
        [ $j = $i ] && continue
        ctl $j status >/dev/null; [ $? = 3 ] || bad "status exit on non-holder n$j"
    done
done

# ---- transfer INSTANCE NODE: one instance is the single unit here, so the
# whole group moves; the status shows the unit, the term and who holds ----
inst=$(jq_status 1 's["instances"][0]["name"]')
ctl 1 transfer NO_SUCH_INSTANCE n2 >/dev/null 2>"$T/err"; st=$?
[ $st = 1 ] && grep -q "no instance named 'NO_SUCH_INSTANCE' (instances: $inst)" "$T/err" &&
    ok "transfer of an unknown instance refused" ||
    { bad "transfer of an unknown instance: exit $st"; cat "$T/err"; }
id=$(node_id 2)
ctl 1 transfer "$inst" n2 >"$T/out" 2>&1 || ctl 2 transfer "$inst" n2 >"$T/out" 2>&1 ||
    bad "transfer $inst n2 refused: $(cat "$T/out")"
if until_ok 15 eval '[ "$(holder 1)" = "$id" ]' &&
    until_ok 10 eval '[ "$(jq_status 2 "s[\"instances\"][0][\"holds\"]")" = True ]'; then
    ok "transfer $inst n2"
else
    bad "transfer $inst n2: holder $(holder 1)"
fi
[ "$(jq_status 1 's["instances"][0]["unit"], s["instances"][0]["holds"], s["instances"][0]["term"] > 0')" = "$inst False True" ] ||
    bad "status unit/holds/term: $(jq_status 1 's["instances"][0]')"

# ---- maintenance on the holder moves the VIP ----
h=$(holder 1)
hn=$(jq_status 1 "[n['name'] for n in s['nodes'] if n['id']==$h][0]")
hi=${hn#n}
ctl "$hi" maintenance on || bad "maintenance on"
if until_ok 15 eval '[ "$(holder 1)" != "$h" ]'; then ok "maintenance moved the VIP off $hn"; else bad "maintenance: VIP stayed on $hn"; fi
[ "$(jq_status 1 "[n['maintenance'] for n in s['nodes'] if n['id']==$h][0]")" = True ] ||
    bad "status does not show maintenance on $hn"
ctl "$hi" maintenance off || bad "maintenance off"

# ---- bad input changes nothing ----
before=$(jq_status 1 '[(n["id"],n["member"],n["maintenance"]) for n in s["nodes"]]')
ctl 1 frobnicate >/dev/null 2>&1; [ $? = 2 ] || bad "unknown command exit"
python3 - "$T/n1.sock" <<'EOF' || bad "bad JSON on the socket"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b'{"cmd":"maintenance","args":{"on":"yes"}}\n{not json\n')
f = s.makefile("rb")
for _ in range(2):
    r = json.loads(f.readline()); assert r["ok"] is False and r["code"] < 0, r
EOF
if command -v setpriv >/dev/null; then
    chmod 755 "$T"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$VIPCTL" -s "$T/n1.sock" \
        maintenance on >/dev/null 2>&1
    [ $? -ne 0 ] && ok "non-root caller refused" || bad "non-root caller accepted"
fi
start 4 "$T/wrong.key"
until_ok 10 test -S "$T/n4.sock" || die "n4 control socket never appeared"
ctl 4 join 10.77.0.2:5999 >"$T/join4u.out" 2>&1; st=$?
[ $st = 1 ] && grep -q "cannot reach" "$T/join4u.out" && ok "unreachable peer: clear error" ||
    { bad "unreachable join: exit $st"; cat "$T/join4u.out"; }
ctl 4 join 10.77.0.1:5405 >"$T/join4.out" 2>&1; st=$?
[ $st = 1 ] && grep -qi "key" "$T/join4.out" && ok "wrong key: clear error" ||
    { bad "wrong key join: exit $st"; cat "$T/join4.out"; }
kill -TERM "${pid[n4]}"
# Joining again from a member is refused.
ctl 2 join 10.77.0.1:5405 >"$T/join2b.out" 2>&1; st=$?
[ $st = 1 ] && grep -q "already a member" "$T/join2b.out" && ok "second join refused" ||
    { bad "second join: exit $st"; cat "$T/join2b.out"; }
# Removing a live node or an unknown one is refused.
ctl 1 remove n2 >"$T/rm2.out" 2>&1; st=$?
[ $st = 1 ] && grep -q "alive" "$T/rm2.out" && ok "remove of a live node refused" ||
    { bad "remove live n2: exit $st"; cat "$T/rm2.out"; }
ctl 1 remove n9 >"$T/rm9.out" 2>&1; st=$?
[ $st = 1 ] && grep -q "no member" "$T/rm9.out" && ok "remove of an unknown node refused" ||
    { bad "remove n9: exit $st"; cat "$T/rm9.out"; }
after=$(jq_status 1 '[(n["id"],n["member"],n["maintenance"]) for n in s["nodes"]]')
[ "$before" = "$after" ] && ok "bad input changed nothing" || bad "state changed: $before -> $after"

# ---- remove a killed node ----
kill -KILL "${pid[n3]}"
unset 'pid[n3]'
id3=$(node_id 3)
until_ok 15 eval '[ "$(jq_status 1 "[n[\"reachable\"] for n in s[\"nodes\"] if n[\"id\"]==$id3][0]")" = False ]' ||
    bad "killed n3 still reachable"
ctl 1 remove n3 || bad "remove n3"
until_ok 15 eval '[ "$(jq_status 1 "len(s[\"nodes\"])")" = 2 ]' && ok "n3 removed" || bad "n3 still listed"

# ---- events show every step, in order ----
ctl 1 events --json >"$T/events" || bad "events"
python3 - "$T/events" <<'EOF' || bad "events order/content"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
idx = [e["index"] for e in evs]
assert idx == sorted(idx), "indexes not increasing"
kinds = [e["kind"] for e in evs]
def after(kind, start):
    for i in range(start, len(kinds)):
        if kinds[i] == kind:
            return i + 1
    raise AssertionError("no %s after event %d: %s" % (kind, start, kinds))
i = after("member", 0); i = after("member", i)      # n2, n3 joined
for _ in range(3):                                   # three transfers
    i = after("holder", i)
i = after("maintenance", i); i = after("holder", i)  # drained
i = after("maintenance", i)                          # back
i = after("member", i)                               # n3 removed
EOF
# ---- the holder leaves: it drains first, the other node goes on ----
h=$(holder 1)
hn=$(jq_status 1 "[n['name'] for n in s['nodes'] if n['id']==$h][0]")
hi=${hn#n}
oi=$((3 - hi))
if ctl "$hi" leave >"$T/leave.out" 2>&1; then
    if until_ok 15 eval '[ "$(jq_status $oi "len(s[\"nodes\"])")" = 1 ]' &&
        until_ok 15 vip_on $oi && ! vip_on "$hi"; then
        ok "holder $hn left, n$oi holds alone"
    else
        bad "after $hn left: $(jq_status $oi 's["nodes"]')"
    fi
    # The node that left stops by itself, exit 0, saying what to do next
    # (raft/cluster_own.c: report_left); it never campaigns as a ghost.
    if until_ok 15 eval '! kill -0 "${pid[n$hi]}"'; then
        wait "${pid[n$hi]}"; st=$?
        [ $st = 0 ] && ok "$hn stopped after leaving (exit 0)" || bad "$hn exited $st after leaving"
        grep -q "left the cluster and stops here. To rejoin: wipe its data dir" "$T/n$hi.log" &&
            ok "$hn said how to rejoin" || bad "$hn: no 'what next' message"
    else
        bad "$hn still runs after leaving"
    fi
    unset "pid[n$hi]"
    self_field() { jq_status $oi "[n['$1'] for n in s['nodes'] if n['name']=='n$oi'][0]"; }
    term1=$(self_field term)
    # A ghost would campaign within 2 T of leaving; an idle cluster commits
    # nothing (raft/io_lease.h), so watch n$oi's term over a window of
    # several election timeouts instead of awaiting commits: a check that
    # something does not happen needs a window.
    window_end=$((SECONDS + 4))
    while [ $SECONDS -lt $window_end ] && [ "$(self_field term)" = "$term1" ]; do
        sleep 0.2
    done
    [ "$(self_field term)" = "$term1" ] && ok "n$oi's term stays $term1 after $hn left" ||
        bad "n$oi's term climbs after $hn left: $term1 -> $(self_field term)"
else
    bad "leave $hn"; cat "$T/leave.out"
fi
# ---- the quorum rule refuses and changes nothing ----
# n$oi is alone now. Join n3 and n4 again from fresh data dirs (3 voters),
# kill n4: 2 of 3 voters live. `leave` on n3 would leave 1 of 2 voters
# alive, so the leader (or n3 itself, should it lead or hold) refuses it
# without --force (raft/cluster_member.c: serve_remove, vm_leave).
until_ok 10 eval '! kill -0 "${pid[n4]}"' || bad "n4 (wrong key) did not stop"
unset 'pid[n4]'
# A join that cannot finish: n4 is killed as soon as the leader added it as
# a spare. The leader removes the spare again (raft/cluster_member.c:
# serve_undo), so the next join (n3, below) is not refused as "another
# membership change is running" and no dead spare stays behind.
rm -rf "$T/data4" "$T/n4.sock"
start 4
until_ok 10 test -S "$T/n4.sock" || die "n4 control socket never appeared (killed join)"
nadded=$(grep -c "added as spare" "$T/n$oi.log")
ctl 4 join "10.77.0.$oi:5405" >"$T/joinkilled.out" 2>&1 &
jpid=$!
pid[join4]=$jpid # cleanup() ends it if the test dies before the wait
until_ok 15 eval '[ "$(grep -c "added as spare" "$T/n$oi.log")" -gt $nadded ]' ||
    die "n4 was never added as a spare"
kill -KILL "${pid[n4]}"
wait "${pid[n4]}" 2>/dev/null
unset 'pid[n4]'
wait $jpid
unset 'pid[join4]'
# "hung up": undone because the node went away, at once, not after raft's
# catch-up rounds timed out (which would refuse joins meanwhile).
until_ok 15 grep -q "could not finish joining (it hung up .*): its spare is removed again" "$T/n$oi.log" &&
    ok "the spare of the killed join was removed again" ||
    bad "the spare of the killed join stays: $(grep membership "$T/n$oi.log" | tail -n 3)"
[ "$(jq_status $oi "len(s['nodes'])")" = 1 ] && ok "no dead spare listed" ||
    bad "nodes after the killed join: $(jq_status $oi "[n['name'] for n in s['nodes']]")"
for i in 3 4; do
    rm -rf "$T/data$i" "$T/n$i.sock"
    start $i
    until_ok 10 test -S "$T/n$i.sock" || die "n$i control socket never appeared (rejoin)"
    ctl $i join "10.77.0.$oi:5405" >"$T/rejoin$i.out" 2>&1 ||
        { cat "$T/rejoin$i.out"; die "rejoin n$i (n3: the retry after the killed join)"; }
done
for i in $oi 3 4; do until_ok 10 three_voters $i || die "n$i does not see 3 voters (rejoin)"; done
voters() { jq_status "$1" 'sorted(n["id"] for n in s["nodes"] if n["member"]=="voter")'; }
vbefore=$(voters $oi)
kill -KILL "${pid[n4]}"
unset 'pid[n4]'
id4=$(jq_status $oi "[n['id'] for n in s['nodes'] if n['name']=='n4'][0]")
lead_sees_n4_dead() {
    local l i
    l=$(jq_status $oi 's["leader_id"]') || return 1
    for i in $oi 3; do
        [ "$(jq_status $i "[n['id'] for n in s['nodes'] if n['name']=='n$i'][0]")" = "$l" ] || continue
        [ "$(jq_status $i "[n['reachable'] for n in s['nodes'] if n['id']==$id4][0]")" = False ]
        return
    done
    return 1
}
until_ok 10 lead_sees_n4_dead || bad "the leader still sees the killed n4"
ctl 3 leave >"$T/leaveq.out" 2>&1; st=$?
[ $st = 1 ] && grep -qiE "quorum|majority" "$T/leaveq.out" &&
    ok "leave that breaks the majority refused: $(head -n 1 "$T/leaveq.out")" ||
    { bad "leave n3 with n4 dead: exit $st"; cat "$T/leaveq.out"; }
for i in $oi 3; do
    v=$(voters $i)
    [ "$v" = "$vbefore" ] && ok "n$i: voters unchanged after refused leave" ||
        bad "n$i: voters $vbefore -> $v"
done
[ "$(jq_status 3 "[n['maintenance'] for n in s['nodes'] if n['name']=='n3'][0]")" = False ] ||
    bad "refused leave put n3 in maintenance"
[ -e "$T/overlap" ] && { bad "two holders seen"; cat "$T/overlap"; }
[ $fail = 0 ] && ok "cluster scenario" || for f in "$T"/n*.log; do echo "== $f"; tail -n 20 "$f"; done
exit $fail
