# tests/ops: operations (logging, systemd notify/watchdog, man pages,
# install tree, Debian package, metrics). Shared helper: ops_lib.sh.
TESTS += tests/ops/test_log.sh
EXTRA_DIST += tests/ops/ops_lib.sh tests/ops/test_log.sh tests/ops/syslog_recv.py
TESTS += tests/ops/test_sd_notify.sh
EXTRA_DIST += tests/ops/test_sd_notify.sh tests/ops/notify_recv.py
TESTS += tests/ops/test_man.sh
EXTRA_DIST += tests/ops/test_man.sh
TESTS += tests/ops/test_package.sh
EXTRA_DIST += tests/ops/test_package.sh
TESTS += tests/ops/test_metrics.sh
EXTRA_DIST += tests/ops/test_metrics.sh
TESTS += tests/ops/test_vipctl_texts.sh
EXTRA_DIST += tests/ops/test_vipctl_texts.sh
TESTS += tests/ops/test_examples.sh
EXTRA_DIST += tests/ops/test_examples.sh
TESTS += tests/ops/test_plot.sh
EXTRA_DIST += tests/ops/test_plot.sh bench/plot-holders
# No call cycle between raft/cluster*.c (raft/cluster.h: the order of the
# parts), from the objects' symbols.
TESTS += tests/ops/test_no_cycles.sh
EXTRA_DIST += tests/ops/test_no_cycles.sh
