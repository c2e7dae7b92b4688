#!/bin/bash
# sd_notify through a fake NOTIFY_SOCKET (tests/ops/notify_recv.py binds a
# unix datagram socket, as systemd does for Type=notify units):
# - node 1 of a three-node cluster, started alone, has no quorum: it pings
#   WATCHDOG=1 (WATCHDOG_USEC=300000) but sends no READY=1;
# - once nodes 2 and 3 start and a holder is known: READY=1 with a STATUS=
#   naming the holder;
# - SIGSTOP freezes a follower's loop: no ping for 1 s (over three watchdog
#   periods), which is what makes systemd restart a hung vipd; SIGCONT:
#   the pings resume;
# - SIGTERM: STOPPING=1.
# The unit itself is checked with systemd-analyze verify when available.
. "$(dirname "$0")/ops_lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${VIPD_SRCDIR:-$(cd "$HERE/../.." && pwd)}

ops_setup 3
declare -a RECV=()
trap 'for r in "${RECV[@]}"; do kill "$r" 2>/dev/null; done; ops_cleanup' EXIT
for k in 1 2 3; do
    python3 "$HERE/notify_recv.py" "$WORK/notify$k.sock" "$WORK/notify$k.out" &
    RECV[$k]=$!
done
listening() { grep -q '^listening' "$WORK/notify$1.out" 2>/dev/null; }
for k in 1 2 3; do
    wait_for 10 listening $k || fail "the fake notify socket $k did not start"
done

pings() { grep -c '^WATCHDOG=1' "$WORK/notify$1.out"; }
pings_at_least() { [ "$(pings $1)" -ge "$2" ]; }
got() { grep -q -- "$2" "$WORK/notify$1.out"; }
start() { ops_start $1 NOTIFY_SOCKET="$WORK/notify$1.sock" WATCHDOG_USEC=300000 --; }

start 1
wait_for 10 pings_at_least 1 4 || fail "no WATCHDOG=1 pings: $(cat "$WORK/notify1.out")"
! got 1 'READY=1' || fail "READY=1 without a quorum: $(cat "$WORK/notify1.out")"

start 2; start 3
for k in 1 2 3; do
    wait_for 30 got $k '^READY=1 STATUS=term [0-9]*, holder n[123]' ||
        fail "node $k: no READY=1 naming the holder: $(cat "$WORK/notify$k.out")"
done

# Node 1 has the highest priority: wait until it holds (and leads), then
# freeze node 2, a plain follower.
holder_is() { [ "$(ops_holder)" = "$1" ]; }
wait_for 30 holder_is 1 || fail "node 1 does not hold (holder: $(ops_holder))"
f=2
kill -STOP "${PIDS[$f]}"
# The stop signal is delivered asynchronously: count once it took effect.
stopped() { [ "$(ps -o stat= -p "${PIDS[$f]}" | cut -c1)" = T ]; }
wait_for 5 stopped || fail "SIGSTOP did not take effect"
before=$(pings $f)
t0=$(ms)
while [ $(( $(ms) - t0 )) -lt 1000 ]; do sleep 0.1; done
after=$(pings $f)
[ "$after" = "$before" ] || fail "pings went on while the loop was frozen ($before -> $after)"
kill -CONT "${PIDS[$f]}"
wait_for 10 pings_at_least $f $((after + 2)) || fail "no pings after SIGCONT"

kill -TERM "${PIDS[$f]}"
wait "${PIDS[$f]}" || fail "exit status $? after SIGTERM"
PIDS[$f]=""
got $f '^STOPPING=1' || fail "no STOPPING=1"

if command -v systemd-analyze >/dev/null; then
    # verify wants the unit's binaries to exist: point them at this build.
    mkdir -p "$WORK/unit"
    sed -e "s|/usr/sbin/vipd|$VIPD|g" "$SRC/deploy/vipd.service" >"$WORK/unit/vipd.service"
    # Documentation=man:... is checked with man(1): find this build's pages.
    mkdir -p "$WORK/man/man5" "$WORK/man/man8"
    make -s -C "$BUILD" man/vipd.8 man/vipctl.8 man/vipd.conf.5 >/dev/null
    cp "$BUILD"/man/*.8 "$WORK/man/man8/"; cp "$BUILD"/man/*.5 "$WORK/man/man5/"
    MANPATH=$WORK/man systemd-analyze verify "$WORK/unit/vipd.service" >"$WORK/verify.out" 2>&1
    rv=$?
    if grep -q 'Failed to \(connect\|initialize\|set up\)' "$WORK/verify.out"; then
        echo "note: systemd-analyze verify cannot run here: $(head -2 "$WORK/verify.out")"
    elif [ $rv != 0 ] || [ -s "$WORK/verify.out" ]; then
        # Any complaint counts, also the ones verify only warns about
        # ("Failed to parse ..., ignoring").
        fail "systemd-analyze verify (exit $rv): $(cat "$WORK/verify.out")"
    fi
    grep -q '^Type=notify' "$WORK/unit/vipd.service" || fail "the unit is not Type=notify"
    grep -q '^WatchdogSec=' "$WORK/unit/vipd.service" || fail "the unit has no WatchdogSec"
fi
echo "PASS: READY after quorum and holder, watchdog pings stop when frozen"
