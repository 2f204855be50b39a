"""The portfolio edge in isolation: decimal and date fields, conversions, field maps, limits."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.exceptions import RequestValidationError
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive, Scope, Send

from eqr.common.v1 import date_pb2, decimal_pb2
from eqr.portfolio.v1 import resources_pb2 as pf
from eqr_gateway.convert_portfolio import (
    decimal,
    optional_date,
    optional_decimal,
    optional_double,
    portfolio_update_pb,
)
from eqr_gateway.convert_portfolio_figures import (
    holding_doc,
    performance_doc,
    performance_json,
    risk_doc,
    risk_json,
    valuation_doc,
    valuation_json,
)
from eqr_gateway.grpc_calls import rest_field
from eqr_gateway.middleware.body_limit import BodyLimitMiddleware
from eqr_gateway.problems import ProblemError
from eqr_gateway.routes.portfolio_common import json_object_text, safe_filename
from eqr_gateway.routes.portfolio_ledger import IMPORT_FIELDS, IMPORT_PATH_PATTERN
from eqr_gateway.schemas.portfolio import PortfolioUpdate
from eqr_gateway.schemas.portfolio_analysis import Performance, Risk
from eqr_gateway.schemas.portfolio_fields import Day, DecimalIn
from eqr_gateway.schemas.portfolio_holdings import Valuation
from eqr_gateway.settings import GatewaySettings


class Amount(BaseModel):
    value: DecimalIn


class Dated(BaseModel):
    day: Day


def _text(value: object) -> str:
    return Amount(value=value).value


@pytest.mark.parametrize(
    ("given_value", "text"),
    [
        ("12.50", "12.50"),
        (" -3 ", "-3"),
        ("+0.25", "0.25"),
        ("1e3", "1000"),
        ("2.5E-3", "0.0025"),
        (".5", "0.5"),
        ("7.", "7"),
        (Decimal("0.10"), "0.10"),
        (12, "12"),
        (0.1, "0.1"),
    ],
)
def test_decimals_keep_their_value_as_plain_text(given_value: object, text: str) -> None:
    assert _text(given_value) == text


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (True, "not true or false"),
        ("NaN", "finite"),
        ("-inf", "finite"),
        (float("nan"), "finite"),
        (Decimal("Infinity"), "finite"),
        ("1e41", "too many digits"),
        ("1e-41", "too many digits"),
        ("12,50", "a decimal number"),
        ("1_000", "a decimal number"),
        ("", "a decimal number"),
        ("0x1F", "a decimal number"),
        ("١٢", "a decimal number"),
        ("1" * 65, "a decimal number"),
        (None, "a decimal number"),
        ([1], "a decimal number"),
    ],
)
def test_decimals_refuse_what_is_not_a_finite_number(bad: object, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Amount(value=bad)
    assert message in refused.value.errors()[0]["msg"]


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**18), max_value=10**18, places=10))
def test_any_ledger_sized_decimal_round_trips_exactly(number: Decimal) -> None:
    assert Decimal(_text(str(number))) == number
    assert Decimal(_text(number)) == number


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("2024-02-30", "is not a valid calendar date"),
        ("2024-2-3", "YYYY-MM-DD"),
        ("2024-02-03T00:00:00", "YYYY-MM-DD"),
        (20240203, "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
    ],
)
def test_days_are_iso_calendar_dates(bad: object, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Dated(day=bad)
    assert message in refused.value.errors()[0]["msg"]
    assert str(Dated(day="2024-02-29").day) == "2024-02-29"


def test_an_update_mask_names_exactly_the_fields_sent() -> None:
    message, mask = portfolio_update_pb(
        PortfolioUpdate.model_validate({"description": None, "allow_short": False})
    )
    assert mask == ["allow_short", "description"]
    assert (message.description, message.allow_short) == ("", False)
    message, mask = portfolio_update_pb(
        PortfolioUpdate.model_validate({"cost_method": "average", "name": "N"})
    )
    assert mask == ["cost_method", "name"]
    assert (message.cost_method, message.name) == (pf.COST_METHOD_AVERAGE, "N")


def test_unset_and_empty_decimals_are_null_and_required_ones_must_be_set() -> None:
    holding = pf.Holding(price=decimal_pb2.Decimal(value=""), quantity=decimal_pb2.Decimal(value="-0.0010"))
    assert optional_decimal(holding, "previous_close") is None
    assert optional_decimal(holding, "price") is None
    assert decimal(holding, "quantity") == "-0.0010"
    with pytest.raises(ValueError, match=r"Holding\.market_value is unset"):
        decimal(holding, "market_value")


def test_unset_dates_and_optional_doubles_are_null() -> None:
    drawdown = pf.Drawdown(peak=date_pb2.Date(year=2024, month=7, day=10), trough=date_pb2.Date())
    assert [optional_date(drawdown, name) for name in ("peak", "trough", "recovered")] == [
        date(2024, 7, 10),
        None,
        None,
    ]
    holding = pf.Holding(day_change_percent=0.0)
    assert optional_double(holding, "day_change_percent") == 0.0
    assert optional_double(holding, "unrealized_pnl_percent") is None


def test_lots_are_null_unless_asked_for() -> None:
    zero = decimal_pb2.Decimal(value="0")
    holding = pf.Holding(
        symbol="USD",
        is_cash=True,
        quantity=zero,
        market_value=zero,
        cost_basis=zero,
        unrealized_pnl=zero,
        day_change=zero,
    )
    assert holding_doc(holding, include_lots=False)["lots"] is None
    assert holding_doc(holding, include_lots=True)["lots"] == []


def _d(text: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=text)


def _day(year: int, month: int, day: int) -> date_pb2.Date:
    return date_pb2.Date(year=year, month=month, day=day)


def _valuation(*, as_of: bool) -> pf.Valuation:
    lot = pf.Lot(
        opened_on=_day(2025, 1, 15),
        quantity=_d("10"),
        cost_basis=_d("1853.00"),
        cost_per_share=_d("185.30"),
        market_value=_d("2298.70"),
        unrealized_pnl=_d("445.70"),
    )
    stock = pf.Holding(
        symbol="AAPL",
        name="Apple Inc.",
        sector="Information Technology",
        industry="Hardware",
        quantity=_d("10"),
        price=_d("229.87"),
        previous_close=_d("227.52"),
        market_value=_d("2298.70"),
        cost_basis=_d("1853.00"),
        average_cost=_d("185.30"),
        unrealized_pnl=_d("445.70"),
        unrealized_pnl_percent=0.2405,
        realized_pnl=_d("0"),
        income=_d("2.50"),
        day_change=_d("23.50"),
        day_change_percent=0.0,
        weight=1e-7,
        priced=True,
        lots=[lot, lot],
        greeks=pf.PositionGreeks(dollar_delta=2298.7),
    )
    short_call = pf.Holding(
        symbol="AAPL261218C00240000",
        name="AAPL 2026-12-18 240 call",
        quantity=_d("-1"),
        price=_d("3.15"),
        previous_close=_d("2.90"),
        market_value=_d("-315.00"),
        cost_basis=_d("-280.00"),
        average_cost=_d("2.80"),
        unrealized_pnl=_d("-35.00"),
        realized_pnl=_d("0"),
        income=_d("0"),
        day_change=_d("-25.00"),
        weight=-0.01,
        priced=True,
        option=pf.OptionDetails(
            underlying="AAPL",
            expiry=_day(2026, 12, 18),
            strike=_d("240"),
            kind="call",
            multiplier=100,
            price_source="chain_mid",
        ),
        greeks=pf.PositionGreeks(
            dollar_delta=-6_100.5, dollar_gamma=-41.2, vega_per_point=-22.75, theta_per_day=8.1
        ),
    )
    unpriced = pf.Holding(
        symbol="PVT1",
        name="PVT1",
        quantity=_d("3"),
        market_value=_d("30"),
        cost_basis=_d("30"),
        average_cost=_d("10"),
        unrealized_pnl=_d("0"),
        realized_pnl=_d("-1.5"),
        income=_d("0"),
        day_change=_d("0"),
        weight=0.25,
    )
    cash = pf.Holding(
        symbol="USD",
        is_cash=True,
        name="Cash",
        quantity=_d("1000.00"),
        market_value=_d("1000.00"),
        cost_basis=_d("1000.00"),
        unrealized_pnl=_d("0"),
        day_change=_d("0"),
        weight=0.3032,
        priced=True,
    )
    valued_at = Timestamp(seconds=1741966927, nanos=123456000)
    money = ("market_value", "cash", "cost_basis", "unrealized_pnl", "realized_pnl", "income", "fees")
    return pf.Valuation(
        portfolio_id="5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
        currency="USD",
        as_of=_day(2024, 12, 31) if as_of else None,
        valued_at=valued_at,
        **{name: _d("1.10") for name in money},
        day_change=_d("-0.5"),
        net_deposits=_d("2853.00"),
        holdings=[stock, short_call, unpriced, cash],
        greeks=pf.PositionGreeks(
            dollar_delta=-3_801.8, dollar_gamma=-41.2, vega_per_point=-22.75, theta_per_day=8.1
        ),
        by_sector=[pf.AllocationSlice(name="Cash", market_value=_d("1000.00"), weight=0.3032)],
        by_industry=[],
    )


@pytest.mark.parametrize(("as_of", "include_lots"), [(False, False), (True, True)])
def test_the_valuation_is_rendered_as_its_model_would_write_it(as_of: bool, include_lots: bool) -> None:
    valuation = _valuation(as_of=as_of)
    rendered = valuation_json(valuation, include_lots=include_lots)
    model = Valuation.model_validate(valuation_doc(valuation, include_lots=include_lots))
    assert Valuation.model_validate_json(rendered) == model
    assert json.loads(rendered) == json.loads(model.model_dump_json())
    assert json.loads(rendered)["valued_at"] == "2025-03-14T15:42:07.123456Z"
    call = json.loads(rendered)["holdings"][1]
    assert call["option"] == {
        "underlying": "AAPL",
        "expiry": "2026-12-18",
        "strike": "240",
        "kind": "call",
        "multiplier": 100,
        "price_source": "chain_mid",
    }
    assert call["greeks"]["vega_per_point"] == -22.75


def test_a_required_figure_left_unset_is_an_error_not_a_null() -> None:
    valuation = _valuation(as_of=False)
    valuation.holdings[0].ClearField("market_value")
    with pytest.raises(ValueError, match=r"Holding\.market_value is unset"):
        valuation_json(valuation, include_lots=False)
    valuation = _valuation(as_of=False)
    valuation.holdings[0].lots[0].ClearField("opened_on")
    with pytest.raises(ValueError, match=r"Lot\.opened_on is unset"):
        valuation_json(valuation, include_lots=True)


def test_performance_and_risk_are_rendered_as_their_models_would_write_them() -> None:
    performance = pf.Performance(
        portfolio_id="5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
        periods=[
            pf.PeriodReturn(period="1Y", start_date=_day(2024, 3, 14), end_date=_day(2025, 3, 14)),
            pf.PeriodReturn(period="5Y", time_weighted=0.1, money_weighted=-0.2, annualized=True),
        ],
        series=[
            pf.ValuePoint(date=_day(2025, 3, 13), value=3275.2, cumulative_return=0.0),
            pf.ValuePoint(
                date=_day(2025, 3, 14),
                value=3298.7,
                net_flow=-12.5,
                cumulative_return=0.0072,
                benchmark_cumulative_return=0.0,
            ),
        ],
        calendar=[pf.CalendarReturn(year=2025, month=3, time_weighted=-0.012, benchmark=0.01)],
        contributions=[pf.Contribution(symbol="AAPL", contribution=0.094, pnl=445.7)],
        tracking_difference=0.0,
    )
    rendered = performance_json(performance)
    model = Performance.model_validate(performance_doc(performance))
    assert Performance.model_validate_json(rendered) == model
    assert json.loads(rendered) == json.loads(model.model_dump_json())
    assert [p["benchmark_cumulative_return"] for p in json.loads(rendered)["series"]] == [None, 0.0]
    for drawdown in (None, pf.Drawdown(depth=-0.142, peak=_day(2024, 7, 10), trough=_day(2024, 8, 5))):
        risk = pf.RiskFigures(
            portfolio_id="5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            observations=2,
            sharpe=0.6,
            max_drawdown=drawdown,
        )
        rendered = risk_json(risk)
        assert json.loads(rendered) == json.loads(Risk.model_validate(risk_doc(risk)).model_dump_json())


@pytest.mark.parametrize(
    ("offered", "name"),
    [
        ("Retirement 2025.csv", "Retirement_2025.csv"),
        ('a"; filename*=evil.exe', "a_filename_evil.exe"),
        ("../../etc/passwd", "etc_passwd"),
        ("résumé\r\n.json", "r_sum_.json"),
        ("", "fallback.csv"),
        ("...", "fallback.csv"),
        ("x" * 300, "x" * 100),
    ],
)
def test_download_names_need_no_quoting(offered: str, name: str) -> None:
    assert safe_filename(offered, "fallback.csv") == name


@pytest.mark.parametrize(
    ("proto", "rest"),
    [
        ("line 12: quantity", "line 12: quantity"),
        ("content", "body"),
        ("format", "query.format"),
        ("portfolio_id", "path.portfolio_id"),
        ("header", "body.header"),
    ],
)
def test_import_violations_read_in_rest_terms(proto: str, rest: str) -> None:
    assert rest_field(proto, IMPORT_FIELDS) == rest


def test_a_document_body_must_be_a_json_object_in_utf8() -> None:
    assert json_object_text(b'\xef\xbb\xbf{"a": 1.10}') == '{"a": 1.10}'
    for raw in (b"[]", b"\xff"):
        with pytest.raises(ProblemError) as refused:
            json_object_text(raw)
        assert (refused.value.status, refused.value.errors[0].field) == (422, "body")
    for raw in (b"{", b""):
        with pytest.raises(RequestValidationError) as malformed:
            json_object_text(raw)
        assert malformed.value.errors()[0]["type"] == "json_invalid"


def test_portfolio_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = GatewaySettings()
    assert (defaults.portfolio_addr, defaults.max_transaction_import_bytes) == (
        "127.0.0.1:50053",
        8 * 1024 * 1024,
    )
    monkeypatch.setenv("PORTFOLIO_ADDR", "portfolio:50053")
    monkeypatch.setenv("GATEWAY_MAX_TRANSACTION_IMPORT_BYTES", "1234")
    settings = GatewaySettings()
    assert (settings.portfolio_addr, settings.max_transaction_import_bytes) == ("portfolio:50053", 1234)


async def _status(app: BodyLimitMiddleware, path: str, size: int) -> int:
    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    chunks = [b"x" * size]
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": chunks.pop(0) if chunks else b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status: int = sent[0]["status"]
    return status


async def _drain(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/portfolios/5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84/transactions/import", 100),
        ("/api/v1/portfolios/x/transactions/import", 100),
        ("/api/v1/portfolios/x/transactions", 10),
        ("/api/v1/portfolios/x/y/transactions/import", 10),
        ("/api/v1/portfolios/x/transactions/import/", 10),
        ("/upload", 50),
    ],
)
async def test_a_body_limit_by_pattern(path: str, allowed: int) -> None:
    app = BodyLimitMiddleware(
        _drain,
        max_bytes=10,
        max_bytes_by_path={"/upload": 50},
        max_bytes_by_pattern=[(IMPORT_PATH_PATTERN, 100), (re.compile(r"/upload"), 1)],
    )
    assert await _status(app, path, allowed) == 200
    assert await _status(app, path, allowed + 1) == 413
