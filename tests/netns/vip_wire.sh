#!/bin/bash
# Our adverts on the wire, as an independent decoder (tshark) sees them:
# VRRPv2 with PASS auth, VRRPv3 over IPv4 and over IPv6 (and the unicast
# form), each with the right VRID, priority, interval, addresses, TTL/hop
# limit 255 and a checksum tshark verifies as correct. Also: unsolicited
# NAs for an IPv6 VIP reach the link with hop limit 255.
set -u
. "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/vip_lib.sh"
vv_skip_unless_root tshark tcpdump

vv_bridge
vv_node a 11
vv_node b 12
vv_node c 50
cap="$VV_TMP/vrrp.pcap"
ip netns exec ${VV}br tcpdump -i br0 -U -n -w "$cap" \
    'ip proto 112 or ip6 proto 112 or icmp6 or arp' 2>"$VV_TMP/tcpdump.err" &
tcpdump_pid=$!
VV_PIDS+=("$tcpdump_pid")
vv_wait 5000 grep -q "listening on" "$VV_TMP/tcpdump.err" || vv_fail "tcpdump did not start"

# run NAME N_ADVERTS TOOL-ARGS...: hold until N adverts went out, release.
run() {
    local name=$1 n=$2; shift 2
    vv_tool "$name:a" "$@"
    vv_cmd "$name" "hold 20000"
    vv_wait 10000 eval "[ \"\$(vv_stat $name sent)\" -ge $n ]" ||
        vv_fail "$name: fewer than $n adverts: $(vv_events $name)"
    vv_cmd "$name" quit
    vv_wait 3000 vv_event "$name" '^bye$' || vv_fail "$name did not quit"
}
run v2 2 --if eth0 --vrid 51 --prio 150 --version 2 --int 1000 \
    --pass secret1 --vip 10.77.0.100/24 --vip 10.77.0.101/24
run v3 3 --if eth0 --vrid 52 --prio 200 --version 3 --int 250 \
    --vip 10.77.0.102/24
run v6 2 --if eth0 --vrid 53 --prio 99 --version 3 --int 1000 \
    --vip fd00:77::100/64 --vip fd00:77::101/64 --garp-repeat 2
# GARPs paced by vrrp_garp_interval (200 ms), 3 per burst, no 2nd burst.
vv_tool gi:a --if eth0 --vrid 55 --vip 10.77.0.104/24 --garp-repeat 3 \
    --garp-delay 0 --garp-interval 200
vv_cmd gi "hold 20000"
vv_wait 5000 eval '[ "$(vv_stat gi garp)" -ge 3 ]' || vv_fail "gi: GARPs not sent"
vv_cmd gi quit
vv_wait 3000 vv_event gi '^bye$' || vv_fail "gi did not quit"
vv_wait 5000 eval "[ \$(tshark -r '$cap' -Y 'arp.src.proto_ipv4 == 10.77.0.104' 2>/dev/null | wc -l) -ge 3 ]" ||
    vv_fail "fewer than 3 GARPs for 10.77.0.104 captured"
# Unicast: resolve the peers first, so no advert waits on ARP.
ip netns exec ${VV}a ping -c1 -W2 10.77.0.50 >/dev/null
ip netns exec ${VV}a ping -c1 -W2 10.77.0.12 >/dev/null
run uc 4 --if eth0 --vrid 54 --prio 120 --version 3 --int 500 \
    --vip 10.77.0.103/24 --peer 10.77.0.50 --peer 10.77.0.12 --src 10.77.0.11
# tcpdump -U writes per packet: wait until the last ones are in the file.
for peer in 10.77.0.50 10.77.0.12; do
    vv_wait 5000 eval "tshark -r '$cap' -Y 'vrrp.virt_rtr_id == 54 && ip.dst == $peer' 2>/dev/null | grep -q ." ||
        vv_fail "no unicast advert to $peer captured"
done
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null

fields() {
    tshark -r "$cap" -Y "vrrp && $1" -T fields -E separator=' ' \
        -e vrrp.version -e vrrp.virt_rtr_id -e vrrp.prio -e vrrp.addr_count \
        -e vrrp.checksum.status -e ip.ttl -e ipv6.hlim -e ip.dst -e ipv6.dst \
        2>/dev/null
}
# expect FILTER "VERSION VRID PRIO COUNT": every matching packet decodes
# with these values and a good checksum (status 1), TTL/hop limit 255.
expect() {
    local lines
    lines=$(fields "$1")
    [ -n "$lines" ] || vv_fail "no packet matches $1"
    echo "$lines" | while read -r ver vrid prio count status hops dst; do
        [ "$ver $vrid $prio $count" = "$2" ] || vv_fail "$1: got $ver $vrid $prio $count, want $2"
        [ "$status" = 1 ] || vv_fail "$1: checksum status $status"
        [ "$hops" = 255 ] || vv_fail "$1: TTL/hop limit $hops"
    done || exit 1
}
expect "vrrp.virt_rtr_id == 51" "2 51 150 2"
expect "vrrp.virt_rtr_id == 52" "3 52 200 1"
expect "vrrp.virt_rtr_id == 53" "3 53 99 2"
expect "vrrp.virt_rtr_id == 54" "3 54 120 1"

# Details in tshark's own words.
v2=$(tshark -r "$cap" -Y "vrrp.virt_rtr_id == 51" -V 2>/dev/null)
for want in "VRRP protocol version: 2" "Authentication String: secret1" \
            "Adver Int: 1" "Time to Live: 255" \
            "IP Address: 10.77.0.100" "IP Address: 10.77.0.101" \
            "Destination Address: 224.0.0.18" "[Checksum Status: Good]"; do
    grep -qF "$want" <<<"$v2" || vv_fail "v2 advert lacks '$want'"
done
grep -qE "Checksum: 0x[0-9a-f]{4} \[correct\]" <<<"$v2" || vv_fail "v2 checksum not correct"
v3=$(tshark -r "$cap" -Y "vrrp.virt_rtr_id == 52" -V 2>/dev/null)
for want in "VRRP protocol version: 3" "Adver Int: 25" "IP Address: 10.77.0.102" \
            "[Checksum Status: Good]"; do
    grep -qF "$want" <<<"$v3" || vv_fail "v3 advert lacks '$want'"
done
v6=$(tshark -r "$cap" -Y "vrrp.virt_rtr_id == 53" -V 2>/dev/null)
for want in "IPv6 Address: fd00:77::100" "IPv6 Address: fd00:77::101" \
            "Destination Address: ff02::12" "Hop Limit: 255" \
            "[Checksum Status: Good]"; do
    grep -qF "$want" <<<"$v6" || vv_fail "v6 advert lacks '$want'"
done
grep -q "Source Address: fe80::" <<<"$v6" || vv_fail "v6 advert not from link-local"
# Unicast: one copy per peer, from unicast_src_ip.
for peer in 10.77.0.50 10.77.0.12; do
    tshark -r "$cap" -Y "vrrp.virt_rtr_id == 54 && ip.dst == $peer && ip.src == 10.77.0.11" \
        2>/dev/null | grep -q . || vv_fail "no unicast advert to $peer"
done
# Unsolicited NA for each IPv6 VIP, override flag set, hop limit 255.
for vip in fd00:77::100 fd00:77::101; do
    tshark -r "$cap" -Y "icmpv6.type == 136 && icmpv6.nd.na.target_address == $vip && icmpv6.nd.na.flag.o == 1 && ipv6.hlim == 255 && icmpv6.checksum.status == 1" \
        2>/dev/null | grep -q . || vv_fail "no valid unsolicited NA for $vip"
done
# The GARPs: gratuitous (sender = target IP), broadcast, from a's MAC,
# 200 ms apart or more.
mac_a=$(vv_mac a)
times=$(tshark -r "$cap" -Y "arp.isgratuitous == 1 && arp.src.proto_ipv4 == 10.77.0.104 && arp.opcode == 1 && eth.dst == ff:ff:ff:ff:ff:ff && arp.src.hw_mac == $mac_a" \
        -T fields -e frame.time_epoch 2>/dev/null)
[ "$(wc -l <<<"$times")" = 3 ] || vv_fail "want 3 valid GARPs, got: $times"
gaps=$(awk 'NR > 1 {printf "%d ", ($1 - prev) * 1000} {prev = $1}' <<<"$times")
# Capture timestamps jitter under load: bound the span of the burst.
span=$(awk 'NR == 1 {first = $1} {last = $1} END {printf "%d", (last - first) * 1000}' <<<"$times")
[ "$span" -ge 380 ] || vv_fail "3 GARPs within $span ms (interval 200): gaps $gaps"
echo "# GARP gaps with vrrp_garp_interval 200: $gaps ms"
echo "# adverts captured: $(tshark -r "$cap" -Y vrrp 2>/dev/null | wc -l)"
echo "PASS"
