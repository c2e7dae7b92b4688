#!/bin/bash
# VIP lifecycle on real interfaces: leftover removal at start, appear on
# hold with a finite kernel lifetime, disappear on release, the client's ARP
# cache follows a takeover (GARP), a VIP deleted behind our back is
# re-added, and after kill -9 of the holder the kernel removes the VIP
# within its lifetime (+2 s of expiry granularity).
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root ip

VIP=10.77.0.100
vv_bridge
vv_node a 11
vv_node b 12
vv_node c 50
ARGS=(--if eth0 --vrid 51 --prio 150 --pass secret --vip $VIP/24
      --garp-repeat 2 --garp-delay 500)

# 1. A leftover (permanent, as a crashed vipd or an admin left it) goes at
#    start-up, before anything else.
ip -n ${VV}a addr add $VIP/24 dev eth0
vv_tool a "${ARGS[@]}"
vv_has_addr a $VIP && vv_fail "leftover VIP not removed at start"
grep -q "removed 1 leftover" "$VV_TMP/a.err" || vv_fail "leftover removal not logged"
vv_event a '^link eth0 up$' || vv_fail "initial link state not reported"

# 2. Hold: the VIP appears with a finite lifetime covering the hold.
t0=$(vv_ms)
vv_cmd a "hold 10000"
vv_wait 2000 vv_event a '^hold 0 ' || vv_fail "hold failed: $(vv_events a)"
vv_has_addr a $VIP || vv_fail "VIP not added"
echo "# manager_hold() of 1 VIP (add + GARP burst): $(sed -n 's/^hold 0 us=//p' "$VV_TMP/a.out") us"
life=$(ip -n ${VV}a -j addr show dev eth0 | tr '{' '\n' | grep "\"$VIP\"" |
       sed -n 's/.*"valid_life_time":\([0-9]*\).*/\1/p')
[ -n "$life" ] && [ "$life" -ge 9 ] && [ "$life" -le 10 ] ||
    vv_fail "valid_lft $life, expected 9..10 s"

# 3. The client learns a's MAC for the VIP.
mac_a=$(vv_mac a); mac_b=$(vv_mac b)
ip netns exec ${VV}c ping -c1 -W2 $VIP >/dev/null || vv_fail "VIP unreachable"
ip -n ${VV}c neigh show $VIP | grep -qi "$mac_a" || vv_fail "client ARP not a's MAC"

# 4. Release: gone at once.
vv_cmd a release
vv_wait 2000 vv_event a '^release 0 ' || vv_fail "release failed"
vv_has_addr a $VIP && vv_fail "VIP still there after release"

# 5. Takeover by b: the client's cache moves to b's MAC through GARP alone
#    (no traffic from the client).
vv_tool b "${ARGS[@]}"
t0=$(vv_ms)
vv_cmd b "hold 10000"
vv_wait 3000 eval "ip -n ${VV}c neigh show $VIP | grep -qi '$mac_b'" ||
    vv_fail "client ARP cache did not move to b: $(ip -n ${VV}c neigh show $VIP)"
echo "# takeover -> client ARP cache updated: $(( $(vv_ms) - t0 )) ms"
[ "$(vv_stat b garp)" -ge 2 ] || vv_fail "fewer than garp_master_repeat GARPs"
# The second burst follows after garp_master_delay (500 ms).
vv_wait 3000 eval '[ "$(vv_stat b garp)" -ge 4 ]' || vv_fail "no second GARP burst"

# 6. Deleted behind our back while held: re-added.
ip -n ${VV}b addr del $VIP/24 dev eth0
t0=$(vv_ms)
vv_wait 3000 vv_has_addr b $VIP || vv_fail "deleted VIP not re-added"
echo "# foreign delete -> re-added: $(( $(vv_ms) - t0 )) ms"
grep -q "removed by someone else: re-added" "$VV_TMP/b.err" || vv_fail "re-add not logged"

# 7. The lease ends on its own when not renewed.
vv_cmd b "hold 1500"
vv_wait 4000 vv_event b '^expired$' || vv_fail "lease did not expire"
vv_has_addr b $VIP && vv_fail "VIP still there after lease end"

# 8. kill -9 while holding a 3 s lease renewed every second: the kernel
#    removes the VIP within 3 s + 2 s.
vv_cmd b "renew 3000 1000"
vv_wait 2000 vv_has_addr b $VIP || vv_fail "VIP not added for kill test"
# Let one renewal happen, so the killed VIP's lifetime was refreshed.
vv_wait 3000 vv_event b '^renewed$' || vv_fail "no renewal within 3 s"
kill -9 "$TOOL_PID_b"
t0=$(vv_ms)
vv_wait 6000 eval "! vv_has_addr b $VIP" || vv_fail "VIP survived kill -9 past 5 s"
dt=$(( $(vv_ms) - t0 ))
echo "# kill -9 -> kernel removed VIP: $dt ms (lifetime 3 s)"
[ "$dt" -le 5000 ] || vv_fail "expiry took $dt ms"

vv_cmd a quit
vv_wait 3000 vv_event a '^bye$' || vv_fail "a did not close cleanly"
echo "PASS"
