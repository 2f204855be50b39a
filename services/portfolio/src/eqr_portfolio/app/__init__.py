"""Use cases: each takes its ports, calls the domain, and returns domain values."""
