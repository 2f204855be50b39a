"""Other users' ids on every portfolio route, through the gateway on the launcher's fleet.

The table below names every route under /api/v1/portfolio* in the gateway's OpenAPI document
and what it needs: ``read`` (anyone the portfolio is shared with), ``write`` (its owner and
editors) or ``owner`` (its owner alone). Each request is valid, so that it is the access check
that refuses it and not validation: an editor sends the very same requests and they succeed.

- A stranger is told another user's portfolio does not exist (404, exactly as for an id nobody
  has), on every route; a viewer reads and is refused writes (403); an editor writes but does
  not share, unshare others or delete the portfolio (403).
- Another user's transaction, alert and share ids under one's own portfolio are not found.
- After the refused attempts the owner's portfolio is as it was: settings, ledger, history,
  holdings, alerts and shares.

A route the table does not name fails the first test: a new route needs its row here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from eqr_testing.api import Account, assert_problem, register_and_login

TODAY = date.today()
LAST_YEAR = TODAY - timedelta(days=365)

READ, WRITE, OWNER = "read", "write", "owner"
P = "/api/v1/portfolios/{portfolio_id}"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

CSV_IMPORT = (
    "date,type,symbol,quantity,price,amount,ratio,commission,notes\r\n"
    f"{LAST_YEAR},deposit,,,,5,,,imported\r\n"
)
IBKR_FLEX_IMPORT = (
    '"CurrencyPrimary","AssetClass","Symbol","TradeDate","Quantity","TradePrice","IBCommission","Buy/Sell"\r\n'
    f'"USD","STK","AAPL","{LAST_YEAR:%Y%m%d}","1","150","-1","BUY"\r\n'
)


@dataclass(frozen=True)
class Target:
    """A portfolio and the ids inside it that the routes name."""

    portfolio_id: str
    buy_id: str
    spare_id: str
    """A deposit the ledger holds together without."""
    deleted_id: str
    """A deleted deposit, to restore."""
    alert_id: str


@dataclass(frozen=True)
class Attempt:
    target: Target
    other_user_id: str
    """Someone else the portfolio is shared with (whose share ``DELETE .../shares/{user_id}`` names)."""
    share_email: str
    """Whom ``POST .../shares`` offers the portfolio to."""


Body = Callable[[Attempt], object]


def _always(body: object) -> Body:
    return lambda _: body


@dataclass(frozen=True)
class Case:
    """One request to one route; a route may have several (the import's formats and dry run)."""

    method: str
    path: str
    """As the OpenAPI document spells it."""
    access: str
    label: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    json: Body | None = None
    csv: str | None = None
    transaction: str = "buy"
    """Which of the target's transactions ``{transaction_id}`` names: buy, spare or deleted."""

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path

    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.label})" if self.label else "")

    def send(self, api: httpx.Client, who: Account, attempt: Attempt) -> httpx.Response:
        target = attempt.target
        url = self.path.removeprefix("/api/v1").format(
            portfolio_id=target.portfolio_id,
            transaction_id=getattr(target, f"{self.transaction}_id"),
            alert_id=target.alert_id,
            user_id=attempt.other_user_id,
            symbol="AAPL",
        )
        headers = dict(who.headers)
        content = None
        if self.csv is not None:
            headers["Content-Type"] = "text/csv"
            content = self.csv.encode()
        body = self.json(attempt) if self.json is not None else None
        return api.request(self.method, url, params=self.params, json=body, content=content, headers=headers)


# In an order in which an editor's writes all succeed, one after the other, on one portfolio.
CASES: tuple[Case, ...] = (
    Case("GET", P, READ),
    Case("PATCH", P, WRITE, json=_always({"name": "Renamed by someone else", "benchmark": "SPY"})),
    Case("GET", P + "/history", READ),
    Case("GET", P + "/export", READ),
    Case("GET", P + "/transactions", READ, params={"include_deleted": "true"}),
    Case(
        "POST",
        P + "/transactions",
        WRITE,
        json=_always({"kind": "deposit", "trade_date": str(TODAY), "amount": "1"}),
    ),
    Case(
        "PUT",
        P + "/transactions/{transaction_id}",
        WRITE,
        json=_always(
            {"kind": "buy", "trade_date": str(LAST_YEAR), "symbol": "AAPL", "quantity": "10", "price": "151"}
        ),
    ),
    Case("DELETE", P + "/transactions/{transaction_id}", WRITE, transaction="spare"),
    Case("POST", P + "/transactions/{transaction_id}/restore", WRITE, transaction="deleted"),
    Case("POST", P + "/transactions/import", WRITE, "csv", params={"format": "csv"}, csv=CSV_IMPORT),
    Case(
        "POST",
        P + "/transactions/import",
        WRITE,
        "csv, dry run",
        params={"format": "csv", "dry_run": "true"},
        csv=CSV_IMPORT,
    ),
    Case(
        "POST",
        P + "/transactions/import",
        WRITE,
        "IBKR Flex Query",
        params={"format": "ibkr_flex"},
        csv=IBKR_FLEX_IMPORT,
    ),
    Case("GET", P + "/transactions/export", READ),
    Case("GET", P + "/holdings", READ, params={"include_lots": "true"}),
    Case(
        "GET", P + "/holdings", READ, "as of a past day", params={"as_of": str(LAST_YEAR + timedelta(days=1))}
    ),
    Case(
        "POST",
        P + "/holdings",
        WRITE,
        json=_always({"symbol": "MSFT", "quantity": "1", "price": "100", "trade_date": str(LAST_YEAR)}),
    ),
    Case("PUT", P + "/holdings/{symbol}", WRITE, json=_always({"quantity": "5", "price": "150"})),
    Case("DELETE", P + "/holdings/{symbol}", WRITE, params={"price": "150"}),
    Case("GET", P + "/realized-gains", READ, params={"symbol": "AAPL"}),
    Case("GET", P + "/performance", READ),
    Case(
        "GET",
        P + "/performance",
        READ,
        "custom range",
        params={"from": str(LAST_YEAR), "to": str(TODAY)},
    ),
    Case("GET", P + "/risk", READ),
    Case("GET", P + "/shares", READ),
    Case("POST", P + "/shares", OWNER, json=lambda a: {"email": a.share_email, "role": "editor"}),
    Case("DELETE", P + "/shares/{user_id}", OWNER),
    # A proposal writes nothing: whoever may read the portfolio may see what a rebalance would trade.
    Case("POST", P + "/rebalance", READ, json=_always({"targets": [{"symbol": "AAPL", "weight": "0.5"}]})),
    Case(
        "POST",
        P + "/rebalance/apply",
        WRITE,
        json=_always({"trades": [{"symbol": "AAPL", "side": "buy", "quantity": "1", "price": "150"}]}),
    ),
    Case("GET", P + "/alerts", READ),
    Case(
        "POST",
        P + "/alerts",
        WRITE,
        json=_always({"kind": "price_below", "symbol": "AAPL", "threshold": "0.01"}),
    ),
    Case("GET", P + "/alerts/triggers", READ),
    Case("DELETE", P + "/alerts/{alert_id}", WRITE),
    Case("DELETE", P, OWNER),
)

# Routes that name no portfolio: each acts on the caller's own things, and
# test_routes_without_a_portfolio_id_reach_only_your_own checks that of each.
ACCOUNT_WIDE_ROUTES = frozenset(
    {
        ("GET", "/api/v1/portfolios"),
        ("POST", "/api/v1/portfolios"),
        ("POST", "/api/v1/portfolios/import"),
        ("POST", "/api/v1/portfolios/from-template"),
        ("GET", "/api/v1/portfolio-templates"),
        ("POST", "/api/v1/portfolio-templates"),
        ("DELETE", "/api/v1/portfolio-templates/{template_id}"),
    }
)


@pytest.fixture(scope="module")
def owner(api: httpx.Client) -> Account:
    return register_and_login(api, "owner")


@pytest.fixture(scope="module")
def stranger(api: httpx.Client) -> Account:
    return register_and_login(api, "stranger")


@pytest.fixture(scope="module")
def viewer(api: httpx.Client) -> Account:
    return register_and_login(api, "viewer")


@pytest.fixture(scope="module")
def editor(api: httpx.Client) -> Account:
    return register_and_login(api, "editor")


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _stocked_portfolio(api: httpx.Client, who: Account, *shared_with: tuple[Account, str]) -> Target:
    """A portfolio of ``who``'s with a buy, a spare deposit, a deleted one and an alert, shared."""
    pid = _created(
        api.post(
            "/portfolios",
            json={"name": f"Book {uuid.uuid4().hex[:6]}", "benchmark": "^GSPC"},
            headers=who.headers,
        )
    )["id"]

    def record(**entry: object) -> str:
        return str(
            _created(api.post(f"/portfolios/{pid}/transactions", json=entry, headers=who.headers))["id"]
        )

    record(kind="deposit", trade_date=str(LAST_YEAR), amount="10000")
    buy = record(kind="buy", trade_date=str(LAST_YEAR), symbol="AAPL", quantity="10", price="150")
    spare = record(kind="deposit", trade_date=str(LAST_YEAR), amount="25")
    deleted = record(kind="deposit", trade_date=str(LAST_YEAR), amount="50")
    gone = api.delete(f"/portfolios/{pid}/transactions/{deleted}", headers=who.headers)
    assert gone.status_code == 204, gone.text
    alert = _created(
        api.post(
            f"/portfolios/{pid}/alerts",
            json={"kind": "price_above", "symbol": "AAPL", "threshold": "1000000"},
            headers=who.headers,
        )
    )["id"]
    for account, role in shared_with:
        _created(
            api.post(
                f"/portfolios/{pid}/shares", json={"email": account.email, "role": role}, headers=who.headers
            )
        )
    return Target(str(pid), buy, spare, deleted, str(alert))


def _items(api: httpx.Client, who: Account, path: str, **params: str) -> list[Any]:
    response = api.get(path, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def _state(api: httpx.Client, who: Account, pid: str) -> dict[str, object]:
    """What a refused request must not have changed, as the owner sees it."""
    settings = api.get(f"/portfolios/{pid}", headers=who.headers)
    assert settings.status_code == 200, settings.text
    holdings = api.get(f"/portfolios/{pid}/holdings", params={"include_lots": "true"}, headers=who.headers)
    assert holdings.status_code == 200, holdings.text
    # Quantities and costs, lot by lot; not the market values, which move with the live quotes.
    positions = sorted(
        (
            h["symbol"],
            h.get("quantity"),
            h.get("cost_basis"),
            [(lot["opened_on"], lot["quantity"], lot["cost_basis"]) for lot in h.get("lots") or ()],
        )
        for h in holdings.json()["holdings"]
    )
    return {
        "settings": settings.json(),
        "ledger": _items(api, who, f"/portfolios/{pid}/transactions", include_deleted="true", limit="200"),
        "history": _items(api, who, f"/portfolios/{pid}/history", limit="200"),
        "holdings": positions,
        "alerts": _items(api, who, f"/portfolios/{pid}/alerts"),
        "alert triggers": _items(api, who, f"/portfolios/{pid}/alerts/triggers"),
        "shares": _items(api, who, f"/portfolios/{pid}/shares"),
    }


def _changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return [
        f"the owner's portfolio changed: its {part} was {before[part]!r}, is now {after[part]!r}"
        for part in before
        if before[part] != after[part]
    ]


def _refused(response: httpx.Response, status: int) -> str | None:
    """Why ``response`` is not a ``status`` problem+json, or None when it is."""
    if response.status_code != status:
        return f"got {response.status_code}, expected {status}: {response.text[:300]}"
    media_type = response.headers.get("content-type", "")
    if not media_type.startswith("application/problem+json"):
        return f"got {status} as {media_type!r}, not application/problem+json"
    problem = response.json()
    if problem.get("status") != status or not problem.get("title"):
        return f"got {status} with a malformed problem: {problem}"
    return None


def _succeeded(response: httpx.Response) -> str | None:
    if 200 <= response.status_code < 300:
        return None
    return f"got {response.status_code}, expected success: {response.text[:300]}"


def _visible(problem: httpx.Response) -> tuple[object, ...]:
    """What a 404 tells the caller (not its request id or path)."""
    body = problem.json()
    return body.get("type"), body.get("title"), body.get("detail"), tuple(map(str, body.get("errors") or ()))


def test_the_table_names_every_portfolio_route_in_the_openapi_document(gateway_url: str) -> None:
    document = httpx.get(f"{gateway_url}/openapi.json", timeout=15.0)
    assert document.status_code == 200, document.text
    published = {
        (method.upper(), path)
        for path, operations in document.json()["paths"].items()
        if path.startswith("/api/v1/portfolio")
        for method in operations
        if method in HTTP_METHODS
    }
    covered = {case.route for case in CASES} | ACCOUNT_WIDE_ROUTES
    untested = sorted(published - covered)
    assert not untested, (
        f"routes without another-user tests (add each to CASES or ACCOUNT_WIDE_ROUTES): {untested}"
    )
    assert not sorted(covered - published), (
        f"the table names routes the gateway no longer has: {covered - published}"
    )
    assert not [case.name() for case in CASES if not case.path.startswith(P)], "CASES name a portfolio"
    assert {case.access for case in CASES} <= {READ, WRITE, OWNER}


def test_a_stranger_is_told_another_users_portfolio_does_not_exist(
    api: httpx.Client, owner: Account, stranger: Account, viewer: Account, editor: Account
) -> None:
    target = _stocked_portfolio(api, owner, (viewer, "viewer"), (editor, "editor"))
    before = _state(api, owner, target.portfolio_id)
    attempt = Attempt(target, other_user_id=viewer.user_id, share_email=stranger.email)
    nowhere = Attempt(
        replace(target, portfolio_id=str(uuid.uuid4())),
        other_user_id=viewer.user_id,
        share_email=stranger.email,
    )
    wrong: list[str] = []
    for case in CASES:
        response = case.send(api, stranger, attempt)
        if (why := _refused(response, 404)) is not None:
            wrong.append(f"{case.name()} as a stranger: {why}")
            continue
        # Told exactly what an id nobody has is told: the answer reveals nothing about the portfolio.
        unknown = case.send(api, stranger, nowhere)
        if _refused(unknown, 404) is None and _visible(unknown) != _visible(response):
            wrong.append(
                f"{case.name()} as a stranger: another user's portfolio answers {_visible(response)},"
                f" an unknown one {_visible(unknown)}"
            )
    # Giving up a share one does not have is no way in either.
    mine = api.delete(
        f"/portfolios/{target.portfolio_id}/shares/{stranger.user_id}", headers=stranger.headers
    )
    if (why := _refused(mine, 404)) is not None:
        wrong.append(f"DELETE {P}/shares/{{user_id}} (their own id) as a stranger: {why}")
    listed = _items(api, stranger, "/portfolios", limit="200")
    if target.portfolio_id in [p["id"] for p in listed]:
        wrong.append("GET /api/v1/portfolios as a stranger lists the owner's portfolio")
    wrong += _changes(before, _state(api, owner, target.portfolio_id))
    assert not wrong, "\n".join(wrong)


def test_a_viewer_reads_and_is_refused_every_write(
    api: httpx.Client, owner: Account, stranger: Account, viewer: Account, editor: Account
) -> None:
    target = _stocked_portfolio(api, owner, (viewer, "viewer"), (editor, "editor"))
    before = _state(api, owner, target.portfolio_id)
    attempt = Attempt(target, other_user_id=editor.user_id, share_email=stranger.email)
    wrong: list[str] = []
    for case in CASES:
        response = case.send(api, viewer, attempt)
        why = _succeeded(response) if case.access == READ else _refused(response, 403)
        if why is not None:
            wrong.append(f"{case.name()} as a viewer: {why}")
    # Not even to make themselves an editor.
    promoted = api.post(
        f"/portfolios/{target.portfolio_id}/shares",
        json={"email": viewer.email, "role": "editor"},
        headers=viewer.headers,
    )
    if (why := _refused(promoted, 403)) is not None:
        wrong.append(f"POST {P}/shares (themselves as editor) as a viewer: {why}")
    wrong += _changes(before, _state(api, owner, target.portfolio_id))
    assert not wrong, "\n".join(wrong)

    # What they may do is give the share up; then the portfolio is gone for them.
    left = api.delete(f"/portfolios/{target.portfolio_id}/shares/{viewer.user_id}", headers=viewer.headers)
    assert left.status_code == 204, left.text
    assert_problem(api.get(f"/portfolios/{target.portfolio_id}", headers=viewer.headers), 404)


def test_an_editor_writes_but_neither_shares_nor_deletes(
    api: httpx.Client, owner: Account, stranger: Account, viewer: Account, editor: Account
) -> None:
    target = _stocked_portfolio(api, owner, (viewer, "viewer"), (editor, "editor"))
    shares = _items(api, owner, f"/portfolios/{target.portfolio_id}/shares")
    attempt = Attempt(target, other_user_id=viewer.user_id, share_email=stranger.email)
    wrong: list[str] = []
    for case in CASES:
        response = case.send(api, editor, attempt)
        why = _refused(response, 403) if case.access == OWNER else _succeeded(response)
        if why is not None:
            wrong.append(f"{case.name()} as an editor: {why}")
    if _items(api, owner, f"/portfolios/{target.portfolio_id}/shares") != shares:
        wrong.append("the editor changed who the portfolio is shared with")
    history = _items(api, owner, f"/portfolios/{target.portfolio_id}/history", limit="200")
    if not any(change["actor_id"] == editor.user_id for change in history):
        wrong.append("the editor's writes are not in the portfolio's history under their id")
    assert not wrong, "\n".join(wrong)

    # The owner may do what the editor may not, with the very same requests.
    for case in CASES:
        if case.access == OWNER:
            response = case.send(api, owner, attempt)
            assert _succeeded(response) is None, f"{case.name()} as the owner: {_succeeded(response)}"
    assert_problem(api.get(f"/portfolios/{target.portfolio_id}", headers=editor.headers), 404)


def test_other_users_ids_under_your_own_portfolio_are_not_found(
    api: httpx.Client, owner: Account, stranger: Account, viewer: Account, editor: Account
) -> None:
    theirs = _stocked_portfolio(api, owner, (viewer, "viewer"), (editor, "editor"))
    before = _state(api, owner, theirs.portfolio_id)
    mine = _stocked_portfolio(api, stranger)
    # The stranger's own portfolio, with the owner's transaction, alert and share ids in the path.
    crossed = Attempt(
        replace(
            theirs,
            portfolio_id=mine.portfolio_id,
        ),
        other_user_id=viewer.user_id,
        share_email=stranger.email,
    )
    sub_resources = [
        case
        for case in CASES
        if any(f"{{{name}}}" in case.path for name in ("transaction_id", "alert_id", "user_id"))
    ]
    assert {case.route[1].rsplit("/", 1)[-1] for case in sub_resources} >= {
        "{transaction_id}",
        "restore",
        "{alert_id}",
        "{user_id}",
    }
    wrong: list[str] = []
    for case in sub_resources:
        if (why := _refused(case.send(api, stranger, crossed), 404)) is not None:
            wrong.append(f"{case.name()} on one's own portfolio with another user's id: {why}")
    template = _created(
        api.post(
            "/portfolio-templates",
            json={"name": "Private", "weights": [{"symbol": "JPM", "weight": "1"}]},
            headers=owner.headers,
        )
    )["id"]
    proposal = api.post(
        f"/portfolios/{mine.portfolio_id}/rebalance", json={"template_id": template}, headers=stranger.headers
    )
    if (why := _refused(proposal, 404)) is not None:
        wrong.append(f"POST {P}/rebalance with another user's template: {why}")
    wrong += _changes(before, _state(api, owner, theirs.portfolio_id))
    assert not wrong, "\n".join(wrong)

    # With their own ids the same requests go through: it was the ids that were refused.
    own = Attempt(mine, other_user_id=viewer.user_id, share_email=stranger.email)
    for case in sub_resources:
        if case.access != OWNER:
            response = case.send(api, stranger, own)
            assert _succeeded(response) is None, f"{case.name()} as the owner: {_succeeded(response)}"
    own_proposal = api.post(
        f"/portfolios/{theirs.portfolio_id}/rebalance", json={"template_id": template}, headers=owner.headers
    )
    assert own_proposal.status_code == 200, own_proposal.text


def test_routes_without_a_portfolio_id_reach_only_your_own(
    api: httpx.Client, owner: Account, stranger: Account, viewer: Account
) -> None:
    theirs = _stocked_portfolio(api, owner, (viewer, "viewer"))
    before = _state(api, owner, theirs.portfolio_id)
    owned_before = _items(api, owner, "/portfolios", limit="200")
    template = _created(
        api.post(
            "/portfolio-templates",
            json={
                "name": "Banks",
                "weights": [{"symbol": "JPM", "weight": "0.5"}, {"symbol": "BAC", "weight": "0.5"}],
            },
            headers=owner.headers,
        )
    )["id"]

    # GET /portfolios: one's own and those shared with one, each with one's access to it.
    seen = {p["id"]: p["access"] for p in _items(api, viewer, "/portfolios", limit="200")}
    assert seen.get(theirs.portfolio_id) == "viewer"
    assert theirs.portfolio_id not in {p["id"] for p in _items(api, stranger, "/portfolios", limit="200")}

    # POST /portfolios and POST /portfolios/import make the caller's own, new portfolio.
    made = _created(api.post("/portfolios", json={"name": "Stranger's own"}, headers=stranger.headers))
    assert (made["owner_id"], made["access"]) == (stranger.user_id, "owner")
    document = api.get(f"/portfolios/{theirs.portfolio_id}/export", headers=owner.headers)
    assert document.status_code == 200, document.text
    copy = _created(api.post("/portfolios/import", json=document.json(), headers=stranger.headers))
    assert copy["id"] != theirs.portfolio_id
    assert (copy["owner_id"], copy["access"]) == (stranger.user_id, "owner")

    # Another user's saved template: not listed, not usable, not deletable.
    assert template not in {t["id"] for t in _items(api, stranger, "/portfolio-templates")}
    assert template not in {t["id"] for t in _items(api, viewer, "/portfolio-templates")}
    from_theirs = {"template_id": template, "portfolio": {"name": "From theirs"}, "initial_cash": "10000"}
    assert_problem(api.post("/portfolios/from-template", json=from_theirs, headers=stranger.headers), 404)
    assert_problem(api.delete(f"/portfolio-templates/{template}", headers=stranger.headers), 404)
    assert_problem(api.delete(f"/portfolio-templates/{template}", headers=viewer.headers), 404)
    saved = _created(
        api.post(
            "/portfolio-templates",
            json={"name": "Stranger's", "weights": [{"symbol": "KO", "weight": "1"}]},
            headers=stranger.headers,
        )
    )["id"]
    assert saved not in {t["id"] for t in _items(api, owner, "/portfolio-templates")}

    assert _items(api, owner, "/portfolios", limit="200") == owned_before
    assert not _changes(before, _state(api, owner, theirs.portfolio_id))
    # The owner's template itself was fine: it was whose it is that refused it.
    assert template in {t["id"] for t in _items(api, owner, "/portfolio-templates")}
    _created(api.post("/portfolios/from-template", json=from_theirs, headers=owner.headers))
