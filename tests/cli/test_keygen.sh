#!/bin/bash
# `vipctl keygen`: prints a fresh 64-hex-digit key (the format the key
# loader reads: tests/unit/test_handshake.c); `-o FILE` creates a new file
# with mode 0600 and never overwrites one. Needs no daemon.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPCTL=$BUILD/vipctl
[ -x "$VIPCTL" ] || { echo "SKIP: $VIPCTL not built"; exit 77; }
T=$(mktemp -d /tmp/vr-keygen.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

a=$("$VIPCTL" keygen) || bad "keygen exited $?"
b=$("$VIPCTL" keygen)
[[ $a =~ ^[0-9a-f]{64}$ ]] && ok "64 hex digits" || bad "output '$a'"
[ "$a" != "$b" ] && ok "two keys differ" || bad "same key twice"

"$VIPCTL" keygen -o "$T/k" || bad "keygen -o exited $?"
[ "$(stat -c %a "$T/k")" = 600 ] && ok "mode 0600" || bad "mode $(stat -c %a "$T/k")"
[ "$(wc -c <"$T/k")" = 65 ] && ok "65 bytes" || bad "$(wc -c <"$T/k") bytes"
before=$(cat "$T/k")
"$VIPCTL" keygen -o "$T/k" 2>"$T/err"; st=$?
[ $st = 1 ] && [ "$(cat "$T/k")" = "$before" ] && grep -q "$T/k" "$T/err" &&
    ok "existing file kept, exit 1" || bad "overwrite: exit $st, $(cat "$T/err")"
"$VIPCTL" keygen --help | grep -q "keygen \[-o FILE\]" && ok "--help" || bad "--help"
"$VIPCTL" keygen extra 2>/dev/null; st=$?
[ $st = 2 ] && ok "usage error exit 2" || bad "extra argument: exit $st"
"$VIPCTL" --help | grep -q keygen && ok "listed in vipctl --help" || bad "not in --help"
[ $fails = 0 ]
