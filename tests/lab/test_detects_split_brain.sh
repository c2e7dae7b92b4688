#!/bin/bash
# Negative control for the vipd invariant test: the same scenario runner
# and checker, pointed at keepalived, must catch keepalived's split brain
# when its master is partitioned from the backups (the backups elect a new
# master while the old one keeps the VIP). If this passes while vipd's
# test passes too, the vipd result means something.
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v keepalived >/dev/null || { echo "keepalived not installed"; exit 77; }
out=$(SC_PARTITION_S=5 "$here/scenario.sh" --assert keepalived partition 2>&1)
rv=$?
echo "$out"
case $rv in
77) exit 77 ;;
1)
    if echo "$out" | grep -q "FAIL: keepalived partition: [0-9]* ms with two or more holders"; then
        echo "ok: the lab caught keepalived's split brain"
        exit 0
    fi
    echo "FAIL: keepalived failed the partition scenario, but not on overlap"
    exit 1
    ;;
*)
    echo "FAIL: no split brain detected for keepalived (exit $rv)"
    exit 1
    ;;
esac
