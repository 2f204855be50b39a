"""Portfolio service: the ledger is the truth; holdings, value and performance derive from it."""
