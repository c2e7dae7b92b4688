#!/bin/bash
# Adverts go to the configured multicast group: vrrp_mcast_group4 for the
# instances without mcast_dst_ip, mcast_dst_ip where given, and
# vrrp_mcast_group6 for an IPv6 instance; none to the default 224.0.0.18
# / ff02::12. The config is read by the vipd parser (vipnet_tool
# --config), so this covers keyword -> config -> VRRP send path; tcpdump on
# the bridge is the independent witness. A second node configured the
# same way receives and counts the adverts (it joined the group).
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root tcpdump

vv_bridge
vv_node a 11
vv_node b 12
ip -n ${VV}a addr add fd00:77::11/64 dev eth0 nodad
ip -n ${VV}b addr add fd00:77::12/64 dev eth0 nodad
cat > "$VV_TMP/k.conf" <<'CONF'
global_defs {
    vrrp_mcast_group4 224.0.0.19
    vrrp_mcast_group6 ff02::13
}
vrrp_instance G4 {
    interface eth0
    virtual_router_id 61
    version 3
    advert_int 0.2
    virtual_ipaddress { 10.77.0.161/24 }
}
vrrp_instance D4 {
    interface eth0
    virtual_router_id 62
    version 3
    advert_int 0.2
    mcast_dst_ip 239.1.2.3
    virtual_ipaddress { 10.77.0.162/24 }
}
vrrp_instance G6 {
    interface eth0
    virtual_router_id 63
    advert_int 0.2
    virtual_ipaddress { fd00:77::163/64 }
}
CONF
cap="$VV_TMP/vrrp.txt"
ip netns exec ${VV}br tcpdump -i br0 -l -n 'ip proto 112 or ip6 proto 112' \
    >"$cap" 2>"$VV_TMP/tcpdump.err" &
VV_PIDS+=("$!")
vv_wait 5000 grep -q "listening on" "$VV_TMP/tcpdump.err" || vv_fail "tcpdump did not start"

vv_tool rx:b --config "$VV_TMP/k.conf"
vv_tool tx:a --config "$VV_TMP/k.conf"
vv_cmd tx "hold 20000"
for want in '10.77.0.11 > 224.0.0.19: VRRPv3.*vrid 61' \
            '10.77.0.11 > 239.1.2.3: VRRPv3.*vrid 62' \
            'fe80::[0-9a-f:]* > ff02::13: .*VRRP' ; do
    vv_wait 10000 grep -q -- "$want" "$cap" ||
        vv_fail "no advert matching '$want': $(head -n 20 "$cap")"
done
# The receiver joined the configured groups: it sees each instance.
for i in 0 1 2; do
    vv_wait 5000 eval "[ \"\$(vv_stat rx rx_valid $i)\" -ge 1 ]" ||
        vv_fail "node b received no advert of instance $i: $(vv_events rx)"
done
if grep -E '> (224\.0\.0\.18|ff02::12):' "$cap"; then
    vv_fail "an advert went to the default group"
fi
vv_cmd tx quit
vv_cmd rx quit
echo "ok: adverts to 224.0.0.19, 239.1.2.3 and ff02::13, received by the peer"
