# tests/lab/driver_keepalived.sh: keepalived (Debian 2.2.7) as the system
# under test. Source after lib.sh and config.sh. The driver interface, the
# same in every driver_*.sh:
#   drv_name               short name for tables
#   drv_available          0 if the system can run here, else prints why
#                          and returns 77
#   drv_start K            write node K's config and start its daemon
#   drv_stop K             graceful stop (SIGTERM), bounded wait
#   drv_wipe K             delete node K's persistent state
#   drv_ready TIMEOUT_S    0 once every node's daemon runs and one node
#                          holds the VIP; 77 if the system cannot run a
#                          cluster (vipd before its daemon landed)
#   drv_pids K             the node's process IDs (for CPU/RSS/IO figures)
#   drv_status K           print the system's own status view; non-zero
#                          when it has none
# Faults that need no help from the system (signals, links, partitions)
# live in lib.sh and act on the process group lab_start created.

KEEPALIVED=${KEEPALIVED:-keepalived}

drv_name() { echo keepalived; }

drv_available()
{
    if ! command -v "$KEEPALIVED" >/dev/null; then
        echo "keepalived not installed" >&2
        return 77
    fi
}

drv_start()
{
    local k=$1
    sc_vrrp_conf "$k" >"$LAB_DIR/n$k.conf"
    rm -f "$LAB_DIR/n$k.vpid"
    # Unique pid files per node; -n: stay in the foreground so the PID we
    # record is the parent; --vrrp: no LVS checkers; -l -G: console, no
    # syslog (the log goes to $LAB_DIR/nK.log).
    lab_start "$k" "$KEEPALIVED" -n -l -D -G --vrrp \
        -f "$LAB_DIR/n$k.conf" -p "$LAB_DIR/n$k.kpid" \
        -r "$LAB_DIR/n$k.vpid" -c "$LAB_DIR/n$k.cpid"
}

drv_stop() { lab_stop "$1"; }

drv_wipe() { :; } # keepalived keeps no state on disk

# _kad_wait_started K DEADLINE: bounded wait for node K's VRRP child.
_kad_wait_started()
{
    local k=$1 deadline=$2
    until [ -s "$LAB_DIR/n$k.vpid" ]; do
        if ! lab_running "$k"; then
            echo "keepalived on node $k exited:" >&2
            tail -5 "$LAB_DIR/n$k.log" >&2
            return 1
        fi
        [ $SECONDS -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

drv_ready()
{
    local k deadline=$((SECONDS + $1))
    for ((k = 1; k <= LAB_N; k++)); do
        lab_running "$k" || continue
        _kad_wait_started "$k" "$deadline" || return 1
    done
    lab_wait_holder "$((deadline - SECONDS + 1))" >/dev/null
}

drv_pids()
{
    local p
    p=$(lab_pid "$1") || return 0
    echo "$p"
    cat "$LAB_DIR/n$1.vpid" 2>/dev/null
    echo
}

drv_status() { return 1; }
