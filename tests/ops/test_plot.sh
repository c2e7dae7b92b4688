#!/bin/bash
# bench/plot-holders draws lab timelines (tests/lab/checker -o format) as
# an SVG with one panel per system and one line per node: a synthetic
# crash timeline gives a well-formed SVG with both panel titles and a
# line per node and panel; a timeline without holder lines is refused.
set -u
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v gnuplot >/dev/null || { echo "SKIP: no gnuplot"; exit 77; }
W=$(mktemp -d /tmp/vplt.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
printf '0 holders=1 client=1\n1500 mark fault\n2200 holders=- client=1\n2300 holders=3 client=3\n5000 holders=3 client=3\n' >"$W/a"
printf '0 holders=1 client=1\n1500 mark fault\n3200 holders=1,2 client=1\n4000 holders=2 client=2\n' >"$W/b"
"$SRC/bench/plot-holders" "$W/out.svg" "crash" vipd="$W/a" keepalived="$W/b" >/dev/null ||
    bad "plot-holders failed"
grep -q '</svg>' "$W/out.svg" || bad "unfinished SVG"
for t in "vipd: raised = holds the VIPs" "keepalived: raised = holds the VIPs" "seconds after the fault"; do
    grep -q "$t" "$W/out.svg" || bad "no '$t' in the SVG"
done
# A line per node and panel (3 x 2, also for the node that never held in
# one panel; the red fault markers aside).
n=$(grep "<path stroke='rgb(" "$W/out.svg" | grep -vc "rgb(255,   0,   0)")
[ "$n" = 6 ] || bad "$n node lines drawn, want 6"
printf '100 mark fault\n' >"$W/empty"
"$SRC/bench/plot-holders" "$W/bad.svg" "x" vipd="$W/empty" >/dev/null 2>&1 &&
    bad "a timeline without holder samples was drawn"
[ $fail = 0 ] && echo "PASS: holders over time drawn as SVG"
exit $fail
