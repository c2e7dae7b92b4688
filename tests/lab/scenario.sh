#!/bin/bash
# tests/lab/scenario.sh: run one fault scenario once against one system and
# print the checker's figures as key=value lines.
#
#   scenario.sh [--assert] [-n NODES] SYSTEM SCENARIO
#
# SYSTEM: keepalived | vipd. SCENARIO: one of
#   crash      holder host crash: SIGKILL + its link down (host gone)
#   kill9      holder process SIGKILL, host and link stay up
#   term       holder SIGTERM (graceful handover)
#   pause      holder SIGSTOP for 5 s, then SIGCONT
#   health     holder's health script starts failing
#   healthw    the same with `weight -60` (SC_WEIGHT): the holder's priority
#              drops below the others' instead of FAULT (issue 6's setup)
#   partition  holder cut off from the other nodes (nft, both ways) for
#              SC_PARTITION_S (10) s, then healed (SC_MODE=unicast|multicast)
#   cutoff     a node that does not hold cut off from the other nodes (nft,
#              both ways) for SC_PARTITION_S (8) s, then healed: the holder
#              should keep the VIPs throughout (bench/heal)
#   oneway     holder's packets to the other nodes lost for 10 s, then healed
#   deaf       the other direction: the holder hears nothing from the
#              other nodes for 10 s, then healed
#   flap       holder's link down 1 s / up 1 s, five times
#   rolling    every node restarted in turn (SIGTERM, start, settle)
#   rejoin     holder stopped, its data dir wiped, started again
#   idle       no fault: per node CPU %, RSS and disk writes over
#              IDLE_S seconds (10) after IDLE_WARMUP_S (0), as
#              nodeK_cpu_pct= nodeK_rss_kb=
#              nodeK_write_bytes_s= nodeK_syscw_s=, and per process
#              nodeK_proc=PID COMM CPU% SYSCW/S RSS_KB PSS_KB
# A random 0..1 s delay precedes every fault. With --assert (the vipd
# tests) the exit status is 1 when the single-holder invariant broke (any
# time with two holders), no other node took over after a fault that
# demands it, or no single holder remained at the end.
# Exit 77: not root, no netns, or the system cannot run here (yet).
#
# Env: VIPD_BUILDDIR (checker and vipd), CHECKER (path), SC_* (config.sh),
# LAB_KEEP=1 keeps the lab's temp dir (logs, configs, timeline).
set -u
here=$(cd "$(dirname "$0")" && pwd)
assert=0
nodes=3
while [ $# -gt 0 ]; do
    case $1 in
    --assert) assert=1; shift ;;
    -n) nodes=$2; shift 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 2 ]; then
    sed -n '2,/^set -u/p' "$0" | sed '$d' >&2
    exit 2
fi
system=$1
scenario=$2

. "$here/lib.sh"
case $system in
keepalived | vipd) . "$here/driver_$system.sh" ;;
*) echo "scenario: unknown system '$system'" >&2; exit 2 ;;
esac
case $scenario in
crash | kill9 | term | pause | health | partition | cutoff | oneway | deaf | flap | rolling | rejoin | idle) ;;
healthw) scenario=health; SC_WEIGHT=${SC_WEIGHT:--60} ;;
*) echo "scenario: unknown scenario '$scenario'" >&2; exit 2 ;;
esac

. "$here/config.sh"
lab_skip_unless_possible
drv_available || exit 77
CHECKER=${CHECKER:-${VIPD_BUILDDIR:-$here/../../build/dev}/tests/lab/checker}
if [ ! -x "$CHECKER" ]; then
    echo "scenario: checker not built ($CHECKER)" >&2
    exit 77
fi

lab_up "$nodes" || exit 1

for ((k = 1; k <= nodes; k++)); do
    sc_set_healthy "$k"
    drv_start "$k"
done
drv_ready 30
rv=$?
if [ $rv -eq 77 ]; then
    exit 77
elif [ $rv -ne 0 ]; then
    echo "scenario: $system never elected a single holder" >&2
    for ((k = 1; k <= nodes; k++)); do tail -5 "$LAB_DIR/n$k.log" >&2; done
    exit 1
fi
# Let the initial election settle (keepalived's backups need a few adverts).
sleep 2
holder=$(lab_wait_holder 10) || { echo "scenario: no single holder" >&2; exit 1; }

# proc_totals K: "cpu_ticks rss_kb write_bytes syscw" summed over node K's PIDs.
proc_totals()
{
    local p ticks=0 rss=0 wb=0 sc=0 f
    for p in $(drv_pids "$1"); do
        [ -r "/proc/$p/stat" ] || continue
        # Fields after the ")" of the command name: utime 14, stime 15,
        # cutime 16, cstime 17 (reaped children: the health scripts).
        f=$(sed 's/^.*) //' "/proc/$p/stat")
        set -- $f
        ticks=$((ticks + ${12} + ${13} + ${14} + ${15}))
        rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
        wb=$((wb + $(awk '/^write_bytes:/ {print $2}' "/proc/$p/io")))
        sc=$((sc + $(awk '/^syscw:/ {print $2}' "/proc/$p/io")))
    done
    echo "$ticks $rss $wb $sc"
}

# proc_each K: "pid comm cpu_ticks syscw" for each of node K's PIDs.
proc_each()
{
    local p f
    for p in $(drv_pids "$1"); do
        [ -r "/proc/$p/stat" ] || continue
        f=$(sed 's/^.*) //' "/proc/$p/stat")
        set -- $f
        echo "$p $(cat "/proc/$p/comm") $((${12} + ${13} + ${14} + ${15})) $(awk '/^syscw:/ {print $2}' "/proc/$p/io")"
    done
}

if [ "$scenario" = idle ]; then
    idle_s=${IDLE_S:-10}
    # IDLE_WARMUP_S: wait before measuring (vipd polls its peers' status
    # fast for a minute after its start, raft/cluster.h).
    sleep "${IDLE_WARMUP_S:-0}"
    hz=$(getconf CLK_TCK)
    declare -a before
    declare -a each
    for ((k = 1; k <= nodes; k++)); do
        before[$k]=$(proc_totals "$k")
        each[$k]=$(proc_each "$k")
    done
    t0=$(date +%s%N)
    sleep "$idle_s"
    t1=$(date +%s%N)
    echo "system=$system"
    echo "scenario=idle"
    echo "mode=$SC_MODE"
    echo "nodes=$nodes"
    echo "holder=$holder"
    for ((k = 1; k <= nodes; k++)); do
        read -r a0 _ w0 s0 <<<"${before[$k]}"
        read -r a1 r1 w1 s1 <<<"$(proc_totals "$k")"
        awk -v k="$k" -v dt="$(( (t1 - t0) / 1000000 ))" -v hz="$hz" \
            -v dc="$((a1 - a0))" -v rss="$r1" -v dw="$((w1 - w0))" \
            -v ds="$((s1 - s0))" 'BEGIN {
                printf "node%d_cpu_pct=%.2f\n", k, 100 * dc / hz / (dt / 1000)
                printf "node%d_rss_kb=%d\n", k, rss
                printf "node%d_write_bytes_s=%.0f\n", k, dw / (dt / 1000)
                printf "node%d_syscw_s=%.1f\n", k, ds / (dt / 1000)
            }'
        # Per process: nodeK_proc=PID COMM CPU% SYSCW/S RSS_KB PSS_KB
        # (PSS from smaps_rollup: shared libraries split between users).
        while read -r p comm t0p s0p; do
            [ -n "$p" ] && [ -r "/proc/$p/stat" ] || continue
            read -r _ _ t1p s1p <<<"$(proc_each "$k" | awk -v p="$p" '$1 == p')"
            [ -n "${t1p:-}" ] || continue
            awk -v k="$k" -v p="$p" -v comm="$comm" -v hz="$hz" \
                -v dt="$(( (t1 - t0) / 1000000 ))" -v dc="$((t1p - t0p))" \
                -v ds="$((s1p - s0p))" \
                -v rss="$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")" \
                -v pss="$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")" \
                'BEGIN { printf "node%d_proc=%s %s %.2f %.1f %d %d\n", k, p,
                    comm, 100 * dc / hz / (dt / 1000), ds / (dt / 1000),
                    rss, pss }'
        done <<<"${each[$k]}"
    done
    exit 0
fi

names=""
for ((k = 1; k <= nodes; k++)); do names="$names,$(lab_node_ns "$k")"; done
vips=$(sc_vips | paste -sd,)
"$CHECKER" -a "$vips" -n "${names#,}" -c "$(lab_client_ns)" \
    -o "$LAB_DIR/timeline" -r "$LAB_DIR/checker.ready" >"$LAB_DIR/figures" &
LAB_CHECKER_PID=$!
deadline=$((SECONDS + 5))
until [ -f "$LAB_DIR/checker.ready" ]; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$LAB_CHECKER_PID" 2>/dev/null; then
        echo "scenario: checker did not start" >&2
        exit 1
    fi
    sleep 0.01
done
# The client talks to the VIP, so its ARP entry follows the holder.
lab_bg ip netns exec "$(lab_client_ns)" ping -q -i 0.1 -W 1 "$LAB_VIP"
sleep 1

mark_fault() { kill -USR1 "$LAB_CHECKER_PID"; }
mark_heal() { kill -USR2 "$LAB_CHECKER_PID"; }
# wait_new_holder T: bounded wait for a holder other than $holder (the old
# one may still hold too: that is overlap, which the checker measures).
wait_new_holder() { lab_wait_other "$1" "$holder"; }

lab_random_delay
case $scenario in
crash)
    mark_fault
    lab_crash "$holder"
    wait_new_holder 20
    sleep 1
    ;;
kill9)
    mark_fault
    lab_kill "$holder"
    wait_new_holder 20
    sleep 3
    ;;
term)
    mark_fault
    lab_term "$holder"
    wait_new_holder 20
    lab_wait_exit "$holder" 10
    sleep 1
    ;;
pause)
    mark_fault
    lab_pause "$holder"
    sleep 5
    mark_heal
    lab_resume "$holder"
    sleep 5
    ;;
health)
    mark_fault
    sc_set_unhealthy "$holder"
    wait_new_holder 20
    sleep 1
    ;;
partition)
    others=""
    for ((k = 1; k <= nodes; k++)); do
        [ "$k" = "$holder" ] || others="$others $k"
    done
    mark_fault
    lab_partition "$holder" "$others"
    sleep "${SC_PARTITION_S:-10}"
    mark_heal
    lab_heal
    sleep 5
    ;;
cutoff)
    victim=""
    others=""
    for ((k = 1; k <= nodes; k++)); do
        if [ "$k" != "$holder" ] && [ -z "$victim" ]; then
            victim=$k
        else
            others="$others $k"
        fi
    done
    mark_fault
    lab_partition "$victim" "$others"
    sleep "${SC_PARTITION_S:-8}"
    mark_heal
    lab_heal
    sleep 5
    ;;
oneway | deaf)
    mark_fault
    if [ "$scenario" = deaf ]; then
        lab_oneway_loss "$holder" in
    else
        lab_oneway_loss "$holder" out
    fi
    sleep 10
    mark_heal
    lab_heal
    sleep 5
    ;;
flap)
    mark_fault
    for i in 1 2 3 4 5; do
        lab_link_down "$holder"
        sleep 1
        lab_link_up "$holder"
        sleep 1
    done
    mark_heal
    sleep 5
    ;;
rolling)
    for ((k = 1; k <= nodes; k++)); do
        mark_fault
        sc_restart "$k"
        drv_ready 20 >/dev/null
        sleep 3
        lab_random_delay
    done
    ;;
rejoin)
    mark_fault
    sc_restart "$holder" --wipe
    drv_ready 20 >/dev/null
    sleep 5
    ;;
esac

# Before the checker stops: one holder, unchanged for a while (bounded), so
# a handover still under way is measured, not cut off. Keepalived under a
# lasting split brain simply runs into the deadline.
lab_wait_stable 1.5 15 >/dev/null
kill -TERM "$LAB_CHECKER_PID"
wait "$LAB_CHECKER_PID"
LAB_CHECKER_PID=
echo "system=$system"
echo "scenario=$scenario"
echo "mode=$SC_MODE"
echo "nodes=$nodes"
echo "fault_node=${victim:-$holder}"
cat "$LAB_DIR/figures"
if [ -n "${LAB_TIMELINE:-}" ]; then
    cp "$LAB_DIR/timeline" "$LAB_TIMELINE"
fi

status=0
if [ $assert = 1 ]; then
    overlap=$(sed -n 's/^overlap_ms=//p' "$LAB_DIR/figures")
    final=$(sed -n 's/^final_holders=//p' "$LAB_DIR/figures")
    if [ "${overlap:-1}" != 0 ]; then
        echo "FAIL: $system $scenario: ${overlap} ms with two or more holders" >&2
        cat "$LAB_DIR/timeline" >&2
        status=1
    fi
    # Liveness: after these faults some other node must have taken over.
    case $scenario in
    crash | kill9 | term | pause | health | partition | oneway | deaf | rejoin)
        if [ "$(sed -n 's/^mark1_new_holder_ms=//p' "$LAB_DIR/figures")" = -1 ]; then
            echo "FAIL: $system $scenario: no other node took over" >&2
            status=1
        fi
        ;;
    esac
    if [ -z "$final" ] || [ "$final" = - ] || [ "${final//,/}" != "$final" ]; then
        echo "FAIL: $system $scenario: no single holder at the end ($final)" >&2
        status=1
    fi
fi
exit $status
