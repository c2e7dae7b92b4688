#!/bin/bash
# Build vipd out of tree in build/NAME with extra configure arguments.
# Usage: scripts/build.sh NAME [CONFIGURE-ARGS...]; prints the build dir.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=$1; shift
cd "$top"
if [ -f config.status ]; then
    echo "build: the source tree is configured in place; run 'make distclean' first" >&2
    exit 1
fi
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >&2
mkdir -p "build/$name"
cd "build/$name"
if [ ! -f config.status ] || [ "$(cat .vipd-configure-args 2>/dev/null)" != "$*" ]; then
    "$top/configure" -q "$@" >&2
    echo "$*" > .vipd-configure-args
fi
make -j"$(nproc)" >&2
pwd
