# raft/: the Raft node, replicated state machine, transport, lease.
# fsm.mk: entry codec, FSM, priority rule, lease arithmetic, simulation.
# node.mk: raft_uv node, TCP transport, proposals, ownership wiring.
include raft/fsm.mk
include raft/node.mk
EXTRA_DIST += docs/DESIGN.md tests/mutations/core.list
