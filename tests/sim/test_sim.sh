#!/bin/bash
# The single-holder simulation (tests/sim/sim.c) in `make check`:
# 1. random fault schedules on 3- and 5-node raft_fixture clusters with the
#    real lease and FSM code, clocks drifting by up to 10%: never two
#    holders, a holder back within the bound after healing, identical FSM
#    state on equal applied indexes;
# 2. the checker has teeth: with a lease longer than the election timeout
#    (unsafe on purpose) it must find two holders.
# SIM_SEEDS overrides the number of seeds of part 1 (`make sim-soak` runs
# 100000 full-length schedules).
set -eu
sim="$VIPD_BUILDDIR/tests/sim/sim"
"$sim" --seeds "${SIM_SEEDS:-2000}" --duration 10000 --drift 100
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! "$sim" --seeds 100 --duration 10000 --lease 1900 --expect-violation \
        > "$out"; then
    cat "$out"
    echo "FAIL: an unsafe lease (L > T) went unnoticed"
    exit 1
fi
head -n 1 "$out"
