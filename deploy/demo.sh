#!/bin/bash
# The README's demo command. For now: install deps, build, check the sample
# configuration. Grows into the three-node namespace demo.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
dir=$("$top/scripts/build.sh" demo)
"$dir/vipd" -t -f "$top/deploy/vipd.conf.example"
