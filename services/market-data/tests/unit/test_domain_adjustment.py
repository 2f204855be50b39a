import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.adjustment import adjust_bars
from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction, Interval


def bar(day: date, o: float, h: float, low: float, c: float, v: int, symbol: str = "XYZ") -> Bar:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return Bar(symbol, Interval.D1, start, o, h, low, c, v, "simulated")


def split(day: date, ratio: float) -> CorporateAction:
    return CorporateAction("XYZ", day, ActionKind.SPLIT, split_ratio=ratio)


def dividend(day: date, cash: float) -> CorporateAction:
    return CorporateAction("XYZ", day, ActionKind.DIVIDEND, dividend=cash)


def ohlcv(b: Bar) -> tuple[float, float, float, float, int]:
    return (b.open, b.high, b.low, b.close, b.volume)


MON, TUE, WED, THU, FRI = (date(2024, 3, 4) + timedelta(days=n) for n in range(5))
RAW = [
    bar(MON, 99.0, 101.0, 98.0, 100.0, 1000),
    bar(TUE, 100.0, 103.0, 99.0, 102.0, 1200),
    bar(WED, 101.5, 102.0, 100.0, 101.0, 1100),
    bar(THU, 50.8, 51.0, 50.0, 50.5, 2600),
    bar(FRI, 50.5, 51.5, 50.2, 51.0, 2400),
]


def test_worked_example_of_a_dividend_then_a_split() -> None:
    # Wednesday: ex-dividend of 1.02; the previous close (Tuesday) is 102,
    #   so bars before Wednesday are multiplied by 1 - 1.02 / 102 = 0.99.
    # Thursday: 2-for-1 split, so bars before Thursday are divided by 2 (volumes doubled).
    # Cumulative price factors: Fri 1, Thu 1, Wed 0.5, Tue 0.5 x 0.99 = 0.495, Mon 0.495.
    adjusted = adjust_bars(RAW, [split(THU, 2.0), dividend(WED, 1.02)])

    expected = [
        # Monday x 0.495: 99 -> 49.005, 101 -> 49.995, 98 -> 48.51, 100 -> 49.5; 1000 x 2
        (49.005, 49.995, 48.51, 49.5, 2000),
        # Tuesday x 0.495: 100 -> 49.5, 103 -> 50.985, 99 -> 49.005, 102 -> 50.49; 1200 x 2
        (49.5, 50.985, 49.005, 50.49, 2400),
        # Wednesday x 0.5: 101.5 -> 50.75, 102 -> 51, 100 -> 50, 101 -> 50.5; 1100 x 2
        (50.75, 51.0, 50.0, 50.5, 2200),
        (50.8, 51.0, 50.0, 50.5, 2600),
        (50.5, 51.5, 50.2, 51.0, 2400),
    ]
    for got, want in zip(adjusted, expected, strict=True):
        assert ohlcv(got)[:4] == pytest.approx(want[:4], rel=1e-12)
        assert got.volume == want[4]
    assert [b.start for b in adjusted] == [b.start for b in RAW]


def test_a_real_split_aapl_four_for_one_in_august_2020() -> None:
    # AAPL split 4-for-1 with ex-date 2020-08-31; the raw close on Friday 2020-08-28 was
    # 499.23, which split-adjusts to 499.23 / 4 = 124.8075 (the other figures are illustrative).
    friday, monday = date(2020, 8, 28), date(2020, 8, 31)
    raw = [bar(friday, 499.23, 499.23, 499.23, 499.23, 1_000_000, "AAPL"),
           bar(monday, 129.04, 129.04, 129.04, 129.04, 4_000_000, "AAPL")]  # fmt: skip
    action = CorporateAction("AAPL", monday, ActionKind.SPLIT, split_ratio=4.0)

    before, after = adjust_bars(raw, [action])

    assert before.close == pytest.approx(124.8075)
    assert before.volume == 4_000_000
    assert after == raw[1]


def test_without_actions_the_bars_are_unchanged() -> None:
    assert adjust_bars(RAW, []) == RAW


def test_bars_come_back_oldest_first_whatever_the_input_order() -> None:
    shuffled = [RAW[3], RAW[0], RAW[4], RAW[2], RAW[1]]
    assert adjust_bars(shuffled, []) == RAW


def test_actions_outside_the_bars_change_nothing() -> None:
    later = dividend(FRI + timedelta(days=3), 1.0)
    on_the_first_day = split(MON, 2.0)
    earlier = split(MON - timedelta(days=30), 2.0)
    assert adjust_bars(RAW, [later, on_the_first_day, earlier]) == RAW


def test_actions_that_cannot_apply_are_ignored() -> None:
    too_large = dividend(WED, 102.0)  # the whole previous close
    broken = split(THU, 0.0)
    assert adjust_bars(RAW, [too_large, broken]) == RAW


def test_an_action_on_a_non_trading_day_applies_to_the_bars_before_it() -> None:
    saturday = FRI + timedelta(days=1)
    monday = saturday + timedelta(days=2)
    raw = [*RAW, bar(monday, 25.0, 26.0, 24.5, 25.5, 5000)]
    adjusted = adjust_bars(raw, [split(saturday, 2.0)])
    assert adjusted[-2].close == pytest.approx(25.5)
    assert adjusted[-1] == raw[-1]


def test_a_reverse_split_raises_earlier_prices() -> None:
    adjusted = adjust_bars(RAW[:2], [split(TUE, 0.1)])  # one new share for ten old
    assert adjusted[0].close == pytest.approx(1000.0)
    assert adjusted[0].volume == 100


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Bar], list[CorporateAction]]:
    closes = draw(st.lists(st.floats(1.0, 1000.0), min_size=2, max_size=40))
    first = date(2015, 1, 1)
    bars = []
    for n, close in enumerate(closes):
        spread = draw(st.floats(0.0, 0.1))
        low, high = close * (1 - spread), close * (1 + spread)
        opening = draw(st.floats(low, high))
        volume = draw(st.integers(0, 10**9))
        bars.append(bar(first + timedelta(days=n), opening, high, low, close, volume))
    actions = []
    for index in draw(st.sets(st.integers(1, len(closes) - 1), max_size=5)):
        day = first + timedelta(days=index)
        if draw(st.booleans()):
            actions.append(split(day, draw(st.sampled_from([0.1, 0.5, 1.5, 2.0, 3.0, 4.0, 7.0, 20.0]))))
        else:
            actions.append(dividend(day, closes[index - 1] * draw(st.floats(0.001, 0.3))))
    return bars, actions


@given(histories())
def test_adjusted_returns_are_the_returns_against_the_ex_date_reference_price(
    history: tuple[list[Bar], list[CorporateAction]],
) -> None:
    bars, actions = history
    adjusted = adjust_bars(bars, actions)
    by_day = {action.ex_date: action for action in actions}
    for n in range(1, len(bars)):
        previous, current = bars[n - 1].close, bars[n].close
        action = by_day.get(bars[n].start.date())
        reference = previous
        if action is not None and action.kind is ActionKind.SPLIT:
            reference = previous / action.split_ratio
        elif action is not None:
            reference = previous - action.dividend
        total_return = current / reference
        assert adjusted[n].close / adjusted[n - 1].close == pytest.approx(total_return, rel=1e-9)


@given(histories())
def test_the_latest_bar_is_never_changed(history: tuple[list[Bar], list[CorporateAction]]) -> None:
    bars, actions = history
    assert adjust_bars(bars, actions)[-1] == bars[-1]


@given(histories())
def test_adjustment_keeps_every_bar_consistent(history: tuple[list[Bar], list[CorporateAction]]) -> None:
    bars, actions = history
    for raw, adjusted in zip(bars, adjust_bars(bars, actions), strict=True):
        assert adjusted.start == raw.start
        assert adjusted.low <= min(adjusted.open, adjusted.close) * (1 + 1e-12)
        assert adjusted.high >= max(adjusted.open, adjusted.close) * (1 - 1e-12)
        assert adjusted.low > 0
        assert math.isfinite(adjusted.high)


@given(histories())
def test_without_actions_adjusted_equals_raw(history: tuple[list[Bar], list[CorporateAction]]) -> None:
    bars, _ = history
    assert adjust_bars(bars, []) == bars
