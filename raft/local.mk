# raft/: the Raft node, replicated state machine, transport, lease.
# fsm.mk: entry codec, FSM, priority rule, lease arithmetic, simulation.
# node.mk: raft_uv node, TCP transport, proposals, ownership wiring.
# io_lease.mk: the raft_io decorator behind the log-free lease.
include raft/io_lease.mk
include raft/fsm.mk
include raft/node.mk
include raft/info.mk
include raft/place.mk
EXTRA_DIST += docs/DESIGN.md tests/mutations/core.list
