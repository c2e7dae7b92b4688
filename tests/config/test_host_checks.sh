#!/bin/bash
# `vipd -t` checks the host as the daemon does at start, and the two agree:
# a missing interface, a missing / group-readable / foreign-owned key file
# a data dir that cannot be a directory and an unreadable tls_ca_file fail both `vipd -t` and `vipd`
# with the same FILE:LINE message; --no-host-checks skips them; a config
# -t accepts is one the daemon runs with (it adds the VIP). Runs in a
# private network namespace (unshare -rn) with a veth pair d0/d1.
set -u
B=${VIPD_BUILDDIR:-.}/vipd
unshare -rn true 2>/dev/null || { echo "SKIP: unshare -rn unavailable"; exit 77; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
daemon=
cleanup() { [ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
fail=0
n=0
"$(dirname "$B")/vipctl" keygen -o "$tmp/key" >/dev/null 2>&1 ||
    { echo "FAIL: vipctl keygen"; exit 1; }

# conf NAME IFACE KEY DATA_DIR
conf() {
    cat > "$tmp/$1.conf" <<CONF
cluster {
    listen 127.0.0.1:$((20000 + RANDOM % 20000))
    secret_file $3
    data_dir $4
    control_socket $tmp/$1.sock
}
vrrp_instance VI_1 {
    interface $2
    virtual_router_id 51
    virtual_ipaddress {
        10.123.0.1/24
    }
}
CONF
}

# expect NAME WANT-RC ARGS... -- LINE: run in a namespace with d0.
expect() {
    local name=$1 want=$2 line
    shift 2
    local args=()
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    line=$2
    n=$((n + 1))
    unshare -rn sh -c 'ip link add d0 type veth peer name d1 && ip link set d1 up && ip link set d0 up &&
        exec "$@"' _ "$B" "${args[@]}" > "$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ] || ! grep -qF -- "$line" "$tmp/out"; then
        echo "FAIL: $name: exit $rc (want $want), wanted: $line"
        sed 's/^/    | /' "$tmp/out" | head -n 10
        fail=1
    else
        echo "ok: $name"
    fi
}

# Each problem, for -t and for the daemon alike.
conf noif eth7 "$tmp/key" "$tmp/data"
for mode in -t ""; do
    expect "missing interface ${mode:-daemon}" 1 $mode -f "$tmp/noif.conf" -- \
        "noif.conf:7: error: interface: no interface 'eth7' on this host"
done
expect "missing interface, --no-host-checks" 0 -t --no-host-checks \
    -f "$tmp/noif.conf" -- "configuration valid"

conf nokey d0 "$tmp/none.key" "$tmp/data"
for mode in -t ""; do
    expect "missing key ${mode:-daemon}" 1 $mode -f "$tmp/nokey.conf" -- \
        "nokey.conf:1: error: secret_file: cluster key file $tmp/none.key: No such file or directory"
done

cp "$tmp/key" "$tmp/open.key"
chmod 640 "$tmp/open.key"
conf openkey d0 "$tmp/open.key" "$tmp/data"
for mode in -t ""; do
    expect "group-readable key ${mode:-daemon}" 1 $mode -f "$tmp/openkey.conf" -- \
        "mode 0640 lets others read or change it; chmod 600 it"
done

: > "$tmp/afile"
conf baddata d0 "$tmp/key" "$tmp/afile/data"
for mode in -t ""; do
    expect "data_dir under a file ${mode:-daemon}" 1 $mode -f "$tmp/baddata.conf" -- \
        "baddata.conf:1: error: data_dir: $tmp/afile/data: Not a directory"
done

# An https:// check's CA file must be readable.
conf noca d0 "$tmp/key" "$tmp/data"
cat >> "$tmp/noca.conf" <<CONF
vrrp_script chk_api {
    http_check https://127.0.0.1:6443/healthz
    tls_ca_file $tmp/none.pem
}
CONF
for mode in -t ""; do
    expect "missing tls_ca_file ${mode:-daemon}" 1 $mode -f "$tmp/noca.conf" -- \
        "noca.conf:16: error: tls_ca_file: $tmp/none.pem: No such file or directory"
done

# A foreign owner needs a real root to set up (chown).
if [ "$(id -u)" = 0 ] && cp "$tmp/key" "$tmp/foreign.key" &&
    chown 65534 "$tmp/foreign.key" 2>/dev/null; then
    conf foreign d0 "$tmp/foreign.key" "$tmp/data"
    n=$((n + 1))
    "$B" -t -f "$tmp/foreign.conf" > "$tmp/out" 2>&1
    rc=$?
    if [ $rc = 1 ] && grep -qF "foreign.key is owned by uid 65534, not by root" "$tmp/out"; then
        echo "ok: foreign-owned key"
    else
        echo "FAIL: foreign-owned key: exit $rc"; sed 's/^/    | /' "$tmp/out"; fail=1
    fi
fi

# What -t accepts, the daemon runs with: it bootstraps alone and adds
# the VIP to d0.
conf good d0 "$tmp/key" "$tmp/data"
expect "valid config" 0 -t -f "$tmp/good.conf" -- "configuration valid"
n=$((n + 1))
unshare -rn sh -c 'ip link add d0 type veth peer name d1 && ip link set d1 up && ip link set d0 up &&
    "$1" -f "$2" & pid=$!
    for i in $(seq 1 250); do
        ip -br addr show dev d0 | grep -q 10.123.0.1/24 && { kill $pid; wait $pid; exit 0; }
        kill -0 $pid 2>/dev/null || exit 2
        sleep 0.04
    done
    kill -9 $pid; exit 1' _ "$B" "$tmp/good.conf" > "$tmp/out" 2>&1
rc=$?
if [ $rc = 0 ]; then
    echo "ok: the daemon runs what -t accepts"
else
    echo "FAIL: the daemon did not hold the VIP (rc $rc)"; sed 's/^/    | /' "$tmp/out" | tail -n 20; fail=1
fi

echo "$n checks, $([ $fail = 0 ] && echo all passed || echo some FAILED)"
exit $fail
