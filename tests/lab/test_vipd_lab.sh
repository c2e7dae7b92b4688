#!/bin/bash
# vipd in the namespace lab: never two holders (checked every 10 ms) and
# one holder at the end, when the holder host crashes and when the holder
# is partitioned from the others for 10 s. Skips (77) only without root or
# namespaces. Benchmarks: bench/failover.
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=77
for sc in crash partition; do
    "$here/scenario.sh" --assert vipd "$sc" >"/tmp/vl$$.$sc" 2>&1
    rv=$?
    sed "s/^/$sc: /" "/tmp/vl$$.$sc"
    rm -f "/tmp/vl$$.$sc"
    case $rv in
    77) exit 77 ;;
    0) [ $status = 77 ] && status=0 ;;
    *) status=1 ;;
    esac
done
exit $status
