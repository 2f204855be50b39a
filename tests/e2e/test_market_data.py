"""Market data through the gateway on the launcher's fleet (simulator source), as the
dashboard reads it: every value names its source, bad input is a 4xx naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from itertools import islice, product
from pathlib import Path
from string import ascii_uppercase, digits

import httpx
import pytest

from eqr_testing.api import Account, assert_problem, register_and_login


@pytest.fixture(scope="module")
def analyst(api: httpx.Client) -> Account:
    return register_and_login(api, "market")


def _get(api: httpx.Client, who: Account, path: str, **params: object) -> httpx.Response:
    return api.get(path, headers=who.headers, params=params)


def test_market_data_needs_a_signed_in_user(api: httpx.Client) -> None:
    assert_problem(api.get("/stocks/AAPL/quote"), 401)
    assert_problem(api.get("/market/overview"), 401)


def test_quote_and_stock_detail(api: httpx.Client, analyst: Account) -> None:
    quote = _get(api, analyst, "/stocks/aapl/quote")
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["symbol"] == "AAPL"
    assert body["source"] == "simulated"
    assert body["price"] > 0
    assert body["timestamp"].endswith("Z")
    detail = _get(api, analyst, "/stocks/MSFT").json()
    assert detail["instrument"]["sector"] == "Information Technology"
    assert detail["instrument"]["market_cap"] > 1e11
    assert detail["quote"]["symbol"] == "MSFT"


def test_quotes_tick_over(api: httpx.Client, analyst: Account) -> None:
    first = _get(api, analyst, "/stocks/NVDA/quote").json()
    deadline = time.monotonic() + 15
    later = first
    while later["timestamp"] == first["timestamp"] and time.monotonic() < deadline:
        time.sleep(0.5)
        later = _get(api, analyst, "/stocks/NVDA/quote").json()
    assert later["timestamp"] > first["timestamp"]


def test_batch_quotes_list_unknown_symbols(api: httpx.Client, analyst: Account) -> None:
    response = _get(api, analyst, "/stocks/quotes", symbols="AAPL,JPM,NOPE,^GSPC")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [q["symbol"] for q in body["quotes"]] == ["AAPL", "JPM", "^GSPC"]
    assert body["unknown_symbols"] == ["NOPE"]


def test_ten_years_of_daily_history(api: httpx.Client, analyst: Account) -> None:
    started = time.perf_counter()
    response = _get(api, analyst, "/stocks/JPM/history", interval="1d", range="10y")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"].startswith("simulated")
    assert body["adjusted"] is False
    assert len(body["bars"]) > 2400
    first_day = datetime.fromisoformat(body["bars"][0]["t"]).date()
    assert first_day <= date.today() - timedelta(days=3640)
    for bar in body["bars"]:
        assert 0 < bar["l"] <= min(bar["o"], bar["c"]) <= max(bar["o"], bar["c"]) <= bar["h"]
    assert elapsed < 5  # generous: the benchmark measures it properly


def test_weekly_adjusted_and_intraday_history(api: httpx.Client, analyst: Account) -> None:
    weekly = _get(api, analyst, "/stocks/KO/history", interval="1wk", range="1y", adjusted="true").json()
    assert 50 <= len(weekly["bars"]) <= 54
    assert weekly["adjusted"] is True
    hourly = _get(api, analyst, "/stocks/KO/history", interval="1h", range="5d")
    assert hourly.status_code == 200, hourly.text
    assert hourly.json()["bars"]


def test_market_overview_movers_sectors_and_sentiment(api: httpx.Client, analyst: Account) -> None:
    overview = _get(api, analyst, "/market/overview").json()
    assert {m["instrument"]["symbol"] for m in overview["indices"]} >= {"^GSPC", "^DJI", "^IXIC", "^RUT"}
    assert len(overview["sectors"]) == 11
    breadth = overview["breadth"]
    assert breadth["advancers"] + breadth["decliners"] + breadth["unchanged"] == 150
    movers = _get(api, analyst, "/market/movers", limit=5).json()
    gains = [m["quote"]["change_percent"] for m in movers["gainers"]]
    assert gains == sorted(gains, reverse=True)
    assert len(movers["most_active"]) == 5
    sentiment = _get(api, analyst, "/market/sentiment").json()
    assert -1 <= sentiment["news_sentiment"] <= 1
    assert sentiment["news_count"] > 0
    assert _get(api, analyst, "/market/indices").status_code == 200
    assert _get(api, analyst, "/market/sectors").status_code == 200


def test_search_news_fundamentals_and_peers(api: httpx.Client, analyst: Account) -> None:
    found = _get(api, analyst, "/stocks/search", q="appl").json()["items"]
    assert found[0]["symbol"] == "AAPL"
    news = _get(api, analyst, "/stocks/AAPL/news", limit=3).json()["items"]
    assert all("AAPL" in item["symbols"] and item["source"] == "simulated" for item in news)
    fundamentals = _get(api, analyst, "/stocks/AAPL/fundamentals", period="quarterly", limit=12).json()
    assert len(fundamentals["items"]) == 12
    latest = fundamentals["items"][0]
    assert latest["free_cash_flow"] == pytest.approx(
        latest["operating_cash_flow"] - latest["capital_expenditure"]
    )
    peers = _get(api, analyst, "/stocks/JPM/peers", limit=5).json()["items"]
    assert peers
    assert all(p["sector"] == "Financials" for p in peers)


def test_hostile_market_input(api: httpx.Client, analyst: Account) -> None:
    assert_problem(_get(api, analyst, "/stocks/NOPE/quote"), 404)
    assert_problem(_get(api, analyst, "/stocks/..%2F..%2Fetc/quote"), 422)
    ten_thousand = ",".join(
        "".join(code) for code in islice(product(ascii_uppercase + digits, repeat=3), 10_000)
    )
    batch = api.get(f"/stocks/quotes?symbols={ten_thousand}", headers=analyst.headers)
    assert_problem(batch, 422, field="symbols")
    today = datetime.now(UTC).date()
    inverted = _get(api, analyst, "/stocks/AAPL/history", **{"from": today.isoformat(), "to": "2020-01-01"})
    assert_problem(inverted, 422, field="from")
    assert_problem(_get(api, analyst, "/stocks/AAPL/history", interval="2d"), 422, field="interval")
    assert_problem(_get(api, analyst, "/stocks/AAPL/history", **{"from": "yesterday"}), 422, field="from")
    assert_problem(_get(api, analyst, "/stocks/search", q="a", limit=10_000), 422, field="limit")


CSV = b"""Date,Open,High,Low,Close,Volume
2001-02-05,10.0,10.5,9.8,10.2,1000
2001-02-06,10.2,10.4,10.9,10.1,1200
2001-02-07,-1,10.4,9.9,10.0,900
2001-02-08,10.0,10.3,9.9,10.1,abc
2001-02-09,10.1,10.6,10.0,10.5,1500
"""


def test_admin_imports_end_of_day_bars(api: httpx.Client, admin: Account, analyst: Account) -> None:
    files = {"file": ("ko.csv", CSV, "text/csv")}
    form = {"symbol": "KO", "format": "csv", "dry_run": "true"}
    forbidden = api.post("/admin/market-data/import", headers=analyst.headers, files=files, data=form)
    assert_problem(forbidden, 403)

    dry = api.post("/admin/market-data/import", headers=admin.headers, files=files, data=form)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["accepted"] == 2
    assert report["rejected"] == 3
    bad_lines = sorted({issue["line"] for issue in report["issues"] if issue["severity"] == "rejected"})
    assert bad_lines == [3, 4, 5]

    stored = api.post(
        "/admin/market-data/import", headers=admin.headers, files=files, data={**form, "dry_run": "false"}
    )
    assert stored.status_code == 200, stored.text
    history = _get(
        api, analyst, "/stocks/KO/history", interval="1d", **{"from": "2001-02-01", "to": "2001-02-28"}
    )
    assert [bar["c"] for bar in history.json()["bars"]] == [10.2, 10.5]
    assert "import" in history.json()["source"]
    quality = api.get("/admin/market-data/quality", headers=admin.headers, params={"symbol": "KO"})
    assert quality.status_code == 200, quality.text


def test_a_five_megabyte_file_goes_through_the_gateway_and_grpc(api: httpx.Client, admin: Account) -> None:
    day = date(2001, 1, 1)
    rows = [
        f"{(day + timedelta(days=i)).isoformat()},100.123456,101.123456,99.123456,100.654321,{1_000_000 + i}"
        for i in range(90_000)
    ]
    content = ("Date,Open,High,Low,Close,Volume\n" + "\n".join(rows)).encode()
    assert len(content) > 5 * 1024 * 1024  # over gRPC's 4 MiB default message size
    response = api.post(
        "/admin/market-data/import",
        headers=admin.headers,
        files={"file": ("big.csv", content, "text/csv")},
        data={"symbol": "KO", "format": "csv", "dry_run": "true"},
        timeout=120,
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["accepted"] == 90_000


def test_the_cli_imports_a_stooq_file(
    api: httpx.Client, analyst: Account, database_url: str, tmp_path: Path
) -> None:
    stooq = tmp_path / "pep.us.txt"
    stooq.write_text(
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
        "PEP.US,D,20020104,000000,50.0,51.0,49.5,50.5,100000,0\n"
        "PEP.US,D,20020107,000000,50.5,50.9,50.1,50.2,90000,0\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "MIGRATE_ON_START": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "eqr_market_data", "import-bars", "PEP", str(stooq), "--format", "stooq"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "accepted 2, rejected 0" in done.stdout
    history = _get(
        api, analyst, "/stocks/PEP/history", interval="1d", **{"from": "2002-01-01", "to": "2002-01-31"}
    )
    assert [bar["c"] for bar in history.json()["bars"]] == [50.5, 50.2]
