#!/bin/bash
# Benchmark (not part of make check; prints figures): disk writes of an
# idle 3-node vipd cluster, per node, over IDLE_S (30) seconds after the
# cluster settled: bytes the kernel accounted to each process for its data
# dir's file system (/proc/PID/io write_bytes) and, on the leader, the
# disk-related system calls (strace -c: io_submit, pwrite*, fsync,
# fdatasync). The lease rides on acknowledged heartbeats (raft/io_lease.h),
# so an idle cluster should write no log entries.
# Needs root, ip netns and strace; namespaces vid$$-* on 10.78.0.0/24.
# Usage: bench/idle_disk.sh [VIPD] (default build/dev/vipd).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
VIPD=${1:-$TOP/build/dev/vipd}
IDLE_S=${IDLE_S:-30}
VIP=10.78.0.100
[ -x "$VIPD" ] || { echo "build vipd first ($VIPD)"; exit 1; }
[ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 || { echo "needs root and ip netns"; exit 77; }

WORK=$(mktemp -d /var/tmp/vid-bench.XXXXXX) # a real disk, not tmpfs
PFX=vid$$
declare -a PIDS=("" "" "" "")
cleanup() {
    for i in 1 2 3; do [ -n "${PIDS[$i]}" ] && kill -9 "${PIDS[$i]}" 2>/dev/null; done
    for ns in $PFX-n1 $PFX-n2 $PFX-n3 $PFX-br; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

has_vip() { ip -n $PFX-n$1 -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
holder() { for i in 1 2 3; do has_vip $i && { echo $i; return; }; done; }

ip netns add $PFX-br
ip -n $PFX-br link add br0 type bridge
ip -n $PFX-br link set br0 type bridge forward_delay 0 stp_state 0
ip -n $PFX-br link set br0 up
(umask 077 && head -c 32 /dev/urandom | base64 >"$WORK/key"); chmod 600 "$WORK/key"
for i in 1 2 3; do
    ip netns add $PFX-n$i
    ip -n $PFX-n$i link add eth0 type veth peer name p$i netns $PFX-br
    ip -n $PFX-br link set p$i master br0 up
    ip -n $PFX-n$i link set lo up
    ip -n $PFX-n$i addr add 10.78.0.$i/24 dev eth0
    ip -n $PFX-n$i link set eth0 up
    {
        echo "cluster {"
        echo "    listen 10.78.0.$i:5405"
        for j in 1 2 3; do [ $j = $i ] || echo "    peer 10.78.0.$j:5405"; done
        echo "    data_dir $WORK/d$i"
        echo "    secret_file $WORK/key"
        echo "    control_socket $WORK/n$i.sock"
        echo "}"
        echo "vrrp_instance VI_1 {"
        echo "    interface eth0"
        echo "    virtual_router_id 52"
        echo "    priority 100"
        echo "    nopreempt"
        echo "    advert_int 1"
        echo "    virtual_ipaddress { $VIP/24 }"
        echo "}"
    } >"$WORK/n$i.conf"
    ip netns exec $PFX-n$i "$VIPD" -f "$WORK/n$i.conf" -l notice >>"$WORK/log$i" 2>&1 &
    PIDS[$i]=$!
done
echo "== idle disk writes ($(date -u +%FT%TZ), $VIPD, ${IDLE_S} s)"
for _ in $(seq 200); do [ -n "$(holder)" ] && break; sleep 0.1; done
L=$(holder)
[ -n "$L" ] || { echo "no holder"; exit 1; }
sleep 5 # settle (start-up handover, NODE records)
L=$(holder)
wb() { awk '/^write_bytes/ {print $2}' /proc/$1/io; }
declare -a W0
for i in 1 2 3; do W0[$i]=$(wb ${PIDS[$i]}); done
strace -f -c -e trace=io_submit,pwrite64,pwritev,pwritev2,write,fsync,fdatasync \
    -o "$WORK/strace" -p "${PIDS[$L]}" &
ST=$!
sleep "$IDLE_S"
kill -INT $ST; wait $ST 2>/dev/null
for i in 1 2 3; do
    d=$(( $(wb ${PIDS[$i]}) - W0[$i] ))
    role=follower; [ "$i" = "$L" ] && role=leader
    echo "n$i ($role): write_bytes $(awk -v d=$d -v t=$IDLE_S 'BEGIN{printf "%.1f kB/s", d/1024/t}')"
done
echo "leader's disk-related syscalls over ${IDLE_S} s (write also counts sockets):"
grep -E 'io_submit|pwrite|fsync|fdatasync|write|total' "$WORK/strace" | awk -v t=$IDLE_S '{printf "  %-10s %6d calls  %.1f/s\n", $NF, $4, $4/t}'
