# tests/lab/driver_vipd.sh: vipd as the system under test (interface: see
# driver_keepalived.sh). Each node gets a `cluster` block (node_id, listen,
# peers, data_dir, secret_file) plus the scenario's VRRP text, so vipd and
# keepalived run the same VIP, VRID, priorities and health script.
#
# Knobs: VIPD_ELECTION_TIMEOUT (ms), VIPD_LEASE_MODE (normal|strict),
# VIPD_LOG_LEVEL (info), VIPD_WITNESS (node number that runs as a witness:
# `witness yes`, no vrrp_instance; bench/pair_witness). VIPD / VIPCTL (paths) default to $VIPD_BUILDDIR/vipd,
# then PATH. A daemon that exits, or a cluster that never configures the VIP,
# makes drv_ready fail (never skip: that would hide a broken daemon).

VIPD=${VIPD:-${VIPD_BUILDDIR:+$VIPD_BUILDDIR/vipd}}
VIPD=${VIPD:-$(command -v vipd)}
VIPCTL=${VIPCTL:-${VIPD_BUILDDIR:+$VIPD_BUILDDIR/vipctl}}
VIPCTL=${VIPCTL:-$(command -v vipctl)}
VIPD_PORT=${VIPD_PORT:-5405}
VIPD_ELECTION_TIMEOUT=${VIPD_ELECTION_TIMEOUT:-}
VIPD_LOG_LEVEL=${VIPD_LOG_LEVEL:-info}
VIPD_LEASE_MODE=${VIPD_LEASE_MODE:-}

drv_name() { echo vipd; }

drv_available()
{
    if [ -z "$VIPD" ] || [ ! -x "$VIPD" ]; then
        echo "vipd binary not found (set VIPD or VIPD_BUILDDIR)" >&2
        return 77
    fi
}

_vipd_conf()
{
    local k=$1 j
    printf 'cluster {\n    node_id %s\n' "$k"
    printf '    listen %s:%s\n' "$(lab_node_ip "$k")" "$VIPD_PORT"
    for ((j = 1; j <= LAB_N; j++)); do
        [ "$j" = "$k" ] || printf '    peer %s:%s\n' "$(lab_node_ip "$j")" "$VIPD_PORT"
    done
    printf '    data_dir %s\n' "$LAB_DIR/n$k.data"
    printf '    secret_file %s\n' "$LAB_DIR/cluster.key"
    # Nodes share one file system: one control socket each.
    printf '    control_socket %s\n' "$LAB_DIR/n$k.sock"
    if [ -n "$VIPD_ELECTION_TIMEOUT" ]; then
        printf '    election_timeout %s\n' "$VIPD_ELECTION_TIMEOUT"
    fi
    if [ -n "$VIPD_LEASE_MODE" ]; then
        printf '    lease_mode %s\n' "$VIPD_LEASE_MODE"
    fi
    if [ "$k" = "${VIPD_WITNESS:-}" ]; then
        printf '    witness yes\n}\nglobal_defs {\n    router_id lab-n%s\n}\n' "$k"
        return
    fi
    printf '}\n'
    sc_vrrp_conf "$k"
}

drv_start()
{
    local k=$1
    if [ ! -f "$LAB_DIR/cluster.key" ]; then
        # The shared cluster key: 32 random bytes as 64 hex digits, mode
        # 0600 (vipd refuses a key file others can read).
        (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' \
            >"$LAB_DIR/cluster.key" && echo >>"$LAB_DIR/cluster.key")
        chmod 600 "$LAB_DIR/cluster.key"
    fi
    mkdir -p "$LAB_DIR/n$k.data"
    _vipd_conf "$k" >"$LAB_DIR/n$k.conf"
    lab_start "$k" "$VIPD" -f "$LAB_DIR/n$k.conf" -l "$VIPD_LOG_LEVEL"
}

drv_stop() { lab_stop "$1"; }

drv_wipe() { rm -rf "$LAB_DIR/n$1.data"; }

drv_ready()
{
    local k deadline=$((SECONDS + $1)) p
    for ((k = 1; k <= LAB_N; k++)); do
        p=$(lab_pid "$k") || continue
        if ! lab_running "$k"; then
            echo "vipd on node $k exited:" >&2
            tail -3 "$LAB_DIR/n$k.log" >&2
            return 1
        fi
    done
    lab_wait_holder "$((deadline - SECONDS + 1))" >/dev/null
}

drv_pids()
{
    local p
    p=$(lab_pid "$1") || return 0
    echo "$p"
    # Its fence process (vip/fence.h), a child in a session of its own.
    cat /proc/"$p"/task/*/children 2>/dev/null | tr ' ' '\n' | grep .
}

# drv_status K: vipctl status as node K sees it; non-zero if unavailable.
drv_status()
{
    [ -n "$VIPCTL" ] && [ -x "$VIPCTL" ] || return 1
    lab_exec "$1" "$VIPCTL" -s "$LAB_DIR/n$1.sock" status 2>&1
}
