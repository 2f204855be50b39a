"""Benchmarks (not tests): ``python -m bench`` runs them and rewrites docs/benchmarks.md."""
