# tests/lab/lib.sh: a network-namespace lab for failover tests (source it).
#
# Layout for `lab_up N` (N = 3 or 5):
#
#   namespace vl<PID>-br : bridge br0 (multicast snooping off, no STP) with one
#                          port per node (n1..nN) and one for the client (c)
#   namespace vl<PID>-nK : eth0 = 10.99.0.(10+K)/24, node K's daemon runs here
#   namespace vl<PID>-c  : eth0 = 10.99.0.2/24, the client
#
# Nothing is created in the root namespace. `lab_up` installs a trap that
# removes every namespace and kills every process started through this file
# on exit, Ctrl-C or TERM; `lab_down` does the same explicitly.
#
# Daemons run in their own process group (setsid), so a crash fault hits the
# whole process tree at once (keepalived's parent and its VRRP child).
# PIDs live in $LAB_DIR/nK.pid.
#
# Faults (all take a node number):
#   lab_kill K          SIGKILL the daemon's process group (process crash)
#   lab_crash K         host crash: SIGKILL + link down on the bridge side
#   lab_pause K / lab_resume K   SIGSTOP / SIGCONT the process group
#   lab_term K          SIGTERM the daemon (graceful stop); lab_wait_exit waits
#   lab_partition "A.." "B.."    symmetric drop between node sets (nft, node side)
#   lab_isolate K       partition K from every other node and the client
#   lab_heal            remove every partition / loss rule
#   lab_oneway_loss K [out|in]  K's packets to (or from) the other nodes dropped
#   lab_loss K PCT      random loss on K's egress (tc netem if present, else nft)
#   lab_delay K MS      latency on K's egress (needs sch_netem; returns 77 if absent)
#   lab_link_down K / lab_link_up K   bridge-side port down/up (carrier loss)

LAB_PREFIX=${LAB_PREFIX:-vl$$}
LAB_NET=10.99.0
LAB_VIP=${LAB_VIP:-10.99.0.100}
LAB_N=0
LAB_DIR=
LAB_CHECKER_PID=
LAB_EXTRA_PIDS=()

lab_log() { echo "lab: $*" >&2; }

# lab_skip_unless_possible: exit 77 unless we can create namespaces.
lab_skip_unless_possible()
{
    if [ "$(id -u)" != 0 ]; then
        echo "lab: not root, skipping" >&2
        exit 77
    fi
    if ! ip netns list >/dev/null 2>&1; then
        echo "lab: ip netns unavailable, skipping" >&2
        exit 77
    fi
}

lab_ns() { # node -> namespace name (c = client, br = bridge)
    echo "$LAB_PREFIX-$1"
}
lab_node_ns() { echo "$LAB_PREFIX-n$1"; }
lab_node_ip() { echo "$LAB_NET.$((10 + $1))"; }
lab_client_ns() { echo "$LAB_PREFIX-c"; }
lab_bridge_ns() { echo "$LAB_PREFIX-br"; }

# lab_exec NODE CMD...: run CMD in node NODE's namespace (NODE = K or c).
lab_exec()
{
    local n=$1
    shift
    if [ "$n" = c ]; then
        ip netns exec "$(lab_client_ns)" "$@"
    else
        ip netns exec "$(lab_node_ns "$n")" "$@"
    fi
}

_lab_port()
{
    local ns=$1 port=$2 addr=$3 br
    br=$(lab_bridge_ns)
    ip netns add "$ns"
    ip -n "$br" link add "$port" type veth peer name eth0 netns "$ns"
    ip -n "$br" link set "$port" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    # Keepalived and vipd add the VIP; let the kernel answer ARP only for
    # addresses on the asking interface, and let GARPs create entries.
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_accept=1 \
        net.ipv4.conf.eth0.arp_accept=1 net.ipv6.conf.all.disable_ipv6=1
}

# lab_up N: create the bridge, N nodes and the client; install the cleanup trap.
lab_up()
{
    local n=$1 k br
    LAB_N=$n
    LAB_DIR=$(mktemp -d "/tmp/$LAB_PREFIX.XXXXXX")
    trap 'lab_down' EXIT
    trap 'lab_down; exit 130' INT
    trap 'lab_down; exit 143' TERM
    br=$(lab_bridge_ns)
    ip netns add "$br"
    ip -n "$br" link set lo up
    ip -n "$br" link add br0 type bridge mcast_snooping 0 stp_state 0 \
        forward_delay 0
    ip -n "$br" link set br0 up
    for ((k = 1; k <= n; k++)); do
        _lab_port "$(lab_node_ns "$k")" "n$k" "$(lab_node_ip "$k")"
        # One table per node for fault rules; chains exist from the start.
        lab_exec "$k" nft -f - <<EOF
table inet vl {
    chain in { type filter hook input priority -10; policy accept; }
    chain out { type filter hook output priority -10; policy accept; }
}
EOF
    done
    _lab_port "$(lab_client_ns)" c "$LAB_NET.2"
    lab_wait_links
}

# lab_wait_links: bounded wait until every port forwards (bridge ports go
# through "learning" even with forward_delay 0).
lab_wait_links()
{
    local k deadline=$((SECONDS + 10))
    for ((k = 1; k <= LAB_N; k++)); do
        until lab_exec c ping -c1 -W1 -q "$(lab_node_ip "$k")" >/dev/null 2>&1; do
            if [ $SECONDS -ge $deadline ]; then
                lab_log "node $k unreachable"
                return 1
            fi
        done
    done
}

# lab_down: kill everything started here and delete every lab namespace.
lab_down()
{
    local k p ns
    trap - EXIT INT TERM
    [ -n "$LAB_DIR" ] || return 0
    if [ -n "$LAB_CHECKER_PID" ]; then
        kill "$LAB_CHECKER_PID" 2>/dev/null
    fi
    for p in "${LAB_EXTRA_PIDS[@]}"; do
        kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null
    done
    for ((k = 1; k <= LAB_N; k++)); do
        if [ -f "$LAB_DIR/n$k.pid" ]; then
            p=$(cat "$LAB_DIR/n$k.pid")
            kill -CONT -- "-$p" 2>/dev/null
            kill -KILL -- "-$p" 2>/dev/null
        fi
    done
    # Anything still inside a lab namespace (scripts spawned by daemons).
    for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB_PREFIX-"); do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$p" 2>/dev/null
        done
    done
    wait 2>/dev/null
    for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB_PREFIX-"); do
        ip netns del "$ns" 2>/dev/null
    done
    if [ -z "${LAB_KEEP:-}" ]; then
        rm -rf "$LAB_DIR"
    else
        lab_log "kept $LAB_DIR"
    fi
    LAB_DIR=
    LAB_N=0
}

# lab_start K CMD...: start CMD as node K's daemon (own process group, output
# to $LAB_DIR/nK.log); records the PID.
lab_start()
{
    local k=$1
    shift
    setsid ip netns exec "$(lab_node_ns "$k")" "$@" \
        >>"$LAB_DIR/n$k.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/n$k.pid"
    # No job-control chatter ("Killed") when faults kill it; bash still
    # reaps it, and lab_running / lab_wait_exit poll by PID.
    disown $!
}

lab_pid() { cat "$LAB_DIR/n$1.pid" 2>/dev/null; }

lab_running() { # K: daemon alive (not a zombie)?
    local p
    p=$(lab_pid "$1") || return 1
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null &&
        ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null
}

# lab_wait_exit K TIMEOUT_S: bounded wait for node K's daemon to exit.
lab_wait_exit()
{
    local k=$1 t=${2:-10} p deadline
    p=$(lab_pid "$k") || return 0
    deadline=$((SECONDS + t))
    while kill -0 "$p" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            return 1
        fi
        sleep 0.05
    done
    return 0
}

# lab_stop K: graceful stop (SIGTERM), escalate to SIGKILL after 10 s.
lab_stop()
{
    local k=$1 p
    p=$(lab_pid "$k") || return 0
    kill -TERM "$p" 2>/dev/null
    if ! lab_wait_exit "$k" 10; then
        kill -KILL -- "-$p" 2>/dev/null
    fi
    # Children that outlive the parent (none expected).
    kill -KILL -- "-$p" 2>/dev/null
    rm -f "$LAB_DIR/n$k.pid"
}

lab_kill() { # process crash: the whole process group at once
    local p
    p=$(lab_pid "$1")
    kill -KILL -- "-$p"
    rm -f "$LAB_DIR/n$1.pid"
}
lab_link_down() { ip -n "$(lab_bridge_ns)" link set "n$1" down; }
lab_link_up() { ip -n "$(lab_bridge_ns)" link set "n$1" up; }
lab_crash() { # host crash: the process dies and the host leaves the network
    lab_link_down "$1"
    lab_kill "$1"
}
lab_pause() { kill -STOP -- "-$(lab_pid "$1")"; }
lab_resume() { kill -CONT -- "-$(lab_pid "$1")"; }
lab_term() {
    kill -TERM "$(lab_pid "$1")"
}

# lab_partition "A..." "B...": drop all traffic between the two node sets,
# both directions, with nft rules on each node's side. "c" may be a member.
lab_partition()
{
    local a b x y
    for a in $1; do
        for b in $2; do
            for x in "$a:$b" "$b:$a"; do
                y=${x#*:}
                x=${x%%:*}
                _lab_drop_between "$x" "$y"
            done
        done
    done
}

_lab_ip_of() { if [ "$1" = c ]; then echo "$LAB_NET.2"; else lab_node_ip "$1"; fi; }
_lab_drop_between() { # on node $1: drop everything from and to node $2
    local peer
    peer=$(_lab_ip_of "$2")
    [ "$1" = c ] && _lab_client_table
    lab_exec "$1" nft add rule inet vl in ip saddr "$peer" drop comment '"part"'
    lab_exec "$1" nft add rule inet vl out ip daddr "$peer" drop comment '"part"'
    # Multicast adverts have no peer address: match the sender's source on input.
    lab_exec "$1" nft add rule inet vl in ether saddr "$(_lab_mac "$2")" drop \
        comment '"part"'
}
_lab_client_table()
{
    lab_exec c nft list table inet vl >/dev/null 2>&1 && return 0
    lab_exec c nft -f - <<EOF
table inet vl {
    chain in { type filter hook input priority -10; policy accept; }
    chain out { type filter hook output priority -10; policy accept; }
}
EOF
}
_lab_mac() { lab_exec "$1" cat /sys/class/net/eth0/address; }

# lab_isolate K: partition K from every other node and the client.
lab_isolate()
{
    local k others=""
    for ((k = 1; k <= LAB_N; k++)); do
        [ "$k" = "$1" ] || others="$others $k"
    done
    lab_partition "$1" "$others c"
}

# lab_oneway_loss K [out|in]: out (default): everything K sends to the other
# nodes is lost, K still hears them (also drops K's multicast adverts);
# in: K hears nothing from the other nodes, its own packets get through.
# The client keeps talking to K either way.
lab_oneway_loss()
{
    if [ "${2:-out}" = in ]; then
        lab_exec "$1" nft add rule inet vl in ip saddr != "$LAB_NET.2" \
            ip saddr "$LAB_NET.0/24" drop comment '"oneway"'
    else
        lab_exec "$1" nft add rule inet vl out ip daddr != "$LAB_NET.2" drop \
            comment '"oneway"'
    fi
}

# lab_loss K PCT: random loss on K's egress.
lab_loss()
{
    if lab_exec "$1" tc qdisc replace dev eth0 root netem loss "$2%" 2>/dev/null; then
        return 0
    fi
    lab_exec "$1" nft add rule inet vl out numgen random mod 100 \< "$2" drop \
        comment '"loss"'
}

# lab_delay K MS: latency on K's egress; 77 when the kernel has no netem.
lab_delay()
{
    lab_exec "$1" tc qdisc replace dev eth0 root netem delay "${2}ms" \
        2>/dev/null || return 77
}

# lab_heal: remove every partition / loss / delay rule on every node.
lab_heal()
{
    local k
    for ((k = 1; k <= LAB_N; k++)); do
        lab_exec "$k" nft flush chain inet vl in
        lab_exec "$k" nft flush chain inet vl out
        lab_exec "$k" tc qdisc del dev eth0 root 2>/dev/null
    done
    if lab_exec c nft list table inet vl >/dev/null 2>&1; then
        lab_exec c nft flush chain inet vl in
        lab_exec c nft flush chain inet vl out
    fi
    return 0
}

# lab_holders: node numbers that have $LAB_VIP configured right now.
lab_holders()
{
    local k out=""
    for ((k = 1; k <= LAB_N; k++)); do
        if lab_exec "$k" ip -4 -o addr show dev eth0 | grep -q " $LAB_VIP/"; then
            out="$out $k"
        fi
    done
    echo "${out# }"
}

# lab_wait_holder TIMEOUT_S [NOT]: bounded wait for exactly one holder (other
# than NOT); prints it.
lab_wait_holder()
{
    local t=$1 not=${2:-} h deadline=$((SECONDS + $1))
    while :; do
        h=$(lab_holders)
        if [ -n "$h" ] && [ "${h// /}" = "$h" ] && [ "$h" != "$not" ]; then
            echo "$h"
            return 0
        fi
        if [ $SECONDS -ge $deadline ]; then
            return 1
        fi
        sleep 0.05
    done
}

# lab_wait_other TIMEOUT_S NOT: bounded wait until a node other than NOT
# holds the VIP (NOT may still hold it too).
lab_wait_other()
{
    local h deadline=$((SECONDS + $1))
    while :; do
        for h in $(lab_holders); do
            [ "$h" = "$2" ] || return 0
        done
        if [ $SECONDS -ge $deadline ]; then
            return 1
        fi
        sleep 0.05
    done
}

# lab_wait_stable STABLE_S TIMEOUT_S: bounded wait until one single holder
# has stayed the same for STABLE_S seconds (a new leader may still hand the
# VIP to the preferred node about one election timeout after winning);
# prints it.
lab_wait_stable()
{
    local want=$(( ${1%.*} * 1000 + 10#$(printf '%-3s' "$(echo "$1" |
        sed -n 's/^[0-9]*\.//p')" | tr ' ' 0) ))
    local deadline=$((SECONDS + $2)) h last="" since now
    since=$(_lab_now_ms)
    while :; do
        h=$(lab_holders)
        now=$(_lab_now_ms)
        if [ "$h" != "$last" ]; then
            last=$h
            since=$now
        elif [ -n "$h" ] && [ "${h// /}" = "$h" ] &&
            [ $((now - since)) -ge "$want" ]; then
            echo "$h"
            return 0
        fi
        if [ $SECONDS -ge $deadline ]; then
            return 1
        fi
        sleep 0.05
    done
}

_lab_now_ms()
{
    local t=${EPOCHREALTIME/./}
    echo $((t / 1000))
}

# lab_random_delay: sleep 0..1 s (random), so faults do not line up with adverts.
lab_random_delay()
{
    sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
}

# lab_bg CMD...: start a helper (own process group) killed by lab_down;
# its PID is left in LAB_LAST_PID.
lab_bg()
{
    setsid "$@" </dev/null >/dev/null 2>&1 &
    LAB_LAST_PID=$!
    LAB_EXTRA_PIDS+=($!)
    disown $!
}
