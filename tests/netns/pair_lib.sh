# A keepalived-style pair plus a witness, as real vipd processes in network
# namespaces (sourced by pair_witness.sh and reload_pair.sh, after
# vip_lib.sh and vv_skip_unless_root).
#
#   n1  10.77.0.1  priority 150  (the preferred holder)
#   n2  10.77.0.2  priority 100
#   w   10.77.0.3  `witness yes`, no vrrp_instance, started without
#                  CAP_NET_ADMIN / CAP_NET_RAW
#   cl  10.77.0.9  client
# VIP 10.77.0.100/24 on eth0. Each node writes VIPD_STATUS_FILE
# $VV_TMP/NAME.status and logs to $VV_TMP/NAME.log.

VIPD=$VIPD_BUILDDIR/vipd
VIPCTL=$VIPD_BUILDDIR/vipctl
PW_VIP=10.77.0.100
PW_NODES="n1 n2 w"

pw_ip() { case $1 in n1) echo 10.77.0.1 ;; n2) echo 10.77.0.2 ;; w) echo 10.77.0.3 ;; cl) echo 10.77.0.9 ;; esac; }

# pw_conf NAME [EXTRA-INSTANCE-LINES...]: write $VV_TMP/NAME.conf.
pw_conf() {
    local name=$1 other peer prio=150
    shift
    [ "$name" = n2 ] && prio=100
    {
        echo "global_defs { router_id $name }"
        echo "cluster {"
        echo "    listen $(pw_ip "$name"):5405"
        for peer in $PW_NODES; do
            [ "$peer" = "$name" ] || echo "    peer $(pw_ip "$peer"):5405"
        done
        echo "    data_dir $VV_TMP/$name.d"
        echo "    secret_file $VV_TMP/key"
        echo "    control_socket $VV_TMP/$name.sock"
        [ "$name" = w ] && echo "    witness yes"
        echo "}"
        if [ "$name" != w ]; then
            other=n2; [ "$name" = n2 ] && other=n1
            echo "vrrp_instance VI_1 {"
            echo "    interface eth0"
            echo "    virtual_router_id 51"
            echo "    priority $prio"
            echo "    advert_int 1"
            echo "    unicast_src_ip $(pw_ip "$name")"
            echo "    unicast_peer { $(pw_ip "$other") }"
            echo "    virtual_ipaddress {"
            echo "        $PW_VIP/24"
            local line
            for line in "$@"; do echo "        $line"; done
            echo "    }"
            echo "}"
        fi
    } >"$VV_TMP/$name.conf"
}

pw_setup() {
    vv_bridge
    vv_node n1 1
    vv_node n2 2
    vv_node w 3
    vv_node cl 9
    head -c 32 /dev/urandom | base64 >"$VV_TMP/key"
    chmod 600 "$VV_TMP/key"
    local n
    for n in $PW_NODES; do
        pw_conf "$n"
        "$VIPD" -t -f "$VV_TMP/$n.conf" >"$VV_TMP/$n.check" 2>&1 ||
            vv_fail "$n: config rejected: $(cat "$VV_TMP/$n.check")"
    done
}

# pw_start NAME: start vipd in NAME's namespace. The witness runs without
# CAP_NET_ADMIN and CAP_NET_RAW in its bounding set (so in no set).
pw_start() {
    local name=$1 pre=()
    [ "$name" = w ] && pre=(setpriv --bounding-set=-net_admin,-net_raw)
    rm -f "$VV_TMP/$name.dead" "$VV_TMP/$name.status"
    VIPD_STATUS_FILE=$VV_TMP/$name.status ip netns exec "${VV}$name" \
        "${pre[@]}" "$VIPD" -f "$VV_TMP/$name.conf" >>"$VV_TMP/$name.log" 2>&1 &
    eval "PW_PID_$name=$!"
    VV_PIDS+=("$!")
}

pw_pid() { eval "echo \${PW_PID_$1:-}"; }

# pw_crash NAME: the host dies: kill -9 and its link goes down (its
# addresses are unreachable; a dead host's address is nobody's holding).
pw_crash() {
    local pid
    pid=$(pw_pid "$1")
    touch "$VV_TMP/$1.dead"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ip -n "${VV}$1" link set eth0 down
}

# pw_revive NAME: link up again (the VIP a crash left there is removed by
# vipd's start-up), then start vipd.
pw_revive() {
    ip -n "${VV}$1" link set eth0 up
    pw_start "$1"
}

pw_field() { sed -n "s/^$2=//p" "$VV_TMP/$1.status" 2>/dev/null; }
# (iproute2 may print "Peer netns reference is invalid" for the veth
# while the bridge namespace is busy: noise, not an answer.)
pw_has() { vv_has_addr "$1" "$PW_VIP" 2>/dev/null; }

# Live nodes holding the VIP, space separated.
pw_holders() {
    local n h=""
    for n in $PW_NODES; do
        [ -e "$VV_TMP/$n.dead" ] && continue
        pw_has "$n" && h="$h $n"
    done
    echo $h
}

pw_holder_is() { [ "$(pw_holders)" = "$1" ]; }
pw_one_holder() { local h; h=$(pw_holders); [ -n "$h" ] && [ "${h// /}" = "$h" ]; }

# Sampler: every ~10 ms, "MS HOLDERS" into $VV_TMP/samples.
pw_sampler_start() {
    rm -f "$VV_TMP/samples" "$VV_TMP/sampler.stop"
    (
        while [ ! -e "$VV_TMP/sampler.stop" ]; do
            echo "$(vv_ms) $(pw_holders)" >>"$VV_TMP/samples"
            sleep 0.01
        done
    ) &
    PW_SAMPLER=$!
    VV_PIDS+=("$PW_SAMPLER")
}

pw_sampler_stop() {
    touch "$VV_TMP/sampler.stop"
    wait "$PW_SAMPLER" 2>/dev/null
}

# After pw_sampler_stop: "TWO MOVES NONE_MS" = samples with two holders,
# holder changes between non-empty samples, ms without a holder.
pw_sampler_stats() {
    awk '
        { t = $1; n = NF - 1; h = ""; for (i = 2; i <= NF; i++) h = h " " $i }
        n > 1 { two++ }
        n == 0 && prev_t != "" { none += t - prev_t }
        n >= 1 && last != "" && h != last { moves++ }
        n >= 1 { last = h }
        { prev_t = t }
        END { printf "%d %d %d\n", two, moves, none }
    ' "$VV_TMP/samples"
}

pw_dump() {
    local n
    for n in $PW_NODES; do
        echo "--- $n status:"; cat "$VV_TMP/$n.status" 2>/dev/null
        echo "--- $n log (tail):"; grep -v 'raft: ' "$VV_TMP/$n.log" | tail -n 20
    done
}
