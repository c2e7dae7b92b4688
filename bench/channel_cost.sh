#!/bin/bash
# Build bench/channel_cost.c with -O2 (no sanitizers) and print what the
# encrypted channel adds per message. Usage: bench/channel_cost.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/vr-chbench.XXXXXX)
trap 'rm -rf "$out"' EXIT
printf '#define _GNU_SOURCE 1\n' >"$out/config.h"
cd "$top"
${CC:-cc} -O2 -std=c11 -include "$out/config.h" -Iinclude -I. \
    bench/channel_cost.c raft/handshake.c raft/keyfile.c raft/transport.c \
    raft/channel.c raft/frame_crypt.c raft/raft_wire.c raft/peer_rpc.c \
    src/error.c src/log.c -o "$out/ch" \
    $(pkg-config --cflags --libs raft libuv libsodium)
"$out/ch"
