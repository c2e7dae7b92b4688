# tests/: shared test helpers and the smoke tests of the programs.
check_PROGRAMS += tests/unit/test_error
tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_error_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_error tests/cli/test_cli.sh tests/netns/valgrind_shutdown.sh
# Faults around the holder on real vipd processes (kill -9, SIGSTOP, a
# failed handover, leader != holder); uses tests/lab/checker.
TESTS += tests/netns/cluster_faults.sh
EXTRA_DIST += tests/netns/cluster_faults.sh
# A follower cut off (or with the wrong key) for 8 s returns without a
# leader change; uses tests/lab/checker.
TESTS += tests/netns/heal_cutoff.sh
EXTRA_DIST += tests/netns/heal_cutoff.sh
EXTRA_DIST += tests/cli/test_cli.sh tests/netns/valgrind_shutdown.sh \
	tests/netns/valgrind_libraft.supp
include tests/lab.mk
include tests/pair.mk
include tests/dual.mk
EXTRA_DIST += tests/lib/loop.h tests/lib/private_netns.h
include tests/ops/ops.mk
EXTRA_DIST += tests/lib/no_cmocka.h
