# src/ config parser (keepalived syntax + cluster block) and its tests.
libvipcore_a_SOURCES += \
	src/config_int.h \
	src/config_lex.c \
	src/config_subst.c \
	src/config_parse.c \
	src/config_blocks.c \
	src/config_cluster.c \
	src/config_instance.c \
	src/config_check.c \
	src/config_host.c \
	src/config_value.c \
	src/config_unit.c \
	src/check_process.c \
	src/check_process.h

check_PROGRAMS += tests/unit/test_config_parse
tests_unit_test_config_parse_SOURCES = tests/unit/test_config_parse.c \
	tests/unit/config_helper.h
tests_unit_test_config_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_parse_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_parse

check_PROGRAMS += tests/unit/test_config_subst
tests_unit_test_config_subst_SOURCES = tests/unit/test_config_subst.c \
	tests/unit/config_helper.h
tests_unit_test_config_subst_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_subst_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_subst

check_PROGRAMS += tests/unit/test_config_lex
tests_unit_test_config_lex_SOURCES = tests/unit/test_config_lex.c \
	tests/unit/config_helper.h
tests_unit_test_config_lex_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_lex_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_lex

# The corpus: vipd -t verdicts and FILE:LINE messages, and the differential
# check against keepalived -t (skips when keepalived is absent).
TESTS += tests/config/test_vipd_t.sh tests/config/test_keepalived_diff.sh \
	tests/config/test_host_checks.sh
EXTRA_DIST += tests/config/test_vipd_t.sh tests/config/test_keepalived_diff.sh \
	tests/config/test_host_checks.sh \
	tests/config/README tests/config/valid tests/config/invalid

# Deterministic mutation fuzzing (runs in make check, under the sanitizers
# when configured with them); tests/fuzz/fuzz_config.c is the libFuzzer
# driver for longer runs with clang (not built here).
check_PROGRAMS += tests/unit/test_config_fuzz
tests_unit_test_config_fuzz_SOURCES = tests/unit/test_config_fuzz.c \
	tests/fuzz/fuzz_config.h
tests_unit_test_config_fuzz_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_fuzz_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_fuzz
EXTRA_DIST += tests/fuzz/fuzz_config.c tests/fuzz/config.dict tests/fuzz/run.sh

# Allocation failure: every allocation of a load fails in turn.
check_PROGRAMS += tests/unit/test_config_oom
tests_unit_test_config_oom_SOURCES = tests/unit/test_config_oom.c
tests_unit_test_config_oom_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_oom_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
tests_unit_test_config_oom_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_oom

# Adverts to vrrp_mcast_group4/6 and mcast_dst_ip, seen by tcpdump (root
# only; uses tests/netns/vipnet_tool).
TESTS += tests/netns/vip_mcast_group.sh
EXTRA_DIST += tests/netns/vip_mcast_group.sh

# vrrp_track_process: the matcher and counting on real processes, and the
# VIP moving when haproxy dies (tests/netns/health_haproxy.sh's lab).
check_PROGRAMS += tests/unit/test_check_process
tests_unit_test_check_process_SOURCES = tests/unit/test_check_process.c
tests_unit_test_check_process_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_check_process_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_check_process tests/netns/track_process_haproxy.sh
EXTRA_DIST += tests/netns/track_process_haproxy.sh
