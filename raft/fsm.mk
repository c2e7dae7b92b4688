# raft/ state machine part (see raft/local.mk): entry codec, FSM, priority
# rule, lease arithmetic, and the raft_fixture simulation that proves the
# single-holder invariant.
libvipcore_a_SOURCES += \
	raft/entry.c raft/entry.h \
	raft/fsm.c raft/fsm.h \
	raft/priority.c raft/priority.h \
	raft/lease.c raft/lease.h \
	raft/prevote.c raft/prevote.h \
	raft/own_step.c raft/own_step.h \
	raft/own_renew.c raft/own_renew.h

# Unit tests of the pure modules.
check_PROGRAMS += tests/unit/test_entry tests/unit/test_fsm \
	tests/unit/test_priority tests/unit/test_lease tests/unit/test_prevote
tests_unit_test_entry_SOURCES = tests/unit/test_entry.c \
	tests/unit/entry_v1_golden.h
tests_unit_test_entry_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_entry_LDADD = $(TEST_LDADD)
EXTRA_DIST += tests/fuzz/fuzz_entry.c
tests_unit_test_fsm_SOURCES = tests/unit/test_fsm.c \
	tests/unit/entry_v1_golden.h
tests_unit_test_fsm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fsm_LDADD = $(TEST_LDADD)
tests_unit_test_priority_SOURCES = tests/unit/test_priority.c
tests_unit_test_priority_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_priority_LDADD = $(TEST_LDADD)
tests_unit_test_lease_SOURCES = tests/unit/test_lease.c
tests_unit_test_lease_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lease_LDADD = $(TEST_LDADD)
tests_unit_test_prevote_SOURCES = tests/unit/test_prevote.c
tests_unit_test_prevote_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_prevote_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_entry tests/unit/test_fsm \
	tests/unit/test_priority tests/unit/test_lease tests/unit/test_prevote

check_PROGRAMS += tests/unit/test_own_step
tests_unit_test_own_step_SOURCES = tests/unit/test_own_step.c
tests_unit_test_own_step_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_own_step_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_own_step

# The simulation: raft_fixture clusters under random faults (tests/sim/sim.c).
# `make check` runs a few thousand seeds; `make sim-soak` many more.
check_PROGRAMS += tests/sim/sim
tests_sim_sim_SOURCES = tests/sim/sim.c tests/sim/sim.h tests/sim/sim_node.c \
	tests/sim/sim_faults.c tests/sim/sim_fix.c tests/sim/sim_place.c
tests_sim_sim_LDADD = libvipcore.a $(ALL_DEP_LIBS)
TESTS += tests/sim/test_sim.sh
EXTRA_DIST += tests/sim/test_sim.sh tests/sim/README.md

SIM_SOAK_SEEDS ?= 100000
sim-soak: tests/sim/sim
	./tests/sim/sim --isolate --seeds $(SIM_SOAK_SEEDS)
.PHONY: sim-soak

# libFuzzer driver: records applied to the FSM, snapshots of what they
# reach (tests/fuzz/run.sh fsm_apply; not in make check).
EXTRA_DIST += tests/fuzz/fuzz_fsm_apply.c tests/fuzz/corpus/fsm_apply/dual_master \
	tests/fuzz/corpus/fsm_apply/release
