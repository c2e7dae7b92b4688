#!/bin/bash
# vipctl texts against a real one-node cluster: `transfer`/`remove` of an
# unknown node name the members instead of a bare "not found"; the first
# holder event reads "holder n1: elected" (no "(was n0)").
. "$(dirname "$0")/ops_lib.sh"
ops_setup 1
ops_start 1 --
wait_for 20 ops_has_vip 1 || fail "no VIP"
ctl() { "$VIPCTL" -s "$WORK/n1.sock" "$@"; }
for cmd in transfer remove; do
    out=$(ctl $cmd nc9 2>&1); rv=$?
    [ $rv = 1 ] || fail "$cmd nc9: exit $rv, expected 1 ($out)"
    grep -q "no member named 'nc9' (members: n1 n1)" <<<"$out" ||
        fail "$cmd nc9: '$out'"
done
holder_event() { ctl events | grep -q 'holder n1: elected'; }
wait_for 10 holder_event || fail "no 'holder n1: elected' event: $(ctl events)"
ctl events | grep -q 'was n0' && fail "an event still reads '(was n0)'"
echo "PASS: unknown node names the members; first holder event"
