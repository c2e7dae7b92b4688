# Active-active: two instances with their own holders, on three nodes and
# on two nodes plus a witness (namespace tests, skip without root); they
# use tests/lab/checker.
TESTS += tests/netns/dual_master.sh tests/netns/dual_witness.sh
EXTRA_DIST += tests/netns/dual_master.sh tests/netns/dual_witness.sh
# Benchmark (not in make check): bench/dual_master.
EXTRA_DIST += bench/dual_master
