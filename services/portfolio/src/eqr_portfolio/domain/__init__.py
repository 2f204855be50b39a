"""Pure portfolio mathematics and rules: stdlib, decimal, numpy/scipy; no I/O and no clock."""
