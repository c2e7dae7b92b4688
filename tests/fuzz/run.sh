#!/bin/bash
# Build the libFuzzer drivers of tests/fuzz with clang (ASan+UBSan) and run
# each for a while, one at a time. Not part of make check.
#
# Usage: tests/fuzz/run.sh [-t SECONDS] [TARGET...]
#   TARGET: config ctl_proto ctl_server status_json check_http script_cmd
#           handshake channel place_wire entry fsm_apply
#   (default: all)
#   Work files (binaries, growing corpora, crash reproducers) go to
#   build/fuzz; a crash leaves build/fuzz/NAME/crash-* and exits 1.
# Needs clang and libclang-rt-14-dev (scripts/install-deps.sh).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=180
if [ "${1:-}" = "-t" ]; then
    secs=$2
    shift 2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
    targets=(config ctl_proto ctl_server status_json check_http script_cmd
        handshake channel place_wire entry fsm_apply)
out=$top/build/fuzz
mkdir -p "$out"
cd "$top"

cc=${CC_FUZZ:-clang}
printf '#define _GNU_SOURCE 1\n' > "$out/config.h"
cflags=(-g -O1 -std=c11 -Wall -Wextra -Werror
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -include "$out/config.h" -Iinclude -I.)

sources() {
    case $1 in
    config) echo tests/fuzz/fuzz_config.c src/config_*.c src/health_config.c src/health_rule.c \
        src/script_cmd.c src/check_tcp.c src/check_http.c src/check_https.c src/log.c \
        src/error.c raft/keyfile.c -luv -lcurl -lsodium ;;
    ctl_proto) echo tests/fuzz/fuzz_ctl_proto.c src/ctl_proto.c src/error.c -ljansson ;;
    ctl_server) echo tests/fuzz/fuzz_ctl_server.c src/ctl_server.c src/ctl_peer.c \
        src/ctl_proto.c src/error.c src/log.c -luv -ljansson ;;
    status_json) echo tests/fuzz/fuzz_status_json.c src/status_json.c src/status.c \
        src/vipctl_render.c src/error.c -ljansson ;;
    check_http) echo tests/fuzz/fuzz_check_http.c src/check_http.c src/check_https.c \
        src/check_tcp.c src/error.c -luv -lcurl ;;
    script_cmd) echo tests/fuzz/fuzz_script_cmd.c src/script_cmd.c src/log.c src/error.c ;;
    handshake) echo tests/fuzz/fuzz_handshake.c raft/handshake.c raft/keyfile.c \
        src/error.c -lsodium ;;
    channel) echo tests/fuzz/fuzz_channel.c raft/frame_crypt.c raft/raft_wire.c \
        -lsodium ;;
    place_wire) echo tests/fuzz/fuzz_place_wire.c raft/place_wire.c ;;
    entry) echo tests/fuzz/fuzz_entry.c raft/entry.c raft/fsm.c src/error.c -lraft ;;
    fsm_apply) echo tests/fuzz/fuzz_fsm_apply.c raft/entry.c raft/fsm.c src/error.c \
        -lraft ;;
    *) echo "fuzz: unknown target $1" >&2; exit 2 ;;
    esac
}

# Seeds: the config corpus, and a few lines of each protocol.
seed() {
    local dir=$out/$1/corpus
    mkdir -p "$dir"
    case $1 in
    config)
        find tests/config/valid tests/config/invalid -type f -name '*.conf' \
            -exec cp -t "$dir" {} +
        { grep -ohE '"[a-z][a-z0-9_]{2,40}"' src/config_*.c | sort -u
          printf '"{"\n"}"\n"include"\n"\\x0a"\n"#"\n"!"\n'; } > "$out/config.dict" ;;
    ctl_proto)
        printf '{"cmd":"status"}' > "$dir/s1"
        printf '{"cmd":"join","args":{"peer":"10.0.0.2:5405"}}' > "$dir/s2"
        printf '{"cmd":"remove","args":{"node":"n2","force":true}}' > "$dir/s3"
        printf '{"cmd":"transfer","args":{"instance":"VI_2","node":"n3"}}' > "$dir/s6"
        printf '{"ok":false,"error":"not leader","code":-4001}' > "$dir/s4"
        printf '{"ok":true,"more":true,"x":[1,2]}\n{"ok":true}\n' > "$dir/s5" ;;
    ctl_server)
        # op 0: send (len-1 in the next byte), 4: run the loop, 5+: finish
        # a pending request, 3: hang up, 2: read replies.
        l1='{"cmd":"join","args":{"peer":"a"}}'
        l2='{"cmd":"status"}'
        printf '\000\042%s\n\004\005\000\004\002' "$l1" > "$dir/s1"
        printf '\000\042%s\n\000\020%s\n\004\025\000\004\003\004' "$l1" "$l2" > "$dir/s2"
        printf '\001\042%s\n\004\006\000\045\000\004\002\003\004' "$l1" > "$dir/s3" ;;
    status_json)
        printf '%s' '{"version":1,"node_id":1,"holds":true,"leader_id":1,"nodes":[{"id":1,"name":"n1","address":"10.0.0.1:5405","role":"leader","member":"voter","term":3,"commit_index":10,"applied_index":10,"reachable":true,"maintenance":false,"checks":[{"name":"chk","state":"ok","value":1,"changed_ms":1700000000000}],"priorities":[{"instance":"VI_1","priority":100,"eligible":true}]}],"instances":[{"name":"VI_1","vips":["10.0.0.100/24"],"holder":1,"since_ms":1700000000000,"reason":"elected","unit":"VI_1","term":3,"holds":true},{"name":"VI_2","vips":["10.0.0.200/24"],"holder":null,"since_ms":null,"reason":"release","unit":"VG","term":3,"holds":false}]}' > "$dir/s1"
        printf '%s' '[{"kind":"holder","term":2,"index":5,"time_ms":1700000000000,"node":1,"text":"n1 holds VI_1"},{"kind":"holder","term":2,"index":6,"time_ms":null,"node":2,"text":"n2 holds VI_2, VI_3 (unit VG; was n1)","unit":"VG"}]' > "$dir/s2" ;;
    check_http)
        printf '\000HTTP/1.1 200 OK\r\nServer: x\r\n\r\n' > "$dir/s1"
        printf '\000HTTP/1.0 503\n' > "$dir/s2"
        printf '\001http://[fe80::1]:8080/health?x=1' > "$dir/s3"
        printf '\001http://example.org' > "$dir/s4" ;;
    script_cmd)
        printf '%s' "/bin/sh -c 'a | b' \"x\\\"y\" \\x41\\101\\cA\\n" > "$dir/s1"
        printf '%s' 'pgrep -x haproxy' > "$dir/s2" ;;
    handshake)
        # role byte, then length-prefixed chunks: a HELLO header, a REPLY
        # header, a hex key file.
        printf '\000\050VIPA\001\001\000\000%032d' 0 > "$dir/s1"
        printf '\001\110VIPA\001\002\000\000%064d' 0 > "$dir/s2"
        printf '\002%064d\n' 7 > "$dir/s3" ;;
    entry)
        # byte 0: 0 entry, 1 snapshot; the version-1 goldens of
        # tests/unit/entry_v1_golden.h as seeds.
        for a in v1_node:0 v1_snapshot:1; do
            perl -e 'print pack("C", $ARGV[0])' "${a#*:}" > "$dir/${a%:*}"
            awk "/ ${a%:*}\[/{on=1;next} on&&/};/{on=0} on" \
                tests/unit/entry_v1_golden.h |
                perl -ne 'print pack("C", hex $1) while /0x([0-9a-f]{2})/g' \
                >> "$dir/${a%:*}"
        done ;;
    channel)
        # even: a raft_uv RequestVote and a heartbeat; odd: frames.
        printf '\000\007\003\0\0\0\0\0\0\0\050\0\0\0\0\0\0\0%040d' 0 > "$dir/s1"
        printf '\000\020\001\0\0\0\0\0\0\0\060\0\0\0\0\0\0\0%048d' 0 > "$dir/s2"
        printf '\001\000\005hello\003abc' > "$dir/s3"
        printf '\001\001\005hello\003abc' > "$dir/s4" ;;
    place_wire)
        # 1 + request (term 7, seq 2, acked 1, claim "VI_1"); 0 + reply.
        printf '\001\001\007\0\0\0\0\0\0\0\002\0\0\0\0\0\0\0\001\0\0\0\0\0\0\0\001\004VI_1' > "$dir/s1"
        printf '\000\001\007\0\0\0\0\0\0\0\002\0\0\0\0\0\0\0\040\003\0\0\0\0\0\0\001\004VI_1\000' > "$dir/s2" ;;
    fsm_apply)
        # Record sequences (members, a TICK, ASSIGNs, a unit transfer).
        cp tests/fuzz/corpus/fsm_apply/* "$dir" ;;
    esac
}

status=0
for t in "${targets[@]}"; do
    mkdir -p "$out/$t"
    echo "fuzz: building $t" >&2
    # shellcheck disable=SC2046
    "$cc" "${cflags[@]}" $(sources "$t") -o "$out/$t/fuzz_$t"
    seed "$t"
    args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
          -rss_limit_mb=1024 -artifact_prefix="$out/$t/")
    [ "$t" = config ] && args+=(-dict="$out/config.dict" -max_len=16384)
    echo "fuzz: running $t for ${secs}s" >&2
    if ! "$out/$t/fuzz_$t" "${args[@]}" "$out/$t/corpus" \
        > "$out/$t/log" 2>&1; then
        echo "fuzz: $t FAILED, see $out/$t/log" >&2
        status=1
    fi
    # The closing figures: executions, edge coverage, corpus size.
    grep -E '^#[0-9]+.*(DONE|cov:)' "$out/$t/log" | tail -n 1 | sed "s/^/fuzz: $t: /"
    grep -E 'stat::number_of_executed_units' "$out/$t/log" | sed "s/^/fuzz: $t: /"
done
exit $status
