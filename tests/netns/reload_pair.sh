#!/bin/bash
# Reload (SIGHUP) on the holder of a pair + witness (tests/netns/pair_lib.sh)
# while a client fetches a page through the VIP from an HTTP server on
# each node:
#   - 20 reloads changing priority, advert_int, garp settings, a notify
#     script, preempt_delay and a check's weight: 0 moves, 0 samples
#     without a holder, 0 failed requests;
#   - a reload adding a VIP (and the backup's, first): up on the holder
#     (awaited; the time is printed as "bench:"), not on the backup; a
#     reload removing it again: gone, the other VIP untouched;
#   - an invalid file: refused with FILE:LINE in the log, nothing of it
#     applied, the daemon keeps holding;
#   - a setting that cannot change live (election_timeout): named in the
#     log, the rest applied.
set -u
. "$(dirname "$0")/vip_lib.sh"
VIPD_BUILDDIR=${VIPD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
[ -x "$VIPD_BUILDDIR/vipd" ] || { echo "SKIP: vipd not built"; exit 77; }
vv_skip_unless_root curl python3
. "$(dirname "$0")/pair_lib.sh"

fail() { pw_dump; echo "--- client:"; tail -n 5 "$VV_TMP/client" 2>/dev/null; vv_fail "$*"; }
applied() { grep -c "reload: .* applied in" "$VV_TMP/$1.log"; }

# reload NAME: SIGHUP, then await the next "applied" or "not applied".
reload() {
    local before_ok before_no
    before_ok=$(applied "$1")
    before_no=$(grep -c "not applied" "$VV_TMP/$1.log")
    kill -HUP "$(pw_pid "$1")"
    vv_wait 10000 eval '[ $(applied '"$1"') -gt '"$before_ok"' ] ||
        [ $(grep -c "not applied" "$VV_TMP/'"$1"'.log") -gt '"$before_no"' ]' ||
        fail "$1: reload not answered"
}

pw_setup
cat >"$VV_TMP/notify.sh" <<'EOF'
#!/bin/sh
echo "$@" >>"${0%.sh}.out"
EOF
chmod 755 "$VV_TMP/notify.sh"
for n in n1 n2 w; do pw_start "$n"; done
vv_wait 20000 pw_holder_is n1 || fail "n1 does not hold: '$(pw_holders)'"

# A page per node, served through the VIP.
for n in n1 n2; do
    mkdir -p "$VV_TMP/www.$n"
    echo "$n" >"$VV_TMP/www.$n/who"
    ip netns exec "${VV}$n" python3 -m http.server 8080 --bind 0.0.0.0 \
        --directory "$VV_TMP/www.$n" >/dev/null 2>&1 &
    VV_PIDS+=("$!")
    vv_wait 10000 ip netns exec "${VV}cl" curl -sf --max-time 1 \
        -o /dev/null "http://$(pw_ip $n):8080/who" || fail "$n: no web server"
done
rm -f "$VV_TMP/client.stop"
(
    while [ ! -e "$VV_TMP/client.stop" ]; do
        if who=$(ip netns exec "${VV}cl" curl -sf --max-time 1 "http://$PW_VIP:8080/who"); then
            echo "ok $who" >>"$VV_TMP/client"
        else
            echo "fail" >>"$VV_TMP/client"
        fi
        sleep 0.02
    done
) &
CLIENT=$!
VV_PIDS+=("$CLIENT")
vv_wait 10000 grep -qs "^ok n1" "$VV_TMP/client" || fail "client never reached n1"
pw_sampler_start

# variant I: a config for n1 differing in live settings by I's parity.
variant() {
    local i=$1
    pw_conf n1
    if [ $((i % 2)) = 1 ]; then
        sed -i -e 's/priority 150/priority 160/' -e 's/advert_int 1/advert_int 2/' \
            -e "s|virtual_router_id 51|virtual_router_id 51\n    garp_master_delay 1\n    garp_master_repeat 2\n    preempt_delay 1\n    notify_master \"$VV_TMP/notify.sh master\"\n    track_script { chk_ok weight 10 }|" \
            "$VV_TMP/n1.conf"
        echo "vrrp_script chk_ok { script \"/bin/true\" interval 1 }" >>"$VV_TMP/n1.conf"
    fi
}
for i in $(seq 1 20); do
    variant "$i"
    "$VIPD" -t -f "$VV_TMP/n1.conf" >/dev/null 2>&1 || fail "variant $i invalid"
    reload n1
    [ "$(applied n1)" = "$i" ] || fail "reload $i not applied: $(grep 'reload:' "$VV_TMP/n1.log" | tail -n 3)"
done
# The last variant's check ran and was reported through the NODE record.
vv_wait 10000 eval '"$VIPCTL" -s "$VV_TMP/n1.sock" status 2>/dev/null | grep -q chk_ok' ||
    fail "the reloaded check is not in status"
n_ok=$(grep -c "^ok" "$VV_TMP/client")
vv_wait 10000 eval '[ $(grep -c "^ok" "$VV_TMP/client") -ge $((n_ok + 5)) ]' || fail "client stalled"
touch "$VV_TMP/client.stop"
wait "$CLIENT" 2>/dev/null
pw_sampler_stop
read -r two moves none < <(pw_sampler_stats)
n_fail=$(grep -c "^fail" "$VV_TMP/client")
n_ok=$(grep -c "^ok n1" "$VV_TMP/client")
echo "20 reloads: $moves moves, $none ms without a holder, $two two-holder samples, $n_ok requests ok, $n_fail failed"
[ "$moves" = 0 ] && [ "$none" = 0 ] && [ "$two" = 0 ] && [ "$n_fail" = 0 ] ||
    fail "reloads disturbed the VIP"
grep -q "^ok n2" "$VV_TMP/client" && fail "a request reached n2"
echo "ok: 20 reloads on the holder: no move, no outage"

# Add a VIP: on the backup first (nothing to add there), then the holder.
pw_conf n2 10.77.0.101/24
reload n2
pw_has n2 && fail "n2 holds after its reload"
variant 20
pw_conf n1 10.77.0.101/24
t0=$(vv_ms)
kill -HUP "$(pw_pid n1)"
vv_wait 10000 vv_has_addr n1 10.77.0.101 || fail "the added VIP is not up on n1"
t1=$(vv_ms)
echo "bench: reload adding a VIP -> up on the holder in $((t1 - t0)) ms (SIGHUP to address seen)"
vv_has_addr n2 10.77.0.101 && fail "the added VIP is on the backup too"
pw_has n1 || fail "the first VIP went away"

# Remove it again.
pw_conf n1
reload n1
vv_wait 10000 eval '! vv_has_addr n1 10.77.0.101' || fail "the removed VIP stays"
pw_has n1 || fail "the first VIP went away with the removed one"
echo "ok: a VIP added and removed by reload"

# An invalid file: refused with FILE:LINE, nothing of it applied.
pw_conf n1 10.77.0.102/24
sed -i 's/priority 150/priority 300/' "$VV_TMP/n1.conf"
line=$(grep -n "priority 300" "$VV_TMP/n1.conf" | cut -d: -f1)
n_applied=$(applied n1)
reload n1
grep -q "reload: $VV_TMP/n1.conf:$line: error: " "$VV_TMP/n1.log" ||
    fail "no FILE:LINE error for the invalid file: $(grep 'reload:' "$VV_TMP/n1.log" | tail -n 3)"
grep -q "reload: $VV_TMP/n1.conf: 1 error: not applied, the running configuration stays" "$VV_TMP/n1.log" ||
    fail "the refusal is not logged"
[ "$(applied n1)" = "$n_applied" ] || fail "the invalid file was applied"
vv_has_addr n1 10.77.0.102 && fail "a VIP of the invalid file was added"
kill -0 "$(pw_pid n1)" || fail "vipd died on an invalid reload"
pw_holder_is n1 || fail "n1 stopped holding after the invalid reload"
echo "ok: invalid reload refused with FILE:LINE"

# A setting that cannot change live: named, and the rest applied.
pw_conf n1 10.77.0.103/24
sed -i 's|^cluster {|cluster {\n    election_timeout 700|' "$VV_TMP/n1.conf"
reload n1
grep -q "cluster 'election_timeout' changed: not applied live, needs a restart; the running value stays" \
    "$VV_TMP/n1.log" || fail "election_timeout change not named"
vv_wait 10000 vv_has_addr n1 10.77.0.103 || fail "the live part was not applied"
grep -q "T=500 ms" "$VV_TMP/n1.log" || fail "T changed"
echo "ok: a non-live setting is named and kept"
pw_holder_is n1 || fail "n1 stopped holding"

# After all those reloads the daemon still shuts down cleanly (exit 0:
# uv_loop_close() == 0, and no sanitizer report in an ASan build).
pid=$(pw_pid n1)
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "n1 exited with $rc after SIGTERM"
grep -q "Sanitizer" "$VV_TMP/n1.log" && fail "sanitizer report: $(grep -A5 Sanitizer "$VV_TMP/n1.log" | head)"
echo "ok: clean shutdown after 25 reloads"
echo "PASS"
