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
count() {
    local n
    n=$(sed -n "s/^# $1: *//p" test-suite.log 2>/dev/null | head -n 1)
    echo "${n:-0}"
}
passed=$(count PASS)
failed=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
skipped=$(count SKIP)
# A build failure leaves no (or a stale) test-suite.log: never report it
# as a clean run.
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then
    echo "make check failed before or outside the tests (build error?)"
    failed=1
fi
# Valgrind and ASan do not mix: the valgrind test skips in the sanitizer
# build above and runs again here in the plain build (build/dev).
vg_status=0
if plain=$("$top/scripts/build.sh" dev); then
    (cd "$plain" && make check TESTS=tests/netns/valgrind_shutdown.sh) || vg_status=$?
    vg_log=$plain/tests/netns/valgrind_shutdown.log
    [ $vg_status -eq 0 ] || tail -n 80 "$vg_log"
    case $(sed -n 's/^:test-result: *//p' "${vg_log%.log}.trs" 2>/dev/null) in
    PASS) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)); [ $vg_status -ne 0 ] || vg_status=1 ;;
    esac
else
    echo "plain build (build/dev) for the valgrind test failed"
    vg_status=1
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $status -ne 0 ] || status=$vg_status
exit $status
