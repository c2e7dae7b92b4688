#!/bin/bash
# Build bench/handshake_cost.c with -O2 (no sanitizers) and print the
# handshake's cost. Usage: bench/handshake_cost.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/vr-hsbench.XXXXXX)
trap 'rm -rf "$out"' EXIT
printf '#define _GNU_SOURCE 1\n' >"$out/config.h"
cd "$top"
${CC:-cc} -O2 -std=c11 -include "$out/config.h" -Iinclude -I. \
    bench/handshake_cost.c raft/handshake.c raft/keyfile.c raft/transport.c \
    raft/channel.c raft/frame_crypt.c raft/raft_wire.c \
    src/error.c src/log.c -o "$out/hs" \
    $(pkg-config --cflags --libs raft libuv libsodium)
"$out/hs"
