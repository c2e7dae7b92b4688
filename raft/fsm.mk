# raft/ state machine part (see raft/local.mk).
