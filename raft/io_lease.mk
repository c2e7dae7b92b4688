# raft/ lease decorator (see raft/local.mk): the raft_io wrapper that gives
# the leader a lease from acknowledged AppendEntries, and its unit tests.
libvipcore_a_SOURCES += raft/io_lease.c raft/io_lease.h

check_PROGRAMS += tests/unit/test_io_lease
tests_unit_test_io_lease_SOURCES = tests/unit/test_io_lease.c
tests_unit_test_io_lease_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_io_lease_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_io_lease
EXTRA_DIST += tests/unit/io_lease_mutants.py

# The decorator around libraft's own raft_fixture servers.
check_PROGRAMS += tests/integration/test_io_lease_fixture
tests_integration_test_io_lease_fixture_SOURCES = tests/integration/test_io_lease_fixture.c
tests_integration_test_io_lease_fixture_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_io_lease_fixture_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_io_lease_fixture
