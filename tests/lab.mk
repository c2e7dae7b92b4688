# tests/lab: namespace lab, fault injection, checker, benchmarks.
#
# The checker samples VIP holders in every lab namespace; its accounting
# (acct.c) is pure and unit-tested. Scenario tests run vipd only, and skip
# (77) until the daemon can run a cluster, or when not root.
check_PROGRAMS += tests/lab/checker tests/unit/test_lab_acct
tests_lab_checker_SOURCES = tests/lab/checker.c tests/lab/acct.c tests/lab/acct.h
tests_unit_test_lab_acct_SOURCES = tests/unit/test_lab_acct.c tests/lab/acct.c \
	tests/lab/acct.h
tests_unit_test_lab_acct_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lab_acct_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test_lab_acct
EXTRA_DIST += tests/lab/lib.sh tests/lab/README
TESTS += tests/lab/test_lab_self.sh tests/lab/test_checker.sh \
	tests/lab/test_detects_split_brain.sh tests/lab/test_vipd_lab.sh
EXTRA_DIST += tests/lab/config.sh tests/lab/driver_keepalived.sh \
	tests/lab/driver_vipd.sh tests/lab/scenario.sh \
	tests/lab/test_lab_self.sh tests/lab/test_checker.sh \
	tests/lab/test_vipd_lab.sh tests/lab/test_detects_split_brain.sh \
	bench/failover
