#!/bin/bash
# Interoperation with a real keepalived (Debian package), three instances
# at once: VRRPv2 with PASS auth, VRRPv3 over IPv4 and VRRPv3 over IPv6 (so
# keepalived checks our v3 pseudo-header checksums for both families).
# Lower-priority keepalived BACKUPs stay BACKUP while our adverts flow, take
# over after our priority-0 adverts (skew time) and, a second time, after
# our driver is killed (master-down interval). While keepalived is master,
# our side observes its adverts (counted as a foreign master) and never
# acts on them. Our side reads the same keepalived-syntax file (priorities
# raised) through vipd's config parser.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root keepalived

VIPS=(10.77.0.100 10.77.0.101 fd00:77::100)
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
        ${VIPS[0]}/24
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${VIPS[1]}/24
    }
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${VIPS[2]}/64
    }
}
CONF
sed -e 's/priority 100/priority 150/' \
    -e 's/advert_int 1/advert_int 1\n    garp_master_repeat 1\n    garp_master_delay 0/' \
    "$kdir/keepalived.conf" >"$VV_TMP/vipd.conf"

all_on() { local v; for v in "${VIPS[@]}"; do vv_has_addr "$1" "$v" || return 1; done; }
none_on() { local v; for v in "${VIPS[@]}"; do vv_has_addr "$1" "$v" && return 1; done; return 0; }

vv_tool a --config "$VV_TMP/vipd.conf"
vv_cmd a "renew 3000 500"
vv_wait 2000 all_on a || vv_fail "our VIPs not added: $(vv_events a)"

ip netns exec ${VV}k keepalived -n -l -D -P -f "$kdir/keepalived.conf" \
    -p "$kdir/k.pid" -r "$kdir/vrrp.pid" -c "$kdir/chk.pid" \
    >"$kdir/log" 2>&1 &
VV_PIDS+=($!)
vv_wait 5000 eval '[ $(grep -c "Entering BACKUP STATE" "$kdir/log") -ge 3 ]' ||
    vv_fail "keepalived did not start: $(cat "$kdir/log")"

# 1. Stays BACKUP for longer than its master-down interval
#    (3 * 1 s + (256 - 100) / 256 s = 3.61 s): watched, not slept on.
end=$(( $(vv_ms) + 5000 ))
while [ "$(vv_ms)" -lt "$end" ]; do
    for v in "${VIPS[@]}"; do
        vv_has_addr k "$v" && vv_fail "keepalived took $v while we advertised"
    done
    sleep 0.1
done
grep -q "Entering MASTER STATE" "$kdir/log" && vv_fail "keepalived became MASTER"
for i in 0 1 2; do
    [ "$(vv_stat a rx_auth $i)" = 0 ] || vv_fail "instance $i: auth mismatch counted"
done

# 2. Clean stop: priority 0 -> keepalived takes over after its skew time.
t0=$(vv_ms)
vv_cmd a final
vv_wait 4000 all_on k || vv_fail "keepalived did not take over after priority 0"
echo "# priority-0 adverts -> keepalived MASTER with all 3 VIPs: $(( $(vv_ms) - t0 )) ms (skew 0.61 s)"
none_on a || vv_fail "our VIPs still configured after final release"

# 3. keepalived's adverts are seen, validated and only counted.
for i in 0 1 2; do
    vv_wait 3000 eval "[ \"\$(vv_stat a foreign $i)\" -ge 1 ]" ||
        vv_fail "instance $i: foreign master not observed"
    [ "$(vv_stat a foreign_prio $i)" = 100 ] || vv_fail "instance $i: foreign priority"
    [ "$(vv_stat a rx_mismatch $i)" = 0 ] || vv_fail "instance $i: mismatch counted"
done
[ "$(vv_stat a foreign_src 0)" = 10.77.0.13 ] || vv_fail "foreign source wrong"
case "$(vv_stat a foreign_src 2)" in fe80:*) ;; *) vv_fail "IPv6 foreign source not link-local";; esac
[ "$(vv_stat a holds)" = 0 ] || vv_fail "an observed advert changed our state"
grep -q "foreign VRRP master 10.77.0.13" "$VV_TMP/a.err" || vv_fail "foreign master not logged"

# 4. We take the VIPs again (higher priority: keepalived goes back to
#    BACKUP), then the driver dies: keepalived takes over within its
#    master-down interval.
vv_cmd a "renew 3000 500"
vv_wait 6000 none_on k || vv_fail "keepalived did not yield to priority 150"
kill -9 "$TOOL_PID_a"
t0=$(vv_ms)
vv_wait 8000 all_on k || vv_fail "keepalived did not take over after kill"
echo "# adverts stop (kill -9) -> keepalived MASTER with all 3 VIPs: $(( $(vv_ms) - t0 )) ms (master-down 3.61 s)"
grep -qi "checksum" "$kdir/log" && vv_fail "keepalived complained about a checksum"
echo "PASS"
