# raft/ placement part (see raft/local.mk): one holder per unit when the
# configuration has several (raft/place.h), and its wire format.
libvipcore_a_SOURCES += \
	raft/place.c raft/place.h \
	raft/place_wire.c raft/place_wire.h

check_PROGRAMS += tests/unit/test_place tests/unit/test_place_wire
tests_unit_test_place_SOURCES = tests/unit/test_place.c
tests_unit_test_place_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_place_LDADD = $(TEST_LDADD)
tests_unit_test_place_wire_SOURCES = tests/unit/test_place_wire.c
tests_unit_test_place_wire_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_place_wire_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_place tests/unit/test_place_wire
