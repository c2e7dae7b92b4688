#!/bin/bash
# The single-holder simulation (tests/sim/sim.c) in `make check`; the
# servers run the shipped ownership step (raft/own_step.c) through the
# libraft wrapper (raft/raft015.c):
# 1. random fault schedules on 3- and 5-node raft_fixture clusters (one-way
#    and symmetric partitions, loss, kills, fast restarts, 2T stalls, disk
#    latency, switchovers, priority and health changes) with clocks drifting
#    by up to 10%: never two holders, a holder back within the bound after
#    healing, identical FSM state on equal applied indexes;
# 2. holder crashes right after a renewal, clocks drifting by up to 10%:
#    the VIPs move once, to the survivor the replicated state ranks first,
#    never overlapping; and a
#    holder with a slow disk cut off right after its followers acknowledged
#    a renewal (its commit comes late: the lease counts from the send);
# 3. the checker has teeth: a lease only slightly too long (L = 1.05 T)
#    must be caught as two holders, specifically (exit status 3 of a normal
#    run means two holders; --expect-violation accepts only that).
# 4. placed units (--units 2, raft/place.c on every node; U0 prefers n1, U1
#    n2): random schedules with unit switchovers, never two holders of a
#    unit, every unit held again after healing; the holder of one unit
#    crashes while the other is held elsewhere: no gap for the other, one
#    move; and grants 2 s longer than issued must be caught as two holders.
# SIM_SEEDS overrides the number of seeds of part 1 (`make sim-soak` runs
# 100000 full-length schedules); SIM_UNIT_SEEDS those of part 4.
set -eu -o pipefail
sim="$VIPD_BUILDDIR/tests/sim/sim"
run() { # LABEL ARGS...: a run that must pass
    local label=$1 rv=0; shift
    "$sim" "$@" | tail -n 3 || rv=$?
    case $rv in
        0) ;;
        3) echo "FAIL ($label): TWO HOLDERS (replay the seed above with -v)"; exit 1 ;;
        *) echo "FAIL ($label): liveness or state failure (exit $rv)"; exit 1 ;;
    esac
}
# Two halves at once (two cores): a few thousand schedules in about the
# time of one.
seeds=${SIM_SEEDS:-2000}
half=$((seeds / 2))
tmpa=$(mktemp) tmpb=$(mktemp)
trap 'rm -f "$tmpa" "$tmpb"' EXIT
( run chaos-a --seeds "$half" --duration 10000 --drift 100 >"$tmpa" 2>&1 ) &
pa=$!
( run chaos-b --first $((half + 1)) --seeds $((seeds - half)) \
      --duration 10000 --drift 100 >"$tmpb" 2>&1 ) &
pb=$!
ra=0 rb=0
wait "$pa" || ra=$?
wait "$pb" || rb=$?
cat "$tmpa" "$tmpb"
[ "$ra" = 0 ] && [ "$rb" = 0 ] || exit 1
# Clock rates within 10%, as the chaos runs: a fast-clocked best survivor
# may ask for votes while a slow peer is still quiet (raft/io_lease.h, R3,
# T on the peer's clock); it retries its pre-vote a heartbeat later and the
# rank step (two heartbeats + T/10) keeps the next survivor from firing
# first (raft/own_step.h, rule 4).
run crash --crash --seeds 150 --drift 100
run crash-fast --crash --seeds 100 --heartbeat 10 --latency 2 --drift 100
run deposed-slow-disk --crash --slow-disk 500 --seeds 50 --latency 2
out=$(mktemp)
trap 'rm -f "$tmpa" "$tmpb" "$out"' EXIT
if ! "$sim" --crash --seeds 50 --heartbeat 10 --latency 2 --lease 1050 \
        --expect-violation > "$out"; then
    cat "$out"
    echo "FAIL: a lease of 1.05 T went unnoticed (no two holders found)"
    exit 1
fi
grep -m 1 "FAIL SAFETY" "$out"
echo "ok: L = 1.05 T caught as two holders"

# 4. Placed units.
useeds=${SIM_UNIT_SEEDS:-200}
uhalf=$((useeds / 2))
( run units-a --units 2 --seeds "$uhalf" --duration 10000 --drift 100 \
      >"$tmpa" 2>&1 ) &
pa=$!
( run units-b --units 2 --first $((uhalf + 1)) --seeds $((useeds - uhalf)) \
      --duration 10000 --drift 100 >"$tmpb" 2>&1 ) &
pb=$!
ra=0 rb=0
wait "$pa" || ra=$?
wait "$pb" || rb=$?
cat "$tmpa" "$tmpb"
[ "$ra" = 0 ] && [ "$rb" = 0 ] || exit 1
run unit-crash --units 2 --unit-crash --seeds 60 --drift 50
if ! "$sim" --units 2 --unit-crash --seeds 20 --drift 50 --grant-extra 2000 \
        --expect-violation > "$out"; then
    cat "$out"
    echo "FAIL: grants 2 s longer than issued went unnoticed"
    exit 1
fi
grep -m 1 "FAIL SAFETY" "$out"
echo "ok: grants longer than issued caught as two holders of a unit"
