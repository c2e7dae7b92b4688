#!/bin/bash
# `vipd --release-leftovers` removes this host's configured VIPs (what a
# killed vipd left behind) and nothing else. Runs in a private user+network
# namespace; exit 77 when those are unavailable.
set -u
B=${VIPD_BUILDDIR:-.}
if [ "${1:-}" != inner ]; then
    unshare -rn true 2>/dev/null || { echo "skip: unshare -rn unavailable"; exit 77; }
    exec unshare -rn bash "$0" inner
fi
fail() { echo "FAIL: $*"; ip addr show dev eth0; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ip link add eth0 type veth peer name eth1 || { echo "skip: no veth"; exit 77; }
ip link set eth0 up
ip addr add 10.99.0.11/24 dev eth0
ip addr add 10.99.0.100/24 dev eth0            # a leftover VIP
ip addr add 10.99.0.101/24 dev eth0 valid_lft 60 preferred_lft 60
ip addr add 10.99.0.200/24 dev eth0            # not ours: must stay
cat > "$T/vipd.conf" <<CONF
cluster {
    listen 10.99.0.11:5405
    data_dir $T/data
    secret_file $T/key
    control_socket $T/sock
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.99.0.100/24
        10.99.0.101/24
    }
}
CONF
head -c 32 /dev/urandom > "$T/key"; chmod 600 "$T/key"
"$B/vipd" --release-leftovers -f "$T/vipd.conf" || fail "exit status $?"
addrs=$(ip -4 -o addr show dev eth0)
echo "$addrs" | grep -q '10.99.0.100/' && fail "leftover 10.99.0.100 still present"
echo "$addrs" | grep -q '10.99.0.101/' && fail "leftover 10.99.0.101 still present"
echo "$addrs" | grep -q '10.99.0.200/' || fail "a foreign address was removed"
echo "$addrs" | grep -q '10.99.0.11/' || fail "the primary address was removed"
# A missing interface is a clear error, not a crash.
sed -i 's/interface eth0/interface nosuch0/' "$T/vipd.conf"
out=$("$B/vipd" --release-leftovers -f "$T/vipd.conf" 2>&1) && fail "missing interface: exit 0"
echo "$out" | grep -q "nosuch0" || fail "missing interface not named: $out"
echo "ok: leftovers released, other addresses kept"
