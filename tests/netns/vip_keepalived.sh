#!/bin/bash
# Interoperation with a real keepalived (Debian package) on the same VRID:
# a lower-priority keepalived BACKUP stays BACKUP while our VRRPv2 adverts
# (PASS auth) flow, takes over after our priority-0 advert (skew time) and,
# a second time, after our driver is killed (master-down interval); while
# keepalived is master, our side observes its adverts (counted as a foreign
# master) and never acts on them.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root keepalived

VIP=10.77.0.100
vv_bridge
vv_node a 11
vv_node k 13

kdir="$VV_TMP/keepalived"
mkdir -p "$kdir"
cat >"$kdir/keepalived.conf" <<CONF
global_defs {
    router_id ${VV}k
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        $VIP/24
    }
}
CONF

ARGS=(--if eth0 --vrid 51 --prio 150 --version 2 --int 1000 --pass secret
      --vip $VIP/24 --garp-repeat 1 --garp-delay 0)
vv_tool a "${ARGS[@]}"
vv_cmd a "renew 3000 500"
vv_wait 2000 vv_has_addr a $VIP || vv_fail "our VIP not added"

ip netns exec ${VV}k keepalived -n -l -D -P -f "$kdir/keepalived.conf" \
    -p "$kdir/k.pid" -r "$kdir/vrrp.pid" -c "$kdir/chk.pid" \
    >"$kdir/log" 2>&1 &
kpid=$!
VV_PIDS+=("$kpid")
vv_wait 5000 grep -q "Entering BACKUP STATE" "$kdir/log" ||
    vv_fail "keepalived did not start: $(cat "$kdir/log")"

# 1. Stays BACKUP for longer than its master-down interval
#    (3 * 1 s + (256 - 100) / 256 s = 3.61 s): watched, not slept on.
end=$(( $(vv_ms) + 5000 ))
while [ "$(vv_ms)" -lt "$end" ]; do
    vv_has_addr k $VIP && vv_fail "keepalived took the VIP while we advertised"
    sleep 0.1
done
grep -q "Entering MASTER STATE" "$kdir/log" && vv_fail "keepalived became MASTER"
[ "$(vv_stat a rx_auth)" = 0 ] || vv_fail "auth mismatch counted"

# 2. Clean stop: priority 0 -> keepalived takes over after its skew time.
t0=$(vv_ms)
vv_cmd a final
vv_wait 4000 vv_has_addr k $VIP || vv_fail "keepalived did not take over after priority 0"
echo "# priority-0 advert -> keepalived MASTER with VIP: $(( $(vv_ms) - t0 )) ms (skew 0.61 s)"
vv_has_addr a $VIP && vv_fail "our VIP still configured after final release"

# 3. keepalived's adverts are seen, validated and only counted.
vv_wait 3000 eval '[ "$(vv_stat a foreign)" -ge 1 ]' || vv_fail "foreign master not observed"
[ "$(vv_stat a foreign_prio)" = 100 ] || vv_fail "foreign priority not 100"
[ "$(vv_stat a foreign_src)" = 10.77.0.13 ] || vv_fail "foreign source wrong"
[ "$(vv_stat a holds)" = 0 ] || vv_fail "an observed advert changed our state"
grep -q "foreign VRRP master 10.77.0.13" "$VV_TMP/a.err" || vv_fail "foreign master not logged"

# 4. We take the VIP again (higher priority: keepalived goes back to
#    BACKUP), then the driver dies: keepalived takes over within its
#    master-down interval.
vv_cmd a "renew 3000 500"
vv_wait 6000 eval "! vv_has_addr k $VIP" || vv_fail "keepalived did not yield to priority 150"
kill -9 "$TOOL_PID_a"
t0=$(vv_ms)
vv_wait 8000 vv_has_addr k $VIP || vv_fail "keepalived did not take over after kill"
echo "# adverts stop (kill -9) -> keepalived MASTER: $(( $(vv_ms) - t0 )) ms (master-down 3.61 s)"
echo "PASS"
