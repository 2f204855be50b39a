"""What can go wrong in market data, independent of any transport."""

from __future__ import annotations


class MarketDataError(Exception):
    """Base of every expected failure; the message is safe to show to the caller."""


class UnknownSymbol(MarketDataError):
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        super().__init__(f"unknown symbol {symbol!r}")


class InvalidRequest(MarketDataError):
    """Bad input, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class SourceUnavailable(MarketDataError):
    """No configured source could answer (every one failed, was throttled or is open-circuit)."""

    def __init__(self, what: str, attempts: list[str]) -> None:
        self.attempts = attempts
        super().__init__(f"no source could provide {what}: {'; '.join(attempts) or 'none configured'}")
