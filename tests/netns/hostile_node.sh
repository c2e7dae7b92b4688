#!/bin/bash
# Hostile local conditions against one real vipd (a one-node cluster in
# namespace vh$$-n1, 10.78.0.1, VIP 10.78.0.100), each of which broke or
# damaged the daemon before:
#   1. a second `vipd -f` with the same configuration exits at once with
#      "already running (pid N)", and the running node keeps its VIP, its
#      control socket and its data dir (nothing renamed or deleted);
#   1b. a key holder's AppendEntries with an entry of type 0xff (the
#      one-packet crash of libraft 0.15) is refused, the node unharmed;
#   2. 2000 idle TCP connections to the cluster port while the daemon has
#      1024 file descriptors and a check script runs every 200 ms: the
#      daemon stays up, the check is never counted as failed (fd
#      exhaustion is "unknown, keep the last state") and the VIP stays;
#      once the flood ends, a new control request is served;
#      and the check script never sees a descriptor the daemon inherited;
#   3. its newest snapshot truncated to 100 bytes (libraft 0.15's
#      decompress loop spun forever on it, ignoring SIGTERM): the restart
#      exits at once with an error naming the snapshot.
# Exit 77 when not root or without ip netns / python3.
set -u
BUILD=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
VIPD=$BUILD/vipd
VIPCTL=$BUILD/vipctl
VIP=10.78.0.100
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and ip netns"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
WORK=$(mktemp -d /tmp/vh-node.XXXXXX)
NS=vh$$-n1
PID=""
FLOOD=""
cleanup() {
    [ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    wait 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    if [ "${VH_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; echo "--- log:"; grep -v 'raft: ' "$WORK/log" | tail -n 20; exit 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() { # SECONDS COMMAND...
    local deadline=$(( $(ms) + $1 * 1000 )); shift
    while [ "$(ms)" -lt $deadline ]; do "$@" && return 0; sleep 0.05; done
    return 1
}
has_vip() { ip -n "$NS" -4 -o addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
alive() { kill -0 "$PID" 2>/dev/null; }

ip netns add "$NS" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip -n "$NS" link set lo up
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set eth1 up
ip -n "$NS" addr add 10.78.0.1/24 dev eth0
ip -n "$NS" link set eth0 up
head -c 32 /dev/urandom | base64 >"$WORK/key"
chmod 600 "$WORK/key"
# The check: a script that must run (and succeed) every 200 ms (fall 3 and
# a 3 s timeout: a loaded test machine may be slow to fork); every run
# leaves a mark so the test sees it running during the flood.
cat >"$WORK/check.sh" <<SH
#!/bin/sh
echo x >>"$WORK/check.runs"
# The daemon was started with fd 7 open: it must not reach us.
[ -e /proc/self/fd/7 ] && echo "fd 7 inherited" >>"$WORK/leak"
exit 0
SH
chmod 755 "$WORK/check.sh"
cat >"$WORK/n1.conf" <<CONF
global_defs { router_id n1 }
cluster {
    listen 10.78.0.1:5405
    data_dir $WORK/d1
    secret_file $WORK/key
    control_socket $WORK/n1.sock
    snapshot_threshold 8
    snapshot_trailing 4
}
vrrp_script chk { script "$WORK/check.sh" interval 0.2 timeout 3 fall 3 rise 1 weight 0 }
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress { $VIP/24 }
    track_script { chk }
}
CONF
"$VIPD" -t -f "$WORK/n1.conf" >"$WORK/check.out" 2>&1 ||
    fail "config rejected: $(cat "$WORK/check.out")"

# 1024 descriptors, as a unit without LimitNOFILE would get, and an
# unrelated descriptor (7) inherited from the starter.
ip netns exec "$NS" bash -c "ulimit -n 1024; exec \"$VIPD\" -f \"$WORK/n1.conf\" 7>\"$WORK/inherited\"" \
    >>"$WORK/log" 2>&1 &
PID=$!
wait_for 15 has_vip || fail "the node never took its VIP"

# 1. A second instance on the same data dir and socket.
t0=$(ms)
ip netns exec "$NS" "$VIPD" -f "$WORK/n1.conf" >"$WORK/second.out" 2>&1
rc=$?
t1=$(ms)
[ $rc = 1 ] || fail "second instance: exit $rc, want 1: $(cat "$WORK/second.out")"
grep -q "already running (pid $PID)" "$WORK/second.out" ||
    fail "second instance: no 'already running (pid $PID)': $(cat "$WORK/second.out")"
grep -q "raft" "$WORK/second.out" && fail "second instance reached raft: $(cat "$WORK/second.out")"
echo "second instance: exit 1 in $((t1 - t0)) ms: $(head -n 1 "$WORK/second.out")"
alive || fail "the first instance died"
has_vip || fail "the first instance lost its VIP"
# It stopped before touching anything: one line said why, and nothing of
# the cluster, the network or the control socket was started.
[ "$(wc -l <"$WORK/second.out")" = 1 ] ||
    fail "second instance did more than refuse: $(cat "$WORK/second.out")"
"$VIPCTL" -s "$WORK/n1.sock" status >/dev/null 2>&1
[ $? -le 3 ] || fail "the first instance's control socket no longer answers"
echo "ok: a second instance changed nothing"

# 1b. A peer holding the key sends the one-packet crash of libraft 0.15 (an
#     AppendEntries with one entry of type 0xff): the node closes that
#     connection, logs why, and runs on with its VIP.
INJECT=$BUILD/tests/netns/raft_inject
[ -x "$INJECT" ] || fail "$INJECT not built"
ip netns exec "$NS" "$INJECT" "$WORK/key" 1 10.78.0.1:5405 >"$WORK/inject.out" 2>&1 ||
    fail "malformed AppendEntries: $(cat "$WORK/inject.out")"
wait_for 5 grep -q "malformed Raft message (AppendEntries entry type)" "$WORK/log" ||
    fail "the refusal was not logged"
alive || fail "vipd died of a malformed AppendEntries"
has_vip || fail "the VIP went with a malformed AppendEntries"
echo "ok: malformed AppendEntries from a key holder: connection closed, node unharmed"

if [ "${VH_ONLY_LOCK:-0}" = 1 ]; then exit 0; fi

# 2. 2000 idle connections while the check runs.
cat >"$WORK/flood.py" <<'PY'
import socket, sys, time
held = []
for i in range(2000):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("10.78.0.1", 5405))
    except BlockingIOError:
        pass
    held.append(s)
open(sys.argv[1], "w").write("up\n")
time.sleep(float(sys.argv[2]))
PY
: >"$WORK/check.runs"
ip netns exec "$NS" bash -c "ulimit -n 4096; exec python3 \"$WORK/flood.py\" \"$WORK/flood.up\" 6" &
FLOOD=$!
wait_for 10 test -e "$WORK/flood.up" || fail "the flood did not start"
runs0=$(wc -l <"$WORK/check.runs")
lost=0
end=$(( $(ms) + 4000 ))
while [ "$(ms)" -lt $end ]; do
    has_vip || lost=1
    alive || fail "vipd died during the flood"
    sleep 0.05
done
wait "$FLOOD" 2>/dev/null; FLOOD=""
[ $lost = 0 ] || fail "the VIP was released during the flood"
grep -Eq "chk.*(fail|FAULT)" "$WORK/log" && fail "the check was counted as failed"
runs=$(( $(wc -l <"$WORK/check.runs") - runs0 ))
echo "check script ran $runs times during the flood"
[ "$runs" -gt 0 ] || fail "the check script did not run during the flood"
grep -c "refusing a connection" "$WORK/log" | sed 's/^/refusal lines logged: /'
wait_for 5 bash -c "\"$VIPCTL\" -s \"$WORK/n1.sock\" status >/dev/null 2>&1; [ \$? -le 3 ]" ||
    fail "control socket not served after the flood"
alive || fail "vipd died after the flood"
echo "ok: 2000 idle connections with 1024 fds: VIP kept, check not failed"
[ -s "$WORK/check.runs" ] || fail "the check never ran"
[ -e "$WORK/leak" ] && fail "a check script inherited the daemon's fd 7"
echo "ok: no inherited descriptor reached the check script"

# 3. A truncated snapshot.
snaps() { ls "$WORK/d1" | grep -E '^snapshot-[0-9]+-[0-9]+-[0-9]+$' |
    sort -t- -k2,2n -k3,3n -k4,4n; }
has_snap() { [ -n "$(snaps)" ]; }
# An idle node writes no log entries (raft/io_lease.h): maintenance on and
# off, each an applied ADMIN entry, grow the log past snapshot_threshold.
for i in 1 2 3 4 5 6; do
    "$VIPCTL" -s "$WORK/n1.sock" maintenance on >/dev/null 2>&1 ||
        fail "vipctl maintenance on"
    "$VIPCTL" -s "$WORK/n1.sock" maintenance off >/dev/null 2>&1 ||
        fail "vipctl maintenance off"
done
wait_for 10 has_snap || fail "no snapshot was taken"
kill -TERM "$PID"
wait "$PID"; rc=$?
PID=""
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
snap=$(snaps | tail -n 1)
truncate -s 100 "$WORK/d1/$snap"
t0=$(ms)
# -k: a daemon spinning in libraft ignores SIGTERM.
timeout -k 2 20 ip netns exec "$NS" "$VIPD" -f "$WORK/n1.conf" >"$WORK/restart.out" 2>&1
rc=$?
t1=$(ms)
[ $rc = 1 ] || fail "restart on a truncated snapshot: exit $rc (124, 137: hung), want 1"
grep -q "snapshot .*$snap.*truncated" "$WORK/restart.out" ||
    fail "no clear error: $(tail -n 3 "$WORK/restart.out")"
echo "truncated snapshot: exit 1 in $((t1 - t0)) ms: $(grep -o "snapshot .*truncated[^;]*" "$WORK/restart.out" | head -n 1)"
echo "ok: a truncated snapshot stops start-up with a clear error"
