# raft/ node part (see raft/local.mk).
