"""Benchmarks: speed, GUI overhead, start-up, time to accuracy. Run with `make bench`."""
