"""Rebalancing: the trades that move a portfolio toward target weights.

Target weights map symbols to fractions of the portfolio's value, each in [0, 1] and summing
to at most 1; the rest is the cash target. They describe the whole portfolio, so a held symbol
without a target has a target of nothing and is sold whole.

A proposal is built in four steps, from the portfolio's value V (cash plus every position at
its price) and the sum S of the target weights:

1. Cash floor: ``F = max(cash_buffer, (1 - S) * V)``. Buys never take cash below it. Each
   target's desired value is its share of what lies above the floor, ``w / S * (V - F)``,
   which is ``w * V`` unless the buffer is the larger.
2. Sells, before any buy, to fund them: an overweight name is sold down toward its desired
   value by whole steps (a share, or 10^-n of one), never past it; a name desired at zero is
   sold whole, a fractional remainder included.
3. Buys, most underweight name first: each up toward its desired value by whole steps, never
   past it, as far as the cash above the floor pays for with commissions.
4. Leftover cash: while one more step of a still-underweight name fits above the floor, the
   most underweight such name gets it, so a name can end above its target by under one step.

Trades worth less than ``min_trade_value`` are left out, and so are sells whose commission
would eat their proceeds: every sell then adds cash and every buy fits above the floor, so
cash never ends below the buffer unless it started below it (the sells then raise it toward
the buffer) and never ends negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from functools import partial

from eqr_portfolio.domain.drafts import normalise_symbol
from eqr_portfolio.domain.errors import ValidationFailed, ViolationCollector

ZERO = Decimal(0)
ONE = Decimal(1)
MAX_FRACTIONAL_DECIMALS = 8
_BASIS_POINT = Decimal("0.0001")


def parse_target_weights(
    entries: Iterable[tuple[str, Decimal]], field: str = "targets"
) -> dict[str, Decimal]:
    """The weights by normalised symbol, or ``ValidationFailed`` naming ``field[SYMBOL]`` for each bad
    entry (a weight outside [0, 1], a symbol given twice) and ``field`` for a bad symbol or a sum
    above 1. Symbols follow the ledger's rule (``drafts.normalise_symbol``).

    Entries are pairs rather than a mapping so that a symbol given twice can be told apart.
    """
    violations = ViolationCollector()
    weights: dict[str, Decimal] = {}
    for raw_symbol, weight in entries:
        symbol = violations.apply(partial(normalise_symbol, raw_symbol, field), None)
        if symbol is None:
            continue
        if symbol in weights:
            violations.add(f"{field}[{symbol}]", "is given more than once")
        elif not (weight.is_finite() and ZERO <= weight <= ONE):
            violations.add(f"{field}[{symbol}]", "must be a weight between 0 and 1")
        else:
            weights[symbol] = weight
    total = sum(weights.values(), ZERO)
    if total > ONE:
        violations.add(field, f"the weights sum to {total}, more than 1")
    violations.raise_if_any()
    return weights


class TradeSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class PricedPosition:
    """A holding as the ledger spells its symbol, with the price to trade it at."""

    symbol: str
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class CommissionModel:
    """A fixed amount per trade, plus an amount per share, plus basis points of the trade's value."""

    per_trade: Decimal = ZERO
    per_share: Decimal = ZERO
    basis_points: Decimal = ZERO

    def estimate(self, quantity: Decimal, price: Decimal) -> Decimal:
        proportional = quantity * price * self.basis_points * _BASIS_POINT
        return self.per_trade + self.per_share * quantity + proportional


@dataclass(frozen=True)
class RebalanceOptions:
    whole_shares: bool = True
    fractional_decimals: int = 6
    """Decimal places of a quantity when ``whole_shares`` is off."""
    min_trade_value: Decimal = ZERO
    cash_buffer: Decimal = ZERO
    commission: CommissionModel = field(default_factory=CommissionModel)

    @property
    def quantity_step(self) -> Decimal:
        return ONE if self.whole_shares else ONE.scaleb(-self.fractional_decimals)


@dataclass(frozen=True)
class ProposedTrade:
    symbol: str
    side: TradeSide
    quantity: Decimal
    price: Decimal
    estimated_value: Decimal
    estimated_commission: Decimal


@dataclass(frozen=True)
class WeightDrift:
    """Weights as fractions of the portfolio's value, before and after the proposal."""

    current_weight: Decimal
    target_weight: Decimal
    weight_after: Decimal

    @property
    def drift(self) -> Decimal:
        """Positive when overweight."""
        return self.current_weight - self.target_weight


@dataclass(frozen=True)
class RebalanceProposal:
    trades: tuple[ProposedTrade, ...]
    """Sells first, then buys; by symbol within each side."""
    symbol_drift: Mapping[str, WeightDrift]
    """Every held or targeted symbol, in symbol order."""
    cash_drift: WeightDrift
    cash_after: Decimal
    """Cash once every trade and its commission is paid, at the given prices."""


def propose_rebalance(
    positions: Sequence[PricedPosition],
    cash: Decimal,
    targets: Mapping[str, Decimal],
    *,
    prices: Mapping[str, Decimal] | None = None,
    options: RebalanceOptions = RebalanceOptions(),
) -> RebalanceProposal:
    """The trades that bring ``positions`` and ``cash`` nearest ``targets`` (see the module docstring).

    ``prices`` gives the price of each targeted symbol that is not held; a held symbol trades at
    its position's price. ``ValidationFailed`` names every bad input, and ``options.cash_buffer``
    when the buffer is more than the whole portfolio is worth.
    """
    quotes = prices or {}
    weights = _validated_inputs(positions, cash, targets, quotes, options)
    price = {p.symbol: p.price for p in positions}
    price.update({symbol: quotes[symbol] for symbol in weights if symbol not in price})
    quantity = {symbol: ZERO for symbol in price} | {p.symbol: p.quantity for p in positions}
    value_before = _total_value(cash, quantity, price)

    weight_sum = sum(weights.values(), ZERO)
    cash_floor = max(options.cash_buffer, (ONE - weight_sum) * value_before)
    if cash_floor > value_before:
        raise ValidationFailed.single("options.cash_buffer", "is more than the portfolio is worth")
    investable = value_before - cash_floor
    desired = {
        symbol: weights.get(symbol, ZERO) * investable / weight_sum if weight_sum > ZERO else ZERO
        for symbol in price
    }

    sells = _sells(quantity, price, desired, options)
    cash_after_sells = cash + sum((t.estimated_value - t.estimated_commission for t in sells), ZERO)
    remaining = dict(quantity)
    for trade in sells:
        remaining[trade.symbol] -= trade.quantity
    buyable = [symbol for symbol in weights if symbol not in {t.symbol for t in sells}]
    buys = _buys(buyable, remaining, price, desired, cash_after_sells - cash_floor, options)

    after = dict(remaining)
    for trade in buys:
        after[trade.symbol] += trade.quantity
    cash_after = cash_after_sells - sum((t.estimated_value + t.estimated_commission for t in buys), ZERO)
    value_after = _total_value(cash_after, after, price)
    return RebalanceProposal(
        trades=(*sells, *buys),
        symbol_drift={
            symbol: WeightDrift(
                current_weight=_weight(quantity[symbol] * price[symbol], value_before),
                target_weight=weights.get(symbol, ZERO),
                weight_after=_weight(after[symbol] * price[symbol], value_after),
            )
            for symbol in sorted(price)
        },
        cash_drift=WeightDrift(
            current_weight=_weight(cash, value_before),
            target_weight=ONE - weight_sum,
            weight_after=_weight(cash_after, value_after),
        ),
        cash_after=cash_after,
    )


def _validated_inputs(
    positions: Sequence[PricedPosition],
    cash: Decimal,
    targets: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    options: RebalanceOptions,
) -> dict[str, Decimal]:
    violations = ViolationCollector()
    no_weights: dict[str, Decimal] = {}
    weights = violations.apply(lambda: parse_target_weights(targets.items()), no_weights)
    held: dict[str, Decimal] = {}
    for position in positions:
        where = f"positions[{position.symbol}]"
        if position.symbol in held:
            violations.add(where, "is given more than once")
        if not _is_non_negative(position.quantity):
            violations.add(f"{where}.quantity", "must not be negative")
        if not _is_non_negative(position.price):
            violations.add(f"{where}.price", "must not be negative")
        held[position.symbol] = position.price
    for symbol in weights:
        price = held[symbol] if symbol in held else prices.get(symbol)
        if price is None or not (price.is_finite() and price > ZERO):
            violations.add(f"targets[{symbol}]", "has no price")
    if not _is_non_negative(cash):
        violations.add("cash", "must not be negative")
    if not 0 <= options.fractional_decimals <= MAX_FRACTIONAL_DECIMALS:
        violations.add("options.fractional_decimals", f"must be between 0 and {MAX_FRACTIONAL_DECIMALS}")
    amounts = {
        "options.min_trade_value": options.min_trade_value,
        "options.cash_buffer": options.cash_buffer,
        "options.commission.per_trade": options.commission.per_trade,
        "options.commission.per_share": options.commission.per_share,
        "options.commission.basis_points": options.commission.basis_points,
    }
    for name, amount in amounts.items():
        if not _is_non_negative(amount):
            violations.add(name, "must not be negative")
    violations.raise_if_any()
    return weights


def _sells(
    quantity: Mapping[str, Decimal],
    price: Mapping[str, Decimal],
    desired: Mapping[str, Decimal],
    options: RebalanceOptions,
) -> list[ProposedTrade]:
    sells = []
    for symbol in sorted(quantity):
        if desired[symbol] == ZERO:
            amount = quantity[symbol]
        else:
            excess = quantity[symbol] * price[symbol] - desired[symbol]
            amount = _floor(excess / price[symbol], options.quantity_step) if excess > ZERO else ZERO
        if amount <= ZERO:
            continue
        trade = _trade(symbol, TradeSide.SELL, amount, price[symbol], options)
        adds_cash = trade.estimated_commission < trade.estimated_value
        if adds_cash and trade.estimated_value >= options.min_trade_value:
            sells.append(trade)
    return sells


def _buys(
    symbols: Iterable[str],
    quantity: Mapping[str, Decimal],
    price: Mapping[str, Decimal],
    desired: Mapping[str, Decimal],
    budget: Decimal,
    options: RebalanceOptions,
) -> list[ProposedTrade]:
    """Steps 3 and 4 of the module docstring, within ``budget`` (the cash above the floor)."""
    step = options.quantity_step
    bought: dict[str, Decimal] = {}

    def shortfall(symbol: str) -> Decimal:
        return desired[symbol] - (quantity[symbol] + bought.get(symbol, ZERO)) * price[symbol]

    def cost(symbol: str, amount: Decimal) -> Decimal:
        if amount == ZERO:
            return ZERO
        return amount * price[symbol] + options.commission.estimate(amount, price[symbol])

    candidates = sorted((s for s in symbols if shortfall(s) > ZERO), key=lambda s: (-shortfall(s), s))
    for symbol in candidates:
        amount = min(
            _floor(shortfall(symbol) / price[symbol], step),
            _affordable(budget, price[symbol], step, options.commission),
        )
        if amount > ZERO:
            bought[symbol] = amount
            budget -= cost(symbol, amount)

    def cost_of_one_more_step(symbol: str) -> Decimal:
        held = bought.get(symbol, ZERO)
        return cost(symbol, held + step) - cost(symbol, held)

    while fitting := [s for s in candidates if shortfall(s) > ZERO and cost_of_one_more_step(s) <= budget]:
        symbol = min(fitting, key=lambda s: (-shortfall(s), s))
        budget -= cost_of_one_more_step(symbol)
        bought[symbol] = bought.get(symbol, ZERO) + step

    trades = [_trade(s, TradeSide.BUY, bought[s], price[s], options) for s in sorted(bought)]
    return [trade for trade in trades if trade.estimated_value >= options.min_trade_value]


def _affordable(budget: Decimal, price: Decimal, step: Decimal, commission: CommissionModel) -> Decimal:
    """The most whole steps a new buy can take with its commission within ``budget``."""
    if budget <= commission.per_trade:
        return ZERO
    unit_cost = price * (ONE + commission.basis_points * _BASIS_POINT) + commission.per_share
    amount = _floor((budget - commission.per_trade) / unit_cost, step)
    # The quotient is rounded to the context's precision and may land just above a step boundary.
    if amount > ZERO and amount * price + commission.estimate(amount, price) > budget:
        amount -= step
    return amount


def _trade(
    symbol: str, side: TradeSide, quantity: Decimal, price: Decimal, options: RebalanceOptions
) -> ProposedTrade:
    return ProposedTrade(
        symbol=symbol,
        side=side,
        quantity=quantity,
        price=price,
        estimated_value=quantity * price,
        estimated_commission=options.commission.estimate(quantity, price),
    )


def _floor(amount: Decimal, step: Decimal) -> Decimal:
    return amount.quantize(step, rounding=ROUND_FLOOR)


def _total_value(cash: Decimal, quantity: Mapping[str, Decimal], price: Mapping[str, Decimal]) -> Decimal:
    return cash + sum((quantity[symbol] * price[symbol] for symbol in quantity), ZERO)


def _weight(amount: Decimal, total: Decimal) -> Decimal:
    return amount / total if total > ZERO else ZERO


def _is_non_negative(amount: Decimal) -> bool:
    return amount.is_finite() and amount >= ZERO
