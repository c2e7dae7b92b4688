#!/bin/bash
# The parts of the cluster call only downwards (raft/cluster.h: the order
# of the parts): build the file-level call graph of raft/cluster*.c from
# the objects' symbols (an edge A -> B when A.o uses a symbol B.o
# defines) and fail on any cycle, naming it. Callbacks up are function
# pointers and leave no symbol reference, so they are not edges.
#
# Usage: test_no_cycles.sh [OBJ...]; without arguments, the cluster*.o
# members of VIPD_BUILDDIR/libvipcore.a (the archive, so that a stale
# object of a removed file in the build dir cannot count). Before that it
# checks itself: two objects that call each other must be reported.
set -u
B=$(cd "${VIPD_BUILDDIR:-.}" && pwd)
CC=${CC:-cc}
command -v nm >/dev/null && command -v tsort >/dev/null ||
    { echo "skip: needs nm and tsort"; exit 77; }
W=$(mktemp -d /tmp/vipd-cycles.XXXXXX)
trap 'rm -rf "$W"' EXIT

# edges FILE...: "A B" lines, A's objects use a symbol B defines.
edges() {
    local o
    for o in "$@"; do
        nm -A "$o" 2>/dev/null
    done | awk '
        {
            # "archive:member.o: ADDR T sym" or "file.o: ADDR T sym" or
            # "...: U sym" (undefined: no address)
            n = split($1, part, ":"); file = part[n - 1]
            if (file == "") file = part[1]
            sub(/.*\//, "", file)
            type = $(NF - 1); sym = $NF
            if (type == "U") use[file, sym] = 1
            else if (type ~ /^[TDBRCGSV]$/) def[sym] = file
            files[file] = 1
        }
        END {
            for (k in use) {
                split(k, p, SUBSEP)
                if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]]
            }
            for (f in files) print f, f   # every file is a node
        }' | sort -u
}

# check FILE...: 0 without a cycle, 1 (printing it) with one.
check() {
    local out
    edges "$@" >"$W/edges"
    # tsort reads "A B" as A before B; a loop is a call cycle.
    if ! out=$(tsort "$W/edges" 2>&1 >/dev/null) || [ -n "$out" ]; then
        echo "$out" | sed 's/^tsort: .*input contains a loop:/cycle:/; s/^tsort: /  /'
        grep -v '^\(\S*\) \1$' "$W/edges" | sed 's/^/  calls: /'
        return 1
    fi
    return 0
}

# ---- teeth: a cycle planted in two small objects must be found ----
cat >"$W/cluster_a.c" <<'EOF'
void b_fn(void);
void a_fn(void) { b_fn(); }
EOF
cat >"$W/cluster_b.c" <<'EOF'
void a_fn(void);
void b_fn(void) { a_fn(); }
EOF
if ! "$CC" -c -o "$W/cluster_a.o" "$W/cluster_a.c" ||
    ! "$CC" -c -o "$W/cluster_b.o" "$W/cluster_b.c"; then
    echo "skip: cannot compile the self-check with $CC"; exit 77
fi
if check "$W/cluster_a.o" "$W/cluster_b.o" >/dev/null; then
    echo "FAIL: the checker missed a planted cycle (cluster_a <-> cluster_b)"
    exit 1
fi
echo "ok: a planted cycle is reported"

# ---- the real objects ----
if [ $# -gt 0 ]; then
    objs=("$@")
else
    lib=$B/libvipcore.a
    [ -f "$lib" ] || { echo "skip: $lib not built"; exit 77; }
    mkdir -p "$W/lib"
    members=$(ar t "$lib" | grep '^cluster.*\.o$')
    [ -n "$members" ] || { echo "FAIL: no cluster*.o in $lib"; exit 1; }
    (cd "$W/lib" && ar x "$lib" $members) || { echo "FAIL: ar x $lib"; exit 1; }
    objs=()
    for m in $members; do objs+=("$W/lib/$m"); done
fi
if check "${objs[@]}"; then
    echo "ok: no call cycle between $(printf '%s ' "${objs[@]##*/}")"
    grep -v '^\(\S*\) \1$' "$W/edges" | sed 's/^/  calls: /'
    exit 0
fi
echo "FAIL: call cycle between the cluster's files (raft/cluster.h: the order of the parts)"
exit 1
