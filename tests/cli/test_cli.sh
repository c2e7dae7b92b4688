#!/bin/bash
# The programs' command lines: help, version, and bad input get a clear
# message and the documented exit status.
set -u
B=${VIPD_BUILDDIR:-.}
fail=0
check() { # expected-status description command...
    local want=$1 what=$2; shift 2
    "$@" >/tmp/vipd-cli.$$ 2>&1; local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, want $want"; cat /tmp/vipd-cli.$$; fail=1
    else
        echo "ok: $what"
    fi
}
check 0 "vipd --version" "$B/vipd" --version
check 0 "vipd --help" "$B/vipd" --help
check 2 "vipd bad option" "$B/vipd" --no-such-option
check 0 "vipctl --help" "$B/vipctl" --help
check 2 "vipctl no command" "$B/vipctl"
check 2 "vipctl unknown command" "$B/vipctl" frobnicate
"$B/vipd" --version | grep -q '^vipd [0-9]' || { echo "FAIL: version text"; fail=1; }
"$B/vipctl" frobnicate 2>&1 | grep -q "unknown command 'frobnicate'" ||
    { echo "FAIL: vipctl unknown command message"; fail=1; }
rm -f /tmp/vipd-cli.$$
exit $fail
