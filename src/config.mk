# src/ config parser (keepalived syntax + cluster block) and its tests.
libvipcore_a_SOURCES += \
	src/config_int.h \
	src/config_lex.c \
	src/config_parse.c \
	src/config_blocks.c \
	src/config_cluster.c \
	src/config_instance.c \
	src/config_check.c \
	src/config_value.c

check_PROGRAMS += tests/unit/test_config_parse
tests_unit_test_config_parse_SOURCES = tests/unit/test_config_parse.c \
	tests/unit/config_helper.h
tests_unit_test_config_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_parse_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_config_parse
