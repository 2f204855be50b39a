"""A valued portfolio -> protobuf: totals, holdings with their lots, option details and greeks,
and the allocation by sector and industry.

The valuation's messages are filled in place: a 500-holding reply has some 5,000 decimals, and
building each as a message to pass to its parent's constructor (which copies it) costs several
times more than setting the fields of the parent's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import date_pb, decimal_pb, timestamp_pb
from eqr_portfolio.domain.book import Book, Lot, Position
from eqr_portfolio.domain.option_contracts import OptionContract
from eqr_portfolio.domain.transactions import Portfolio
from eqr_portfolio.domain.valuation import AllocationSlice, HoldingValue, PositionGreeks, Quote, Valuation


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _fill_lot(message: pb.Lot, lot: Lot, price: Decimal | None, multiplier: Decimal) -> None:
    shares = lot.quantity * multiplier
    value = shares * price if price is not None else lot.cost
    day = message.opened_on
    day.year, day.month, day.day = lot.opened_on.year, lot.opened_on.month, lot.opened_on.day
    message.quantity.value = str(lot.quantity)
    message.cost_basis.value = str(lot.cost)
    message.cost_per_share.value = str(lot.cost / shares)
    message.market_value.value = str(value)
    message.unrealized_pnl.value = str(value - lot.cost)


def _fill_holding(
    message: pb.Holding,
    holding: HoldingValue,
    position: Position | None,
    quote: Quote | None,
    currency: str,
    *,
    lots: bool,
) -> None:
    message.symbol = holding.symbol or currency
    message.is_cash = holding.is_cash
    message.name = holding.name
    message.sector = holding.sector
    message.industry = holding.industry
    message.quantity.value = str(holding.quantity)
    if holding.price is not None:
        message.price.value = str(holding.price)
    if quote is not None:
        message.previous_close.value = str(quote.previous_close)
    message.market_value.value = str(holding.market_value)
    message.cost_basis.value = str(holding.cost_basis)
    message.unrealized_pnl.value = str(holding.unrealised_pnl)
    if holding.unrealised_fraction is not None:
        message.unrealized_pnl_percent = float(holding.unrealised_fraction)
    message.day_change.value = str(holding.day_change)
    if holding.day_change_fraction is not None:
        message.day_change_percent = float(holding.day_change_fraction)
    message.weight = float(holding.weight or 0)
    message.priced = holding.priced
    if position is not None:
        message.average_cost.value = str(position.average_cost)
        message.realized_pnl.value = str(position.realised_pnl)
        message.income.value = str(position.dividends)
        if lots:
            for lot in position.lots:
                _fill_lot(message.lots.add(), lot, holding.price, position.multiplier)
    contract = holding.contract
    if contract is not None:
        _fill_option(message.option, contract, quote)
    if holding.greeks is not None:
        _fill_greeks(message.greeks, holding.greeks)


def _fill_option(message: pb.OptionDetails, contract: OptionContract, quote: Quote | None) -> None:
    message.underlying = contract.underlying
    message.expiry.CopyFrom(date_pb(contract.expiry))
    message.strike.value = str(contract.strike)
    message.kind = contract.kind.value
    message.multiplier = int(contract.multiplier)
    message.price_source = quote.source if quote is not None else ""


def _fill_greeks(message: pb.PositionGreeks, greeks: PositionGreeks) -> None:
    message.dollar_delta = greeks.dollar_delta
    message.dollar_gamma = greeks.dollar_gamma
    message.vega_per_point = greeks.vega_per_point
    message.theta_per_day = greeks.theta_per_day


def _fill_slice(message: pb.AllocationSlice, allocation: AllocationSlice) -> None:
    message.name = allocation.bucket
    message.market_value.value = str(allocation.market_value)
    message.weight = float(allocation.weight or 0)


def valuation_to_pb(
    portfolio: Portfolio,
    book: Book,
    valuation: Valuation,
    quotes: Mapping[str, Quote],
    *,
    as_of: date | None,
    valued_at: datetime,
    lots: bool,
) -> pb.Valuation:
    totals = valuation.totals
    message = pb.Valuation(
        portfolio_id=str(portfolio.id),
        currency=portfolio.base_currency,
        valued_at=timestamp_pb(valued_at),
        market_value=decimal_pb(totals.market_value),
        cash=decimal_pb(book.cash),
        cost_basis=decimal_pb(totals.invested_cost),
        unrealized_pnl=decimal_pb(totals.unrealised_pnl),
        realized_pnl=decimal_pb(totals.realised_pnl),
        income=decimal_pb(totals.income),
        fees=decimal_pb(book.fees),
        day_change=decimal_pb(totals.day_change),
        day_change_percent=_fraction(totals.day_change_fraction),
        net_deposits=decimal_pb(book.net_external_flow),
    )
    for h in valuation.holdings:
        _fill_holding(
            message.holdings.add(),
            h,
            book.positions.get(h.symbol) if h.symbol else None,
            quotes.get(h.symbol) if h.symbol else None,
            portfolio.base_currency,
            lots=lots,
        )
    for allocation in valuation.by_sector:
        _fill_slice(message.by_sector.add(), allocation)
    for allocation in valuation.by_industry:
        _fill_slice(message.by_industry.add(), allocation)
    _fill_greeks(message.greeks, totals.greeks)
    if as_of is not None:
        message.as_of.CopyFrom(date_pb(as_of))
    return message
