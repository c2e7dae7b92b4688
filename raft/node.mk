# raft/ node part (see raft/local.mk): transport, peer RPCs, the node.
libvipcore_a_SOURCES += \
	raft/transport.h raft/transport.c
