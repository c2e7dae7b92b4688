# raft/ node part (see raft/local.mk): transport, peer RPCs, the node.
libvipcore_a_SOURCES += \
	raft/transport.h raft/transport.c
# The encrypted channel after the handshake, and the raft_uv validator.
libvipcore_a_SOURCES += \
	raft/channel.h raft/channel.c raft/frame_crypt.h raft/frame_crypt.c \
	raft/raft_wire.h raft/raft_wire.c
# Start-up check of the snapshot libraft will load.
libvipcore_a_SOURCES += raft/snapshot_check.h raft/snapshot_check.c
libvipcore_a_SOURCES += raft/atomic_file.h raft/atomic_file.c
libvipcore_a_SOURCES += \
	raft/peer_rpc.h raft/peer_rpc.c
libvipcore_a_SOURCES += \
	raft/cluster.h raft/cluster.c raft/cluster_closing.h \
	raft/cluster_node.h raft/cluster_node.c raft/cluster_own.h raft/cluster_own.c \
	raft/cluster_props.h raft/cluster_props.c \
	raft/cluster_place.h raft/cluster_place.c \
	raft/cluster_session.h raft/cluster_session.c \
	raft/cluster_peers.h raft/cluster_peers.c \
	raft/cluster_member.h raft/cluster_member.c raft/vm_member.h raft/vm_member.c \
	raft/raft015.h raft/raft015.c
libvipcore_a_SOURCES += \
	raft/recover.h raft/recover.c


check_PROGRAMS += tests/unit/test_transport tests/unit/test_peer_rpc
tests_unit_test_transport_SOURCES = tests/unit/test_transport.c
tests_unit_test_transport_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_transport_LDADD = $(TEST_LDADD)
tests_unit_test_peer_rpc_SOURCES = tests/unit/test_peer_rpc.c
tests_unit_test_peer_rpc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_peer_rpc_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_transport tests/unit/test_peer_rpc

check_PROGRAMS += tests/unit/test_cluster_members
tests_unit_test_cluster_members_SOURCES = tests/unit/test_cluster_members.c
tests_unit_test_cluster_members_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_cluster_members_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_cluster_members

TESTS += tests/netns/cluster_3proc.sh
EXTRA_DIST += tests/netns/cluster_3proc.sh
TESTS += tests/netns/key_refused.sh
EXTRA_DIST += tests/netns/key_refused.sh

# Benchmark (not in make check): bench/raft_idle.sh [BUILDDIR]
EXTRA_DIST += bench/raft_idle.sh

check_PROGRAMS += tests/integration/test_cluster_loop
tests_integration_test_cluster_loop_SOURCES = tests/integration/test_cluster_loop.c
tests_integration_test_cluster_loop_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_cluster_loop_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_cluster_loop

# Security: the cluster key file and the connection handshake.
libvipcore_a_SOURCES += \
	raft/keyfile.h raft/keyfile.c raft/handshake.h raft/handshake.c
check_PROGRAMS += tests/unit/test_handshake
tests_unit_test_handshake_SOURCES = tests/unit/test_handshake.c
tests_unit_test_handshake_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_handshake_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_handshake
EXTRA_DIST += tests/fuzz/fuzz_handshake.c tests/fuzz/fuzz_channel.c
TESTS += tests/cli/test_keygen.sh
EXTRA_DIST += tests/cli/test_keygen.sh
# Benchmark (not in make check): bench/handshake_cost.sh
EXTRA_DIST += bench/handshake_cost.sh bench/handshake_cost.c
# Benchmark (not in make check): bench/channel_cost.sh
EXTRA_DIST += bench/channel_cost.sh bench/channel_cost.c
check_PROGRAMS += tests/unit/test_vm_member
tests_unit_test_vm_member_SOURCES = tests/unit/test_vm_member.c
tests_unit_test_vm_member_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_vm_member_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_vm_member
check_PROGRAMS += tests/unit/test_channel
tests_unit_test_channel_SOURCES = tests/unit/test_channel.c
tests_unit_test_channel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_channel_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_channel
check_PROGRAMS += tests/unit/test_snapshot_check
tests_unit_test_snapshot_check_SOURCES = tests/unit/test_snapshot_check.c
tests_unit_test_snapshot_check_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_snapshot_check_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_snapshot_check
check_PROGRAMS += tests/unit/test_atomic_file
tests_unit_test_atomic_file_SOURCES = tests/unit/test_atomic_file.c
tests_unit_test_atomic_file_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_atomic_file_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_atomic_file
