#!/bin/bash
# vipd links none of the libraries it loads only when used (src/dl_lib.h):
# libcurl (https checks), libmicrohttpd (metrics), libsystemd (under
# systemd). Linked, they and their TLS, Kerberos, LDAP and compression
# libraries made up most of an idle daemon's RSS; src/dl_lib.c's unit test
# and tests/ops/test_metrics.sh, test_sd_notify.sh and
# tests/unit/test_check_https check that they still load when used.
set -eu
bin=${VIPD_BUILDDIR:?}/vipd
command -v readelf >/dev/null || { echo "SKIP: no readelf"; exit 77; }
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "vipd needs: $(echo $needed)"
for lib in libcurl libmicrohttpd libsystemd; do
    if echo "$needed" | grep -q "^$lib\."; then
        echo "FAIL: vipd links $lib: load it at run time (src/dl_lib.h)"
        exit 1
    fi
done
