#!/bin/bash
# Benchmark (prints figures, asserts nothing): time for manager_hold() to
# add and to refresh N VIPs and for manager_release() to remove them; GARP
# to client ARP-cache update latency; kernel expiry delay after kill -9.
# Run as root from a build tree: VIPD_BUILDDIR=... tests/netns/bench_vip.sh
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root ip
RUNS=${RUNS:-5}

vv_bridge
vv_node a 11
vv_node b 12
vv_node c 50

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 1. Add / refresh / release N VIPs (manager-side time, microseconds).
for n in 1 10 100 255; do
    args=(--if eth0 --vrid 70 --garp-repeat 1 --garp-delay 0)
    for i in $(seq 1 $n); do args+=(--vip 10.77.$((1 + i / 250)).$((i % 250 + 1))/16); done
    name=n$n
    vv_tool "$name:a" "${args[@]}"
    for r in $(seq 1 $RUNS); do
        vv_cmd $name "hold 60000"
        vv_cmd $name "hold 120000" # later deadline: refresh path
        vv_cmd $name release
    done
    vv_wait 20000 eval "[ \$(grep -c '^release' '$VV_TMP/$name.out') -ge $RUNS ]" ||
        vv_fail "$name: $(tail -3 "$VV_TMP/$name.out")"
    add=$(grep '^hold 0' "$VV_TMP/$name.out" | awk 'NR % 2 == 1' | sed 's/.*us=//' | median)
    ref=$(grep '^hold 0' "$VV_TMP/$name.out" | awk 'NR % 2 == 0' | sed 's/.*us=//' | median)
    rel=$(grep '^release 0' "$VV_TMP/$name.out" | sed 's/.*us=//' | median)
    echo "vips=$n add_us=$add refresh_us=$ref release_us=$rel (median of $RUNS)"
    vv_cmd $name quit
    vv_wait 5000 vv_event $name '^bye$'
done

# 2. GARP -> client ARP cache: from the driver's log line "holding" (wall
#    clock, ms) to the neighbour update seen by `ip -ts monitor` in the
#    client namespace (wall clock, us).
VIP=10.77.0.100
ARGS=(--if eth0 --vrid 71 --vip $VIP/24 --garp-repeat 1 --garp-delay 0)
vv_tool ga:a "${ARGS[@]}"
vv_tool gb:b "${ARGS[@]}"
mac_b=$(vv_mac b)
lat=()
wall_ms() { date -d "$1" +%s%3N; }
for r in $(seq 1 $RUNS); do
    vv_cmd ga "hold 60000"
    vv_wait 2000 vv_event ga '^hold 0'
    ip netns exec ${VV}c ping -c1 -W1 $VIP >/dev/null
    vv_cmd ga release
    vv_wait 2000 vv_event ga '^release'
    : >"$VV_TMP/mon"
    ip -n ${VV}c -ts monitor neigh >"$VV_TMP/mon" 2>/dev/null &
    mon=$!
    sleep 0.2 # let the monitor subscribe before the event it measures
    vv_cmd gb "hold 60000"
    vv_wait 3000 grep -qi "lladdr $mac_b" "$VV_TMP/mon"
    kill $mon; wait $mon 2>/dev/null
    t_hold=$(sed -n 's/^\([0-9:.]*\) .*holding.*/\1/p' "$VV_TMP/gb.err" | tail -1)
    t_neigh=$(grep -i "lladdr $mac_b" "$VV_TMP/mon" | head -1 | sed 's/^\[\([^]]*\)\].*/\1/')
    lat+=($(( $(wall_ms "$t_neigh") - $(wall_ms "$(date +%F) $t_hold") )))
    vv_cmd gb release
    vv_wait 2000 vv_event gb '^release'
    sed -i '/^hold/d;/^release/d' "$VV_TMP/ga.out" "$VV_TMP/gb.out"
done
echo "garp_to_arp_cache_ms (VIP added -> client neighbour entry moved): ${lat[*]}"

# 3. kill -9 -> kernel removes the VIP; lifetime 2 s, renewed every 250 ms.
exp=()
for r in $(seq 1 $RUNS); do
    vv_tool "k$r:a" "${ARGS[@]}"
    vv_cmd "k$r" "renew 2000 250"
    vv_wait 2000 vv_has_addr a $VIP
    sleep 0.6
    eval "pid=\$TOOL_PID_k$r"
    kill -9 "$pid"
    t0=$(vv_ms)
    vv_wait 8000 eval "! vv_has_addr a $VIP"
    exp+=($(( $(vv_ms) - t0 )))
done
echo "kill9_to_vip_gone_ms (lifetime 2 s, last refresh <= 250 ms before kill): ${exp[*]}"
