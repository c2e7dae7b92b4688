#!/bin/bash
# Install everything vipd needs to build, test and run its lab and demo, from
# Debian 12's packages. Idempotent; needs root.
#
#   scripts/install-deps.sh           everything (build, tests, packaging)
#   scripts/install-deps.sh --build   only what `./configure && make` needs
set -eu
# A plain build: compiler, autotools and the libraries vipd links.
build_pkgs=(
    build-essential autoconf automake libtool pkg-config
    libraft-dev libuv1-dev liblz4-dev libnl-3-dev libnl-route-3-dev
    libsodium-dev libjansson-dev libsystemd-dev libmicrohttpd-dev
    libcurl4-openssl-dev
)
# make check, the lab, benchmarks, fuzzing: test library, peers, tools.
test_pkgs=(
    libcmocka-dev
    iproute2 iputils-arping iputils-ping tcpdump tshark keepalived haproxy
    curl openssl valgrind nftables procps psmisc
    clang libclang-rt-14-dev
    python3 man-db systemd gnuplot-nox
)
# The Debian package and its checks (tests/ops/test_package.sh).
package_pkgs=(
    debhelper dh-autoreconf devscripts lintian fakeroot
)
if [ "${1:-}" = --build ]; then
    pkgs=("${build_pkgs[@]}")
else
    pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${package_pkgs[@]}")
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# keepalived and haproxy are test peers here, not services of this machine.
for svc in keepalived haproxy; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then
        systemctl stop "$svc" || true
    fi
done
