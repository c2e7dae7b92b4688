# raft/: the Raft node, replicated state machine, transport, lease.
