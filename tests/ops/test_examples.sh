#!/bin/bash
# deploy/ examples stay usable:
# - every example configuration passes vipd -t (exit 0), and each example
#   directory has a README;
# - the cloud notify script prints the exact AWS calls with --dry-run and
#   runs nothing (a fake `aws` on PATH records calls), runs exactly those
#   calls without it, and refuses malformed arguments with exit 2;
# - the Grafana dashboard is valid JSON and uses only metrics vipd serves.
set -u
SRC=${VIPD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${VIPD_BUILDDIR:-$SRC/build/dev}
VIPD=$BUILD/vipd
[ -x "$VIPD" ] || { echo "SKIP: $VIPD not built"; exit 77; }
WORK=$(mktemp -d /tmp/vex.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

n=0
for f in "$SRC"/deploy/vipd.conf.example "$SRC"/deploy/examples/*/*.conf; do
    n=$((n + 1))
    "$VIPD" -t --no-host-checks -f "$f" >"$WORK/out" 2>&1 || bad "vipd -t ${f#$SRC/}: $(cat "$WORK/out")"
done
[ $n -ge 8 ] || bad "only $n example configurations found"
for d in "$SRC"/deploy/examples/*/; do
    [ -s "$d/README" ] || bad "${d#$SRC/} has no README"
done

S=$SRC/deploy/examples/cloud-secondary-ip/move-secondary-ip
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho "$*" >>"%s/aws.calls"\n' "$WORK" >"$WORK/bin/aws"
printf '#!/bin/sh\nexit 0\n' >"$WORK/bin/logger"
chmod +x "$WORK/bin/aws" "$WORK/bin/logger"
export PATH="$WORK/bin:$PATH"
out=$("$S" --ip 10.0.5.100 --eni eni-0123456789abcdef0 --eip-alloc eipalloc-0123456789abcdef0 --dry-run 2>&1) ||
    bad "dry run failed: $out"
grep -qx '+ aws ec2 assign-private-ip-addresses --network-interface-id eni-0123456789abcdef0 --private-ip-addresses 10.0.5.100 --allow-reassignment' <<<"$out" ||
    bad "dry run: no assign call: $out"
grep -qx '+ aws ec2 associate-address --allocation-id eipalloc-0123456789abcdef0 --network-interface-id eni-0123456789abcdef0 --private-ip-address 10.0.5.100 --allow-reassociation' <<<"$out" ||
    bad "dry run: no associate call: $out"
[ ! -e "$WORK/aws.calls" ] || bad "dry run called aws: $(cat "$WORK/aws.calls")"
out=$("$S" --ip 10.0.5.100 --dry-run 2>&1) || bad "dry run without --eni: $out"
grep -q 'meta-data/network/interfaces/macs/MAC/interface-id' <<<"$out" || bad "no metadata call shown: $out"
"$S" --ip 10.0.5.100 --eni eni-0123456789abcdef0 --region eu-west-1 >/dev/null 2>&1 || bad "real run failed"
[ "$(cat "$WORK/aws.calls" 2>/dev/null)" = "--region eu-west-1 ec2 assign-private-ip-addresses --network-interface-id eni-0123456789abcdef0 --private-ip-addresses 10.0.5.100 --allow-reassignment" ] ||
    bad "real run calls: $(cat "$WORK/aws.calls" 2>/dev/null)"
for args in "--ip 10.0.5.100;reboot --dry-run" "--ip 10.0.5.100 --eni eth0 --dry-run" \
    "--ip 10.0.5.100 --eip-alloc x --dry-run" "--dry-run" "--ip"; do
    # shellcheck disable=SC2086 # one word per argument on purpose
    "$S" $args >/dev/null 2>&1; rv=$?
    [ $rv = 2 ] || bad "move-secondary-ip $args: exit $rv, expected 2"
done

J=$SRC/deploy/grafana-vipd.json
if command -v python3 >/dev/null; then
    python3 -m json.tool "$J" >/dev/null || bad "grafana-vipd.json is not valid JSON"
fi
used=$(grep -o 'vipd_[a-z0-9_]*[a-z0-9]' "$J" | sort -u)
[ -n "$used" ] || bad "the dashboard uses no vipd metric"
for m in $used; do
    grep -q "\"$m[{\"]" "$SRC/src/daemon_metrics.c" || grep -q "\"$m\"" "$SRC/src/daemon_metrics.c" ||
        bad "the dashboard uses $m, which vipd does not serve"
done
[ $fail = 0 ] && echo "PASS: $n example configurations, cloud script, dashboard"
exit $fail
