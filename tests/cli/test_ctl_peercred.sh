#!/bin/bash
# The control socket checks its clients' credentials (SO_PEERCRED), not
# only the socket file's mode: a non-root caller is refused with a clear
# message, logged, and its request never reaches the handler; a member of
# the configured control group (primary or supplementary) is let in.
# Needs root and setpriv (util-linux) to act as nobody; else skipped (77).
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
VIPCTL=$B/vipctl
FAKE=$B/tests/lib/fake_daemon
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: no setpriv"; exit 77; }
getent group nogroup >/dev/null || { echo "skip: no group nogroup"; exit 77; }
nobody=$(id -u nobody 2>/dev/null) || { echo "skip: no user nobody"; exit 77; }
nogroup=$(getent group nogroup | cut -d: -f3)
# nobody must be able to run the build's vipctl.
setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups "$VIPCTL" --version \
    >/dev/null 2>&1 || { echo "skip: nobody cannot run $VIPCTL"; exit 77; }

T=$(mktemp -d /tmp/vc-cred.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

start_fake() { # NAME [options]
    local name=$1; shift
    "$FAKE" -s "$T/$name/vipd.sock" -r "$T/$name.rec" -R "$T/$name.ready" "$@" \
        2>"$T/$name.log" &
    pids+=($!)
    for _ in $(seq 100); do
        [ -e "$T/$name.ready" ] && return 0
        sleep 0.05
    done
    echo "fake_daemon $name did not start"; cat "$T/$name.log"; exit 1
}
as() { # UID GID [setpriv group option] -- vipctl args; status in $rc
    local uid=$1 gid=$2 groups=$3; shift 3
    setpriv --reuid="$uid" --regid="$gid" $groups "$VIPCTL" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
requests() { [ -f "$T/$1.rec" ] && wc -l <"$T/$1.rec" || echo 0; }

# 1. Root only, but the file opened to everyone (mode 0666): only the
#    SO_PEERCRED check stands between nobody and the daemon.
start_fake open --mode 0666
S=$T/open/vipd.sock
[ "$(stat -c %a "$T/open")" = 755 ] || bad "socket dir mode $(stat -c %a "$T/open")"
as "$nobody" "$nogroup" --clear-groups -s "$S" maintenance on
if [ $rc = 1 ] && grep -q "permission denied: uid $nobody is not root" "$T/err"; then
    ok "nobody refused by SO_PEERCRED"
else
    bad "nobody: exit $rc"; cat "$T/out" "$T/err"
fi
[ "$(requests open)" = 0 ] || bad "a refused request reached the handler"
grep -q "refused pid [0-9]* uid $nobody" "$T/open.log" && ok "refusal logged" ||
    { bad "refusal not logged"; cat "$T/open.log"; }
"$VIPCTL" -s "$S" status >/dev/null; [ $? = 0 ] && ok "root still served" || bad "root refused"

# 2. Default mode 0600: nobody cannot even connect (exit 4, clear message).
start_fake closed
[ "$(stat -c %a "$T/closed/vipd.sock")" = 600 ] || bad "default socket mode"
as "$nobody" "$nogroup" --clear-groups -s "$T/closed/vipd.sock" status
[ $rc = 4 ] && grep -q "Permission denied" "$T/err" && ok "0600 keeps nobody out" ||
    { bad "0600: exit $rc"; cat "$T/err"; }

# 3. control_group nogroup: mode 0660, group-owned; members get in, by
#    primary or supplementary group; others are refused by SO_PEERCRED
#    even when the file mode would let them in.
start_fake grp --group nogroup
G=$T/grp/vipd.sock
[ "$(stat -c '%a %g' "$G")" = "660 $nogroup" ] || bad "group socket: $(stat -c '%a %g' "$G")"
as "$nobody" "$nogroup" --clear-groups -s "$G" maintenance on
[ $rc = 0 ] && ok "primary group member served" || { bad "primary group: exit $rc"; cat "$T/err"; }
as "$nobody" 100 --groups="$nogroup" -s "$G" status
[ $rc = 0 ] && ok "supplementary group member served" || { bad "supplementary: exit $rc"; cat "$T/err"; }
grep -q '"uid":'"$nobody" "$T/grp.rec" || bad "group member's uid not recorded"

start_fake grpopen --group nogroup --mode 0666
as "$nobody" 100 --clear-groups -s "$T/grpopen/vipd.sock" status
if [ $rc = 1 ] && grep -q "not root and not in group nogroup" "$T/err"; then
    ok "non-member refused by SO_PEERCRED"
else
    bad "non-member: exit $rc"; cat "$T/err"
fi
[ "$(requests grpopen)" = 0 ] || bad "a non-member's request reached the handler"
exit $fail
