#!/bin/bash
# `vipd -t --no-host-checks -f FILE` on the config corpus: every file in
# valid/ and invalid/ has FILE.expect next to it: first line "valid",
# "invalid" or "needs-cluster" (exit 0, 1 or 4: a keepalived file vipd
# cannot run as is), then lines that must appear verbatim in the output;
# lines starting with "keepalived:" are for test_keepalived_diff.sh. Then
# generated inputs: a 100 MB line, deep include nesting, missing file.
set -u
B=${VIPD_BUILDDIR:-.}/vipd
S=${VIPD_SRCDIR:-.}/tests/config
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
n=0

# check NAME WANT-RC OUTPUT-FILE RC [EXPECTED-LINE...]
check() {
    local name=$1 want=$2 out=$3 got=$4 ok=1 line
    shift 4
    n=$((n + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: $name: exit $got, want $want"; ok=0
    fi
    for line in "$@"; do
        if ! grep -qF -- "$line" "$out"; then
            echo "FAIL: $name: missing: $line"; ok=0
        fi
    done
    if [ $ok = 1 ]; then
        echo "ok: $name"
    else
        sed 's/^/    | /' "$out" | head -n 20; fail=1
    fi
}

for dir in valid invalid; do
    for f in "$S/$dir"/*.conf; do
        base=$(basename "$f")
        exp="$f.expect"
        if [ ! -f "$exp" ]; then
            echo "FAIL: $dir/$base: no $base.expect"; fail=1; continue
        fi
        verdict=$(head -n 1 "$exp")
        case $verdict in
            valid) want=0 ;; invalid) want=1 ;; needs-cluster) want=4 ;;
            *) echo "FAIL: $dir/$base: bad verdict '$verdict'"; fail=1; continue ;;
        esac
        lines=()
        while IFS= read -r line; do
            case $line in keepalived:*|'') ;; *) lines+=("$line") ;; esac
        done < <(tail -n +2 "$exp")
        (cd "$S/$dir" && "$B" -t --no-host-checks -f "$base") > "$tmp/out" 2>&1
        rc=$?
        check "$dir/$base" $want "$tmp/out" $rc "${lines[@]}"
    done
done

# A 100 MB line is refused, and parsing goes on after it.
{ head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 999\n}\n'; } > "$tmp/huge.conf"
(cd "$tmp" && "$B" -t --no-host-checks -f huge.conf) > "$tmp/out" 2>&1
check "generated/100MB line" 1 "$tmp/out" $? \
    "huge.conf:1: error: line longer than 65536 bytes, ignored" \
    "huge.conf:4: error: virtual_router_id: 999 is out of range [1, 255]"

# Includes nested 20 deep stop at 16 with a message, no crash.
for i in $(seq 0 19); do echo "include n$((i + 1)).conf" > "$tmp/n$i.conf"; done
: > "$tmp/n20.conf"
(cd "$tmp" && "$B" -t --no-host-checks -f n0.conf) > "$tmp/out" 2>&1
check "generated/include depth" 1 "$tmp/out" $? \
    "n15.conf:1: error: includes nested deeper than 16, 'n16.conf' not read"

# A glob include relative to the including file, from another directory.
mkdir -p "$tmp/etc/conf.d"
printf 'include conf.d/*.conf\n' > "$tmp/etc/main.conf"
printf 'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n' > "$tmp/etc/conf.d/a.conf"
printf 'vrrp_instance B {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.2 }\n}\n' > "$tmp/etc/conf.d/b.conf"
"$B" -t --no-host-checks -f "$tmp/etc/main.conf" > "$tmp/out" 2>&1
check "generated/glob include" 1 "$tmp/out" $? \
    "$tmp/etc/conf.d/b.conf:3: error: vrrp_instance 'B': virtual_router_id 1 on eth0 is already used by 'A' at $tmp/etc/conf.d/a.conf:3"

"$B" -t --no-host-checks -f "$tmp/no-such.conf" > "$tmp/out" 2>&1
check "missing file" 1 "$tmp/out" $? \
    "$tmp/no-such.conf: error: cannot open '$tmp/no-such.conf': No such file or directory"
"$B" -t --no-host-checks -f "$tmp" > "$tmp/out" 2>&1
check "directory" 1 "$tmp/out" $? "is a directory"

"$B" -t --no-host-checks -f "${VIPD_SRCDIR:-.}/deploy/vipd.conf.example" > "$tmp/out" 2>&1
check "deploy/vipd.conf.example" 0 "$tmp/out" $? "configuration valid"

# The pair + witness example: three valid files, no warning (the witness
# is the fix for the two-voter warning).
for f in node1 node2 witness; do
    "$B" -t --no-host-checks -f "${VIPD_SRCDIR:-.}/deploy/examples/pair-witness/$f.conf" > "$tmp/out" 2>&1
    check "deploy/examples/pair-witness/$f.conf" 0 "$tmp/out" $? "$f.conf: configuration valid"
    if grep -q "note\|warning" "$tmp/out"; then
        echo "FAIL: deploy/examples/pair-witness/$f.conf: a note or warning"
        sed 's/^/    | /' "$tmp/out"
        fail=1
    fi
done

# Valid for -t, but the daemon refuses to run without a cluster block.
(cd "$S/valid" && "$B" -f master.conf) > "$tmp/out" 2>&1
check "daemon needs a cluster block" 1 "$tmp/out" $? \
    "master.conf: error: no cluster block"

echo "$n checks, $([ $fail = 0 ] && echo all passed || echo some FAILED)"
exit $fail
