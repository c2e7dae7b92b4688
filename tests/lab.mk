# tests/lab: namespace lab, fault injection, checker, benchmarks.
