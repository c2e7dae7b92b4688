# src/: runtime shared by vipd and vipctl, and the two programs.
libvipcore_a_SOURCES += \
	include/vipd/error.h \
	include/vipd/log.h \
	include/vipd/config.h \
	include/vipd/clock.h \
	src/error.c \
	src/log.c

sbin_PROGRAMS += vipd
vipd_SOURCES = src/vipd.c src/daemon.c src/daemon.h src/daemon_int.h src/daemon_ctl.c \
	src/daemon_reload.c src/recover_cmd.h src/recover_cmd.c
vipd_LDADD = libvipcore.a $(ALL_DEP_LIBS)
# systemd readiness and watchdog (sd_notify); vipd only.
vipd_SOURCES += src/daemon_systemd.c src/daemon_systemd.h
vipd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(MHD_CFLAGS)
# Prometheus /metrics (libmicrohttpd on the daemon's loop); vipd only.
vipd_SOURCES += src/metrics_http.c src/metrics_http.h src/daemon_metrics.c

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

# What a node needs on its host (join pre-checks, recovery).
libvipcore_a_SOURCES += src/node_checks.h src/node_checks.c
check_PROGRAMS += tests/unit/test_node_checks
tests_unit_test_node_checks_SOURCES = tests/unit/test_node_checks.c
tests_unit_test_node_checks_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_node_checks_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_node_checks
# Hostile local conditions against one vipd (second instance, fd flood).
TESTS += tests/netns/hostile_node.sh
EXTRA_DIST += tests/netns/hostile_node.sh
check_PROGRAMS += tests/netns/raft_inject
tests_netns_raft_inject_SOURCES = tests/netns/raft_inject.c
tests_netns_raft_inject_LDADD = libvipcore.a $(ALL_DEP_LIBS)
