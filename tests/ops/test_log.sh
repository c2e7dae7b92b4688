#!/bin/bash
# Logging sinks and the keepalived-worded state lines (src/log.c):
# - stderr is the journal stream (JOURNAL_STREAM names it, as systemd sets
#   it): every line carries a "<N>" priority prefix and no timestamp; a
#   one-node cluster logs "(VI_1) Entering BACKUP STATE" then "Entering
#   MASTER STATE" at <5> with term and holder, and "Entering FAULT STATE"
#   at <4> with the failing check when its weight-0 check fails, then
#   MASTER again when it recovers;
# - --log-console under the same JOURNAL_STREAM: timestamps, no prefixes;
#   JOURNAL_STREAM naming another file: console format too;
# - --log-facility local3: syslog datagrams with facility local3 (a fake
#   /dev/log in a private mount namespace), nothing on stderr;
# - a bad --log-facility is refused with exit 2.
. "$(dirname "$0")/ops_lib.sh"

OPS_TOP_EXTRA='global_defs { script_user root }
vrrp_script chk_ok {
    script "/bin/test -e @W@/ok"
    interval 1
    fall 1
    rise 1
    weight 0
}'
OPS_INSTANCE_EXTRA='    track_script { chk_ok }'
touch "$WORK/ok"
ops_setup 1
# router_id comes from the first global_defs; a second one only adds.
: >"$WORK/log1"
js=$(stat -c '%d:%i' "$WORK/log1")
ops_start 1 "JOURNAL_STREAM=$js" --

has() { grep -Eq -- "$1" "$WORK/log1"; }
wait_for 20 has '^<5>n1:. \(VI_1\) Entering BACKUP STATE \(term [0-9]+, ' ||
    fail "no BACKUP line with a <5> prefix"
wait_for 20 has '^<5>n1:. \(VI_1\) Entering MASTER STATE \(term [1-9][0-9]*, holder n1, ' ||
    fail "no MASTER line with term and holder"
wait_for 10 ops_has_vip 1 || fail "the VIP was not added"
rm -f "$WORK/ok"
wait_for 20 has '^<4>n1:. \(VI_1\) Entering FAULT STATE \(term [0-9]+, holder .*not eligible: fault.*chk_ok' ||
    fail "no FAULT line at <4> naming chk_ok"
touch "$WORK/ok"
n_master() { grep -c 'Entering MASTER STATE' "$WORK/log1"; }
two_masters() { [ "$(n_master)" -ge 2 ]; }
wait_for 20 two_masters || fail "no MASTER line after the check recovered"
bad=$(grep -Ev '^<[0-7]>n[0-9]+:[-LFC] ' "$WORK/log1" | head -3)
[ -z "$bad" ] || fail "lines without a priority prefix: $bad"
kill -TERM "${PIDS[1]}"
wait "${PIDS[1]}" || fail "exit status $? after SIGTERM"
PIDS[1]=""

# --log-console: timestamps even though stderr is the journal stream.
mv "$WORK/log1" "$WORK/log1.journal"
: >"$WORK/log1"
js=$(stat -c '%d:%i' "$WORK/log1")
ops_start 1 "JOURNAL_STREAM=$js" -- --log-console
wait_for 20 has '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} vipd\[[0-9]+\] n1:. notice +\(VI_1\) Entering MASTER STATE' ||
    fail "--log-console: no timestamped MASTER line"
! has '^<[0-7]>' || fail "--log-console: priority prefixes"
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}"; PIDS[1]=""

# A JOURNAL_STREAM inherited from a parent, stderr elsewhere: console.
mv "$WORK/log1" "$WORK/log1.console"
: >"$WORK/log1"
ops_start 1 "JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/log1.console")" --
wait_for 20 has 'notice +\(VI_1\) Entering MASTER STATE' ||
    fail "foreign JOURNAL_STREAM: no console MASTER line"
! has '^<[0-7]>' || fail "foreign JOURNAL_STREAM: priority prefixes"
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}"; PIDS[1]=""

# --log-facility local3: syslog(3) datagrams to /dev/log with PRI 19*8+N.
# /dev/log is this test's socket (tests/ops/syslog_recv.py), bind-mounted
# in a private mount namespace (tmpfs /dev with null and urandom only).
if command -v unshare >/dev/null && command -v python3 >/dev/null; then
    HERE=$(cd "$(dirname "$0")" && pwd)
    python3 "$HERE/syslog_recv.py" "$WORK/syslog.sock" "$WORK/syslog.out" &
    RECV=$!
    trap 'kill "$RECV" 2>/dev/null; ops_cleanup' EXIT
    listening() { grep -q '^listening' "$WORK/syslog.out" 2>/dev/null; }
    wait_for 10 listening || fail "syslog receiver did not start"
    unshare -m bash -c 'mount --make-rprivate / && mount -t tmpfs none /dev &&
        mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/urandom c 1 9 &&
        touch /dev/log && mount --bind "$1" /dev/log &&
        exec ip netns exec "$2" "$3" -f "$4" --log-facility local3' _ \
        "$WORK/syslog.sock" ${PFX}n1 "$VIPD" "$WORK/n1.conf" >"$WORK/log1.syslog" 2>&1 &
    PIDS[1]=$!
    slog() { grep -Eq -- "$1" "$WORK/syslog.out"; }
    wait_for 20 slog '^<157>.* vipd\[[0-9]+\]: n1:. \(VI_1\) Entering MASTER STATE \(term' ||
        fail "syslog: no local3.notice MASTER line: $(tail -3 "$WORK/syslog.out") $(cat "$WORK/log1.syslog")"
    slog '^<158>.* vipd\[[0-9]+\]: n1:. ' || fail "syslog: no local3.info line"
    [ ! -s "$WORK/log1.syslog" ] || fail "syslog: output on stderr: $(head -3 "$WORK/log1.syslog")"
    kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" || fail "syslog run: exit $?"; PIDS[1]=""
fi

"$VIPD" --log-facility nope -t -f "$WORK/n1.conf" >"$WORK/fac.out" 2>&1
rv=$?
[ $rv = 2 ] || fail "bad --log-facility: exit $rv, expected 2"
grep -q "unknown syslog facility 'nope'" "$WORK/fac.out" || fail "bad facility message: $(cat "$WORK/fac.out")"
echo "PASS: journal priorities, console format, keepalived state lines"
