#!/bin/bash
# vipctl end to end against tests/lib/fake_daemon (the real control socket
# server with canned answers): every command, its output and exit status,
# --json validated, the requests the daemon received, bad arguments, a
# missing socket, raw protocol abuse, colours, and a clean daemon exit.
set -u
B=${VIPD_BUILDDIR:-.}
VIPCTL=$B/vipctl
FAKE=$B/tests/lib/fake_daemon
export TZ=UTC
unset VIPD_SOCKET NO_COLOR
T=$(mktemp -d /tmp/vc-vipctl.XXXXXX)
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

# start_fake NAME [fake options...]: socket $T/NAME.sock, record $T/NAME.rec
start_fake() {
    local name=$1; shift
    "$FAKE" -s "$T/$name.sock" -r "$T/$name.rec" -R "$T/$name.ready" "$@" \
        2>"$T/$name.log" &
    pids+=($!)
    eval "pid_$name=$!"
    for _ in $(seq 100); do
        [ -e "$T/$name.ready" ] && return 0
        sleep 0.05
    done
    echo "fake_daemon $name did not start"; cat "$T/$name.log"; exit 1
}

# run WANT-STATUS DESCRIPTION vipctl-args...: output in $T/out, $T/err
run() {
    local want=$1 what=$2; shift 2
    "$VIPCTL" "$@" >"$T/out" 2>"$T/err"; local got=$?
    if [ "$got" != "$want" ]; then
        bad "$what: exit $got, want $want"; sed 's/^/  | /' "$T/out" "$T/err"
        return 1
    fi
    ok "$what"
}
has() { grep -q -- "$1" "$2" || { bad "$3: '$1' not in $2"; sed 's/^/  | /' "$2"; }; }
# last_record: the last request the fake received, as compact JSON
last_record() { tail -n 1 "$T/$1.rec"; }
rec_is() { # NAME EXPECTED-JSON DESCRIPTION
    python3 - "$(last_record "$1")" "$2" <<'EOF' || bad "$3: recorded $(last_record "$1")"
import json, sys
got = json.loads(sys.argv[1]); want = json.loads(sys.argv[2])
sys.exit(0 if {k: got[k] for k in ("cmd", "args")} == want else 1)
EOF
}
fits() { # FILE DESCRIPTION: no line over 100 columns, no escape codes
    local w; w=$(awk '{ if (length($0) > m) m = length($0) } END { print m+0 }' "$1")
    [ "$w" -le 100 ] || bad "$2: a line is $w columns wide"
    if grep -q $'\033' "$1"; then bad "$2: colour codes without a tty"; fi
}

start_fake a
S=$T/a.sock

# ---- status ----
run 0 "status on the holder exits 0" -s "$S" status
has "holds the VIPs" "$T/out" "status"
has "^ID  NAME  ADDRESS" "$T/out" "status nodes header"
has "10.0.0.12:5405" "$T/out" "status address"
has "chk_haproxy" "$T/out" "status checks"
has "VI_1      n1 (1)  2025-11-21 12:00:05" "$T/out" "status instance row"
has "vips: 10.0.0.100/24 fd00::100/64" "$T/out" "status vips"
fits "$T/out" "status"

run 0 "status --json" -s "$S" status --json
python3 -m json.tool "$T/out" >/dev/null || bad "status --json is not JSON"
python3 - "$T/out" <<'EOF' || bad "status --json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == 1 and s["holds"] is True and s["node_id"] == 1
assert s["leader_id"] == 1 and len(s["nodes"]) == 3
n = s["nodes"][1]
assert (n["name"], n["role"], n["member"], n["applied_index"]) == ("n2", "follower", "voter", 119)
assert s["nodes"][2]["reachable"] is False
assert s["nodes"][2]["checks"][0] == {"name": "chk_haproxy", "state": "fail", "value": 0, "changed_ms": 1763726402000}
assert s["nodes"][2]["priorities"][0] == {"instance": "VI_1", "priority": 60, "eligible": False}
i = s["instances"][0]
assert i["holder"] == 1 and i["vips"] == ["10.0.0.100/24", "fd00::100/64"] and i["since_ms"] == 1763726405000
assert "became leader" in i["reason"]
EOF
if command -v jq >/dev/null; then
    [ "$(jq -r '.instances[0].holder' "$T/out")" = 1 ] || bad "jq holder"
fi

# The socket from --socket=, from VIPD_SOCKET, and -s over VIPD_SOCKET.
run 0 "--socket=PATH" --socket="$S" status
VIPD_SOCKET=$S run 0 "VIPD_SOCKET" status
VIPD_SOCKET=$T/nowhere.sock run 0 "-s overrides VIPD_SOCKET" -s "$S" status

start_fake b --not-holder
run 3 "status on a non-holder exits 3" -s "$T/b.sock" status
has "does not hold the VIPs" "$T/out" "status non-holder"
run 3 "status --json on a non-holder exits 3" -s "$T/b.sock" status --json
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["holds"] is False and s["node_id"]==2 else 1)' \
    "$T/out" || bad "non-holder json"
run 1 "not the leader: the error names the leader" -s "$T/b.sock" transfer n2
has "vipctl transfer: this node is not the leader (the leader is n1 (10.0.0.11:5405))" \
    "$T/err" "ENOTLEADER names the leader"

# ---- join ----
run 0 "join shows progress" -s "$S" join 10.0.0.11:5405
printf '%s\n' "contacting 10.0.0.11:5405" "added as spare, catching up the log" \
    "promoted to voter" "joined the cluster through 10.0.0.11:5405 as node 4" >"$T/want"
diff -u "$T/want" "$T/out" || bad "join progress lines"
rec_is a '{"cmd":"join","args":{"peer":"10.0.0.11:5405"}}' "join request"
run 1 "join with a wrong key" -s "$S" join bad-key
has "vipctl join: bad-key rejected our cluster key" "$T/err" "join wrong key"
has "contacting bad-key" "$T/out" "join progress before the error"
run 1 "join an unreachable peer" -s "$S" join unreachable
has "no answer from unreachable" "$T/err" "join unreachable"
run 2 "join without PEER" -s "$S" join
run 2 "join with two peers" -s "$S" join a b
run 2 "join with an empty peer" -s "$S" join ""

# ---- leave / remove ----
run 1 "leave refuses to break quorum" -s "$S" leave
has "break quorum" "$T/err" "leave"
rec_is a '{"cmd":"leave","args":{"force":false}}' "leave request"
run 0 "leave --force" -s "$S" leave --force
has "left the cluster" "$T/out" "leave --force"
rec_is a '{"cmd":"leave","args":{"force":true}}' "leave --force request"
run 0 "remove a dead node" -s "$S" remove 3
has "removed node 3" "$T/out" "remove 3"
rec_is a '{"cmd":"remove","args":{"node":"3","force":false}}' "remove request"
run 1 "remove a reachable node" -s "$S" remove n2
has "reachable" "$T/err" "remove n2"
run 0 "remove --force" -s "$S" remove --force n2
rec_is a '{"cmd":"remove","args":{"node":"n2","force":true}}' "remove --force request"
run 1 "remove an unknown node" -s "$S" remove nobody
has "no node 'nobody'" "$T/err" "remove nobody"
run 2 "remove without NODE" -s "$S" remove
run 2 "remove with an unknown option" -s "$S" remove 3 --bogus
has "unknown option '--bogus'" "$T/err" "remove --bogus"

# ---- transfer / maintenance ----
run 0 "transfer" -s "$S" transfer
rec_is a '{"cmd":"transfer","args":{}}' "transfer request"
run 0 "transfer NODE" -s "$S" transfer n2
has "to node 2" "$T/out" "transfer n2"
rec_is a '{"cmd":"transfer","args":{"node":"n2"}}' "transfer n2 request"
run 1 "transfer to an unreachable node" -s "$S" transfer 3
run 2 "transfer with three arguments" -s "$S" transfer VI_1 2 3
has "unexpected argument '3'" "$T/err" "transfer with three arguments"
run 2 "transfer with an empty instance" -s "$S" transfer "" n2
run 0 "maintenance on" -s "$S" maintenance on
rec_is a '{"cmd":"maintenance","args":{"on":true}}' "maintenance on request"
run 0 "maintenance off" -s "$S" maintenance off
rec_is a '{"cmd":"maintenance","args":{"on":false}}' "maintenance off request"
run 2 "maintenance without on|off" -s "$S" maintenance
run 2 "maintenance maybe" -s "$S" maintenance maybe
has "expected 'on' or 'off'" "$T/err" "maintenance maybe"

# ---- events ----
run 0 "events" -s "$S" events
[ "$(wc -l <"$T/out")" = 6 ] || bad "events: want header + 5 rows"
has "^TIME  *TERM  *INDEX  KIND" "$T/out" "events header"
has "2025-11-21 12:00:02       7         2  holder       1     VI_1: holder n1" "$T/out" "events row"
fits "$T/out" "events"
run 0 "events --json" -s "$S" events --json
python3 - "$T/out" 5 <<'EOF' || bad "events --json lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == int(sys.argv[2])
evs = [json.loads(l) for l in lines]
assert [e["index"] for e in evs] == sorted(e["index"] for e in evs)
for e in evs:
    assert set(e) >= {"kind", "term", "index", "time_ms", "node", "text"}
EOF
# The fake streams the backlog, two new events, then closes: like a daemon
# that stops while someone follows.
run 1 "events --follow until the daemon closes" -s "$S" events --follow
[ "$(wc -l <"$T/out")" = 8 ] || bad "events --follow: want header + 7 rows"
has "closed the connection" "$T/err" "events --follow end"
run 1 "events --follow --json" -s "$S" events -f --json
python3 - "$T/out" 7 <<'EOF' || bad "events --follow --json lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == int(sys.argv[2]), len(lines)
idx = [json.loads(l)["index"] for l in lines]
assert idx == list(range(1, 8)), idx
EOF

# ---- one holder per unit (dual master): status, transfer, events ----
start_fake u --units
U=$T/u.sock
run 3 "units: status exits 3 when only some instances are held" -s "$U" status
has "holds 1 of 3 instances" "$T/out" "units: summary"
has "^INSTANCE  UNIT  HOLDER  HERE  TERM  SINCE  *REASON" "$T/out" "units: header"
has "^VI_1      VI_1  n1 (1)  yes      7  2025-11-21 12:00:05  leader" "$T/out" "units: VI_1 row"
has "^VI_2      VG    n2 (2)  -        7  2025-11-21 12:00:06  granted" "$T/out" "units: VI_2 row"
fits "$T/out" "units: status"
run 3 "units: status --json" -s "$U" status --json
python3 - "$T/out" <<'EOF2' || bad "units: status --json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["holds"] is False
got = [(i["name"], i["unit"], i["holder"], i["term"], i["holds"], i["reason"])
       for i in s["instances"]]
assert got == [("VI_1", "VI_1", 1, 7, True, "leader"),
               ("VI_2", "VG", 2, 7, False, "granted"),
               ("VI_3", "VG", 2, 7, False, "granted")], got
EOF2
run 0 "transfer INSTANCE NODE" -s "$U" transfer VI_1 n2
has "^switchover of VI_1 requested$" "$T/out" "transfer VI_1 n2"
rec_is u '{"cmd":"transfer","args":{"instance":"VI_1","node":"n2"}}' "transfer VI_1 n2 request"
run 0 "transfer an instance of a sync group" -s "$U" transfer VI_3 1
has "sync group VG moves as a whole (VI_2, VI_3)" "$T/out" "transfer VI_3 says the group moves"
run 1 "transfer an unknown instance" -s "$U" transfer VI_9 n2
has "vipctl transfer: no instance named 'VI_9' (instances: VI_1, VI_2, VI_3)" \
    "$T/err" "transfer VI_9 lists the instances"
run 1 "transfer an instance to an unknown node" -s "$U" transfer VI_1 nobody
run 0 "units: events" -s "$U" events
has "holder       2     n2 holds VI_2, VI_3 (unit VG; was n1)" "$T/out" "units: holder event names the unit"
run 0 "units: events --json" -s "$U" events --json
python3 - "$T/out" <<'EOF2' || bad "units: events --json unit"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
h = [e for e in evs if e["kind"] == "holder"]
assert h and all(e["unit"] == "VG" for e in h), h
assert all("unit" not in e for e in evs if e["kind"] != "holder")
EOF2

# ---- help, usage errors, connection errors ----
for c in status join leave remove transfer maintenance events; do
    run 0 "$c --help" "$c" --help && has "^Usage: vipctl $c" "$T/out" "$c --help"
done
run 0 "--help" --help
run 0 "--version" --version
run 2 "no command" -s "$S"
run 2 "unknown command" -s "$S" frobnicate
has "unknown command 'frobnicate'" "$T/err" "unknown command"
run 2 "unknown global option" --frob status
run 2 "-s without a path" -s
run 2 "status with an argument" -s "$S" status extra
run 4 "missing socket" -s "$T/none/vipd.sock" status
has "cannot connect to vipd at $T/none/vipd.sock" "$T/err" "missing socket names the path"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/dead.sock"
run 4 "socket nobody listens on" -s "$T/dead.sock" join x
has "Connection refused" "$T/err" "dead socket"
VIPD_SOCKET=$T/none.sock run 4 "VIPD_SOCKET missing" events
has "$T/none.sock" "$T/err" "VIPD_SOCKET path named"

# ---- long names still fit 100 columns ----
start_fake long --long
run 0 "status with long names" -s "$T/long.sock" status
fits "$T/out" "status --long"
has "~" "$T/out" "long names are cut"
has "4000000001" "$T/out" "ids are never cut"
# Events are cut to the terminal's width, never when piped (grep, less).
run 0 "events with long text, piped" -s "$T/long.sock" events
grep -q "~" "$T/out" && bad "piped events were cut"
[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/out")" -gt 100 ] ||
    bad "piped events: the long text is not whole"
if command -v script >/dev/null; then
    NO_COLOR=1 script -qec "stty cols 100; $VIPCTL -s $T/long.sock events" /dev/null |
        tr -d '\r' >"$T/tty-events"
    fits "$T/tty-events" "events --long on a 100-column terminal"
    has "~" "$T/tty-events" "events cut on a terminal"
fi

# ---- colours: only on a terminal, never with NO_COLOR ----
if command -v script >/dev/null; then
    script -qec "$VIPCTL -s $S status" /dev/null >"$T/tty" 2>&1
    grep -q $'\033\\[' "$T/tty" && ok "colours on a tty" || bad "no colours on a tty"
    NO_COLOR=1 script -qec "$VIPCTL -s $S status" /dev/null >"$T/tty" 2>&1
    grep -q $'\033\\[' "$T/tty" && bad "colours despite NO_COLOR" || ok "NO_COLOR respected"
fi

# ---- raw protocol abuse: error replies, the daemon survives ----
python3 - "$S" <<'EOF' || bad "raw protocol"
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
    return s, s.makefile("rb")
s, f = conn()
for line, code in [(b"garbage\n", -71), (b'{"cmd":"frob"}\n', -22),
                   (b'{"cmd":"status","args":{"x":1}}\n', -22),
                   (b'{"cmd":"st\x00atus"}\n', -71), (b'["status"]\n', -71)]:
    s.sendall(line)
    r = json.loads(f.readline())
    assert r["ok"] is False and r["code"] == code and r["error"], (line, r)
s.sendall(b'{"cmd":"status"}\n')
assert json.loads(f.readline())["ok"] is True
s.close()
s, f = conn()
s.sendall(b"x" * 70000)
r = json.loads(f.readline())
assert r["ok"] is False and r["code"] == -34 and "longer than" in r["error"], r
assert f.readline() == b""   # then end of file
s.close()
s, f = conn()                 # mid-request disconnect: the fake cancels
s.sendall(b'{"cmd":"join","args":{"peer":"slow"}}\n'); s.close()
EOF
run 0 "daemon alive after abuse" -s "$S" status
for _ in $(seq 50); do grep -q "request cancelled" "$T/a.log" && break; sleep 0.05; done
has "request cancelled" "$T/a.log" "disconnect mid-request cancels"

# ---- bash completion (deploy/vipctl.bash-completion) ----
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
complete_words() { # socket words...: the completions for the last word
    PATH=$B:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1)); _vipctl; echo "${COMPREPLY[*]}"' _ \
        "$SRC/deploy/vipctl.bash-completion" "$@"
}
[ "$(complete_words vipctl ma)" = maintenance ] || bad "completion: commands"
[ "$(complete_words vipctl events --f)" = --follow ] || bad "completion: options"
got=$(complete_words vipctl -s "$S" remove "")
[ "$got" = "n1 1 n2 2 n3 3" ] && ok "completion: node names from the daemon" ||
    bad "completion: nodes '$got'"
got=$(complete_words vipctl -s "$T/u.sock" transfer "")
[ "$got" = "n1 1 n2 2 n3 3 VI_1 VI_2 VI_3" ] && ok "completion: transfer INSTANCE or NODE" ||
    bad "completion: transfer first word '$got'"
got=$(complete_words vipctl -s "$T/u.sock" transfer VI_2 "")
[ "$got" = "n1 1 n2 2 n3 3" ] && ok "completion: transfer INSTANCE NODE" ||
    bad "completion: transfer second word '$got'"

# ---- clean exit: uv_loop_close() == 0, socket removed ----
kill -TERM "$pid_a"; wait "$pid_a"; st=$?
[ $st = 0 ] && ok "fake_daemon exits cleanly" || { bad "fake_daemon exit $st"; cat "$T/a.log"; }
[ -e "$S" ] && bad "socket file left behind"
has "clean exit" "$T/a.log" "fake_daemon clean exit"
exit $fail
