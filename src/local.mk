# src/: runtime shared by vipd and vipctl, and the two programs.
libvipcore_a_SOURCES += \
	include/vipd/error.h \
	include/vipd/log.h \
	include/vipd/config.h \
	include/vipd/clock.h \
	src/error.c \
	src/log.c

sbin_PROGRAMS += vipd
vipd_SOURCES = src/vipd.c src/daemon.c src/daemon.h src/daemon_int.h src/daemon_ctl.c
vipd_LDADD = libvipcore.a $(ALL_DEP_LIBS)

bin_PROGRAMS += vipctl
vipctl_SOURCES = src/vipctl.c
vipctl_LDADD = libvipcore.a $(ALL_DEP_LIBS)

# Parts grown separately; each fragment lists its sources and tests.
include src/config.mk
include src/health.mk
include src/ctl.mk
vipd_SOURCES += src/leftovers.c src/leftovers.h
vipd_SOURCES += src/instance_lock.c src/instance_lock.h
TESTS += tests/cli/test_release_leftovers.sh
EXTRA_DIST += tests/cli/test_release_leftovers.sh
# Hostile local conditions against one vipd (second instance, fd flood).
TESTS += tests/netns/hostile_node.sh
EXTRA_DIST += tests/netns/hostile_node.sh
check_PROGRAMS += tests/netns/raft_inject
tests_netns_raft_inject_SOURCES = tests/netns/raft_inject.c
tests_netns_raft_inject_LDADD = libvipcore.a $(ALL_DEP_LIBS)
