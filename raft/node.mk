# raft/ node part (see raft/local.mk): transport, peer RPCs, the node.
libvipcore_a_SOURCES += \
	raft/transport.h raft/transport.c
libvipcore_a_SOURCES += \
	raft/peer_rpc.h raft/peer_rpc.c
libvipcore_a_SOURCES += \
	raft/cluster.h raft/cluster_internal.h raft/cluster.c raft/cluster_own.c \
	raft/cluster_rpc.c raft/cluster_member.c raft/vm_member.h raft/vm_member.c \
	raft/raft015.h raft/raft015.c


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
EXTRA_DIST += tests/fuzz/fuzz_handshake.c
TESTS += tests/cli/test_keygen.sh
EXTRA_DIST += tests/cli/test_keygen.sh
# Benchmark (not in make check): bench/handshake_cost.sh
EXTRA_DIST += bench/handshake_cost.sh bench/handshake_cost.c
check_PROGRAMS += tests/unit/test_vm_member
tests_unit_test_vm_member_SOURCES = tests/unit/test_vm_member.c
tests_unit_test_vm_member_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_vm_member_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_vm_member
