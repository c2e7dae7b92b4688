# Active-active: two instances with their own holders on three nodes
# (namespace test, skips without root); uses tests/lab/checker.
TESTS += tests/netns/dual_master.sh
EXTRA_DIST += tests/netns/dual_master.sh
