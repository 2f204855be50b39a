"""Alerts fire once per crossing, re-arm past their band or on a new trading day, and validate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.alerts import (
    AlertDefinition,
    AlertKind,
    AlertState,
    Observation,
    QuoteObservation,
    Trigger,
    ValuationObservation,
    evaluate,
    validate_alert_definition,
)
from eqr_portfolio.domain.errors import ValidationFailed

D = Decimal
START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def quotes(symbol: str, prices: Iterable[str], previous_close: str = "100") -> list[QuoteObservation]:
    return [
        QuoteObservation(symbol, D(price), D(previous_close), START + timedelta(minutes=minute))
        for minute, price in enumerate(prices)
    ]


def valuations(values: Iterable[str], flows: Iterable[str] | None = None) -> list[ValuationObservation]:
    """One value a day; ``flows`` are the net external flows to date (none by default)."""
    values = list(values)
    flows = list(flows) if flows is not None else ["0"] * len(values)
    return [
        ValuationObservation(D(value), D(flow), START + timedelta(days=day))
        for day, (value, flow) in enumerate(zip(values, flows, strict=True))
    ]


def fired(alert: AlertDefinition, observations: Iterable[Observation]) -> dict[int, Trigger]:
    """The triggers by the index of the observation that fired them, fed in order from a fresh state."""
    state, triggers = AlertState(), {}
    for index, observation in enumerate(observations):
        state, trigger = evaluate(alert, state, observation)
        if trigger is not None:
            triggers[index] = trigger
    return triggers


def fired_at(alert: AlertDefinition, observations: Iterable[Observation]) -> list[int]:
    return list(fired(alert, observations))


PRICE_ABOVE_200 = AlertDefinition(AlertKind.PRICE_ABOVE, D(200), "AAPL", rearm_band_percent=D(0))


def test_a_price_crossing_up_fires_once_however_long_it_stays_above() -> None:
    assert fired_at(PRICE_ABOVE_200, quotes("AAPL", ["199", "200.15", "201", "250", "200", "230"])) == [1]


def test_the_trigger_tells_what_fired_at_what_value() -> None:
    trigger = fired(PRICE_ABOVE_200, quotes("AAPL", ["199", "200.15"]))[1]

    assert trigger == Trigger(PRICE_ABOVE_200, D("200.15"), START + timedelta(minutes=1), trigger.message)
    assert trigger.message == "AAPL rose above 200.00 (200.15)"
    assert trigger.threshold == D(200)


def test_after_dropping_below_it_fires_again_on_the_next_crossing() -> None:
    prices = ["201", "205", "199.99", "198", "200", "210", "150", "200.01"]
    assert fired_at(PRICE_ABOVE_200, quotes("AAPL", prices)) == [0, 4, 7]


def test_reaching_the_threshold_exactly_counts() -> None:
    assert fired_at(PRICE_ABOVE_200, quotes("AAPL", ["200"])) == [0]
    price_below = AlertDefinition(AlertKind.PRICE_BELOW, D(100), "AAPL")
    assert fired_at(price_below, quotes("AAPL", ["100"])) == [0]


def test_a_new_alert_whose_condition_already_holds_fires_at_once() -> None:
    assert fired_at(PRICE_ABOVE_200, quotes("AAPL", ["300", "300"])) == [0]


def test_the_band_keeps_a_wobble_around_the_threshold_from_firing_again() -> None:
    # A 1% band re-arms a price-above-200 alert only below 198.
    alert = AlertDefinition(AlertKind.PRICE_ABOVE, D(200), "AAPL", rearm_band_percent=D(1))
    wobble = ["200.5", "199.5", "200.2", "198.5", "201", "198", "200.1", "197.99", "200"]
    assert fired_at(alert, quotes("AAPL", wobble)) == [0, 8]


def test_the_default_band_is_half_a_percent() -> None:
    alert = validate_alert_definition("price_above", D(200), "AAPL")
    assert fired_at(alert, quotes("AAPL", ["201", "199.01", "201", "198.99", "201"])) == [0, 4]


def test_a_price_crossing_down_fires_with_its_own_message() -> None:
    alert = AlertDefinition(AlertKind.PRICE_BELOW, D("150.5"), "MSFT", rearm_band_percent=D(2))
    # Re-arms above 150.50 x 1.02 = 153.51.
    triggers = fired(alert, quotes("MSFT", ["160", "150.25", "149", "153.5", "150", "153.52", "1234.5"]))

    assert {i: t.message for i, t in triggers.items()} == {1: "MSFT fell below 150.50 (150.25)"}
    assert fired_at(alert, quotes("MSFT", ["150", "153.52", "150.5"])) == [0, 2]


def test_other_symbols_and_valuations_leave_a_price_alert_alone() -> None:
    state = AlertState(armed=False)
    unrelated: list[Observation] = [*quotes("MSFT", ["500", "1"]), *valuations(["1000000"])]
    for observation in unrelated:
        assert evaluate(PRICE_ABOVE_200, state, observation) == (state, None)
    assert fired(PRICE_ABOVE_200, unrelated) == {}


def test_a_daily_move_fires_once_a_day_in_either_direction() -> None:
    alert = AlertDefinition(AlertKind.DAILY_MOVE, D(5), "TSLA")
    monday = quotes("TSLA", ["102", "105", "106", "103", "107", "94"], previous_close="100")
    tuesday = quotes("TSLA", ["107.5", "110", "104", "99.5", "80"], previous_close="107")
    triggers = fired(alert, [*monday, *tuesday])

    # Tuesday against 107: +0.47%, +2.80%, -2.80%, then 99.50 / 107 - 1 = -7.0093...%
    assert {i: t.message for i, t in triggers.items()} == {
        1: "TSLA is up 5.00% today (threshold 5.00%)",
        9: "TSLA is down 7.01% today (threshold 5.00%)",
    }
    assert triggers[1].observed == D(5)


def test_a_daily_move_fires_again_on_a_new_day_when_the_move_still_holds() -> None:
    alert = AlertDefinition(AlertKind.DAILY_MOVE, D(5), "TSLA")
    monday = quotes("TSLA", ["110"], previous_close="100")
    tuesday = quotes("TSLA", ["121", "122"], previous_close="110")

    assert fired_at(alert, [*monday, *tuesday]) == [0, 1]


def test_a_daily_move_without_a_previous_close_is_not_measured() -> None:
    alert = AlertDefinition(AlertKind.DAILY_MOVE, D(5), "NEW")
    assert fired(alert, quotes("NEW", ["10"], previous_close="0")) == {}


def test_portfolio_value_alerts_cross_both_ways() -> None:
    above = AlertDefinition(AlertKind.PORTFOLIO_VALUE_ABOVE, D(100000), rearm_band_percent=D(0))
    below = AlertDefinition(AlertKind.PORTFOLIO_VALUE_BELOW, D(90000), rearm_band_percent=D(0))
    series = valuations(["95000", "100250", "101000", "89999.5", "99000", "100000"])

    assert {i: t.message for i, t in fired(above, series).items()} == {
        1: "Portfolio value rose above 100,000.00 (100,250.00)",
        5: "Portfolio value rose above 100,000.00 (100,000.00)",
    }
    assert {i: t.message for i, t in fired(below, series).items()} == {
        3: "Portfolio value fell below 90,000.00 (89,999.50)"
    }


def test_a_drawdown_fires_past_its_percent_below_the_peak_and_again_after_a_recovery() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_DRAWDOWN, D(10), rearm_band_percent=D(0))
    # Drawdowns from 120,000: 0%, 5%, 12.5%, 15%, 8.33%, 10%.
    series = valuations(["120000", "114000", "105000", "102000", "110000", "108000"])
    triggers = fired(alert, series)

    assert list(triggers) == [2, 5]
    assert triggers[2].observed == D("12.5")
    assert triggers[2].message == "Portfolio is 12.50% below its peak of 120,000.00 (threshold 10.00%)"


def test_a_drawdown_needs_a_peak() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_DRAWDOWN, D(10))
    assert fired(alert, valuations(["0"])) == {}


def test_the_drawdown_peak_is_the_highest_value_since_the_alert_began_kept_in_its_state() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_DRAWDOWN, D(10), rearm_band_percent=D(0))
    state = AlertState()
    for observation in valuations(["100000", "130000", "125000"]):
        state, _ = evaluate(alert, state, observation)
    assert (state.peak, state.armed) == (D(130000), True)

    # Another evaluator (a replica, a restarted process) goes on from the stored state: a value
    # it sees first is not a new peak, and the fall from 130,000 is measured as such.
    later = ValuationObservation(D(116000), D(0), START + timedelta(days=9))
    state, trigger = evaluate(alert, state, later)
    assert trigger is not None
    assert trigger.observed.quantize(D("0.01")) == D("10.77")
    again = ValuationObservation(D(115000), D(0), START + timedelta(days=10))
    assert evaluate(alert, state, again)[1] is None


def test_flows_scale_the_drawdown_peak_so_they_are_neither_loss_nor_gain() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_DRAWDOWN, D(10), rearm_band_percent=D(0))
    # Peak 100,000; down 8% at 92,000. 50,000 withdrawn: the 42,000 left is still 8% down (the
    # peak scales by 42,000 / 92,000 to 45,652.17). A fall to 41,000 is 10.19% down: a trigger.
    # 100,000 deposited: 141,000 is the same 10.19% down, not a recovery that re-arms it.
    series = valuations(
        ["100000", "92000", "42000", "41000", "141000"],
        flows=["0", "0", "-50000", "-50000", "50000"],
    )
    state, triggers = AlertState(), {}
    for index, observation in enumerate(series):
        state, trigger = evaluate(alert, state, observation)
        if trigger is not None:
            triggers[index] = trigger
    assert list(triggers) == [3]
    assert triggers[3].message == "Portfolio is 10.19% below its peak of 45,652.17 (threshold 10.00%)"
    assert state.armed is False
    assert state.peak is not None
    assert (1 - D(141000) / state.peak) * 100 == pytest.approx(D("10.19"), abs=D("0.01"))


def test_the_stored_peak_moves_up_in_steps_of_a_basis_point() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_DRAWDOWN, D(10))
    state, _ = evaluate(alert, AlertState(), valuations(["100000"])[0])
    nudged, _ = evaluate(alert, state, valuations(["100005"])[0])  # half a basis point higher
    assert nudged == state  # nothing to write
    risen, _ = evaluate(alert, state, valuations(["100020"])[0])
    assert risen.peak == D(100020)


def test_a_portfolio_alert_ignores_quotes() -> None:
    alert = AlertDefinition(AlertKind.PORTFOLIO_VALUE_BELOW, D(10))
    assert fired(alert, quotes("AAPL", ["1"])) == {}


@given(st.lists(st.integers(min_value=150, max_value=250), max_size=60))
def test_with_no_band_it_fires_exactly_where_the_price_steps_up_to_the_threshold(prices: list[int]) -> None:
    # Independent statement of "once per crossing": the first observation at or above the
    # threshold, and every one at or above it whose predecessor was below.
    expected = [i for i, p in enumerate(prices) if p >= 200 and (i == 0 or prices[i - 1] < 200)]
    assert fired_at(PRICE_ABOVE_200, quotes("AAPL", [str(p) for p in prices])) == expected


def test_validation_normalises_the_symbol() -> None:
    assert validate_alert_definition("daily_move", D("7.5"), " tsla ") == AlertDefinition(
        AlertKind.DAILY_MOVE, D("7.5"), "TSLA"
    )
    assert validate_alert_definition("portfolio_drawdown", D(100), "  ").symbol is None


@pytest.mark.parametrize(
    ("kind", "threshold", "symbol", "fields"),
    [
        ("price_sideways", D(1), "AAPL", {"kind"}),
        ("price_above", D(0), "AAPL", {"threshold"}),
        ("price_below", D(-5), "AAPL", {"threshold"}),
        ("portfolio_value_above", D("NaN"), None, {"threshold"}),
        ("daily_move", D("100.01"), "AAPL", {"threshold"}),
        ("portfolio_drawdown", D(101), None, {"threshold"}),
        ("price_above", D(10), None, {"symbol"}),
        ("daily_move", D(10), "", {"symbol"}),
        ("price_above", D(10), "not a symbol", {"symbol"}),
        ("portfolio_value_below", D(10), "AAPL", {"symbol"}),
        ("portfolio_drawdown", D(0), "AAPL", {"threshold", "symbol"}),
    ],
)
def test_bad_definitions_name_their_fields(
    kind: str, threshold: Decimal, symbol: str | None, fields: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_alert_definition(kind, threshold, symbol)
    assert {violation.field for violation in caught.value.violations} == fields


def test_an_amount_threshold_may_exceed_100() -> None:
    assert validate_alert_definition("price_above", D(5000), "NVR").threshold == D(5000)


@pytest.mark.parametrize("band", [D(-1), D("50.01"), D("Infinity")])
def test_the_band_is_a_percent_from_0_to_50(band: Decimal) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_alert_definition("price_above", D(1), "AAPL", band)
    assert [v.field for v in caught.value.violations] == ["rearm_band_percent"]
