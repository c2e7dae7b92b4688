# src/ health checks, tracking and notify scripts, and their tests.
libvipcore_a_SOURCES += \
	src/health_rule.c src/health_rule.h \
	src/script_cmd.c src/script_cmd.h \
	src/script_run.c src/script_run.h \
	src/check_tcp.c src/check_tcp.h \
	src/check_http.c src/check_http.h \
	src/check_https.c src/check_https.h \
	src/dl_lib.c src/dl_lib.h \
	src/health.c src/health.h \
	src/health_config.c \
	src/track_weight.c src/track_weight.h \
	src/notify.c src/notify.h \
	src/notify_fifo.c src/notify_fifo.h

# Tests: pure logic first, then real-loop tests of each piece.
EXTRA_DIST += tests/unit/health_util.h tests/unit/http_server.h
HEALTH_TESTS = \
	tests/unit/test_health_rule \
	tests/unit/test_script_run \
	tests/unit/test_checks \
	tests/unit/test_check_https \
	tests/unit/test_health \
	tests/unit/test_notify \
	tests/unit/test_health_config
check_PROGRAMS += $(HEALTH_TESTS)
TESTS += $(HEALTH_TESTS)
tests_unit_test_health_rule_SOURCES = tests/unit/test_health_rule.c
tests_unit_test_health_rule_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_health_rule_LDADD = $(TEST_LDADD)
tests_unit_test_script_run_SOURCES = tests/unit/test_script_run.c
tests_unit_test_script_run_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_script_run_LDADD = $(TEST_LDADD)
tests_unit_test_checks_SOURCES = tests/unit/test_checks.c
tests_unit_test_checks_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_checks_LDADD = $(TEST_LDADD)
tests_unit_test_check_https_SOURCES = tests/unit/test_check_https.c
tests_unit_test_check_https_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_check_https_LDADD = $(TEST_LDADD)
tests_unit_test_health_SOURCES = tests/unit/test_health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_health_LDADD = $(TEST_LDADD)
tests_unit_test_notify_SOURCES = tests/unit/test_notify.c
tests_unit_test_notify_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_notify_LDADD = $(TEST_LDADD)
tests_unit_test_health_config_SOURCES = tests/unit/test_health_config.c
tests_unit_test_health_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_health_config_LDADD = $(TEST_LDADD)

# Namespace scenario: three vipd nodes with haproxy (skips until the daemon
# runs a cluster).
TESTS += tests/netns/health_haproxy.sh
EXTRA_DIST += tests/netns/health_haproxy.sh

# libFuzzer drivers (tests/fuzz/run.sh; not in make check).
EXTRA_DIST += tests/fuzz/fuzz_check_http.c tests/fuzz/fuzz_script_cmd.c
# Run-time loading of libcurl, libmicrohttpd, libsystemd (src/dl_lib.h),
# and that vipd links none of them (tests/ops/test_no_optional_libs.sh).
check_PROGRAMS += tests/unit/test_dl_lib
TESTS += tests/unit/test_dl_lib tests/ops/test_no_optional_libs.sh
EXTRA_DIST += tests/ops/test_no_optional_libs.sh
tests_unit_test_dl_lib_SOURCES = tests/unit/test_dl_lib.c
tests_unit_test_dl_lib_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dl_lib_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/unit/test_track_weight
tests_unit_test_track_weight_SOURCES = tests/unit/test_track_weight.c
tests_unit_test_track_weight_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_track_weight_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_track_weight
