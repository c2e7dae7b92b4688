#!/bin/bash
# Mutation check: does the suite catch deliberate breaks?
#
# Usage: scripts/mutation-check.sh [-n] [-b BREAK]... [LIST...]
#   LIST   break lists (default: tests/mutations/*.list; format in
#          tests/mutations/README)
#   -b     run only the named break(s)
#   -n     skip the baseline run (the named tests on the unbroken copy)
#
# The working tree (committed or not, build dirs excluded) is copied to a
# scratch directory and configured once there (plain build, no
# sanitizers). First the baseline: every named test must PASS on the
# unbroken copy, or nothing below would mean anything. Then for each
# break: the original snippet is replaced (it must occur exactly once in
# the file, else the list is reported stale), the copy is rebuilt (only
# what changed), the break's tests run through `make check TESTS=...`,
# and the file is restored. A break is "caught" when a test FAILS; a
# skipped or passing test means "MISSED", a break that does not compile
# is "NOBUILD". Prints a table; exits 0 only if every break is caught.
#
# Not part of `make check` (minutes per break): run it by hand before
# resolving an issue that touches the core or its glue. Needs root for the
# namespace tests, like the suite. MUT_WORK=DIR reuses (and keeps) a
# scratch directory between runs; only changed files are rebuilt.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$top" "$@" <<'PY'
import getopt, os, shutil, subprocess, sys, tempfile, time

top = sys.argv[1]
try:
    opts, lists = getopt.getopt(sys.argv[2:], "nb:")
except getopt.GetoptError as e:
    sys.exit("mutation-check: %s" % e)
only = [v for k, v in opts if k == "-b"]
baseline = ("-n", "") not in opts
if not lists:
    d = os.path.join(top, "tests/mutations")
    lists = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".list"))


def parse(path):
    """Blocks: 'break NAME', 'file PATH', 'test TEST...', then the original
    between '<<<' and '===' and the replacement between '===' and '>>>'."""
    breaks, cur, mode, buf = [], None, None, []
    for no, line in enumerate(open(path).read().split("\n"), 1):
        where = "%s:%d" % (path, no)
        if mode in ("orig", "repl"):
            if line == "===" and mode == "orig":
                cur["orig"], buf, mode = "\n".join(buf), [], "repl"
            elif line == ">>>" and mode == "repl":
                cur["repl"], buf, mode = "\n".join(buf), [], None
                breaks.append(cur)
                cur = None
            else:
                buf.append(line)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        key, _, val = line.partition(" ")
        if key == "break":
            if cur is not None:
                sys.exit("%s: break %s has no snippet" % (where, cur["name"]))
            cur = {"name": val.strip(), "where": where, "list": path,
                   "file": None, "tests": []}
        elif cur is None:
            sys.exit("%s: '%s' outside a break" % (where, key))
        elif key == "file":
            cur["file"] = val.strip()
        elif key == "test":
            cur["tests"] += val.split()
        elif key == "<<<":
            if not cur["file"] or not cur["tests"]:
                sys.exit("%s: break %s needs 'file' and 'test'" % (where, cur["name"]))
            mode, buf = "orig", []
        else:
            sys.exit("%s: unknown keyword '%s'" % (where, key))
    if mode is not None or cur is not None:
        sys.exit("%s: unterminated break" % path)
    return breaks


breaks = []
for l in lists:
    breaks += parse(l)
if only:
    breaks = [b for b in breaks if b["name"] in only]
    if not breaks:
        sys.exit("mutation-check: no break named %s" % " ".join(only))
names = [b["name"] for b in breaks]
dup = sorted({n for n in names if names.count(n) > 1})
if dup:
    sys.exit("mutation-check: duplicate break names: %s" % " ".join(dup))

# Stale snippets are reported against the real tree, before any build.
stale = []
for b in breaks:
    try:
        text = open(os.path.join(top, b["file"])).read()
    except OSError as e:
        stale.append("%s (%s): %s" % (b["name"], b["where"], e))
        continue
    n = text.count(b["orig"])
    if n != 1:
        stale.append("%s (%s): original snippet found %d times in %s"
                     % (b["name"], b["where"], n, b["file"]))
if stale:
    print("mutation-check: stale list(s), update the snippets:")
    for s in stale:
        print("  " + s)
    sys.exit(2)


def sync(src, dst):
    """Copy the source tree (no build dirs, no .git) into dst, writing only
    files whose content differs, so make rebuilds only what changed."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = [d for d in dirs if not (rel == "." and d in ("build", ".git"))
                   and d != "autom4te.cache"]
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            s, d = os.path.join(root, f), os.path.join(dst, rel, f)
            if os.path.islink(s) or (rel == "." and f == ".git"):
                continue
            try:
                with open(s, "rb") as a, open(d, "rb") as b2:
                    if a.read() == b2.read():
                        continue
            except OSError:
                pass
            shutil.copy2(s, d)


work = os.environ.get("MUT_WORK")
keep = work is not None
if not work:
    work = tempfile.mkdtemp(prefix="vipd-mutation.")
src, bld = os.path.join(work, "src"), os.path.join(work, "build")
os.makedirs(bld, exist_ok=True)
sync(top, src)
for f in ("config.status", "config.h", "Makefile"):
    if os.path.exists(os.path.join(src, f)):
        sys.exit("mutation-check: %s is configured in place; run make distclean" % top)
log = open(os.path.join(work, "mutation.log"), "a")
print("mutation-check: copy in %s, log in %s" % (work, log.name), flush=True)


def run(cmd, cwd):
    log.write("\n$ %s\n" % cmd)
    log.flush()
    return subprocess.call(cmd, shell=True, cwd=cwd, stdout=log, stderr=log)


if not os.path.exists(os.path.join(bld, "config.status")):
    if run("%s/configure -q" % src, bld) != 0:
        sys.exit("mutation-check: configure failed (see %s)" % log.name)


def build():
    return run("make -j2 all && make -j2 check TESTS=", bld) == 0


def base(t):
    """The harness's name for a test's .log/.trs: the test without its
    registered extension (TEST_EXTENSIONS = .sh in Makefile.am)."""
    return t[:-3] if t.endswith(".sh") else t


def results(tests):
    """Per test: PASS, FAIL, SKIP, ... from the automake .trs files."""
    out = {}
    for t in tests:
        trs = os.path.join(bld, base(t) + ".trs")
        res = "NORUN"
        try:
            for line in open(trs):
                if line.startswith(":test-result:"):
                    res = line.split()[1]
        except OSError:
            pass
        out[t] = res
    return out


def check(tests):
    for t in tests:
        for ext in (".trs", ".log"):
            try:
                os.unlink(os.path.join(bld, base(t) + ext))
            except OSError:
                pass
    run("make check TESTS='%s'" % " ".join(tests), bld)
    for t in tests:
        try:
            lines = open(os.path.join(bld, base(t) + ".log"), errors="replace").readlines()
        except OSError:
            continue
        log.write("---- %s (last lines)\n%s" % (t, "".join(lines[-25:])))
    return results(tests)


def reason(tests):
    """The first FAIL line of the failed tests' logs: why it was caught."""
    for t in tests:
        try:
            for line in open(os.path.join(bld, base(t) + ".log"), errors="replace"):
                if line.startswith("FAIL") or "FAILED" in line or "Failure!" in line:
                    return line.strip()[:90]
        except OSError:
            pass
    return ""


if not build():
    sys.exit("mutation-check: the unbroken copy does not build (see %s)" % log.name)
if baseline:
    tests = sorted({t for b in breaks for t in b["tests"]})
    print("baseline: %s" % " ".join(tests), flush=True)
    res = check(tests)
    bad = ["%s: %s" % (t, r) for t, r in res.items() if r != "PASS"]
    if bad:
        print("mutation-check: the tests must pass on the unbroken copy first:")
        for s in bad:
            print("  " + s)
        sys.exit(2)

rows = []
for b in breaks:
    path = os.path.join(src, b["file"])
    orig = open(path).read()
    t0 = time.time()
    print("%s: %s ..." % (b["name"], " ".join(b["tests"])), end="", flush=True)
    try:
        with open(path, "w") as f:
            f.write(orig.replace(b["orig"], b["repl"], 1))
        log.write("\n==== break %s (%s)\n" % (b["name"], b["where"]))
        if not build():
            verdict, detail = "NOBUILD", "does not compile"
        else:
            res = check(b["tests"])
            failed = [t for t, r in res.items() if r in ("FAIL", "ERROR", "XPASS")]
            verdict = "caught" if failed else "MISSED"
            detail = " ".join("%s=%s" % (os.path.basename(t), r) for t, r in res.items())
            if failed:
                detail += "  " + reason(failed)
    finally:
        # A fresh write (new mtime) so that make rebuilds the original.
        with open(path, "w") as f:
            f.write(orig)
    print(" %s (%.0f s)" % (verdict, time.time() - t0), flush=True)
    rows.append((b["name"], verdict, detail))
build()

w = max(len(r[0]) for r in rows)
print("\n%-*s  %-8s  %s" % (w, "BREAK", "RESULT", "TESTS"))
for name, verdict, detail in rows:
    print("%-*s  %-8s  %s" % (w, name, verdict, detail))
missed = [r for r in rows if r[1] != "caught"]
print("\n%d of %d breaks caught" % (len(rows) - len(missed), len(rows)))
if not keep:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if missed else 0)
PY
