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

"$VIPD" --log-facility nope -t -f "$WORK/n1.conf" >"$WORK/fac.out" 2>&1
rv=$?
[ $rv = 2 ] || fail "bad --log-facility: exit $rv, expected 2"
grep -q "unknown syslog facility 'nope'" "$WORK/fac.out" || fail "bad facility message: $(cat "$WORK/fac.out")"
echo "PASS: journal priorities, console format, keepalived state lines"
