"""Benchmarks (not run by the test suite): ``python -m bench.run`` or ``make bench``."""
