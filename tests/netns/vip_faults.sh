#!/bin/bash
# Failure paths on real interfaces: a failing add rolls back the VIPs
# already added (never half-configured); tracked links report down/up and
# deletion; an IPv6 VIP is added with nodad and finite lifetimes; a process
# frozen past its lease (SIGSTOP) drops the VIPs on resume before it sends
# another advert.
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

# 3. IPv6: nodad, finite lifetimes.
vv_tool b:a --if eth0 --vrid 61 --version 3 --vip fd00:77::100/64 \
    --garp-repeat 1 --garp-delay 0
vv_cmd b "hold 8000"
vv_wait 2000 vv_event b '^hold 0 ' || vv_fail "IPv6 hold failed: $(vv_events b)"
line=$(ip -n $ns -6 addr show dev eth0 | grep -A1 "fd00:77::100/64")
grep -q nodad <<<"$line" || vv_fail "IPv6 VIP without nodad: $line"
grep -q "valid_lft [78]sec" <<<"$line" || vv_fail "IPv6 VIP lifetime: $line"
vv_cmd b release
vv_wait 2000 eval "! ip -n $ns -6 addr show dev eth0 | grep -q fd00:77::100" ||
    vv_fail "IPv6 VIP not removed"
vv_cmd b quit
vv_wait 3000 vv_event b '^bye$' || vv_fail "b did not quit"

# 4. SIGSTOP past the lease: on SIGCONT the overdue advert timer finds the
#    lease over and drops the VIP instead of sending.
vv_tool c:a --if eth0 --vrid 62 --int 1000 --vip 10.77.0.100/24 \
    --garp-repeat 1 --garp-delay 0
vv_cmd c "hold 1500"
vv_wait 2000 eval '[ "$(vv_stat c sent)" -ge 1 ]' || vv_fail "no first advert"
sent=$(vv_stat c sent)
kill -STOP "$TOOL_PID_c"
sleep 2.5 # the fault itself: frozen for longer than the 1.5 s lease
kill -CONT "$TOOL_PID_c"
vv_wait 3000 vv_event c '^expired$' || vv_fail "no lease end after SIGCONT"
[ "$(vv_stat c sent)" = "$sent" ] || vv_fail "an advert went out after the lease ended"
vv_has_addr a 10.77.0.100 && vv_fail "VIP present after resume"
vv_cmd c quit
vv_wait 3000 vv_event c '^bye$' || vv_fail "c did not quit"
echo "PASS"
