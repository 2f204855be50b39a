"""Strategy analysis of legs as callers give them, and templates built on the chain."""

from __future__ import annotations

import math
from datetime import date

import pytest

from eqr_options.app.chains import ChainBook
from eqr_options.app.legs import LegSpec
from eqr_options.app.strategies import AnalysisRequest, Template, analyze, build
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.strategies import LegKind
from eqr_options.domain.strategy_analysis import Market

TODAY = date(2026, 11, 27)
LONG_CALL = LegSpec(LegKind.CALL, 1, premium=4.76, strike=40.0, expiry=date(2027, 5, 28), vol=0.2)


def request(*legs: LegSpec, **changes: object) -> AnalysisRequest:
    fields: dict[str, object] = {
        "name": "long call",
        "legs": legs,
        "market": Market(42.0, 0.1, 0.0),
        "valuation_date": TODAY,
        "elapsed_years": 0.0,
        "spot_shocks": (),
        "vol_shocks": (),
        "diagram_points": 0,
    }
    fields.update(changes)
    return AnalysisRequest(**fields)  # type: ignore[arg-type]


def test_a_long_call_breaks_even_at_strike_plus_premium_and_can_lose_only_the_premium() -> None:
    analysis = analyze(request(LONG_CALL))
    assert analysis.cost == pytest.approx(476.0)
    assert analysis.breakevens == pytest.approx([44.76])
    assert analysis.max_profit == math.inf
    assert analysis.max_loss == pytest.approx(-476.0)
    assert analysis.horizon_years == pytest.approx(182 / 365)
    assert len(analysis.diagram.spots) == 201
    assert analysis.scenario_pnl.shape == (9, 5)  # the default grid: spot ±20% by 5%, vol ±10 points by 5
    # At the Hull example's own price the position is worth what it cost: P&L 0 now at spot 42.
    assert analysis.scenario_pnl[4, 2] == pytest.approx(0.0, abs=1.0)
    assert analysis.net_greeks.delta[0] == pytest.approx(100 * 0.779, abs=0.5)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"legs": ()}, "legs"),
        ({"legs": (LegSpec(LegKind.STOCK, 100, premium=42.0),)}, "legs"),
        (
            {
                "legs": (
                    LegSpec(LegKind.CALL, 1, 4.76, 40.0, expiry_years=0.5, expiry=date(2027, 5, 28), vol=0.2),
                )
            },
            "legs[0].expiry",
        ),
        (
            {"legs": (LegSpec(LegKind.CALL, 1, 4.76, 40.0, expiry=date(2026, 11, 1), vol=0.2),)},
            "legs[0].expiry",
        ),
        (
            {"legs": (LONG_CALL, LegSpec(LegKind.PUT, 1, 1.0, -40.0, expiry_years=0.5, vol=0.2))},
            "legs[1].strike",
        ),
        (
            {"legs": (LegSpec(LegKind.CALL, math.nan, 4.76, 40.0, expiry_years=0.5, vol=0.2),)},
            "legs[0].quantity",
        ),
        ({"legs": (LegSpec(LegKind.CALL, 1, 4.76, 40.0, expiry_years=0.5),)}, "legs[0].vol"),
        ({"market": Market(0.0)}, "market.spot"),
        ({"market": Market(42.0, math.inf)}, "market.rate"),
        ({"elapsed_years": 2.0}, "elapsed_years"),
        ({"diagram_points": 1}, "diagram_points"),
        ({"spot_shocks": (-1.5,)}, "spot_shocks"),
        ({"vol_shocks": (math.nan,)}, "vol_shocks"),
    ],
)
def test_hostile_strategies_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        analyze(request(LONG_CALL, **changes))
    assert error.value.violations[0].field == field


async def test_an_iron_condor_is_built_at_the_chains_mids_and_vols(chains: ChainBook) -> None:
    quoted = await chains.chain("AAPL")
    expiry = quoted.chain.expiry[0]
    built = build(Template.IRON_CONDOR, [170.0, 180.0, 200.0, 210.0], [expiry], 2, quoted)
    assert [(leg.kind, leg.quantity, leg.strike) for leg in built.legs] == [
        (LegKind.PUT, 2, 170.0),
        (LegKind.PUT, -2, 180.0),
        (LegKind.CALL, -2, 200.0),
        (LegKind.CALL, 2, 210.0),
    ]
    assert {leg.expiry for leg in built.legs} == {expiry}
    row = quoted.row(expiry, 180.0, False)
    assert row is not None
    assert built.legs[1].premium == pytest.approx(float(quoted.chain.mid[row]))
    assert built.legs[1].vol == pytest.approx(float(quoted.iv.vol[row]))
    assert built.market.spot == 190.0
    # What BuildStrategy returns analyses as it is.
    analysis = analyze(request(*built.legs, market=built.market, name=built.name))
    assert analysis.max_profit == pytest.approx(-analysis.cost)


async def test_a_calendar_takes_two_expiries_and_a_covered_call_holds_shares(chains: ChainBook) -> None:
    quoted = await chains.chain("AAPL")
    near, far = sorted(set(quoted.chain.expiry))[:2]
    calendar = build(Template.CALENDAR, [190.0], [near, far], 0, quoted)
    assert [(leg.quantity, leg.expiry) for leg in calendar.legs] == [(-1, near), (1, far)]
    covered = build(Template.COVERED_CALL, [200.0], [near], 1, quoted)
    assert (covered.legs[0].kind, covered.legs[0].quantity, covered.legs[0].premium) == (
        LegKind.STOCK,
        100,
        190.0,
    )


@pytest.mark.parametrize(
    ("template", "strikes", "expiries", "field"),
    [
        (Template.STRANGLE, [200.0], None, "strikes"),
        (Template.STRANGLE, [200.0, 180.0], None, "strikes"),
        (Template.STRADDLE, [191.0], None, "strikes"),  # not on the strike ladder
        (Template.CALENDAR, [190.0], None, "expiries"),
        (Template.STRADDLE, [190.0], [date(2026, 12, 1)], "expiries"),
    ],
)
async def test_templates_refuse_what_the_chain_does_not_list(
    chains: ChainBook, template: Template, strikes: list[float], expiries: list[date] | None, field: str
) -> None:
    quoted = await chains.chain("AAPL")
    with pytest.raises(ValidationFailed) as error:
        build(template, strikes, expiries or [quoted.chain.expiry[0]], 1, quoted)
    assert error.value.violations[0].field == field
