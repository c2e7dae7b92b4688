#!/bin/bash
# Differential check: `vipd -t` and Debian's `keepalived -t` (2.2.7) must
# agree on valid/invalid for every file of the corpus, except where the
# file's .expect documents the intended difference with a line
#   keepalived: valid|invalid|crash  # why
# (see tests/config/README). keepalived runs inside `unshare -rn` with a
# veth pair named eth0/eth1, so interface checks pass without touching the
# host. keepalived -t exit codes: 0 ok, 4/5 config errors, 6 only script
# security warnings (counted as valid), >= 128 a crash.
set -u
B=${VIPD_BUILDDIR:-.}/vipd
S=${VIPD_SRCDIR:-.}/tests/config
K=$(command -v keepalived || true)
[ -n "$K" ] || { echo "SKIP: keepalived not installed"; exit 77; }
unshare -rn true 2>/dev/null || { echo "SKIP: unshare -rn unavailable"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One namespace for all keepalived runs: prints "DIR/FILE RC" lines.
files=()
for dir in valid invalid; do
    for f in "$S/$dir"/*.conf; do files+=("$dir/$(basename "$f")"); done
done
unshare -rn bash -c '
    ip link add eth0 type veth peer name eth1 || exit 77
    ip link set lo up
    S=$1; K=$2; tmp=$3; shift 3
    for rel in "$@"; do
        d=$(mktemp -d -p "$tmp")
        (cd "$S/$(dirname "$rel")" &&
         timeout 20 "$K" -t -f "$S/$rel" -p "$d/k.pid" -r "$d/v.pid" \
             -c "$d/c.pid" -b -l) > "$d/out" 2>&1
        echo "$rel $?"
    done' _ "$S" "$K" "$tmp" "${files[@]}" > "$tmp/krc" 2> "$tmp/kerr"
rc=$?
[ $rc = 77 ] && { echo "SKIP: cannot create a veth pair in a namespace"; exit 77; }

fail=0
agree=0
intended=0
printf '%-34s %-8s %-10s %s\n' FILE VIPD KEEPALIVED NOTE
while read -r rel krc; do
    # Host checks off: keepalived sees eth0/eth1 in its namespace, and the
    # corpus names no key file. Exit 4 (valid keepalived, no cluster
    # block) counts as valid.
    (cd "$S/$(dirname "$rel")" &&
     "$B" -t --no-host-checks -f "$(basename "$rel")") > /dev/null 2>&1
    case $? in 0|4) v=valid ;; 1) v=invalid ;; *) v=crash ;; esac
    case $krc in 0|6) k=valid ;; 4|5) k=invalid ;; *) k=crash ;; esac
    note=$(sed -n 's/^keepalived: *//p' "$S/$rel.expect")
    want=${note%%[ #]*}
    if [ -n "$want" ]; then
        if [ "$k" = "$want" ]; then
            intended=$((intended + 1)); tag="intended: ${note#*# }"
        else
            tag="FAIL: documented keepalived=$want no longer holds"; fail=1
        fi
    elif [ "$v" = "$k" ]; then
        agree=$((agree + 1)); tag=agree
    else
        tag="FAIL: undocumented difference"; fail=1
    fi
    printf '%-34s %-8s %-10s %s\n' "$rel" "$v" "$k" "$tag"
done < "$tmp/krc"
echo "$agree agree, $intended intended differences"
exit $fail
