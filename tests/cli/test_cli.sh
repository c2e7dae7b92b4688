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

# --force-new-cluster refuses what it cannot recover, changing nothing.
S=${VIPD_SRCDIR:-.}
d=$(mktemp -d /tmp/vipd-cli-rec.XXXXXX)
trap 'rm -rf "$d" /tmp/vipd-cli.$$' EXIT
# The host checks (key file, data dir) pass, so the refusals below are the
# recovery's own.
"$B/vipctl" keygen -o "$d/key" >/dev/null || { echo "FAIL: keygen"; fail=1; }
sed -e "s|/etc/vipd/cluster.key|$d/key|" -e "s|/var/lib/vipd|$d/wdata|" \
    "$S/deploy/examples/pair-witness/witness.conf" >"$d/witness.conf"
check 1 "force-new-cluster on a witness" \
    "$B/vipd" --force-new-cluster --yes -f "$d/witness.conf"
grep -q "a witness cannot hold the VIPs alone" /tmp/vipd-cli.$$ ||
    { echo "FAIL: witness recovery message"; fail=1; }
printf 'cluster {\n listen 127.0.0.1:1\n peer 127.0.0.2:1\n data_dir %s/data\n secret_file %s/key\n}\nvrrp_instance V { interface lo\n virtual_router_id 1\n virtual_ipaddress { 127.1.1.1 }\n}\n' "$d" "$d" >"$d/c.conf"
mkdir "$d/data"
check 1 "force-new-cluster without a node id" "$B/vipd" --force-new-cluster --yes -f "$d/c.conf"
grep -q "node-id: .*nothing to recover" /tmp/vipd-cli.$$ ||
    { echo "FAIL: no-node-id recovery message"; cat /tmp/vipd-cli.$$; fail=1; }
[ -z "$(ls -A "$d/data")" ] || { echo "FAIL: a refused recovery wrote to the data dir"; fail=1; }
rm -rf "$d"
rm -f /tmp/vipd-cli.$$
exit $fail
