#!/bin/bash
# Dual master on two nodes plus a witness: tests/netns/dual_master.sh in
# its witness layout (see there).
exec bash "$(dirname "$0")/dual_master.sh" witness
