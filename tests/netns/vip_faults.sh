#!/bin/bash
# Failure paths on real interfaces: a failing add rolls back the VIPs
# already added (never half-configured); tracked links report down/up and
# deletion; an IPv6 VIP is added with nodad and finite lifetimes; a process
# frozen past its lease (SIGSTOP) drops the VIPs on resume before it sends
# another advert; garp_master_refresh repeats the GARPs while holding; a
# lease shortened below the kernel lifetime ends with the VIP removed by the
# manager itself, not by the kernel or the next advert.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root ip

vv_bridge
vv_node a 11
ns=${VV}a
# veth pairs inside the namespace (no dummy module on every kernel).
for l in dum0 dum1; do
    ip -n $ns link add $l type veth peer name ${l}p
    ip -n $ns link set ${l}p up
    ip -n $ns link set $l up
done

# 1. Three VIPs, the second on dum0; dum0 vanishes after start, so adding
#    the second fails: the first must be gone again, the third never added.
vv_tool a --if eth0 --vrid 60 --vip 10.77.0.100/24 --vip 10.88.0.1/24@dum0 \
    --vip 10.77.0.102/24 --track dum1 --garp-repeat 1 --garp-delay 0
for l in eth0 dum0 dum1; do
    vv_event a "^link $l up$" || vv_fail "initial state of $l not reported"
done
ip -n $ns link del dum0
vv_wait 2000 vv_event a '^link dum0 down$' || vv_fail "deleted link not reported down"
vv_cmd a "hold 5000"
vv_wait 2000 vv_event a '^hold -4003' || vv_fail "hold did not fail: $(vv_events a)"
vv_has_addr a 10.77.0.100 && vv_fail "first VIP left configured after failed hold"
vv_has_addr a 10.77.0.102 && vv_fail "third VIP configured after failed hold"
grep -q "all VIPs removed" "$VV_TMP/a.out" || vv_fail "rollback not reported"

# 2. Tracked interface down and up.
ip -n $ns link set dum1 down
vv_wait 2000 vv_event a '^link dum1 down$' || vv_fail "dum1 down not reported"
ip -n $ns link set dum1 up
vv_wait 2000 eval "[ \$(grep -c '^link dum1 up$' '$VV_TMP/a.out') -ge 2 ]" ||
    vv_fail "dum1 up not reported"
vv_cmd a quit
vv_wait 3000 vv_event a '^bye$' || vv_fail "a did not quit"

# 3. IPv6: nodad, finite lifetimes, re-added after a foreign delete.
vv_tool b:a --if eth0 --vrid 61 --version 3 --vip fd00:77::100/64 \
    --garp-repeat 1 --garp-delay 0
vv_cmd b "hold 8000"
vv_wait 2000 vv_event b '^hold 0 ' || vv_fail "IPv6 hold failed: $(vv_events b)"
line=$(ip -n $ns -6 addr show dev eth0 | grep -A1 "fd00:77::100/64")
grep -q nodad <<<"$line" || vv_fail "IPv6 VIP without nodad: $line"
grep -q "valid_lft [5-8]sec" <<<"$line" || vv_fail "IPv6 VIP lifetime: $line"
ip -n $ns -6 addr del fd00:77::100/64 dev eth0
vv_wait 3000 eval "ip -n $ns -6 addr show dev eth0 | grep -q fd00:77::100/64" ||
    vv_fail "deleted IPv6 VIP not re-added"
vv_cmd b release
vv_wait 2000 eval "! ip -n $ns -6 addr show dev eth0 | grep -q fd00:77::100" ||
    vv_fail "IPv6 VIP not removed"
vv_cmd b quit
vv_wait 3000 vv_event b '^bye$' || vv_fail "b did not quit"

# 4. Label, broadcast and scope as configured (scope link in a subnet of
#    its own: the kernel wants one scope per subnet); a unicast peer list that
#    names this node too neither sends to itself nor sees a foreign master.
vv_tool d:a --if eth0 --vrid 63 --int 1000 --version 3 \
    --vip "10.78.0.150/24,label=eth0:vip,brd=10.78.0.255,scope=link" \
    --peer 10.77.0.11 --src 10.77.0.11 --garp-repeat 1 --garp-delay 0 \
    --garp-refresh 200
vv_cmd d "hold 5000"
vv_wait 2000 vv_event d '^hold 0 ' || vv_fail "hold failed: $(vv_events d)"
# garp_master_refresh 200 ms: one GARP at takeover, then one per refresh.
vv_wait 3000 eval '[ "$(vv_stat d garp)" -ge 4 ]' || vv_fail "no GARP refresh"
line=$(ip -n $ns -4 addr show dev eth0 | grep "10.78.0.150/24")
for want in "brd 10.78.0.255" "scope link" "eth0:vip"; do
    grep -qF "$want" <<<"$line" || vv_fail "VIP lacks '$want': $line"
done
[ "$(vv_stat d foreign)" = 0 ] || vv_fail "own advert seen as foreign"
vv_cmd d quit
vv_wait 3000 vv_event d '^bye$' || vv_fail "d did not quit"

# 5. SIGSTOP past the lease: on SIGCONT the overdue timers find the lease
#    over and drop the VIP instead of sending. The lease (900 ms) is shorter
#    than advert_int (1 s), so exactly one advert (at 0) may ever go out,
#    however the stop lands.
vv_tool c:a --if eth0 --vrid 62 --int 1000 --vip 10.77.0.100/24 \
    --garp-repeat 1 --garp-delay 0
vv_cmd c "hold 900"
vv_wait 2000 eval '[ "$(vv_stat c sent)" -ge 1 ]' || vv_fail "no first advert"
kill -STOP "$TOOL_PID_c"
sleep 2 # the fault itself: frozen for longer than the lease
kill -CONT "$TOOL_PID_c"
vv_wait 3000 vv_event c '^expired$' || vv_fail "no lease end after SIGCONT"
[ "$(vv_stat c sent)" = 1 ] || vv_fail "an advert went out after the lease ended"
vv_has_addr a 10.77.0.100 && vv_fail "VIP present after resume"
vv_cmd c quit
vv_wait 3000 vv_event c '^bye$' || vv_fail "c did not quit"

# 6. The manager removes the VIP at lease end (vip/manager.c, the lease
#    timer): hold 30 s (kernel lifetime 30 s), then shorten the lease to
#    1 s, which leaves the kernel lifetime alone. Adverts go out every 10 s
#    and their lease check must not be what ends the lease: the VIP has to
#    be gone well before the next advert, and the kernel still counts
#    tens of seconds when the lease ends.
vv_tool e:a --if eth0 --vrid 64 --int 10000 --vip 10.77.0.100/24 \
    --garp-repeat 1 --garp-delay 0
vv_cmd e "hold 30000"
vv_wait 2000 vv_event e '^hold 0 ' || vv_fail "30 s hold failed: $(vv_events e)"
vv_cmd e "hold 1000"
vv_wait 2000 eval "[ \$(grep -c '^hold 0 ' '$VV_TMP/e.out') -ge 2 ]" ||
    vv_fail "1 s hold failed: $(vv_events e)"
life=$(ip -n $ns -4 addr show dev eth0 | grep -A1 "10.77.0.100/24" |
    sed -n 's/.*valid_lft \([0-9]*\)sec.*/\1/p')
[ -n "$life" ] && [ "$life" -ge 20 ] ||
    vv_fail "shortening the lease touched the kernel lifetime ($life s)"
vv_wait 5000 eval "! vv_has_addr a 10.77.0.100" ||
    vv_fail "VIP still there 5 s after a 1 s lease ended: $(vv_events e)"
vv_event e '^expired$' || vv_fail "lease end not reported: $(vv_events e)"
vv_cmd e quit
vv_wait 3000 vv_event e '^bye$' || vv_fail "e did not quit"
echo "PASS"
