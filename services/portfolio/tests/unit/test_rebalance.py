"""Rebalancing proposals: hand-worked cases, validation, and properties over random portfolios."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.rebalance import (
    CommissionModel,
    PricedPosition,
    ProposedTrade,
    RebalanceOptions,
    RebalanceProposal,
    TradeSide,
    WeightDrift,
    parse_target_weights,
    propose_rebalance,
)

D = Decimal
SIXTY_FORTY = {"SPY": D("0.6"), "AGG": D("0.4")}


def trades_of(proposal: RebalanceProposal) -> list[tuple[str, TradeSide, Decimal]]:
    return [(t.symbol, t.side, t.quantity) for t in proposal.trades]


def failed_fields(**kwargs: object) -> set[str]:
    arguments: dict[str, object] = {"positions": [], "cash": D(1000), "targets": {}} | kwargs
    with pytest.raises(ValidationFailed) as caught:
        propose_rebalance(**arguments)  # type: ignore[arg-type]
    return {violation.field for violation in caught.value.violations}


def test_sixty_forty_buys_with_cash_then_spends_the_rounding_leftover() -> None:
    # V = 90 x 580 + 300 x 98.50 + 18,250 = 52,200 + 29,550 + 18,250 = 100,000.
    # AGG is 10,450 short of 40,000, SPY 7,800 short of 60,000: AGG first.
    # AGG: floor(10,450 / 98.50) = 106 shares = 10,441.00, leaving 7,809.00.
    # SPY: floor(7,800 / 580) = 13 shares = 7,540.00, leaving 269.00.
    # Leftover: SPY is 260 short but a share costs 580; AGG is 9 short and a share costs 98.50:
    # one more AGG, leaving 170.50; AGG is then over its target, so the spending stops.
    positions = [PricedPosition("SPY", D(90), D("580.00")), PricedPosition("AGG", D(300), D("98.50"))]
    proposal = propose_rebalance(positions, D("18250.00"), SIXTY_FORTY)

    assert trades_of(proposal) == [("AGG", TradeSide.BUY, D(107)), ("SPY", TradeSide.BUY, D(13))]
    assert proposal.trades[0] == ProposedTrade("AGG", TradeSide.BUY, D(107), D("98.50"), D("10539.50"), D(0))
    assert proposal.cash_after == D("170.50")
    # After: SPY 103 x 580 = 59,740; AGG 407 x 98.50 = 40,089.50; cash 170.50; still 100,000.
    assert proposal.symbol_drift == {
        "AGG": WeightDrift(D("0.2955"), D("0.4"), D("0.400895")),
        "SPY": WeightDrift(D("0.522"), D("0.6"), D("0.5974")),
    }
    assert proposal.cash_drift == WeightDrift(D("0.1825"), D(0), D("0.001705"))
    assert proposal.symbol_drift["SPY"].drift == D("-0.078")


def test_sixty_forty_sells_the_overweight_side_first_to_fund_the_other() -> None:
    # V = 120 x 580 + 300 x 98.50 + 850 = 69,600 + 29,550 + 850 = 100,000.
    # SPY is 9,600 over 60,000: floor(9,600 / 580) = 16 shares sold for 9,280 (cash 10,130).
    # AGG is 10,450 short: 106 shares would cost 10,441 > 10,130, so floor(10,130 / 98.50) = 102
    # shares for 10,047, leaving 83.00, less than another share.
    positions = [PricedPosition("SPY", D(120), D("580.00")), PricedPosition("AGG", D(300), D("98.50"))]
    proposal = propose_rebalance(positions, D("850.00"), SIXTY_FORTY)

    assert trades_of(proposal) == [("SPY", TradeSide.SELL, D(16)), ("AGG", TradeSide.BUY, D(102))]
    assert proposal.cash_after == D("83.00")
    assert proposal.symbol_drift["SPY"].weight_after == D("0.6032")
    assert proposal.symbol_drift["AGG"].weight_after == D("0.39597")


def test_commissions_are_paid_from_the_budget() -> None:
    # 10,000 into SPY at 100 with 5 per trade + 0.01 per share: a share costs 100.01, so
    # floor(9,995 / 100.01) = 99 shares for 9,900 + 5 + 0.99 = 9,905.99, leaving 94.01.
    commission = CommissionModel(per_trade=D(5), per_share=D("0.01"))
    proposal = propose_rebalance(
        [], D(10000), {"SPY": D(1)}, prices={"SPY": D(100)}, options=RebalanceOptions(commission=commission)
    )

    assert proposal.trades == (ProposedTrade("SPY", TradeSide.BUY, D(99), D(100), D(9900), D("5.99")),)
    assert proposal.cash_after == D("94.01")


def test_basis_points_are_of_the_trade_value() -> None:
    # 10 bp of 20 x 50 = 1,000 is 1.00, so 20 shares cost 1,001 > 1,000: 19 shares, 950.95.
    commission = CommissionModel(basis_points=D(10))
    proposal = propose_rebalance(
        [], D(1000), {"SPY": D(1)}, prices={"SPY": D(50)}, options=RebalanceOptions(commission=commission)
    )

    assert proposal.trades == (ProposedTrade("SPY", TradeSide.BUY, D(19), D(50), D(950), D("0.95")),)
    assert proposal.cash_after == D("49.05")


def test_the_cash_buffer_is_kept_out_of_the_buys() -> None:
    proposal = propose_rebalance(
        [], D(10000), {"SPY": D(1)}, prices={"SPY": D(100)}, options=RebalanceOptions(cash_buffer=D(1000))
    )

    assert trades_of(proposal) == [("SPY", TradeSide.BUY, D(90))]
    assert proposal.cash_after == D(1000)


def test_a_cash_buffer_beyond_the_cash_raises_cash_by_selling() -> None:
    # V = 100 x 100 = 10,000 with no cash; a 2,500 buffer leaves 7,500 for SPY: sell 25.
    proposal = propose_rebalance(
        [PricedPosition("SPY", D(100), D(100))],
        D(0),
        {"SPY": D(1)},
        options=RebalanceOptions(cash_buffer=D(2500)),
    )

    assert trades_of(proposal) == [("SPY", TradeSide.SELL, D(25))]
    assert proposal.cash_after == D(2500)


def test_weights_below_one_leave_the_rest_as_the_cash_target() -> None:
    # 70% of 10,000 in SPY at 300: floor(7,000 / 300) = 23 shares, 6,900. Another share would
    # take cash to 2,800, below its 3,000 target, so it stays at 3,100.
    proposal = propose_rebalance([], D(10000), {"SPY": D("0.7")}, prices={"SPY": D(300)})

    assert trades_of(proposal) == [("SPY", TradeSide.BUY, D(23))]
    assert proposal.cash_drift == WeightDrift(D(1), D("0.3"), D("0.31"))


def test_positions_without_a_target_are_sold_whole_even_a_fraction_of_a_share() -> None:
    positions = [PricedPosition("SPY", D(10), D(100)), PricedPosition("OLD", D("3.5"), D(20))]
    proposal = propose_rebalance(positions, D(0), {"SPY": D(1)})

    assert trades_of(proposal) == [("OLD", TradeSide.SELL, D("3.5"))]
    assert proposal.symbol_drift["OLD"] == WeightDrift(D(70) / D(1070), D(0), D(0))


def test_a_zero_target_sells_the_position_whole() -> None:
    positions = [PricedPosition("SPY", D(10), D(100)), PricedPosition("AGG", D("2.25"), D(100))]
    proposal = propose_rebalance(positions, D(0), {"SPY": D(1), "AGG": D(0)})

    # The 225 raised buys floor(225 / 100) = 2 SPY.
    assert trades_of(proposal) == [("AGG", TradeSide.SELL, D("2.25")), ("SPY", TradeSide.BUY, D(2))]
    assert proposal.cash_after == D(25)


def test_sells_never_go_past_the_target() -> None:
    # V = 12 x 100 + 800 = 2,000; SPY's 52.5% is 1,050, so it is 150 (1.5 shares) over: one is
    # sold, not two. Cash (900) is then below its 950 target, so nothing is bought.
    proposal = propose_rebalance([PricedPosition("SPY", D(12), D(100))], D(800), {"SPY": D("0.525")})

    assert trades_of(proposal) == [("SPY", TradeSide.SELL, D(1))]
    assert proposal.cash_after == D(900)


def test_fractional_shares_trade_to_the_given_decimals() -> None:
    # 1,000 into 60/40 at 333 and 77. SPY (600 short) first: floor(600 / 333, 0.01) = 1.80 for
    # 599.40. AGG: floor(400 / 77, 0.01) = 5.19 for 399.63, leaving 0.97. Leftover: SPY is 0.60
    # short but a step costs 3.33; AGG is 0.37 short and a step costs 0.77: AGG 5.20, leaving 0.20.
    options = RebalanceOptions(whole_shares=False, fractional_decimals=2)
    proposal = propose_rebalance(
        [], D(1000), SIXTY_FORTY, prices={"SPY": D(333), "AGG": D(77)}, options=options
    )

    assert trades_of(proposal) == [("AGG", TradeSide.BUY, D("5.20")), ("SPY", TradeSide.BUY, D("1.80"))]
    assert proposal.cash_after == D("0.20")


def test_trades_below_the_minimum_value_are_left_out() -> None:
    # SPY needs 2 shares (200); AGG needs 30 (3,000). With a 500 minimum only AGG trades.
    positions = [PricedPosition("SPY", D(58), D(100)), PricedPosition("AGG", D(10), D(100))]
    proposal = propose_rebalance(
        positions, D(3200), SIXTY_FORTY, options=RebalanceOptions(min_trade_value=D(500))
    )

    assert trades_of(proposal) == [("AGG", TradeSide.BUY, D(30))]
    assert proposal.cash_after == D(200)


def test_a_sell_whose_commission_eats_its_proceeds_is_left_out() -> None:
    positions = [PricedPosition("SPY", D(10), D(100)), PricedPosition("PENNY", D(3), D("0.50"))]
    options = RebalanceOptions(commission=CommissionModel(per_trade=D(2)))
    proposal = propose_rebalance(positions, D(0), {"SPY": D(1)}, options=options)

    assert proposal.trades == ()
    assert proposal.cash_after == D(0)


def test_an_empty_portfolio_proposes_nothing() -> None:
    proposal = propose_rebalance([], D(0), SIXTY_FORTY, prices={"SPY": D(1), "AGG": D(1)})

    assert proposal.trades == ()
    assert proposal.cash_drift == WeightDrift(D(0), D(0), D(0))


def test_no_targets_means_all_cash() -> None:
    proposal = propose_rebalance([PricedPosition("SPY", D(3), D(100))], D(0), {})

    assert trades_of(proposal) == [("SPY", TradeSide.SELL, D(3))]
    assert proposal.cash_drift == WeightDrift(D(0), D(1), D(1))


def test_target_symbols_are_normalised() -> None:
    proposal = propose_rebalance([], D(100), {" spy ": D(1)}, prices={"SPY": D(10)})

    assert trades_of(proposal) == [("SPY", TradeSide.BUY, D(10))]


@pytest.mark.parametrize(
    ("targets", "field"),
    [
        ({"SPY": D("-0.1")}, "targets[SPY]"),
        ({"SPY": D("1.1")}, "targets[SPY]"),
        ({"SPY": D("NaN")}, "targets[SPY]"),
        ({"SPY": D("0.6"), "AGG": D("0.5")}, "targets"),
        ({"SPY": D("0.5"), "spy": D("0.1")}, "targets[SPY]"),
        ({"": D("0.5")}, "targets"),
        ({"ÄPPLE": D("0.5")}, "targets"),
        ({"NOPRICE": D("0.5")}, "targets[NOPRICE]"),
    ],
)
def test_bad_targets_name_their_field(targets: dict[str, Decimal], field: str) -> None:
    assert failed_fields(targets=targets, prices={"SPY": D(10), "AGG": D(10)}) == {field}


def test_a_target_held_at_a_zero_price_has_no_price() -> None:
    positions = [PricedPosition("SPY", D(1), D(0))]
    assert failed_fields(positions=positions, targets={"SPY": D(1)}) == {"targets[SPY]"}


def test_every_bad_input_is_reported_at_once() -> None:
    options = RebalanceOptions(
        fractional_decimals=9,
        min_trade_value=D(-1),
        cash_buffer=D(-1),
        commission=CommissionModel(per_trade=D(-1), per_share=D("-0.01"), basis_points=D("Infinity")),
    )
    positions = [
        PricedPosition("SPY", D(-1), D(-5)),
        PricedPosition("SPY", D(1), D(5)),
    ]

    assert failed_fields(positions=positions, cash=D(-1), options=options) == {
        "positions[SPY]",
        "positions[SPY].quantity",
        "positions[SPY].price",
        "cash",
        "options.fractional_decimals",
        "options.min_trade_value",
        "options.cash_buffer",
        "options.commission.per_trade",
        "options.commission.per_share",
        "options.commission.basis_points",
    }


def test_a_buffer_beyond_the_portfolio_value_is_rejected() -> None:
    assert failed_fields(cash=D(100), options=RebalanceOptions(cash_buffer=D(101))) == {"options.cash_buffer"}


def test_target_weights_accept_pairs_so_that_repeats_are_caught() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_target_weights([("SPY", D("0.5")), ("SPY", D("0.5"))], field="weights")
    assert [v.field for v in caught.value.violations] == ["weights[SPY]"]
    assert parse_target_weights([("brk.b", D("0.25"))]) == {"BRK.B": D("0.25")}


# Properties over random portfolios of up to four names.

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
prices_in_cents = st.integers(min_value=1, max_value=200_000).map(lambda cents: D(cents) / 100)


@st.composite
def portfolios(
    draw: st.DrawFn,
) -> tuple[list[PricedPosition], Decimal, dict[str, Decimal], dict[str, Decimal]]:
    """Positions, cash, targets (in basis points, summing to at most 1) and the price of every symbol."""
    prices = {symbol: draw(prices_in_cents) for symbol in SYMBOLS}
    held = draw(st.lists(st.sampled_from(SYMBOLS), unique=True))
    positions = [
        PricedPosition(symbol, D(draw(st.integers(min_value=0, max_value=5_000))), prices[symbol])
        for symbol in held
    ]
    cash = D(draw(st.integers(min_value=0, max_value=100_000_000))) / 100
    targeted = draw(st.lists(st.sampled_from(SYMBOLS), unique=True))
    raw = [draw(st.integers(min_value=0, max_value=10_000)) for _ in targeted]
    scale = max(sum(raw), 10_000)
    targets = {symbol: D(r * 10_000 // scale) / 10_000 for symbol, r in zip(targeted, raw, strict=True)}
    return positions, cash, targets, prices


options_strategy = st.builds(
    RebalanceOptions,
    whole_shares=st.booleans(),
    fractional_decimals=st.integers(min_value=0, max_value=4),
    min_trade_value=st.sampled_from([D(0), D(50), D(1000)]),
    cash_buffer=st.sampled_from([D(0), D(100), D(5000)]),
    commission=st.builds(
        CommissionModel,
        per_trade=st.sampled_from([D(0), D("4.95")]),
        per_share=st.sampled_from([D(0), D("0.005")]),
        basis_points=st.sampled_from([D(0), D(5)]),
    ),
)


def value_of(positions: list[PricedPosition], cash: Decimal) -> Decimal:
    return cash + sum((p.quantity * p.price for p in positions), D(0))


def applied(
    positions: list[PricedPosition], cash: Decimal, proposal: RebalanceProposal
) -> tuple[dict[str, Decimal], Decimal]:
    """The holdings and cash after carrying out the proposal, computed trade by trade."""
    quantities = {p.symbol: p.quantity for p in positions}
    for trade in proposal.trades:
        sign = 1 if trade.side is TradeSide.BUY else -1
        quantities[trade.symbol] = quantities.get(trade.symbol, D(0)) + sign * trade.quantity
        cash -= sign * trade.quantity * trade.price + trade.estimated_commission
    return quantities, cash


def absolute_drift(values: dict[str, Decimal], cash: Decimal, targets: dict[str, Decimal]) -> Decimal:
    total = cash + sum(values.values(), D(0))
    symbols = set(values) | set(targets)
    drift = sum((abs(values.get(s, D(0)) / total - targets.get(s, D(0))) for s in symbols), D(0))
    return drift + abs(cash / total - (1 - sum(targets.values(), D(0))))


@given(portfolios(), options_strategy)
def test_cash_stays_above_the_buffer_and_every_trade_is_big_enough(
    portfolio: tuple[list[PricedPosition], Decimal, dict[str, Decimal], dict[str, Decimal]],
    options: RebalanceOptions,
) -> None:
    positions, cash, targets, prices = portfolio
    assume(options.cash_buffer <= value_of(positions, cash))
    proposal = propose_rebalance(positions, cash, targets, prices=prices, options=options)

    assert proposal.cash_after >= min(cash, options.cash_buffer)
    assert proposal.cash_after >= 0
    sides = [t.side for t in proposal.trades]
    assert sides == sorted(sides, key=lambda side: side is TradeSide.BUY), "sells come first"
    held = {p.symbol: p.quantity for p in positions}
    for trade in proposal.trades:
        assert trade.quantity > 0
        assert trade.estimated_value >= options.min_trade_value
        sells_whole_position = trade.side is TradeSide.SELL and trade.quantity == held[trade.symbol]
        assert sells_whole_position or trade.quantity % options.quantity_step == 0


@given(portfolios(), options_strategy)
def test_applying_the_proposal_gives_the_reported_weights_and_cash(
    portfolio: tuple[list[PricedPosition], Decimal, dict[str, Decimal], dict[str, Decimal]],
    options: RebalanceOptions,
) -> None:
    positions, cash, targets, prices = portfolio
    assume(options.cash_buffer <= value_of(positions, cash))
    proposal = propose_rebalance(positions, cash, targets, prices=prices, options=options)

    quantities, cash_after = applied(positions, cash, proposal)
    assert cash_after == proposal.cash_after
    assert all(q >= 0 for q in quantities.values())
    total = cash_after + sum((q * prices[s] for s, q in quantities.items()), D(0))
    for symbol, drift in proposal.symbol_drift.items():
        expected = quantities.get(symbol, D(0)) * prices[symbol] / total if total else D(0)
        assert drift.weight_after == expected
    assert proposal.cash_drift.weight_after == (cash_after / total if total else D(0))


@given(portfolios(), st.booleans())
def test_without_costs_the_total_drift_never_grows(
    portfolio: tuple[list[PricedPosition], Decimal, dict[str, Decimal], dict[str, Decimal]],
    whole_shares: bool,
) -> None:
    positions, cash, targets, prices = portfolio
    assume(value_of(positions, cash) > 0)
    proposal = propose_rebalance(
        positions, cash, targets, prices=prices, options=RebalanceOptions(whole_shares=whole_shares)
    )

    quantities, cash_after = applied(positions, cash, proposal)
    before = absolute_drift({p.symbol: p.quantity * p.price for p in positions}, cash, targets)
    after = absolute_drift({s: q * prices[s] for s, q in quantities.items()}, cash_after, targets)
    assert after <= before + D("1e-20")
