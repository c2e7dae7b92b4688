# raft/ read-only accessor used by src/ (logs, status, metrics).
libvipcore_a_SOURCES += raft/cluster_info.h raft/cluster_info.c
