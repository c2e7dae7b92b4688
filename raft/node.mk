# raft/ node part (see raft/local.mk): transport, peer RPCs, the node.
libvipcore_a_SOURCES += \
	raft/transport.h raft/transport.c
libvipcore_a_SOURCES += \
	raft/peer_rpc.h raft/peer_rpc.c
