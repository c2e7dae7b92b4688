#!/bin/bash
# tests/mutations/run.sh LIST [NAME-SUBSTRING]: apply each deliberate break
# of LIST (format: see tests/mutations/fence.list) to a copy of the tree,
# rebuild incrementally, run the entry's tests and expect a failure. Prints
# "caught" or "MISSED" per entry; exits 1 if any was missed. Not part of
# make check (one rebuild and test run per entry). Needs root for netns
# tests. MUT_DIR keeps and reuses the copy (default: a temp dir).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
list=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
only=${2:-}
work=${MUT_DIR:-$(mktemp -d /tmp/vipd-mut.XXXXXX)}
mkdir -p "$work/src"
# A copy of the tracked files, plus the working tree's changes.
(cd "$top" && git ls-files -z | xargs -0 tar -cf - --no-recursion) |
    tar -xf - -C "$work/src" || exit 1
build=$("$work/src/scripts/build.sh" mut) || exit 1
missed=0
python3 - "$list" <<'PY' >"$work/entries" || exit 1
import sys, json
entries, cur, mode = [], None, None
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("== "):
        cur = {"name": line[3:], "orig": [], "repl": []}; entries.append(cur); mode = None
    elif cur is None or (mode is None and line.startswith("#")):
        continue
    elif mode is None and line.startswith("file: "):
        cur["file"] = line[6:]
    elif mode is None and line.startswith("tests: "):
        cur["tests"] = line[7:]
    elif line == "--- original":
        mode = "orig"
    elif line == "+++ replacement":
        mode = "repl"
    elif mode:
        cur[mode].append(line)
for e in entries:
    for k in ("orig", "repl"):
        while e[k] and e[k][-1] == "":
            e[k].pop()
        e[k] = "\n".join(e[k])
    print(json.dumps(e))
PY
while IFS= read -r entry; do
    name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$entry")
    [ -z "$only" ] || [[ "$name" == *"$only"* ]] || continue
    file=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["file"])' "$entry")
    tests=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["tests"])' "$entry")
    cp "$work/src/$file" "$work/orig"
    if ! python3 - "$entry" "$work/src/$file" <<'PY'; then
import json, sys
e = json.loads(sys.argv[1]); path = sys.argv[2]
s = open(path).read()
if s.count(e["orig"]) != 1:
    sys.exit("snippet found %d times in %s" % (s.count(e["orig"]), path))
open(path, "w").write(s.replace(e["orig"], e["repl"]))
PY
        echo "STALE  $name: original text not found once in $file"
        missed=1
        continue
    fi
    if ! make -s -C "$build" -j2 >"$work/make.log" 2>&1; then
        echo "caught $name (does not build)"
    elif make -s -C "$build" check TESTS="$tests" >"$work/check.log" 2>&1; then
        echo "MISSED $name: $tests passed"
        missed=1
    else
        echo "caught $name: $(grep -h '^FAIL' "$work/check.log" | tr '\n' ' ')"
    fi
    cp "$work/orig" "$work/src/$file"
done <"$work/entries"
make -s -C "$build" -j2 >/dev/null 2>&1
[ -n "${MUT_DIR:-}" ] || rm -rf "$work"
exit $missed
