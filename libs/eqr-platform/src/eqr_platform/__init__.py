"""Shared runtime of the Equity Research Platform: infrastructure only, no finance."""
