#!/bin/bash
# The README's first command: a three-node VIP cluster in network
# namespaces, in front of three tiny HTTP backends that answer their node's
# name. A client curls the VIP in a loop; the holder host crashes; the VIP
# moves and the loop keeps answering. Unattended, about a minute, needs
# root, leaves nothing behind (namespaces and processes are removed on exit,
# also on Ctrl-C).
#
# Runs vipd. Until the vipd daemon can run a cluster, it says so and shows
# the same flow with keepalived (clearly labelled), switching to vipd
# automatically once `vipd` runs. DEMO_SYSTEM=keepalived forces keepalived.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

# Bold headings on a terminal only (NO_COLOR respected), plain in a log.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    say() { printf '\n==> %s\n' "$*"; }
fi

if [ "$(id -u)" != 0 ]; then
    echo "demo: run as root (it creates network namespaces)" >&2
    exit 1
fi
say "Installing dependencies and building"
"$top/scripts/install-deps.sh" || exit 1
VIPD_BUILDDIR=$("$top/scripts/build.sh" demo) || exit 1
export VIPD_BUILDDIR
make -s -C "$VIPD_BUILDDIR" tests/lab/checker >/dev/null 2>&1 || true

# Run from a copy of the lab scripts (bash reads scripts as it goes).
snap=$(mktemp -d /tmp/vldemo.XXXXXX)
cp -r "$top/tests/lab" "$snap/lab"
. "$snap/lab/lib.sh"
. "$snap/lab/config.sh"
SC_CHECK=0 # the demo tracks no script; the backends are plain HTTP
PY=$(command -v python3)
CHECKER=$VIPD_BUILDDIR/tests/lab/checker

demo_cleanup()
{
    lab_down
    rm -rf "$snap"
}

# start_cluster SYSTEM: lab + daemons; 0 once one node holds the VIP,
# 77 if SYSTEM cannot run a cluster here.
start_cluster()
{
    local k rv
    . "$snap/lab/driver_$1.sh"
    drv_available || return 77
    lab_up 3 || return 1
    trap 'demo_cleanup' EXIT
    trap 'demo_cleanup; exit 130' INT
    trap 'demo_cleanup; exit 143' TERM
    for k in 1 2 3; do
        drv_start "$k"
    done
    drv_ready 30
    rv=$?
    if [ $rv -ne 0 ]; then
        lab_down
    fi
    return $rv
}

system=${DEMO_SYSTEM:-vipd}
say "Starting a three-node $system cluster (namespaces $LAB_PREFIX-*, VIP $LAB_VIP)"
start_cluster "$system"
rv=$?
if [ $rv = 77 ] && [ "$system" = vipd ]; then
    echo
    echo "  NOTE: this vipd build cannot run a cluster yet (the daemon is still"
    echo "  being built). Showing the SAME demo with KEEPALIVED instead; it"
    echo "  switches to vipd automatically once 'vipd -f' runs a cluster."
    system=keepalived
    say "Starting a three-node KEEPALIVED cluster (fallback, not vipd)"
    start_cluster keepalived
    rv=$?
fi
if [ $rv != 0 ]; then
    echo "demo: the $system cluster did not elect a holder" >&2
    exit 1
fi
trap 'demo_cleanup' EXIT
trap 'demo_cleanup; exit 130' INT
trap 'demo_cleanup; exit 143' TERM

for k in 1 2 3; do
    mkdir -p "$LAB_DIR/www$k"
    echo "hello from node n$k ($(lab_node_ip "$k"))" >"$LAB_DIR/www$k/index.html"
    lab_bg ip netns exec "$(lab_node_ns "$k")" "$PY" -m http.server 80 \
        --bind 0.0.0.0 --directory "$LAB_DIR/www$k"
done
for k in 1 2 3; do
    deadline=$((SECONDS + 10))
    until lab_exec c curl -s -m 1 -o /dev/null "http://$(lab_node_ip "$k")/"; do
        [ $SECONDS -lt $deadline ] || { echo "demo: backend n$k down" >&2; exit 1; }
        sleep 0.1
    done
done

holder=$(lab_wait_holder 10) || { echo "demo: no single holder" >&2; exit 1; }
say "Cluster up ($system): node n$holder holds $LAB_VIP"
for k in 1 2 3; do
    printf '  n%s %-12s %s\n' "$k" "$(lab_node_ip "$k")" \
        "$(lab_exec "$k" ip -4 -br addr show dev eth0 | awk '{$1=$2=""; print}')"
done
# show_status K: `vipctl -s SOCKET status` as node K sees it (vipd only;
# every node has its own control socket, the nodes share one file system).
show_status()
{
    [ "$system" = vipd ] || return 0
    say "vipctl -s $LAB_DIR/n$1.sock status   (asked on node n$1)"
    if ! out=$(drv_status "$1") || [ -z "$out" ]; then
        echo "  (vipctl status failed: ${out:-no output})"
    else
        echo "$out" | sed 's/^/  /'
    fi
}
show_status 1

if [ -x "$CHECKER" ]; then
    "$CHECKER" -a "$LAB_VIP" -n "$(lab_node_ns 1),$(lab_node_ns 2),$(lab_node_ns 3)" \
        -c "$(lab_client_ns)" -o "$LAB_DIR/timeline" \
        -r "$LAB_DIR/checker.ready" >"$LAB_DIR/figures" &
    LAB_CHECKER_PID=$!
fi

say "Client curls http://$LAB_VIP/ every 0.2 s"
# The loop prints to this terminal; lab_down kills it by process group.
setsid ip netns exec "$(lab_client_ns)" bash -c '
    while :; do
        r=$(curl -s -m 0.5 "http://'"$LAB_VIP"'/" || echo "(no answer)")
        printf "  %s  %s\n" "$(date +%T.%3N)" "$r"
        sleep 0.2
    done' </dev/null &
LAB_EXTRA_PIDS+=($!)
disown $!
sleep 4

say "Crashing the holder n$holder (daemon SIGKILL + its network link cut)"
[ -n "$LAB_CHECKER_PID" ] && kill -USR1 "$LAB_CHECKER_PID"
lab_crash "$holder"
new=$(lab_wait_holder 20 "$holder")
say "VIP moved: n$holder -> n${new:-?}"
# The new leader may still hand the VIP to the preferred survivor (about
# one election timeout after winning): wait until one holder is stable.
final=$(lab_wait_stable 1.5 10) || final=${new:-$((holder % 3 + 1))}
[ "$final" = "$new" ] || say "VIP handed to the preferred survivor: n$new -> n$final"
# Status from the holder: the crashed node shows as unreachable.
show_status "$final"
sleep 2
for p in "${LAB_EXTRA_PIDS[@]}"; do
    kill -- "-$p" 2>/dev/null
done
LAB_EXTRA_PIDS=()
sleep 0.3

if [ -n "$LAB_CHECKER_PID" ]; then
    kill -TERM "$LAB_CHECKER_PID"
    wait "$LAB_CHECKER_PID" 2>/dev/null
    LAB_CHECKER_PID=
    f=$LAB_DIR/figures
    say "Measured by the lab checker (10 ms sampling)"
    echo "  failover (crash -> new holder): $(sed -n 's/^mark1_new_holder_ms=//p' "$f") ms"
    echo "  time with no holder:            $(sed -n 's/^zero_ms=//p' "$f") ms"
    echo "  time with two or more holders:  $(sed -n 's/^overlap_ms=//p' "$f") ms"
fi
say "Done ($system). Cleaning up: namespaces and processes removed."
