"""Pulse benchmarks: `make bench` (`python -m bench`)."""
