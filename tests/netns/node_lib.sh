# Shared set-up of the membership/control namespace tests
# (joined_restart.sh, remove_running.sh, ctl_shared_name.sh): sourced,
# then `nl_setup PREFIX SUBNET N` (e.g. vm 10.78.0 3) makes
#   P, T (work dir), VIP (SUBNET.100), VIPD, VIPCTL, the pid table `pid`,
#   a bridge ${P}b and nodes ${P}n1..N with SUBNET.i on eth0, T/cluster.key,
#   and an exit trap that stops every vipd (TERM, then KILL after 5 s),
#   deletes the namespaces and the work dir.
# Helpers: bad/ok (record), die (fail now, with the logs), ctl N ARGS,
# until_ok SECONDS CMD..., nl_conf I NAME VRID [CLUSTER-LINE...] (peers
# are every other node unless a line says `nopeers`), nl_start I [LEVEL].
# Exit 77 (skip) when not root, without ip netns or python3.
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
VIPD=$B/vipd
VIPCTL=$B/vipctl
declare -A pid
fail=0

nl_cleanup() {
    for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null; done
    for n in "${!pid[@]}"; do
        for _ in $(seq 50); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pid[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    for ((i = 1; i <= NL_N; i++)); do ip netns del "${P}n$i" 2>/dev/null; done
    ip netns del "${P}b" 2>/dev/null
    rm -rf "$T"
}

bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
die() {
    echo "FAIL: $*"
    for f in "$T"/n*.log; do echo "== $f"; grep -v 'raft: ' "$f" | tail -n 30; done
    exit 1
}
ctl() { local n=$1; shift; "$VIPCTL" -s "$T/n$n.sock" "$@"; }
until_ok() { # SECONDS COMMAND...: poll every 100 ms until it succeeds
    local end=$((SECONDS + $1)); shift
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}

nl_setup() {
    [ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
    ip netns list >/dev/null 2>&1 || { echo "skip: no ip netns"; exit 77; }
    command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
    P=$1$$
    NL_NET=$2
    NL_N=$3
    T=$(mktemp -d "/tmp/$1-node.XXXXXX")
    VIP=$NL_NET.100
    trap nl_cleanup EXIT INT TERM
    ip netns add "${P}b" || { echo "skip: cannot create namespaces"; exit 77; }
    ip -n "${P}b" link add br0 type bridge
    ip -n "${P}b" link set br0 up
    for ((i = 1; i <= NL_N; i++)); do
        local ns=${P}n$i
        ip netns add "$ns"
        ip -n "$ns" link add eth0 type veth peer name "p$i" netns "${P}b"
        ip -n "${P}b" link set "p$i" master br0 up
        ip -n "$ns" addr add "$NL_NET.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
    head -c 32 /dev/urandom | base64 >"$T/cluster.key"
    chmod 600 "$T/cluster.key"
}

nl_conf() { # I ROUTER_ID VRID [CLUSTER-LINE...]
    local i=$1 name=$2 vrid=$3 peers=1 line
    shift 3
    {
        echo "global_defs { router_id $name }"
        echo "cluster {"
        for line in "$@"; do
            if [ "$line" = nopeers ]; then peers=0; else echo "    $line"; fi
        done
        echo "    listen $NL_NET.$i:5405"
        if [ $peers = 1 ]; then
            for ((j = 1; j <= NL_N; j++)); do
                [ $j = "$i" ] || echo "    peer $NL_NET.$j:5405"
            done
        fi
        echo "    data_dir $T/data$i"
        echo "    secret_file $T/cluster.key"
        echo "    control_socket $T/n$i.sock"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id $vrid"
        echo "    priority $((110 - i))"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$T/n$i.conf"
}

nl_start() { # I [LOG-LEVEL]
    rm -f "$T/n$1.sock"
    ip netns exec "${P}n$1" "$VIPD" -f "$T/n$1.conf" -l "${2:-debug}" \
        >>"$T/n$1.log" 2>&1 &
    pid[n$1]=$!
}

jq_status() { # N PYTHON-EXPR on s (node N's `vipctl status --json`)
    ctl "$1" status --json 2>/dev/null | python3 -c "import json,sys
s=json.load(sys.stdin)
print($2)"
}
