#!/bin/bash
# Man pages (man/*.in, built into the build dir):
# - vipd(8), vipctl(8), vipd.conf(5) render with man(1) without groff
#   warnings, with NAME and the version filled in;
# - every keyword of the parser's tables (struct cfg_kw arrays in
#   src/config*.c, extracted from the source so the list cannot drift)
#   appears in vipd.conf(5) in bold (.B/.BR/.BI line or \fB);
# - every vipctl command (src/vipctl.c's table) in vipctl(8), every vipd
#   long option (src/vipd.c) in vipd(8);
# - bash completion offers every vipctl command.
set -u
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export LC_ALL=C
BUILD=${VIPD_BUILDDIR:-$SRC/build/dev}
command -v man >/dev/null || { echo "SKIP: man not installed"; exit 77; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }

make -s -C "$BUILD" man/vipd.8 man/vipctl.8 man/vipd.conf.5 >/dev/null || bad "building the pages"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$BUILD/config.h")
for page in vipd.8 vipctl.8 vipd.conf.5; do
    f=$BUILD/man/$page
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>"$BUILD/man/$page.warn")
    [ -s "$BUILD/man/$page.warn" ] && bad "$page: groff warnings: $(head -3 "$BUILD/man/$page.warn")"
    grep -q '^NAME' <<<"$out" || bad "$page: no NAME section rendered"
    grep -q "vipd $version" <<<"$out" || bad "$page: version $version not in the footer"
    grep -q '@VERSION@' "$f" && bad "$page: @VERSION@ left"
done

# Words shown in bold by the page's source: every word of a .B/.BR/.BI
# line (the alternating ones too: a keyword is never a plain word there)
# and each \fB... run.
bold_words() {
    {
        sed -n -e 's/\\-/-/g' \
            -e '/^\.B[IR]\{0,1\} /{s/^\.B[IR]\{0,1\} //;s/\\f[BRIP]/ /g;p}' "$1"
        sed 's/\\-/-/g' "$1" | grep -o '\\fB[^\\]*' | sed 's/^\\fB//'
    } | tr -c 'A-Za-z0-9_-' '\n' | sort -u
}

# Keywords of every `struct cfg_kw NAME[] = { ... };` table: the first
# string literal of each entry, however the entry is spelled ({"kw", ...},
# KW("kw", ...), NOT_ACTED("kw"), {.name = "kw", ...}).
keywords() {
    awk '/struct cfg_kw[ \t]+[A-Za-z0-9_]+[ \t]*\[[ \t]*\][ \t]*=/ { t = 1; next }
         t && /^[ \t]*\}[ \t]*;/ { t = 0 }
         t && match($0, /^[ \t]*([A-Za-z_]+[ \t]*\(|\{)[ \t]*(\.name[ \t]*=[ \t]*)?"[A-Za-z0-9_]+"/) {
             s = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", s); sub(/"$/, "", s); print s
         }' "$SRC"/src/config*.c | sort -u
}
kws=$(keywords)
n=$(wc -l <<<"$kws")
# The extraction itself must work: known keywords of each table kind.
for k in vrrp_instance election_timeout auth_type smtp_server use_vmac group init_file; do
    grep -qx "$k" <<<"$kws" || bad "keyword extraction missed '$k' (found $n)"
done
bold=$(bold_words "$SRC/man/vipd.conf.5.in")
missing=$(comm -23 <(echo "$kws") <(echo "$bold") | tr '\n' ' ')
[ -z "$missing" ] || bad "vipd.conf(5) lacks parser keywords: $missing"

cmds=$(sed -n 's/^ *{"\([a-z]*\)", "\1[ "].*/\1/p' "$SRC/src/vipctl.c" | sort -u)
[ "$(wc -l <<<"$cmds")" -ge 8 ] || bad "vipctl command extraction found only: $cmds"
bold=$(bold_words "$SRC/man/vipctl.8.in")
missing=$(comm -23 <(echo "$cmds") <(echo "$bold") | tr '\n' ' ')
[ -z "$missing" ] || bad "vipctl(8) lacks commands: $missing"
for c in $cmds; do
    grep -q "commands=\".*\b$c\b" "$SRC/deploy/vipctl.bash-completion" ||
        bad "bash completion lacks '$c'"
done

opts=$(sed -n 's/^ *{"\([a-z-]*\)", \(no\|required\)_argument.*/\1/p' "$SRC/src/vipd.c" | sort -u)
[ "$(wc -l <<<"$opts")" -ge 6 ] || bad "vipd option extraction found only: $opts"
bold=$(bold_words "$SRC/man/vipd.8.in" | sed "s/^--//" | sort -u)
missing=$(comm -23 <(echo "$opts") <(echo "$bold") | tr '\n' ' ')
[ -z "$missing" ] || bad "vipd(8) lacks options: $missing"

# Every metric family the daemon serves is listed in vipd(8).
fams=$(grep -o 'vipd_[a-z0-9_]*[a-z0-9]' "$SRC/src/daemon_metrics.c" | sort -u)
[ "$(wc -l <<<"$fams")" -ge 10 ] || bad "metric extraction found only: $fams"
bold=$(bold_words "$SRC/man/vipd.8.in")
missing=$(comm -23 <(echo "$fams") <(echo "$bold") | tr '\n' ' ')
[ -z "$missing" ] || bad "vipd(8) lacks metrics: $missing"

[ $fail = 0 ] && echo "PASS: man pages render; $n parser keywords documented"
exit $fail
