# raft/ state machine part (see raft/local.mk): entry codec, FSM, priority
# rule, lease arithmetic, and the raft_fixture simulation that proves the
# single-holder invariant.
libvipcore_a_SOURCES += \
	raft/entry.c raft/entry.h \
	raft/fsm.c raft/fsm.h \
	raft/priority.c raft/priority.h \
	raft/lease.c raft/lease.h
