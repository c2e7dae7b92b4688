# Pairs and day-2 operations: the pair + witness layout, reload, recovery
# after losing quorum (namespace tests; they skip without root).
TESTS += tests/netns/pair_witness.sh tests/netns/reload_pair.sh \
	tests/netns/recover_quorum.sh
EXTRA_DIST += tests/netns/pair_witness.sh tests/netns/reload_pair.sh \
	tests/netns/recover_quorum.sh tests/netns/pair_lib.sh
# Benchmarks (not in make check): bench/pair_witness, bench/reload.
EXTRA_DIST += bench/pair_witness bench/reload
