"""Built-in and user templates, and planning a new portfolio's first buys from one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.rebalance import CommissionModel, RebalanceOptions, TradeSide, propose_rebalance
from eqr_portfolio.domain.templates import (
    BUILT_IN_TEMPLATES,
    PortfolioTemplate,
    plan_from_template,
    validate_template,
)

D = Decimal
SECTOR_ETFS = {"XLK", "XLF", "XLV", "XLY", "XLC", "XLI", "XLP", "XLE", "XLU", "XLRE", "XLB"}


def failed_fields(name: str = "Mine", description: str = "", weights: object = (("SPY", D(1)),)) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(name, description, weights)  # type: ignore[arg-type]
    return {violation.field for violation in caught.value.violations}


def test_the_built_ins_are_the_three_named_ones() -> None:
    assert set(BUILT_IN_TEMPLATES) == {"sixty-forty", "sp500-sectors", "equal-sectors"}
    assert all(name == template.name for name, template in BUILT_IN_TEMPLATES.items())


@pytest.mark.parametrize("template", BUILT_IN_TEMPLATES.values(), ids=lambda t: t.name)
def test_every_built_in_sums_to_exactly_one_and_passes_user_validation(template: PortfolioTemplate) -> None:
    assert sum(template.weights.values()) == 1
    assert validate_template(template.name, template.description, template.weights.items()) == template


def test_sixty_forty() -> None:
    assert BUILT_IN_TEMPLATES["sixty-forty"].weights == {"SPY": D("0.6"), "AGG": D("0.4")}


def test_sp500_sectors_weighs_the_eleven_sector_etfs_largest_first() -> None:
    weights = BUILT_IN_TEMPLATES["sp500-sectors"].weights

    assert set(weights) == SECTOR_ETFS
    assert max(weights, key=lambda symbol: weights[symbol]) == "XLK"
    assert min(weights, key=lambda symbol: weights[symbol]) == "XLB"
    # Technology held about a third of the index at the end of 2024.
    assert D("0.30") < weights["XLK"] < D("0.35")


def test_equal_sectors_differ_by_at_most_a_basis_point() -> None:
    weights = BUILT_IN_TEMPLATES["equal-sectors"].weights

    assert set(weights) == SECTOR_ETFS
    assert sorted(set(weights.values())) == [D("0.0909"), D("0.0910")]
    assert [symbol for symbol, weight in weights.items() if weight == D("0.0910")] == ["XLK"]


def test_a_plan_invests_the_cash_along_the_template() -> None:
    # 10,000 at SPY 500 and AGG 100: 6,000 / 500 = 12 SPY and 4,000 / 100 = 40 AGG, nothing left.
    plan = plan_from_template(BUILT_IN_TEMPLATES["sixty-forty"], D(10000), {"SPY": D(500), "AGG": D(100)})

    assert [(t.symbol, t.side, t.quantity) for t in plan.trades] == [
        ("AGG", TradeSide.BUY, D(40)),
        ("SPY", TradeSide.BUY, D(12)),
    ]
    assert plan.cash_after == 0
    assert {symbol: drift.weight_after for symbol, drift in plan.symbol_drift.items()} == {
        "AGG": D("0.4"),
        "SPY": D("0.6"),
    }


def test_a_plan_is_a_rebalance_from_all_cash() -> None:
    template = BUILT_IN_TEMPLATES["sp500-sectors"]
    prices = {symbol: D(40) + index * D("13.37") for index, symbol in enumerate(sorted(SECTOR_ETFS))}
    options = RebalanceOptions(commission=CommissionModel(per_trade=D(1)), cash_buffer=D(250))

    plan = plan_from_template(template, D(25000), prices, options)

    assert plan == propose_rebalance([], D(25000), template.weights, prices=prices, options=options)
    assert {t.side for t in plan.trades} == {TradeSide.BUY}
    assert plan.cash_after >= D(250)


def test_a_plan_names_a_symbol_without_a_price() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan_from_template(BUILT_IN_TEMPLATES["sixty-forty"], D(1000), {"SPY": D(500)})
    assert [v.field for v in caught.value.violations] == ["targets[AGG]"]


def test_a_user_template_is_stripped_and_normalised() -> None:
    template = validate_template("  Dividend tilt ", " mostly VYM ", [("vym", D("0.7")), ("schd", D("0.25"))])

    assert template == PortfolioTemplate("Dividend tilt", "mostly VYM", {"VYM": D("0.7"), "SCHD": D("0.25")})


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"name": "   "}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"description": "x" * 1001}, {"description"}),
        ({"weights": []}, {"weights"}),
        ({"weights": [(f"S{i}", D("0.001")) for i in range(101)]}, {"weights"}),
        ({"weights": [("SPY", D("1.5"))]}, {"weights[SPY]"}),
        ({"weights": [("SPY", D("0.5")), ("spy", D("0.5"))]}, {"weights[SPY]"}),
        ({"weights": [("SPY", D("0.7")), ("AGG", D("0.4"))]}, {"weights"}),
        ({"name": "", "weights": [("SPY", D(-1))]}, {"name", "weights[SPY]"}),
    ],
)
def test_bad_user_templates_name_their_fields(kwargs: dict[str, object], fields: set[str]) -> None:
    assert failed_fields(**kwargs) == fields  # type: ignore[arg-type]


def test_a_hundred_weights_and_a_hundred_character_name_are_allowed() -> None:
    template = validate_template("x" * 100, "", [(f"S{i}", D("0.01")) for i in range(100)])
    assert len(template.weights) == 100
