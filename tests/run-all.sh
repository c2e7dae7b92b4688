#!/bin/bash
# The README's test command: install dependencies, build with ASan+UBSan and
# run the whole suite (unit, simulation, namespace tests). Needs root for the
# namespace tests; prints a closing "N passed, N failed, N skipped" line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
dir=$("$top/scripts/build.sh" check --enable-sanitizers)
cd "$dir"
status=0
make -j"$(nproc)" check || status=$?
if [ $status -ne 0 ]; then
    for log in $(grep -l -E '^(FAIL|ERROR)' $(find . -name '*.log' -path './tests/*') 2>/dev/null); do
        echo "===== $log"; tail -n 60 "$log"
    done
fi
count() { sed -n "s/^# $1: *//p" test-suite.log | head -n 1; }
echo "$(count PASS) passed, $(( $(count FAIL) + $(count ERROR) + $(count XPASS) )) failed, $(count SKIP) skipped"
exit $status
