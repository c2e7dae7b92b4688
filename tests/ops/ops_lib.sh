# Shared by tests/ops/*.sh: N vipd nodes in network namespaces ${PFX}nK on a
# bridge (10.78.0.K/24, VIP 10.78.0.100), one vrrp_instance VI_1. Source it,
# set OPS_CLUSTER_EXTRA / OPS_INSTANCE_EXTRA / OPS_TOP_EXTRA (config lines;
# @K@ stands for the node number, @W@ for $WORK) before ops_setup N. Exits 77 without root
# or ip netns. Everything is removed on exit (processes by PID).
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/dev}
VIPD=$BUILD/vipd
VIPCTL=$BUILD/vipctl
VIP=10.78.0.100
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and ip netns"
    exit 77
fi
WORK=$(mktemp -d /tmp/vops.XXXXXX)
PFX=vo$$
OPS_N=0
declare -a PIDS=()
OPS_CLUSTER_EXTRA=${OPS_CLUSTER_EXTRA:-}
OPS_INSTANCE_EXTRA=${OPS_INSTANCE_EXTRA:-}
OPS_TOP_EXTRA=${OPS_TOP_EXTRA:-}

ops_cleanup() {
    local i
    for i in "${!PIDS[@]}"; do
        [ -n "${PIDS[$i]}" ] && kill -CONT "${PIDS[$i]}" 2>/dev/null
        # wait: reap quietly (no "Killed" job notice).
        [ -n "${PIDS[$i]}" ] && { kill -9 "${PIDS[$i]}"; wait "${PIDS[$i]}"; } 2>/dev/null
    done
    for ((i = 1; i <= OPS_N; i++)); do ip netns del ${PFX}n$i 2>/dev/null; done
    ip netns del ${PFX}br 2>/dev/null
    if [ "${OPS_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap ops_cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    local i
    echo "FAIL: $*"
    for ((i = 1; i <= OPS_N; i++)); do
        echo "--- node $i log (tail):"; grep -v 'raft: ' "$WORK/log$i" 2>/dev/null | tail -n 15
    done
    exit 1
}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS COMMAND...: poll COMMAND every 50 ms until it succeeds.
wait_for() {
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while [ "$(ms)" -lt $deadline ]; do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

ops_extra() {
    local t=${1//@K@/$2}
    [ -z "$t" ] || printf '%s\n' "${t//@W@/$WORK}"
}

# ops_setup N: namespaces, links, key and configs n1.conf..nN.conf.
ops_setup() {
    local n=$1 K j
    OPS_N=$n
    ip netns add ${PFX}br || { echo "SKIP: cannot create namespaces"; exit 77; }
    ip -n ${PFX}br link add br0 type bridge
    ip -n ${PFX}br link set br0 type bridge forward_delay 0 stp_state 0
    ip -n ${PFX}br link set br0 up
    head -c 32 /dev/urandom | base64 >"$WORK/key"
    chmod 600 "$WORK/key"
    for ((K = 1; K <= n; K++)); do
        ip netns add ${PFX}n$K
        ip -n ${PFX}n$K link add eth0 type veth peer name p$K netns ${PFX}br || fail veth
        ip -n ${PFX}br link set p$K master br0 up
        ip -n ${PFX}n$K link set lo up
        ip -n ${PFX}n$K addr add 10.78.0.$K/24 dev eth0
        ip -n ${PFX}n$K link set eth0 up
        {
            echo "global_defs { router_id n$K }"
            ops_extra "$OPS_TOP_EXTRA" $K
            echo "cluster {"
            echo "    listen 10.78.0.$K:5405"
            for ((j = 1; j <= n; j++)); do [ $j = $K ] || echo "    peer 10.78.0.$j:5405"; done
            echo "    data_dir $WORK/d$K"
            echo "    secret_file $WORK/key"
            echo "    control_socket $WORK/n$K.sock"
            ops_extra "$OPS_CLUSTER_EXTRA" $K
            echo "}"
            echo "vrrp_instance VI_1 {"
            echo "    interface eth0"
            echo "    virtual_router_id 51"
            echo "    priority $((100 + n - K))"
            echo "    advert_int 1"
            echo "    virtual_ipaddress { $VIP/24 }"
            ops_extra "$OPS_INSTANCE_EXTRA" $K
            echo "}"
        } >"$WORK/n$K.conf"
    done
    "$VIPD" -t -f "$WORK/n1.conf" >"$WORK/check.out" 2>&1 ||
        fail "config rejected: $(cat "$WORK/check.out")"
}

# ops_start K [ENV=VALUE...] -- [VIPD ARGS...]: start node K in the
# background, stderr and stdout to $WORK/logK.
ops_start() {
    local k=$1; shift
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    env ${envs[@]+"${envs[@]}"} ip netns exec ${PFX}n$k "$VIPD" -f "$WORK/n$k.conf" "$@" \
        >>"$WORK/log$k" 2>&1 &
    PIDS[$k]=$!
}

ops_alive() { [ -n "${PIDS[$1]:-}" ] && kill -0 "${PIDS[$1]}" 2>/dev/null; }
ops_has_vip() { ip -n ${PFX}n$1 -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
ops_has_vip_somewhere() { [ -n "$(ops_holder)" ]; }
# The one live node holding the VIP (empty if none); fails on two.
ops_holder() {
    local h="" i
    for ((i = 1; i <= OPS_N; i++)); do
        if ops_alive $i && ops_has_vip $i; then
            [ -z "$h" ] || { echo "two holders: $h $i" >>"$WORK/violation"; }
            h=$i
        fi
    done
    echo "$h"
}
