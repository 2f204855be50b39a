"""Domain values <-> portfolio protobuf messages, shared by the API and the event adapters.

Inbound conversions raise ``ValidationFailed`` naming the proto field, so malformed
numbers and dates become a 422 like any other bad input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, TypeVar
from uuid import UUID

from google.protobuf.message import Message

from eqr.common.v1 import date_pb2, decimal_pb2
from eqr.portfolio.v1 import portfolio_service_pb2 as service_pb
from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import date_pb, decimal_pb, from_date_pb, from_decimal_pb, timestamp_pb
from eqr_portfolio.app.performance import PerformanceReport, RiskReport
from eqr_portfolio.domain.access import AccessRole, Share
from eqr_portfolio.domain.alerts import Alert, AlertKind, RecordedTrigger
from eqr_portfolio.domain.book import Book, Lot, Position
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.errors import ValidationFailed, ViolationCollector
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.option_contracts import OptionContract
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft
from eqr_portfolio.domain.realised import RealisedLot, RealisedTotals, SymbolRealised
from eqr_portfolio.domain.rebalance import CommissionModel, RebalanceOptions, RebalanceProposal
from eqr_portfolio.domain.templates import PortfolioTemplate
from eqr_portfolio.domain.transactions import CashMode, CostMethod, Portfolio, Transaction, TransactionKind
from eqr_portfolio.domain.valuation import AllocationSlice, HoldingValue, PositionGreeks, Quote, Valuation

E = TypeVar("E")

COST_METHOD = {CostMethod.FIFO: pb.COST_METHOD_FIFO, CostMethod.AVERAGE: pb.COST_METHOD_AVERAGE}
CASH_MODE = {CashMode.TRACKING: pb.CASH_MODE_TRACKING, CashMode.STRICT: pb.CASH_MODE_STRICT}
ACCESS_ROLE = {
    AccessRole.OWNER: pb.ACCESS_ROLE_OWNER,
    AccessRole.EDITOR: pb.ACCESS_ROLE_EDITOR,
    AccessRole.VIEWER: pb.ACCESS_ROLE_VIEWER,
}
TRANSACTION_KIND = {
    TransactionKind.BUY: pb.TRANSACTION_KIND_BUY,
    TransactionKind.SELL: pb.TRANSACTION_KIND_SELL,
    TransactionKind.DIVIDEND: pb.TRANSACTION_KIND_DIVIDEND,
    TransactionKind.SPLIT: pb.TRANSACTION_KIND_SPLIT,
    TransactionKind.DEPOSIT: pb.TRANSACTION_KIND_DEPOSIT,
    TransactionKind.WITHDRAWAL: pb.TRANSACTION_KIND_WITHDRAWAL,
    TransactionKind.FEE: pb.TRANSACTION_KIND_FEE,
    TransactionKind.INTEREST: pb.TRANSACTION_KIND_INTEREST,
}
ALERT_KIND = {
    AlertKind.PRICE_ABOVE: pb.ALERT_KIND_PRICE_ABOVE,
    AlertKind.PRICE_BELOW: pb.ALERT_KIND_PRICE_BELOW,
    AlertKind.DAILY_MOVE: pb.ALERT_KIND_DAILY_MOVE,
    AlertKind.PORTFOLIO_VALUE_ABOVE: pb.ALERT_KIND_PORTFOLIO_VALUE_ABOVE,
    AlertKind.PORTFOLIO_VALUE_BELOW: pb.ALERT_KIND_PORTFOLIO_VALUE_BELOW,
    AlertKind.PORTFOLIO_DRAWDOWN: pb.ALERT_KIND_PORTFOLIO_DRAWDOWN,
}


def enum_from_pb(table: Mapping[E, int], value: int, field: str) -> E:
    for member, number in table.items():
        if number == value:
            return member
    raise ValidationFailed.single(field, f"must be one of {', '.join(str(m) for m in table)}")


def optional_enum_from_pb(table: Mapping[E, int], value: int, field: str) -> E | None:
    """Unset (0) is None: the caller takes the default."""
    return None if value == 0 else enum_from_pb(table, value, field)


def decimal_from_pb(value: decimal_pb2.Decimal, field: str, *, present: bool = True) -> Decimal:
    """An absent decimal is zero."""
    if not present:
        return Decimal(0)
    return _parsed(lambda: from_decimal_pb(value), field)


def date_from_pb(value: date_pb2.Date, field: str) -> date:
    return _parsed(lambda: from_date_pb(value), field)


def _parsed(parse: Callable[[], E], field: str) -> E:
    try:
        return parse()
    except ValueError as exc:
        raise ValidationFailed.single(field, str(exc)) from None


def portfolio_to_pb(portfolio: Portfolio, access: AccessRole) -> pb.Portfolio:
    return pb.Portfolio(
        id=str(portfolio.id),
        owner_id=str(portfolio.owner_id),
        name=portfolio.name,
        description=portfolio.description,
        base_currency=portfolio.base_currency,
        benchmark=portfolio.benchmark or "",
        cost_method=COST_METHOD[portfolio.policy.cost_method],
        cash_mode=CASH_MODE[portfolio.policy.cash_mode],
        allow_short=portfolio.policy.allow_short,
        access=ACCESS_ROLE[access],
        created_at=timestamp_pb(portfolio.created_at),
        updated_at=timestamp_pb(portfolio.updated_at),
    )


def transaction_to_pb(portfolio_id: str, transaction: Transaction) -> pb.Transaction:
    message = pb.Transaction(
        id=str(transaction.id),
        portfolio_id=portfolio_id,
        kind=TRANSACTION_KIND[transaction.kind],
        trade_date=date_pb(transaction.trade_date),
        symbol=transaction.symbol or "",
        quantity=decimal_pb(transaction.quantity),
        price=decimal_pb(transaction.price),
        amount=decimal_pb(transaction.amount),
        ratio=decimal_pb(transaction.ratio),
        commission=decimal_pb(transaction.commission),
        notes=transaction.notes,
        sequence=transaction.sequence,
        created_by=str(transaction.created_by or ""),
    )
    if transaction.created_at:
        message.created_at.CopyFrom(timestamp_pb(transaction.created_at))
    if transaction.deleted_at:
        message.deleted_at.CopyFrom(timestamp_pb(transaction.deleted_at))
    return message


def share_to_pb(share: Share) -> pb.Share:
    return pb.Share(
        portfolio_id=str(share.portfolio_id),
        user_id=str(share.user_id),
        email=share.email,
        role=ACCESS_ROLE[share.role],
        created_at=timestamp_pb(share.created_at),
    )


def change_to_pb(change: Change) -> pb.Change:
    return pb.Change(
        id=str(change.id),
        portfolio_id=str(change.portfolio_id),
        actor_id=str(change.actor_id),
        action=change.action,
        subject_id=change.subject_id,
        details=json.dumps(change.details, separators=(",", ":"), sort_keys=True),
        occurred_at=timestamp_pb(change.occurred_at),
    )


def alert_to_pb(alert: Alert) -> pb.Alert:
    """Only alerts that are not deleted are ever shown, so ``active`` is always true."""
    message = pb.Alert(
        id=str(alert.id),
        portfolio_id=str(alert.portfolio_id),
        kind=ALERT_KIND[alert.definition.kind],
        symbol=alert.definition.symbol or "",
        threshold=decimal_pb(alert.definition.threshold),
        active=True,
        armed=alert.state.armed,
        note=alert.note,
        created_at=timestamp_pb(alert.created_at),
    )
    if alert.last_triggered_at:
        message.last_triggered_at.CopyFrom(timestamp_pb(alert.last_triggered_at))
    return message


def alert_trigger_to_pb(trigger: RecordedTrigger) -> pb.AlertTrigger:
    return pb.AlertTrigger(
        id=str(trigger.id),
        alert_id=str(trigger.alert_id),
        portfolio_id=str(trigger.portfolio_id),
        kind=ALERT_KIND[trigger.kind],
        symbol=trigger.symbol or "",
        threshold=decimal_pb(trigger.threshold),
        observed=decimal_pb(trigger.observed),
        message=trigger.message,
        triggered_at=timestamp_pb(trigger.triggered_at),
    )


def uuid_from_pb(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed.single(field, "must be a UUID") from None


def optional_date_from_pb(message: Message, name: str, field: str) -> date | None:
    return date_from_pb(getattr(message, name), field) if message.HasField(name) else None


def optional_decimal_from_pb(message: Message, name: str, field: str) -> Decimal | None:
    return decimal_from_pb(getattr(message, name), field) if message.HasField(name) else None


def settings_from_pb(message: service_pb.PortfolioInput) -> PortfolioSettingsDraft:
    return PortfolioSettingsDraft(
        name=message.name,
        base_currency=message.base_currency or "USD",
        description=message.description,
        benchmark=message.benchmark or None,
        cost_method=optional_enum_from_pb(COST_METHOD, message.cost_method, "portfolio.cost_method")
        or CostMethod.FIFO,
        cash_mode=optional_enum_from_pb(CASH_MODE, message.cash_mode, "portfolio.cash_mode")
        or CashMode.TRACKING,
        allow_short=message.allow_short,
    )


def draft_from_pb(message: pb.TransactionInput, prefix: str = "transaction.") -> TransactionDraft:
    collector = ViolationCollector()

    def number(name: Literal["quantity", "price", "amount", "ratio", "commission"]) -> Decimal:
        return collector.apply(
            lambda: decimal_from_pb(getattr(message, name), prefix + name, present=message.HasField(name)),
            Decimal(0),
        )

    kind = collector.apply(lambda: enum_from_pb(TRANSACTION_KIND, message.kind, prefix + "kind"), None)
    trade_date = None
    if message.HasField("trade_date"):
        trade_date = collector.apply(lambda: date_from_pb(message.trade_date, prefix + "trade_date"), None)
    else:
        collector.add(prefix + "trade_date", "is required")
    draft = TransactionDraft(
        kind=kind or TransactionKind.BUY,
        trade_date=trade_date or date.min,
        symbol=message.symbol or None,
        quantity=number("quantity"),
        price=number("price"),
        amount=number("amount"),
        ratio=number("ratio"),
        commission=number("commission"),
        notes=message.notes,
    )
    collector.raise_if_any()
    return draft


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# The valuation's messages are filled in place: a 500-holding reply has some 5,000 decimals, and
# building each as a message to pass to its parent's constructor (which copies it) costs several
# times more than setting the fields of the parent's own.


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


def closed_lot_to_pb(realised: RealisedLot) -> pb.ClosedLot:
    lot = realised.lot
    return pb.ClosedLot(
        symbol=lot.symbol,
        quantity=decimal_pb(lot.quantity),
        opened_on=date_pb(lot.opened_on),
        closed_on=date_pb(lot.closed_on),
        cost_basis=decimal_pb(lot.cost),
        proceeds=decimal_pb(lot.proceeds),
        commissions=decimal_pb(lot.commission),
        realized_pnl=decimal_pb(lot.realised_pnl),
        holding_days=realised.holding_days,
        long_term=realised.long_term,
        multiplier=int(realised.multiplier),
        transaction_id=str(lot.transaction_id or ""),
    )


def realised_summary_to_pb(
    totals: RealisedTotals, symbol: str = "", *, held: bool = False
) -> pb.RealizedSummary:
    return pb.RealizedSummary(
        symbol=symbol,
        held=held,
        lots=totals.lots,
        cost_basis=decimal_pb(totals.cost),
        proceeds=decimal_pb(totals.proceeds),
        commissions=decimal_pb(totals.commission),
        realized_pnl=decimal_pb(totals.realised_pnl),
        short_term_pnl=decimal_pb(totals.short_term_pnl),
        long_term_pnl=decimal_pb(totals.long_term_pnl),
    )


def symbol_realised_to_pb(entry: SymbolRealised) -> pb.RealizedSummary:
    return realised_summary_to_pb(entry.totals, entry.symbol, held=entry.held)


def template_to_pb(template_id: str, template: PortfolioTemplate, *, builtin: bool) -> pb.Template:
    return pb.Template(
        id=template_id,
        name=template.name,
        description=template.description,
        builtin=builtin,
        weights=[pb.TargetWeight(symbol=s, weight=decimal_pb(w)) for s, w in template.weights.items()],
    )


def weights_from_pb(weights: Iterable[pb.TargetWeight], field: str) -> list[tuple[str, Decimal]]:
    return [(w.symbol, decimal_from_pb(w.weight, f"{field}[{w.symbol}]")) for w in weights]


def rebalance_options_from_pb(message: pb.RebalanceOptions) -> RebalanceOptions:
    def amount(
        name: Literal[
            "min_trade_value", "cash_buffer", "commission_per_trade", "commission_per_share", "commission_bps"
        ],
    ) -> Decimal:
        return decimal_from_pb(getattr(message, name), f"options.{name}", present=message.HasField(name))

    return RebalanceOptions(
        whole_shares=not message.fractional,
        min_trade_value=amount("min_trade_value"),
        cash_buffer=amount("cash_buffer"),
        commission=CommissionModel(
            amount("commission_per_trade"), amount("commission_per_share"), amount("commission_bps")
        ),
    )


def proposal_to_pb(proposal: RebalanceProposal, currency: str) -> pb.RebalanceProposal:
    drift = [
        pb.Drift(
            symbol=symbol,
            current_weight=float(d.current_weight),
            target_weight=float(d.target_weight),
            drift=float(d.drift),
            weight_after=float(d.weight_after),
        )
        for symbol, d in [*proposal.symbol_drift.items(), (currency, proposal.cash_drift)]
    ]
    return pb.RebalanceProposal(
        trades=[
            pb.ProposedTrade(
                symbol=t.symbol,
                side=t.side.value,
                quantity=decimal_pb(t.quantity),
                price=decimal_pb(t.price),
                value=decimal_pb(t.estimated_value),
                commission=decimal_pb(t.estimated_commission),
            )
            for t in proposal.trades
        ],
        drift=drift,
        cash_after=decimal_pb(proposal.cash_after),
        commissions=decimal_pb(sum((t.estimated_commission for t in proposal.trades), Decimal(0))),
    )


def performance_to_pb(report: PerformanceReport) -> pb.Performance:
    history = report.history
    message = pb.Performance(
        portfolio_id=str(history.portfolio.id), benchmark=history.portfolio.benchmark or ""
    )
    for name, figures in report.periods:
        period = pb.PeriodReturn(period=name.upper())
        if figures is not None:
            period.start_date.CopyFrom(date_pb(figures.twr.first_day))
            period.end_date.CopyFrom(date_pb(figures.twr.last_day))
            annualised = figures.twr.annualised
            period.annualized = annualised is not None
            period.time_weighted = annualised if annualised is not None else figures.twr.cumulative
            if figures.mwr is not None:
                period.money_weighted = figures.mwr
            if figures.benchmark is not None:
                theirs = figures.benchmark.benchmark
                period.benchmark = (
                    theirs.annualised
                    if annualised is not None and theirs.annualised is not None
                    else theirs.cumulative
                )
                period.excess = figures.benchmark.excess_return
        message.periods.append(period)
    bench_index = (
        dict(zip(history.benchmark.days, history.benchmark.index, strict=True)) if history.benchmark else {}
    )
    for point, growth in zip(history.points, history.series.index, strict=True):
        value = pb.ValuePoint(
            date=date_pb(point.day),
            value=float(point.value),
            net_flow=float(point.net_flow),
            cumulative_return=growth - 1,
        )
        if point.day in bench_index:
            value.benchmark_cumulative_return = bench_index[point.day] - 1
        message.series.append(value)
    for returns, month in ((report.monthly, True), (report.yearly, False)):
        for r, benchmark_return in returns:
            entry = pb.CalendarReturn(
                year=r.first_day.year,
                month=r.first_day.month if month else 0,
                time_weighted=r.cumulative,
                partial=r.partial,
            )
            if benchmark_return is not None:
                entry.benchmark = benchmark_return
            message.calendar.append(entry)
    if report.contributions is not None:
        message.contributions.extend(
            pb.Contribution(symbol=h.holding, contribution=h.contribution)
            for h in report.contributions.holdings
        )
    if report.tracking is not None:
        if report.tracking.tracking_error is not None:
            message.tracking_error = report.tracking.tracking_error
        if report.tracking.tracking_difference is not None:
            message.tracking_difference = report.tracking.tracking_difference
    return message


def risk_to_pb(report: RiskReport, risk_free_rate: float) -> pb.RiskFigures:
    window = report.window
    message = pb.RiskFigures(
        portfolio_id=str(report.history.portfolio.id),
        benchmark=report.history.portfolio.benchmark or "",
        observations=len(window.days),
        risk_free_rate=risk_free_rate,
    )
    if window.days:
        message.start_date.CopyFrom(date_pb(window.days[0]))
        message.end_date.CopyFrom(date_pb(window.days[-1]))
    for name in ("volatility", "sharpe", "sortino", "beta", "correlation"):
        value = getattr(report, name)
        if value is not None:
            setattr(message, name, value)
    if report.drawdown is not None:
        drawdown = pb.Drawdown(
            depth=report.drawdown.depth,
            peak=date_pb(report.drawdown.peak),
            trough=date_pb(report.drawdown.trough),
        )
        if report.drawdown.recovery is not None:
            drawdown.recovered.CopyFrom(date_pb(report.drawdown.recovery))
        message.max_drawdown.CopyFrom(drawdown)
    return message
