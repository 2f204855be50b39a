"""Holdings, performance, risk, sharing, templates, alerts and rebalancing, mapped both ways."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from eqr.portfolio.v1 import resources_pb2 as pf
from eqr_gateway.schemas.portfolio import LedgerEntries
from eqr_gateway.schemas.portfolio_alerts import Alert, AlertList, AlertTriggerPage
from eqr_gateway.schemas.portfolio_analysis import Performance, Risk
from eqr_gateway.schemas.portfolio_holdings import Valuation
from eqr_gateway.schemas.portfolio_planning import CreatedFromTemplate, RebalanceProposal, TemplateList
from eqr_gateway.schemas.portfolio_sharing import Share, ShareList
from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/portfolios"


@pytest.fixture
def owner(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.fixture
async def portfolio(client: httpx.AsyncClient, owner: Any) -> str:
    response = await client.post(API, json={"name": "Core", "benchmark": "^GSPC"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    portfolio_id: str = response.json()["id"]
    return portfolio_id


async def test_holdings_are_the_valuation(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    response = await client.get(f"{API}/{portfolio}/holdings", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    Valuation.model_validate(body)
    assert (body["portfolio_id"], body["currency"], body["as_of"]) == (portfolio, "USD", None)
    assert body["valued_at"] == "2025-03-14T15:42:07Z"
    assert body["totals"] == {
        "market_value": "3298.70",
        "cash": "1000.00",
        "cost_basis": "1853.00",
        "unrealized_pnl": "445.70",
        "realized_pnl": "0",
        "income": "2.50",
        "fees": "0",
        "day_change": "23.50",
        "day_change_percent": 0.0072,
        "net_deposits": "2853.00",
        "greeks": {"dollar_delta": 2298.7, "dollar_gamma": 0.0, "vega_per_point": 0.0, "theta_per_day": 0.0},
    }
    stock, cash = body["holdings"]
    assert (stock["symbol"], stock["price"], stock["average_cost"], stock["weight"]) == (
        "AAPL",
        "229.87",
        "185.30",
        0.6968,
    )
    assert stock["lots"] is None
    assert stock["option"] is None
    assert stock["greeks"]["dollar_delta"] == 2298.7
    assert cash["greeks"] is None
    assert (cash["symbol"], cash["is_cash"], cash["quantity"]) == ("USD", True, "1000.00")
    assert [
        cash[k] for k in ("price", "average_cost", "realized_pnl", "income", "sector", "day_change_percent")
    ] == [None] * 6
    assert body["allocation"]["by_sector"] == [
        {"name": "Information Technology", "market_value": "2298.70", "weight": 0.6968}
    ]
    assert len(body["allocation"]["by_industry"]) == 1
    assert fake_portfolio.last("GetValuation").request.include_lots is False


async def test_holdings_at_a_past_close_with_lots(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    url = f"{API}/{portfolio}/holdings?as_of=2024-12-31&include_lots=true"
    body = (await client.get(url, headers=owner.headers)).json()
    sent = fake_portfolio.last("GetValuation").request
    assert (sent.as_of.year, sent.as_of.month, sent.as_of.day, sent.include_lots) == (2024, 12, 31, True)
    assert body["as_of"] == "2024-12-31"
    assert body["holdings"][0]["lots"] == [
        {
            "opened_on": "2025-01-15",
            "quantity": "10",
            "cost_basis": "1853.00",
            "cost_per_share": "185.30",
            "market_value": "2298.70",
            "unrealized_pnl": "445.70",
        }
    ]
    assert body["holdings"][1]["lots"] == []


async def test_add_set_and_remove_a_holding(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    added = await client.post(
        f"{API}/{portfolio}/holdings",
        json={
            "symbol": "nvda",
            "quantity": 5,
            "trade_date": "2025-03-10",
            "commission": "0.99",
            "notes": "n",
        },
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    LedgerEntries.model_validate(added.json())
    sent = fake_portfolio.last("AddHolding").request
    assert (sent.symbol, sent.quantity.value, sent.commission.value, sent.notes) == ("NVDA", "5", "0.99", "n")
    assert not sent.HasField("price")
    [buy] = added.json()["transactions"]
    assert (buy["kind"], buy["symbol"], buy["price"], buy["trade_date"]) == (
        "buy",
        "NVDA",
        "229.87",
        "2025-03-10",
    )

    updated = await client.put(
        f"{API}/{portfolio}/holdings/nvda", json={"quantity": "0.5", "price": "120.10"}, headers=owner.headers
    )
    assert updated.status_code == 200, updated.text
    sent = fake_portfolio.last("UpdateHolding").request
    assert (sent.symbol, sent.quantity.value, sent.price.value) == ("NVDA", "0.5", "120.10")
    assert not sent.HasField("trade_date")

    removed = await client.delete(
        f"{API}/{portfolio}/holdings/BRK.B?price=478.10&trade_date=2025-03-12", headers=owner.headers
    )
    assert removed.status_code == 200, removed.text
    sent = fake_portfolio.last("RemoveHolding").request
    assert (sent.symbol, sent.price.value, sent.trade_date.day) == ("BRK.B", "478.10", 12)
    assert removed.json()["transactions"][0]["kind"] == "sell"


async def test_holding_violations_read_in_rest_terms(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "RemoveHolding",
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid",
        violations=[FieldViolation("symbol", "XOM is not held"), FieldViolation("price", "no quote for XOM")],
    )
    response = await client.delete(f"{API}/{portfolio}/holdings/XOM", headers=owner.headers)
    assert problem(response, 422)["errors"] == [
        {"field": "path.symbol", "message": "XOM is not held"},
        {"field": "query.price", "message": "no quote for XOM"},
    ]
    fake_portfolio.fail_next(
        "AddHolding",
        grpc.StatusCode.INVALID_ARGUMENT,
        "no quote",
        violations=[FieldViolation("price", "give it")],
    )
    response = await client.post(
        f"{API}/{portfolio}/holdings", json={"symbol": "X", "quantity": "1"}, headers=owner.headers
    )
    assert problem(response, 422)["errors"] == [{"field": "body.price", "message": "give it"}]


async def test_performance(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    response = await client.get(
        f"{API}/{portfolio}/performance?from=2024-01-01&to=2024-12-31", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    Performance.model_validate(body)
    sent = fake_portfolio.last("GetPerformance").request
    assert (sent.start_date.year, sent.start_date.month, sent.end_date.month, sent.end_date.day) == (
        2024,
        1,
        12,
        31,
    )
    one_year, five_years = body["periods"]
    assert one_year == {
        "period": "1Y",
        "start_date": "2024-03-14",
        "end_date": "2025-03-14",
        "time_weighted": 0.1214,
        "money_weighted": 0.1187,
        "benchmark": 0.1093,
        "excess": 0.0121,
        "annualized": False,
    }
    assert [five_years[k] for k in ("time_weighted", "money_weighted", "benchmark", "excess")] == [None] * 4
    assert five_years["annualized"] is True
    assert body["series"][0] == {
        "date": "2025-03-13",
        "value": 3275.2,
        "net_flow": 0.0,
        "cumulative_return": 0.0,
        "benchmark_cumulative_return": None,
    }
    assert [(c["year"], c["month"], c["benchmark"]) for c in body["calendar"]] == [
        (2024, None, 0.233),
        (2025, 3, None),
    ]
    assert body["contributions"] == [{"symbol": "AAPL", "contribution": 0.094, "pnl": 445.7}]
    assert (body["benchmark"], body["tracking_error"], body["tracking_difference"]) == ("^GSPC", 0.041, None)


async def test_performance_without_a_range_sends_none(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    assert (await client.get(f"{API}/{portfolio}/performance", headers=owner.headers)).status_code == 200
    sent = fake_portfolio.last("GetPerformance").request
    assert not sent.HasField("start_date")
    assert not sent.HasField("end_date")


async def test_risk(client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any) -> None:
    url = f"{API}/{portfolio}/risk?from=2024-03-14&risk_free_rate=0.04"
    body = (await client.get(url, headers=owner.headers)).json()
    Risk.model_validate(body)
    sent = fake_portfolio.last("GetRisk").request
    assert (sent.risk_free_rate.value, sent.start_date.year) == ("0.04", 2024)
    assert not sent.HasField("end_date")
    assert body["max_drawdown"] == {
        "depth": 0.142,
        "peak": "2024-07-10",
        "trough": "2024-08-05",
        "recovered": None,
    }
    assert (body["observations"], body["volatility"], body["beta"], body["risk_free_rate"]) == (
        251,
        0.183,
        None,
        0.04,
    )


async def test_a_range_backwards_is_422_before_any_call(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    calls = fake_portfolio.count("GetRisk")
    response = await client.get(
        f"{API}/{portfolio}/risk?from=2025-01-02&to=2025-01-01", headers=owner.headers
    )
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["query.from"]
    assert fake_portfolio.count("GetRisk") == calls


async def test_range_violations_name_the_query_parameters(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "GetPerformance",
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad range",
        violations=[
            FieldViolation("start_date", "is before inception"),
            FieldViolation("end_date", "is in the future"),
        ],
    )
    response = await client.get(f"{API}/{portfolio}/performance?from=1990-01-01", headers=owner.headers)
    assert [e["field"] for e in problem(response, 422)["errors"]] == ["query.from", "query.to"]


async def test_a_valuation_day_violation_names_the_query_parameter(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "GetValuation",
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad day",
        violations=[FieldViolation("as_of", "must be on or after 1900-01-01")],
    )
    response = await client.get(f"{API}/{portfolio}/holdings?as_of=0001-01-01", headers=owner.headers)
    assert problem(response, 422)["errors"] == [
        {"field": "query.as_of", "message": "must be on or after 1900-01-01"}
    ]
    assert fake_portfolio.last("GetValuation").request.as_of.year == 1


async def test_money_weighted_returns_say_when_they_are_annual() -> None:
    described = Performance.model_json_schema()["$defs"]["PeriodReturn"]["properties"]
    assert "not annualised" in described["money_weighted"]["description"]
    assert "a year or longer" in described["annualized"]["description"]


async def test_share_list_and_revoke(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    shared = await client.post(
        f"{API}/{portfolio}/shares",
        json={"email": "Grace@Example.com", "role": "editor"},
        headers=owner.headers,
    )
    assert shared.status_code == 201, shared.text
    Share.model_validate(shared.json())
    sent = fake_portfolio.last("SharePortfolio").request
    assert (sent.email, sent.role) == ("Grace@example.com", pf.ACCESS_ROLE_EDITOR)
    assert shared.json()["role"] == "editor"
    listed = (await client.get(f"{API}/{portfolio}/shares", headers=owner.headers)).json()
    ShareList.model_validate(listed)
    assert [s["email"] for s in listed["items"]] == ["Grace@example.com"]
    user_id = shared.json()["user_id"]
    assert (
        await client.delete(f"{API}/{portfolio}/shares/{user_id}", headers=owner.headers)
    ).status_code == 204
    assert fake_portfolio.last("RevokeShare").request.user_id == user_id
    assert (
        await client.delete(f"{API}/{portfolio}/shares/{user_id}", headers=owner.headers)
    ).status_code == 404


async def test_templates(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    listed = (await client.get("/api/v1/portfolio-templates", headers=owner.headers)).json()
    TemplateList.model_validate(listed)
    assert listed["items"][0] == {
        "id": "builtin:sixty-forty",
        "name": "sixty-forty",
        "description": "60% stocks, 40% bonds.",
        "builtin": True,
        "weights": [{"symbol": "SPY", "weight": "0.60"}, {"symbol": "AGG", "weight": "0.40"}],
    }
    saved = await client.post(
        "/api/v1/portfolio-templates",
        json={
            "name": "Core tech",
            "weights": [{"symbol": "aapl", "weight": 0.5}, {"symbol": "MSFT", "weight": "0.50"}],
        },
        headers=owner.headers,
    )
    assert saved.status_code == 201, saved.text
    weights = fake_portfolio.last("SaveTemplate").request.weights
    assert [(w.symbol, w.weight.value) for w in weights] == [("AAPL", "0.5"), ("MSFT", "0.50")]
    template_id = saved.json()["id"]
    assert (
        await client.delete(f"/api/v1/portfolio-templates/{template_id}", headers=owner.headers)
    ).status_code == 204
    assert fake_portfolio.last("DeleteTemplate").request.template_id == template_id
    builtin = await client.delete("/api/v1/portfolio-templates/builtin:sixty-forty", headers=owner.headers)
    problem(builtin, 409)


async def test_a_portfolio_from_a_template(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    response = await client.post(
        f"{API}/from-template",
        json={
            "template_id": "builtin:sixty-forty",
            "portfolio": {"name": "Balanced", "cost_method": "average"},
            "initial_cash": "10000",
            "trade_date": "2025-03-14",
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    CreatedFromTemplate.model_validate(body)
    sent = fake_portfolio.last("CreatePortfolioFromTemplate").request
    assert (sent.template_id, sent.portfolio.name, sent.portfolio.cost_method) == (
        "builtin:sixty-forty",
        "Balanced",
        pf.COST_METHOD_AVERAGE,
    )
    assert (sent.initial_cash.value, sent.trade_date.day) == ("10000", 14)
    assert body["portfolio"]["name"] == "Balanced"
    assert [(t["kind"], t["symbol"]) for t in body["transactions"]] == [
        ("deposit", None),
        ("buy", "SPY"),
        ("buy", "AGG"),
    ]


async def test_from_template_violations_name_the_nested_fields(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "CreatePortfolioFromTemplate",
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid",
        violations=[
            FieldViolation("portfolio.name", "required"),
            FieldViolation("initial_cash", "must be > 0"),
        ],
    )
    response = await client.post(
        f"{API}/from-template",
        json={"template_id": str(uuid.uuid4()), "portfolio": {"name": "x"}, "initial_cash": "1"},
        headers=owner.headers,
    )
    assert [e["field"] for e in problem(response, 422)["errors"]] == [
        "body.portfolio.name",
        "body.initial_cash",
    ]


async def test_alerts(client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any) -> None:
    created = await client.post(
        f"{API}/{portfolio}/alerts",
        json={"kind": "price_above", "symbol": "aapl", "threshold": 250, "note": "take profits"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    Alert.model_validate(created.json())
    sent = fake_portfolio.last("CreateAlert").request
    assert (sent.kind, sent.symbol, sent.threshold.value) == (pf.ALERT_KIND_PRICE_ABOVE, "AAPL", "250")
    await client.post(
        f"{API}/{portfolio}/alerts",
        json={"kind": "portfolio_drawdown", "threshold": "10"},
        headers=owner.headers,
    )
    listed = (await client.get(f"{API}/{portfolio}/alerts", headers=owner.headers)).json()
    AlertList.model_validate(listed)
    assert [(a["kind"], a["symbol"]) for a in listed["items"]] == [
        ("price_above", "AAPL"),
        ("portfolio_drawdown", None),
    ]
    triggers = (await client.get(f"{API}/{portfolio}/alerts/triggers?limit=1", headers=owner.headers)).json()
    AlertTriggerPage.model_validate(triggers)
    assert (triggers["items"][0]["observed"], triggers["next_cursor"]) == ("251.12", "1")
    alert_id = created.json()["id"]
    assert (
        await client.delete(f"{API}/{portfolio}/alerts/{alert_id}", headers=owner.headers)
    ).status_code == 204
    assert fake_portfolio.last("DeleteAlert").request.alert_id == alert_id


async def test_propose_and_apply_a_rebalance(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    proposed = await client.post(
        f"{API}/{portfolio}/rebalance",
        json={
            "targets": [{"symbol": "spy", "weight": "0.6"}, {"symbol": "AGG", "weight": "0.4"}],
            "options": {"fractional": True, "commission_per_trade": "1.00", "min_trade_value": 50},
        },
        headers=owner.headers,
    )
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    RebalanceProposal.model_validate(body)
    sent = fake_portfolio.last("ProposeRebalance").request
    assert [(t.symbol, t.weight.value) for t in sent.targets] == [("SPY", "0.6"), ("AGG", "0.4")]
    assert (
        sent.options.fractional,
        sent.options.commission_per_trade.value,
        sent.options.min_trade_value.value,
    ) == (
        True,
        "1.00",
        "50",
    )
    assert not sent.options.HasField("cash_buffer")
    assert sent.template_id == ""
    assert body["trades"][0] == {
        "symbol": "SPY",
        "side": "buy",
        "quantity": "3",
        "price": "100.00",
        "value": "300.00",
        "commission": "1.00",
    }
    assert body["drift"][0]["target_weight"] == 0.6
    assert (body["cash_after"], body["commissions"]) == ("12.40", "0")

    applied = await client.post(
        f"{API}/{portfolio}/rebalance/apply",
        json={"trades": body["trades"], "trade_date": "2025-03-14"},
        headers=owner.headers,
    )
    assert applied.status_code == 201, applied.text
    trades = fake_portfolio.last("ApplyRebalance").request.trades
    assert [(t.symbol, t.side, t.quantity.value, t.value.value) for t in trades] == [
        ("SPY", "buy", "3", "300.00"),
        ("AGG", "buy", "3", "300.00"),
    ]
    assert [t["symbol"] for t in applied.json()["transactions"]] == ["SPY", "AGG"]


async def test_a_rebalance_to_a_template(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    response = await client.post(
        f"{API}/{portfolio}/rebalance", json={"template_id": "builtin:sixty-forty"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    sent = fake_portfolio.last("ProposeRebalance").request
    assert (sent.template_id, list(sent.targets), sent.options.fractional) == (
        "builtin:sixty-forty",
        [],
        False,
    )


@pytest.mark.parametrize("payload", [{}, {"targets": [], "template_id": "builtin:sixty-forty"}])
async def test_a_rebalance_needs_exactly_one_source_of_targets(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, payload: dict[str, Any]
) -> None:
    response = await client.post(f"{API}/{portfolio}/rebalance", json=payload, headers=owner.headers)
    assert problem(response, 422)["errors"] == [
        {"field": "body", "message": "give either targets or template_id"}
    ]
