"""Domain values <-> portfolio protobuf messages, shared by the API and the event adapters.

One module per area of the service, each importing the shared field parsing in ``fields``;
callers import from the module they need:

- ``fields``: enum, decimal, date and UUID fields in, raising ``ValidationFailed`` on bad input;
- ``ledger``: portfolios and their settings, transactions and drafts, shares, the change history;
- ``valuation``: a valued portfolio with its holdings, lots, option greeks and allocation;
- ``performance``: the performance and risk reports;
- ``realised``: realised gains, by lot, by symbol and in total;
- ``planning``: templates, target weights and rebalancing;
- ``alerts``: alerts and their triggers.
"""
