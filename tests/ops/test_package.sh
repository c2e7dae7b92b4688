#!/bin/bash
# Installation layout and the Debian package:
# - `make install DESTDIR=... prefix=/usr` from this build: vipd in
#   /usr/sbin, vipctl in /usr/bin, man pages, bash completion, the unit
#   (ExecStart=/usr/sbin/vipd), the sample configuration;
# - `dpkg-buildpackage -us -uc -b` in a clean copy of the tree (tracked
#   and new files, nothing generated): the .deb holds the same files,
#   /etc/vipd/vipd.conf is a conffile, /var/lib/vipd exists, no key is
#   shipped, the unit is neither enabled nor started by the maintainer
#   scripts; `dpkg -x` into a scratch root and that root's vipd -t accepts
#   its /etc/vipd/vipd.conf; lintian reports no errors.
# The package part is skipped (77 only if nothing ran) without
# dpkg-buildpackage or outside a git checkout. VIPD_SKIP_DEB=1 skips it.
set -u
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${VIPD_BUILDDIR:-$SRC/build/dev}
WORK=$(mktemp -d /tmp/vpkg.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# Files both layouts must have.
expect_files() {
    local root=$1 f
    for f in usr/sbin/vipd usr/bin/vipctl \
        usr/share/man/man8/vipd.8* usr/share/man/man8/vipctl.8* \
        usr/share/man/man5/vipd.conf.5* \
        usr/share/bash-completion/completions/vipctl \
        usr/share/doc/vipd/examples/vipd.conf.example \
        usr/share/doc/vipd/control-protocol.md*; do
        # shellcheck disable=SC2086 # the * globs a possible .gz
        ls $root/$f >/dev/null 2>&1 || bad "$root: $f missing"
    done
    local unit
    unit=$(ls "$root"/lib/systemd/system/vipd.service "$root"/usr/lib/systemd/system/vipd.service 2>/dev/null | head -1)
    [ -n "$unit" ] || { bad "$root: no vipd.service"; return; }
    grep -q '^ExecStart=/usr/sbin/vipd -f /etc/vipd/vipd.conf$' "$unit" ||
        bad "$unit: ExecStart is not /usr/sbin/vipd"
    grep -q keygen "$root/usr/share/bash-completion/completions/vipctl" ||
        bad "completion without keygen"
}

# 1. DESTDIR install of this build.
make -s -C "$BUILD" install DESTDIR="$WORK/dest" prefix=/usr \
    systemdsystemunitdir=/lib/systemd/system >"$WORK/install.log" 2>&1 ||
    bad "make install: $(tail -5 "$WORK/install.log")"
expect_files "$WORK/dest"
"$WORK/dest/usr/sbin/vipd" -t --no-host-checks -f "$WORK/dest/usr/share/doc/vipd/examples/vipd.conf.example" \
    >"$WORK/t.out" 2>&1 || bad "installed vipd -t on the example: $(cat "$WORK/t.out")"

# 2. The Debian package.
if [ "${VIPD_SKIP_DEB:-0}" = 1 ] || ! command -v dpkg-buildpackage >/dev/null ||
    ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    echo "note: Debian package not built (no dpkg-buildpackage, no git checkout, or VIPD_SKIP_DEB)"
    [ $fail = 0 ] && echo "PASS: install tree"
    exit $fail
fi
mkdir -p "$WORK/src/vipd"
(cd "$SRC" && git ls-files -co --exclude-standard -z | grep -zv '^build/' |
    xargs -0 cp --parents -t "$WORK/src/vipd") || bad "copying the tree"
# nice: the build must not slow the timing-sensitive tests running beside it.
(cd "$WORK/src/vipd" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" nice -n 19 \
    dpkg-buildpackage -us -uc -b >"$WORK/deb.log" 2>&1) ||
    { bad "dpkg-buildpackage: $(tail -15 "$WORK/deb.log")"; exit 1; }
deb=$(ls "$WORK"/src/vipd_*_*.deb | grep -v dbgsym | head -1)
[ -f "$deb" ] || { bad "no .deb built"; exit 1; }
dpkg -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/deb.files"
echo "package files:"; grep -v '/$' "$WORK/deb.files" | sed 's/^/  /'
dpkg-deb -e "$deb" "$WORK/ctl"
grep -qx /etc/vipd/vipd.conf "$WORK/ctl/conffiles" || bad "/etc/vipd/vipd.conf is not a conffile"
grep -qx /var/lib/vipd/ "$WORK/deb.files" || bad "/var/lib/vipd is not in the package"
grep -q 'cluster.key\|\.key$' "$WORK/deb.files" && bad "the package ships a key"
for s in postinst prerm postrm; do
    [ -f "$WORK/ctl/$s" ] || continue
    grep -q 'deb-systemd-invoke.*start\|systemctl.*start' "$WORK/ctl/$s" &&
        bad "$s starts the service"
    # dh_installsystemd --no-enable still re-enables on upgrade what the
    # admin had enabled, guarded by "debian-installed"; a fresh install
    # must not enable it.
    if grep -q 'deb-systemd-helper enable' "$WORK/ctl/$s" &&
        ! grep -q 'deb-systemd-helper debian-installed' "$WORK/ctl/$s"; then
        bad "$s enables the service on installation"
    fi
done
dpkg -x "$deb" "$WORK/root"
expect_files "$WORK/root"
"$WORK/root/usr/sbin/vipd" -t --no-host-checks -f "$WORK/root/etc/vipd/vipd.conf" >"$WORK/t.out" 2>&1 ||
    bad "packaged vipd -t on /etc/vipd/vipd.conf: $(cat "$WORK/t.out")"
grep -q 'configuration valid' "$WORK/t.out" || bad "vipd -t: $(cat "$WORK/t.out")"
if command -v lintian >/dev/null; then
    changes=$(ls "$WORK"/src/vipd_*.changes | head -1)
    lintian "$changes" >"$WORK/lintian.out" 2>&1
    echo "lintian:"; sed 's/^/  /' "$WORK/lintian.out"
    grep -q '^E: ' "$WORK/lintian.out" && bad "lintian reports errors"
fi
[ $fail = 0 ] && echo "PASS: install tree and Debian package"
exit $fail
