# src/ control socket server, vipctl client side, and their tests.
libvipcore_a_SOURCES += \
	include/vipd/status.h \
	src/status.c \
	src/status_json.c src/status_json.h \
	src/ctl_proto.c src/ctl_proto.h \
	src/ctl_server.c src/ctl_server.h src/ctl_peer.c \
	src/ctl_service.c src/ctl_service.h \
	src/ctl_units.c src/ctl_units.h

vipctl_SOURCES += \
	src/vipctl_client.c src/vipctl_client.h \
	src/vipctl_render.c src/vipctl_render.h

# A control socket without Raft: canned answers, recorded requests.
check_PROGRAMS += tests/lib/fake_daemon
tests_lib_fake_daemon_SOURCES = tests/lib/fake_daemon.c
tests_lib_fake_daemon_LDADD = libvipcore.a $(ALL_DEP_LIBS)

check_PROGRAMS += tests/unit/test_ctl_proto
tests_unit_test_ctl_proto_SOURCES = tests/unit/test_ctl_proto.c
tests_unit_test_ctl_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ctl_proto_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_ctl_proto

check_PROGRAMS += tests/unit/test_status_json
tests_unit_test_status_json_SOURCES = tests/unit/test_status_json.c
tests_unit_test_status_json_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_status_json_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_status_json

check_PROGRAMS += tests/integration/test_ctl_server
tests_integration_test_ctl_server_SOURCES = tests/integration/test_ctl_server.c
tests_integration_test_ctl_server_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ctl_server_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_ctl_server

# vipctl end to end against fake_daemon; credentials checks (root only).
TESTS += tests/cli/test_vipctl.sh tests/cli/test_ctl_peercred.sh
EXTRA_DIST += tests/cli/test_vipctl.sh tests/cli/test_ctl_peercred.sh
EXTRA_DIST += docs/control-protocol.md

# The issue's scenario against real vipd nodes in namespaces (skips until
# the daemon can run a cluster).
TESTS += tests/netns/ctl_cluster.sh
EXTRA_DIST += tests/netns/ctl_cluster.sh
# transfer/remove by a name several nodes share is refused.
TESTS += tests/netns/ctl_shared_name.sh
EXTRA_DIST += tests/netns/ctl_shared_name.sh

check_PROGRAMS += tests/integration/test_ctl_service
tests_integration_test_ctl_service_SOURCES = tests/integration/test_ctl_service.c
tests_integration_test_ctl_service_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ctl_service_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_ctl_service

# libFuzzer drivers (tests/fuzz/run.sh; not in make check).
EXTRA_DIST += tests/fuzz/fuzz_ctl_proto.c tests/fuzz/fuzz_status_json.c \
	tests/fuzz/fuzz_ctl_server.c

# vipctl's tables (src/vipctl_render.c is built into vipctl only).
check_PROGRAMS += tests/unit/test_vipctl_render
tests_unit_test_vipctl_render_SOURCES = tests/unit/test_vipctl_render.c \
	src/vipctl_render.c
tests_unit_test_vipctl_render_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_vipctl_render_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_vipctl_render
# `vipctl remove --force` of a running node: it is told and stops.
TESTS += tests/netns/remove_running.sh
EXTRA_DIST += tests/netns/remove_running.sh tests/netns/node_lib.sh tests/lib/test_ports.h
# A joined node restarted from its data dir can still hold the VIP.
TESTS += tests/netns/joined_restart.sh
EXTRA_DIST += tests/netns/joined_restart.sh

# Per-unit status, transfer plan and event texts (src/ctl_units.c).
check_PROGRAMS += tests/unit/test_ctl_units
tests_unit_test_ctl_units_SOURCES = tests/unit/test_ctl_units.c
tests_unit_test_ctl_units_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ctl_units_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_ctl_units
