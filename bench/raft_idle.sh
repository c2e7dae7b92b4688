#!/bin/bash
# Benchmark of the Raft node (not part of make check; prints figures):
#   1. crash failover time at default settings (T = 500 ms): kill -9 the
#      holder, time until another node has the VIP; median of N (10) runs;
#   2. idle Raft entries committed per second (lease renewals);
#   3. idle CPU (% of one core) and RSS of one node;
#   4. data dir size after an hour-equivalent of lease entries with
#      snapshots on (default threshold 1024 / trailing 128), fast-forwarded
#      on a one-node cluster with a tiny election timeout.
# Needs root and ip netns; uses namespaces vrb$$-* on 10.77.0.0/24.
# Usage: bench/raft_idle.sh [BUILDDIR] (default build/dev: no sanitizers)
# Knobs: RUNS (failover runs, 10), IDLE_S (idle window, 20),
# HOUR_ENTRIES (31000; 0 skips part 4).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${VIPD_BUILDDIR:-$TOP/build/dev}}
VIPD=$BUILD/vipd
RUNS=${RUNS:-10}
IDLE_S=${IDLE_S:-20}
VIP=10.77.0.100
[ -x "$VIPD" ] || { echo "build vipd first ($VIPD)"; exit 1; }
[ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 || { echo "needs root and ip netns"; exit 77; }

WORK=$(mktemp -d /tmp/vr-bench.XXXXXX)
PFX=vrb$$
declare -a PIDS=("" "" "" "")
cleanup() {
    for i in 1 2 3; do [ -n "${PIDS[$i]}" ] && kill -9 "${PIDS[$i]}" 2>/dev/null; done
    [ -n "${SOLO:-}" ] && kill -9 "$SOLO" 2>/dev/null
    for ns in $PFX-n1 $PFX-n2 $PFX-n3 $PFX-br; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while [ "$(ms)" -lt $deadline ]; do "$@" && return 0; sleep 0.01; done
    return 1
}
field() { sed -n "s/^$2=//p" "$WORK/s$1" 2>/dev/null; }
alive() { [ -n "${PIDS[$1]}" ] && kill -0 "${PIDS[$1]}" 2>/dev/null; }
has_vip() { ip -n $PFX-n$1 -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
holder() { for i in 1 2 3; do alive $i && has_vip $i && { echo $i; return; }; done; }
some_holder() { H=$(holder); [ -n "$H" ]; }
other_holder() { H=$(holder); [ -n "$H" ] && [ "$H" != "$1" ]; }

ip netns add $PFX-br
ip -n $PFX-br link add br0 type bridge
ip -n $PFX-br link set br0 type bridge forward_delay 0 stp_state 0
ip -n $PFX-br link set br0 up
(umask 077 && head -c 32 /dev/urandom | base64 >"$WORK/key"); chmod 600 "$WORK/key"

# conf FILE I PEERS EXTRA: a node config (EXTRA: more cluster lines).
conf() {
    local f=$1 i=$2 peers=$3 extra=$4
    {
        echo "cluster {"
        echo "    listen 10.77.0.$i:5405"
        for j in $peers; do [ $j = $i ] || echo "    peer 10.77.0.$j:5405"; done
        echo "    data_dir $WORK/d$i"
        echo "    secret_file $WORK/key"
        echo "    control_socket $WORK/n$i.sock"
        printf '%b' "$extra"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 51"
        echo "    priority 100"
        echo "    nopreempt"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$f"
}

for i in 1 2 3; do
    ip netns add $PFX-n$i
    ip -n $PFX-n$i link add eth0 type veth peer name p$i netns $PFX-br
    ip -n $PFX-br link set p$i master br0 up
    ip -n $PFX-n$i link set lo up
    ip -n $PFX-n$i addr add 10.77.0.$i/24 dev eth0
    ip -n $PFX-n$i link set eth0 up
    conf "$WORK/n$i.conf" $i "1 2 3" ""
done
start_node() {
    VIPD_STATUS_FILE=$WORK/s$1 ip netns exec $PFX-n$1 "$VIPD" -f "$WORK/n$1.conf" \
        -l notice >>"$WORK/log$1" 2>&1 &
    PIDS[$1]=$!
}

echo "== vipd Raft node benchmark ($(date -u +%FT%TZ), $BUILD)"
for i in 1 2 3; do start_node $i; done
wait_for 20 some_holder || { echo "no holder"; exit 1; }
sleep 3 # settle (a start-up handover may happen)

# 2 + 3: idle cost, measured on the leader (the busiest node).
some_holder; L=$H
pid=${PIDS[$L]}
c0=$(field $L commit)
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
t0=$(ms)
sleep "$IDLE_S"
c1=$(field $L commit)
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
t1=$(ms)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "idle entries committed: $(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN{printf "%.2f/s", c*1000/t}') (leader, ${IDLE_S} s)"
echo "idle CPU (leader): $(awk -v j=$((u1 + s1 - u0 - s0)) -v hz=$hz -v t=$((t1 - t0)) 'BEGIN{printf "%.2f%% of one core", j*100000/hz/t}')"
fpid=${PIDS[$(( L % 3 + 1 ))]}
echo "RSS: leader ${rss} kB, follower $(awk '/VmRSS/ {print $2}' /proc/$fpid/status) kB"
echo "data dir after ${IDLE_S}s+ idle: $(du -sk "$WORK/d$L" | cut -f1) kB on disk, $(du -sk --apparent-size "$WORK/d$L" | cut -f1) kB apparent"

# 1: crash failover, median of RUNS (RUNS=0 skips).
times=()
[ "$RUNS" -gt 0 ] || echo "crash failover: skipped (RUNS=0)"
for r in $(seq 1 "$RUNS"); do
    wait_for 10 some_holder || { echo "no holder before run $r"; exit 1; }
    v=$H
    kill -9 "${PIDS[$v]}"; wait "${PIDS[$v]}" 2>/dev/null
    t0=$(ms)
    wait_for 15 other_holder "$v" || { echo "run $r: no takeover"; exit 1; }
    times+=($(( $(ms) - t0 )))
    start_node $v
    wait_for 15 bash -c "grep -q '^role=follower' $WORK/s$v && grep -q '^leader=$H' $WORK/s$v" ||
        { echo "run $r: node $v did not rejoin"; exit 1; }
done
[ "$RUNS" -gt 0 ] && {
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }')
echo "crash failover (default T, kill -9 -> VIP on another node): median ${median} ms of $RUNS; all: $sorted"
}
for i in 1 2 3; do kill -TERM "${PIDS[$i]}"; done
for i in 1 2 3; do wait "${PIDS[$i]}"; PIDS[$i]=""; done

# 4: log size after an hour-equivalent of lease renewals. At T = 500 ms
# the leader renews every L/3 = 116 ms: 3600 s = ~31000 entries. A one-node
# cluster at the smallest accepted timeouts (T = 100 ms, heartbeat 10 ms)
# renews every ~23 ms and gets there in about 12 minutes; snapshots at the
# default threshold/trailing (1024/128) keep the log bounded. The size is
# printed at checkpoints to show it stays flat.
target=${HOUR_ENTRIES:-31000}
[ "$target" -gt 0 ] || { echo "hour-equivalent: skipped (HOUR_ENTRIES=0)"; exit 0; }
rm -rf "$WORK/d1" "$WORK/s1"
conf "$WORK/solo.conf" 1 "1" "    election_timeout 100\n    heartbeat 10\n"
VIPD_STATUS_FILE=$WORK/s1 ip netns exec $PFX-n1 "$VIPD" -f "$WORK/solo.conf" -l warning \
    >>"$WORK/solo.log" 2>&1 &
SOLO=$!
t0=$(ms)
reached() { c=$(field 1 commit); [ -n "$c" ] && [ "$c" -ge "$1" ]; }
for cp in 1000 2000 4000 8000 $target; do
    [ "$cp" -le "$target" ] || continue
    wait_for 900 reached "$cp" || { echo "fast-forward did not reach $cp entries"; tail -3 "$WORK/solo.log"; exit 1; }
    echo "  $(field 1 commit) entries after $(( ($(ms) - t0) / 1000 )) s: data dir $(du -sk "$WORK/d1" | cut -f1) kB on disk, $(du -sk --apparent-size "$WORK/d1" | cut -f1) kB apparent"
done
echo "data dir after an hour-equivalent ($target lease entries, snapshots 1024/128): $(du -sk "$WORK/d1" | cut -f1) kB on disk"
ls -l "$WORK/d1" | awk 'NR>1 {print "    " $5 "\t" $9}'
kill -TERM $SOLO; wait $SOLO; SOLO=""
