#!/bin/bash
# Safety/liveness simulation of VIP ownership (see tests/sim/sim.c).
# SIM_SEEDS overrides the number of seeds (default 2000).
set -eu
sim="$VIPD_BUILDDIR/tests/sim/sim"
"$sim" --seeds "${SIM_SEEDS:-2000}"
