#!/bin/bash
# Health-driven failover with haproxy as the checked service (issue 6).
#
# Three nodes on one bridge, each in its own namespace with its own haproxy
# (serving 127.0.0.1:8404 inside the namespace) and a vrrp_script that
# fetches it with curl. Priorities 150 / 120 / 100.
#
#   phase "preempt" (preempt_delay 2 s, weight -60: 150 -> 90 < 120):
#     stop haproxy on the holder n1  -> the VIP moves to n2
#     start it again                 -> the VIP moves back to n1, but not
#                                       before preempt_delay has passed
#   phase "nopreempt" (weight 0: a failing check makes the node FAULT,
#   which is what moves a VIP under nopreempt, in keepalived as in vipd;
#   with a weight the lowered holder would be kept):
#     stop haproxy on n1 -> the VIP moves to n2; start it -> the VIP stays
#   both: never two holders, and the `notify` script wrote
#   "INSTANCE VI_1 MASTER <prio>" on the new holder. "Never two holders"
#   comes from the kernel: `ip monitor address` in every node's namespace
#   records each add and delete of the VIP with a timestamp for the whole
#   run, and the merged timeline must never show two nodes holding it, not
#   even for a moment between two samples.
#
# HEALTH_DAEMON=vipd (default; the test) or keepalived (the same VRRP
# config without the cluster block, for side-by-side timings).
# HEALTH_TRACK=script (default: a vrrp_script fetching haproxy's page) or
# process (vrrp_track_process on this node's haproxy command line; all
# nodes share one PID namespace, so the name alone would match the other
# nodes' haproxy too). tests/netns/track_process_haproxy.sh runs the latter.
# The kernel's process events exist only in the namespace the daemons are
# started from, so with "process" they start there and move into their
# node's namespace themselves (global_defs net_namespace, as keepalived). Prints the
# time from haproxy stop to the VIP on the next node.
#
# Exit 77 (skip) without root, ip netns, haproxy or curl.
set -u

DAEMON=${HEALTH_DAEMON:-vipd}
TRACK=${HEALTH_TRACK:-script}
PFX=vh$$
NET=10.97.0
VIP=$NET.100
N=3
PRIO=(0 150 120 100)
DIR=
PIDS=()

log() { echo "health_haproxy: $*" >&2; }
skip() { log "skip: $*"; exit 77; }
fail() { log "FAIL: $*"; dump; exit 1; }

[ "$(id -u)" = 0 ] || skip "not root"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || skip "haproxy not installed"
CURL=$(command -v curl) || skip "curl not installed"
case $DAEMON in
vipd)
    VIPD=${VIPD:-${VIPD_BUILDDIR:+$VIPD_BUILDDIR/vipd}}
    VIPD=${VIPD:-$(command -v vipd)}
    [ -n "$VIPD" ] && [ -x "$VIPD" ] || skip "vipd binary not found"
    ;;
keepalived)
    KEEPALIVED=$(command -v keepalived || echo /usr/sbin/keepalived)
    [ -x "$KEEPALIVED" ] || skip "keepalived not installed"
    ;;
*) fail "HEALTH_DAEMON must be vipd or keepalived" ;;
esac

ns() { echo "$PFX-$1"; }
node_ip() { echo "$NET.$((10 + $1))"; }

cleanup()
{
    local p
    for p in "${PIDS[@]}"; do
        kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
    done
    for k in $(seq 1 $N) br; do
        ip netns del "$(ns "n$k")" 2>/dev/null
    done
    ip netns del "$(ns br)" 2>/dev/null
    [ -n "$DIR" ] && rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump()
{
    local k
    [ -n "$DIR" ] || return 0
    for k in $(seq 1 $N); do
        echo "----- n$k log (tail)" >&2
        tail -n 15 "$DIR/n$k.log" 2>/dev/null >&2
        echo "----- n$k notify" >&2
        cat "$DIR/notify.n$k" 2>/dev/null >&2
    done
}

# Run a command in the background in node K's namespace, in its own
# session (so the whole tree can be killed); its pid goes to SPAWNED.
SPAWNED=0
spawn()
{
    local k=$1 out=$2
    shift 2
    if [ "$k" = root ]; then
        setsid "$@" >>"$out" 2>&1 &
    else
        setsid ip netns exec "$(ns "n$k")" "$@" >>"$out" 2>&1 &
    fi
    SPAWNED=$!
    disown "$SPAWNED"
    PIDS+=("$SPAWNED")
}

# ---- lab ----------------------------------------------------------------
DIR=$(mktemp -d "/tmp/$PFX.XXXXXX")
br=$(ns br)
ip netns add "$br" || skip "cannot create namespaces"
ip -n "$br" link set lo up
ip -n "$br" link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0
ip -n "$br" link set br0 up
for k in $(seq 1 $N); do
    n=$(ns "n$k")
    ip netns add "$n"
    ip -n "$br" link add "p$k" type veth peer name eth0 netns "$n"
    ip -n "$br" link set "p$k" master br0 up
    ip -n "$n" link set lo up
    ip -n "$n" addr add "$(node_ip "$k")/24" dev eth0
    ip -n "$n" link set eth0 up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv4.conf.all.arp_accept=1
done
# Wait (bounded) until the bridge forwards between the nodes.
deadline=$((SECONDS + 10))
until ip netns exec "$(ns n1)" ping -c1 -W1 "$(node_ip 3)" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "bridge does not forward"
    sleep 0.1
done

# ---- haproxy ------------------------------------------------------------
HAPROXY_PID=(0 0 0 0)
haproxy_start()
{
    local k=$1
    cat >"$DIR/haproxy.n$k.cfg" <<EOF
global
    maxconn 64
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend health
    bind 127.0.0.1:8404
    http-request return status 200 content-type text/plain string ok
EOF
    spawn "$k" "$DIR/haproxy.n$k.log" "$HAPROXY" -db -f "$DIR/haproxy.n$k.cfg"
    HAPROXY_PID[$k]=$SPAWNED
    local deadline=$((SECONDS + 10))
    until ip netns exec "$(ns "n$k")" "$CURL" -sf -o /dev/null --max-time 1 \
        http://127.0.0.1:8404/; do
        [ $SECONDS -lt $deadline ] || fail "haproxy on n$k does not answer"
        sleep 0.05
    done
}
haproxy_stop()
{
    local k=$1 p=${HAPROXY_PID[$1]}
    kill -TERM -- "-$p" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$p" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || kill -KILL -- "-$p"
        sleep 0.05
    done
}

# ---- daemons ------------------------------------------------------------
cat >"$DIR/notify.sh" <<EOF
#!/bin/sh
echo "\$*" >> $DIR/notify.\$VH_NODE
EOF
chmod 0755 "$DIR/notify.sh"
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$DIR/cluster.key")

vrrp_conf() # K NOPREEMPT(0/1)
{
    local k=$1 nopreempt=$2 j
    cat <<EOF
global_defs {
    router_id n$k
$( [ "$TRACK" = process ] && echo "    net_namespace $(ns "n$k")")
}
EOF
    if [ "$TRACK" = process ]; then
        cat <<EOF
vrrp_track_process chk_haproxy {
    process haproxy -db -f $DIR/haproxy.n$k.cfg
    weight $( [ "$nopreempt" = 1 ] && echo 0 || echo -60)
}
EOF
    else
        cat <<EOF
vrrp_script chk_haproxy {
    script "$CURL -sf -o /dev/null --max-time 1 http://127.0.0.1:8404/"
    interval 1
    timeout 2
    fall 2
    rise 1
    weight $( [ "$nopreempt" = 1 ] && echo 0 || echo -60)
}
EOF
    fi
    cat <<EOF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${PRIO[$k]}
    advert_int 1
EOF
    if [ "$nopreempt" = 1 ]; then
        echo "    nopreempt"
    else
        echo "    preempt_delay 2"
    fi
    echo "    unicast_src_ip $(node_ip "$k")"
    echo "    unicast_peer {"
    for j in $(seq 1 $N); do
        [ "$j" = "$k" ] || echo "        $(node_ip "$j")"
    done
    cat <<EOF
    }
    virtual_ipaddress {
        $VIP/24
    }
    track_$TRACK {
        chk_haproxy
    }
    notify "/usr/bin/env VH_NODE=n$k $DIR/notify.sh"
}
EOF
}

DAEMON_PID=(0 0 0 0)
daemon_start() # K NOPREEMPT
{
    local k=$1 conf=$DIR/n$k.conf j
    : >"$DIR/notify.n$k"
    if [ "$DAEMON" = vipd ]; then
        mkdir -p "$DIR/n$k.data"
        {
            echo "cluster {"
            echo "    node_id $k"
            echo "    listen $(node_ip "$k"):5405"
            for j in $(seq 1 $N); do
                [ "$j" = "$k" ] || echo "    peer $(node_ip "$j"):5405"
            done
            echo "    data_dir $DIR/n$k.data"
            echo "    secret_file $DIR/cluster.key"
            echo "    control_socket $DIR/n$k.sock"
            echo "}"
            vrrp_conf "$k" "$2"
        } >"$conf"
        spawn "$( [ "$TRACK" = process ] && echo root || echo "$k")" \
            "$DIR/n$k.log" "$VIPD" -f "$conf" -l info
        DAEMON_PID[$k]=$SPAWNED
    else
        vrrp_conf "$k" "$2" >"$conf"
        spawn "$( [ "$TRACK" = process ] && echo root || echo "$k")" \
            "$DIR/n$k.log" "$KEEPALIVED" -n -l -P \
            -f "$conf" -p "$DIR/n$k.pid" -r "$DIR/n$k.vrrp.pid"
        DAEMON_PID[$k]=$SPAWNED
    fi
}
daemon_stop()
{
    local k=$1 p=${DAEMON_PID[$1]}
    [ "$p" != 0 ] || return 0
    kill -TERM "$p" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$p" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            kill -KILL -- "-$p" 2>/dev/null
            break
        fi
        sleep 0.05
    done
    DAEMON_PID[$k]=0
}

# Nodes holding the VIP right now, e.g. "2" or "1 2" or "".
holders()
{
    local k out=""
    for k in $(seq 1 $N); do
        if ip -n "$(ns "n$k")" -4 -o addr show dev eth0 | grep -q " $VIP/"; then
            out="$out $k"
        fi
    done
    echo "${out# }"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Sample every 20 ms until the holder set equals WANT or MAX_S pass.
# Echoes the elapsed ms; returns 1 on timeout. (Overlaps are judged from
# the address events, see holder_overlaps: this runs in $(...).)
wait_holder() # WANT MAX_S
{
    local want=$1 max=$2 t0 h
    t0=$(now_ms)
    while :; do
        h=$(holders)
        if [ "$h" = "$want" ]; then
            echo $(($(now_ms) - t0))
            return 0
        fi
        [ $(($(now_ms) - t0)) -lt $((max * 1000)) ] || return 1
        sleep 0.02
    done
}

# Watch for S seconds that the holder stays WANT; returns 1 if it changes.
stays_holder() # WANT S
{
    local want=$1 s=$2 t0 h
    t0=$(now_ms)
    while [ $(($(now_ms) - t0)) -lt $((s * 1000)) ]; do
        h=$(holders)
        [ "$h" = "$want" ] || { log "holder became '$h'"; return 1; }
        sleep 0.02
    done
}

# ---- the VIP's timeline, from the kernel ----------------------------------
# One `ip monitor address` per node for the whole run. Each is awaited:
# a marker address on lo must show up in its output before the daemons
# start, so no event is missed.
monitor_start()
{
    local k marker deadline
    for k in $(seq 1 $N); do
        spawn "$k" "$DIR/mon.n$k" ip -ts -o monitor address
        marker=127.0.0.$((100 + k))
        deadline=$((SECONDS + 10))
        until grep -qF " inet $marker/32 " "$DIR/mon.n$k" 2>/dev/null; do
            ip -n "$(ns "n$k")" addr replace "$marker/32" dev lo
            [ $SECONDS -lt $deadline ] || fail "ip monitor on n$k shows nothing"
            sleep 0.05
        done
    done
}

# Merge every node's VIP adds and deletes into one timeline (microseconds)
# and print each moment when more than one node held it; echoes the count.
holder_overlaps()
{
    local k line ts kind
    for k in $(seq 1 $N); do
        grep -F " inet $VIP/" "$DIR/mon.n$k" | while IFS= read -r line; do
            ts=${line#\[}
            ts=${ts%%]*}
            kind=add
            case $line in *"] Deleted "*) kind=del ;; esac
            echo "$(date -d "${ts/T/ }" +%s%6N) $k $kind"
        done
    done | sort -n -k1,1 | awk '
        $3 == "add" { held[$2] = 1 }
        $3 == "del" { delete held[$2] }
        {
            n = 0; who = ""
            for (x in held) { n++; who = who " n" x }
            if (n > 1) { c++; print "two holders from " $1 " us:" who > "/dev/stderr" }
        }
        END { print c + 0 }'
}

# ---- scenario -----------------------------------------------------------
monitor_start
for k in $(seq 1 $N); do
    haproxy_start "$k"
done

run_phase() # NOPREEMPT
{
    local nopreempt=$1 k t h next
    log "phase $( [ "$nopreempt" = 1 ] && echo nopreempt || echo preempt) ($DAEMON)"
    for k in $(seq 1 $N); do
        daemon_start "$k" "$nopreempt"
    done
    if [ "$DAEMON" = vipd ]; then
        # Up means the control socket listens; an exit on the way fails.
        local deadline=$((SECONDS + 10))
        for k in $(seq 1 $N); do
            until [ -S "$DIR/n$k.sock" ]; do
                kill -0 "${DAEMON_PID[$k]}" 2>/dev/null ||
                    fail "vipd on n$k exited: $(tail -n 1 "$DIR/n$k.log")"
                [ $SECONDS -lt $deadline ] || fail "vipd on n$k never listened"
                sleep 0.05
            done
        done
    fi
    if [ "$nopreempt" = 1 ]; then
        # nopreempt keeps whoever got the VIP first: any single holder.
        t0=$SECONDS
        h=$(holders)
        while [ -z "$h" ] || [ "$h" != "${h% *}" ]; do
            [ $((SECONDS - t0)) -lt 40 ] || fail "no single holder (holders: '$h')"
            sleep 0.05
            h=$(holders)
        done
    else
        t=$(wait_holder 1 40) || fail "n1 never became the holder (holders: '$(holders)')"
        h=1
    fi
    log "n$h holds the VIP"
    stays_holder "$h" 2 || fail "holder unstable before the fault"
    # The best remaining node: n1 (150) unless it is the holder, then n2.
    next=1
    [ "$h" = 1 ] && next=2

    haproxy_stop "$h"
    t=$(wait_holder "$next" 30) || fail "the VIP did not move to n$next after haproxy stopped on n$h (holders: '$(holders)')"
    echo "failover after haproxy stop: $t ms ($DAEMON, $( [ "$TRACK" = process ] && echo "vrrp_track_process" || echo "vrrp_script interval 1 s, fall 2"))"
    local deadline=$((SECONDS + 10))
    until grep -q "^INSTANCE VI_1 MASTER" "$DIR/notify.n$next"; do
        [ $SECONDS -lt $deadline ] || fail "no MASTER notify on n$next"
        sleep 0.1
    done

    local t_start
    t_start=$(now_ms)
    haproxy_start "$h"
    if [ "$nopreempt" = 1 ]; then
        stays_holder "$next" 6 || fail "nopreempt: the VIP left n$next"
        log "nopreempt: the VIP stayed on n$next for 6 s"
    else
        t=$(wait_holder 1 30) || fail "the VIP did not move back to n1 (holders: '$(holders)')"
        t=$(($(now_ms) - t_start))
        echo "move back after haproxy start: $t ms (preempt_delay 2 s)"
        # (rise 1 at interval 1 s, or the process seen,) then preempt_delay
        # 2 s: never before 2 s.
        [ "$t" -ge 2000 ] || fail "moved back after $t ms, before preempt_delay"
        deadline=$((SECONDS + 10))
        until grep -q "^INSTANCE VI_1 BACKUP" "$DIR/notify.n2"; do
            [ $SECONDS -lt $deadline ] || fail "no BACKUP notify on n2 after the move back"
            sleep 0.1
        done
    fi
    for k in $(seq 1 $N); do
        daemon_stop "$k"
    done
    [ "$DAEMON" = vipd ] && rm -rf "$DIR"/n*.data
    wait_holder "" 10 >/dev/null || fail "VIP left behind after stopping ($(holders))"
}

run_phase 0
run_phase 1
# The timeline must exist: each phase adds and deletes the VIP at least
# twice, so an empty or truncated record cannot pass as "no overlap".
n_events=$(cat "$DIR"/mon.n* | grep -cF " inet $VIP/")
[ "$n_events" -ge 8 ] || fail "ip monitor saw only $n_events VIP events"
overlaps=$(holder_overlaps)
[ "$overlaps" = 0 ] || fail "$overlaps moments with two holders (from ip monitor)"
log "ok"
exit 0
