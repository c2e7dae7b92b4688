# tests/lab/config.sh: the scenario's VRRP settings, shared by both drivers
# (source after lib.sh). One scenario yields the same vrrp_script and
# vrrp_instance text for keepalived and for vipd, so both systems run the
# same VIP, VRID, priorities, health script, advert interval and peers.
#
# Scenario knobs (environment, with defaults):
#   SC_MODE      unicast | multicast        (unicast)
#   SC_VRID      virtual_router_id          (51)
#   SC_ADVERT    advert_int, seconds        (1)
#   SC_CHECK     1: track a health script   (1)
#   SC_INTERVAL / SC_FALL / SC_RISE: the script's interval, fall, rise (1/2/1)
#   SC_WEIGHT    the script's weight (none: a failing script means FAULT)
#   SC_N_VIPS    number of VIPs, 1..64: $LAB_VIP and the next addresses (1)
# Node K's priority is 200 - 10*K, so node 1 is the preferred holder.
# Node K is healthy while $LAB_DIR/nK.ok exists (the script tests it).

SC_MODE=${SC_MODE:-unicast}
SC_VRID=${SC_VRID:-51}
SC_ADVERT=${SC_ADVERT:-1}
SC_CHECK=${SC_CHECK:-1}
SC_INTERVAL=${SC_INTERVAL:-1}
SC_FALL=${SC_FALL:-2}
SC_RISE=${SC_RISE:-1}
SC_N_VIPS=${SC_N_VIPS:-1}
SC_WEIGHT=${SC_WEIGHT:-}

# sc_vips: the scenario's VIPs, one per line ($LAB_VIP first).
sc_vips()
{
    local base=${LAB_VIP%.*} last=${LAB_VIP##*.} i
    for ((i = 0; i < SC_N_VIPS; i++)); do
        echo "$base.$((last + i))"
    done
}

sc_priority() { echo $((200 - 10 * $1)); }
sc_health_file() { echo "$LAB_DIR/n$1.ok"; }
sc_set_healthy() { touch "$(sc_health_file "$1")"; }
sc_set_unhealthy() { rm -f "$(sc_health_file "$1")"; }

# sc_vrrp_conf K: global_defs, vrrp_script and vrrp_instance for node K.
sc_vrrp_conf()
{
    local k=$1 j
    printf 'global_defs {\n    router_id lab-n%s\n' "$k"
    printf '    script_user root\n    enable_script_security\n}\n'
    if [ "$SC_CHECK" = 1 ]; then
        printf 'vrrp_script chk_lab {\n'
        printf '    script "/usr/bin/test -f %s"\n' "$(sc_health_file "$k")"
        printf '    interval %s\n    fall %s\n    rise %s\n' \
            "$SC_INTERVAL" "$SC_FALL" "$SC_RISE"
        if [ -n "$SC_WEIGHT" ]; then
            printf '    weight %s\n' "$SC_WEIGHT"
        fi
        printf '}\n'
    fi
    printf 'vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n'
    printf '    virtual_router_id %s\n    priority %s\n    advert_int %s\n' \
        "$SC_VRID" "$(sc_priority "$k")" "$SC_ADVERT"
    case $SC_ADVERT in
    *.*) printf '    version 3\n' ;; # VRRPv2 carries whole seconds only
    esac
    printf '    authentication {\n        auth_type PASS\n'
    printf '        auth_pass labpass\n    }\n'
    if [ "$SC_MODE" = unicast ]; then
        printf '    unicast_src_ip %s\n    unicast_peer {\n' "$(lab_node_ip "$k")"
        for ((j = 1; j <= LAB_N; j++)); do
            [ "$j" = "$k" ] || printf '        %s\n' "$(lab_node_ip "$j")"
        done
        printf '    }\n'
    fi
    printf '    virtual_ipaddress {\n'
    sc_vips | while read -r v; do
        printf '        %s/24 dev eth0\n' "$v"
    done
    printf '    }\n'
    if [ "$SC_CHECK" = 1 ]; then
        printf '    track_script {\n        chk_lab\n    }\n'
    fi
    printf '}\n'
}

# sc_restart K [--wipe]: restart node K's daemon gracefully, optionally
# without its data dir (needs a driver: drv_stop, drv_wipe, drv_start).
sc_restart()
{
    drv_stop "$1"
    if [ "${2:-}" = --wipe ]; then
        drv_wipe "$1"
    fi
    drv_start "$1"
}
