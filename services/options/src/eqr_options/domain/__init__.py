"""Pure option mathematics: numpy arrays in, numpy arrays out; no I/O, no clock.

Start from ``inputs.option_terms`` (a validated batch), then ``black_scholes`` (European prices
and Greeks), ``implied_vol``, ``american``, ``svi`` (smiles and surfaces), ``chain`` with
``expiries`` (the simulator's listed contracts), ``strategies`` and ``strategy_analysis``.
"""
