# Shared helpers of the vip namespace tests (sourced, not run).
#
# Topology: a bridge "br0" inside its own namespace ${VV}br; every node
# namespace ${VV}<name> gets an "eth0" veth whose peer is a port of br0;
# addresses 10.77.0.0/24. Nothing is created in the root namespace, and
# everything is removed on exit.

VV="vv$$"
VV_TMP=""
VV_PIDS=()
VV_NS=()

vv_skip_unless_root() {
    if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
        echo "SKIP: needs root and ip netns"
        exit 77
    fi
    # Root inside a user namespace may still lack the right to add one.
    if ! ip netns add "${VV}probe" 2>/dev/null; then
        echo "SKIP: cannot create network namespaces"
        exit 77
    fi
    ip netns del "${VV}probe"
    command -v "$@" >/dev/null 2>&1 || { echo "SKIP: needs $*"; exit 77; }
    VV_TMP=$(mktemp -d /tmp/vv.XXXXXX)
    trap vv_cleanup EXIT
    trap 'exit 1' INT TERM
}

vv_cleanup() {
    local pid ns
    for pid in "${VV_PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
    for pid in "${VV_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for ns in "${VV_NS[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -n "$VV_TMP" ] && [ -z "${VV_KEEP:-}" ] && rm -rf "$VV_TMP"
}

vv_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Milliseconds on CLOCK_MONOTONIC-ish (date is wall clock; fine for ms
# measurements of a few seconds).
vv_ms() { echo $(( $(date +%s%N) / 1000000 )); }

vv_bridge() {
    ip netns add "${VV}br"
    VV_NS+=("${VV}br")
    ip -n "${VV}br" link add br0 type bridge
    # No STP / forwarding delay: ports forward at once.
    ip -n "${VV}br" link set br0 type bridge forward_delay 0 stp_state 0
    ip -n "${VV}br" link set br0 up
    ip -n "${VV}br" link set lo up
}

# vv_node NAME HOSTNUM: namespace with eth0 = 10.77.0.HOSTNUM/24.
vv_node() {
    local ns="${VV}$1" port="p$1"
    ip netns add "$ns"
    VV_NS+=("$ns")
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0
    ip -n "$ns" link add eth0 type veth peer name "$port" netns "${VV}br"
    ip -n "${VV}br" link set "$port" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.77.0.$2/24" dev eth0
    ip -n "$ns" link set eth0 up
}

vv_mac() { ip -n "${VV}$1" -j link show eth0 | sed -n 's/.*"address":"\([^"]*\)".*/\1/p'; }

# vv_has_addr NAME ADDR: is ADDR configured on eth0 of NAME?
vv_has_addr() {
    ip -n "${VV}$1" addr show dev eth0 | grep -qw "inet6\? $2/[0-9]*"
}

# vv_wait DEADLINE_MS CMD...: poll CMD every 20 ms until it succeeds or
# DEADLINE_MS pass; returns CMD's last status.
vv_wait() {
    local end=$(( $(vv_ms) + $1 )); shift
    while ! "$@"; do
        [ "$(vv_ms)" -ge "$end" ] && return 1
        sleep 0.02
    done
}

# vv_tool NAME[:NS] ARGS...: start the driver in namespace NS (default
# NAME), commands via a FIFO, events in $VV_TMP/NAME.out. Sets
# TOOL_PID_<NAME> and TOOL_FD_<NAME>.
vv_tool() {
    local name=${1%%:*} ns=${1#*:}; shift
    local fifo="$VV_TMP/$name.in"
    rm -f "$fifo" "$VV_TMP/$name.out"
    mkfifo "$fifo"
    ip netns exec "${VV}$ns" "$VIPD_BUILDDIR/tests/netns/vipnet_tool" "$@" \
        <"$fifo" >"$VV_TMP/$name.out" 2>"$VV_TMP/$name.err" &
    local pid=$!
    VV_PIDS+=("$pid")
    eval "exec {fd}>\"$fifo\""
    eval "TOOL_FD_$name=$fd TOOL_PID_$name=$pid"
    vv_wait 5000 vv_event "$name" '^ready$' ||
        vv_fail "$name: tool not ready: $(cat "$VV_TMP/$name.out" "$VV_TMP/$name.err")"
}

vv_cmd() {
    local fd; eval "fd=\$TOOL_FD_$1"
    echo "$2" >&"$fd"
}

vv_event() { grep -q -- "$2" "$VV_TMP/$1.out"; }

vv_events() { cat "$VV_TMP/$1.out"; }

# vv_stat NAME KEY [INSTANCE]: the value of KEY in the tool's latest stats
# line (of instance INSTANCE, default 0).
vv_stat() {
    local before after
    before=$(grep -c '^stats' "$VV_TMP/$1.out")
    vv_cmd "$1" "stats ${3:-0}"
    vv_wait 3000 eval "[ \$(grep -c '^stats' '$VV_TMP/$1.out') -gt $before ]" || return 1
    grep '^stats' "$VV_TMP/$1.out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
