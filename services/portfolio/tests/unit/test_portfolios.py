"""The rules for a portfolio's settings, as the API and document import apply them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft, validate_portfolio_settings
from eqr_portfolio.domain.transactions import CashMode, CostMethod

VALID = PortfolioSettingsDraft("Retirement", "USD", "Index funds\n\tand a few stocks", "^GSPC")


def violations(draft: PortfolioSettingsDraft) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_portfolio_settings(draft, field_prefix="portfolio.")
    return [(v.field, v.message) for v in caught.value.violations]


def test_valid_settings_pass_unchanged() -> None:
    assert validate_portfolio_settings(VALID) == VALID


def test_settings_are_normalised() -> None:
    draft = PortfolioSettingsDraft("  Growth  ", " eur ", "  ", " spy ", "average", "strict", True)  # type: ignore[arg-type]
    assert validate_portfolio_settings(draft) == PortfolioSettingsDraft(
        "Growth", "EUR", "", "SPY", CostMethod.AVERAGE, CashMode.STRICT, True
    )


def test_an_empty_benchmark_is_none() -> None:
    assert validate_portfolio_settings(replace(VALID, benchmark="  ")).benchmark is None


def test_every_violation_is_listed_with_the_prefix() -> None:
    hostile = PortfolioSettingsDraft(
        "x" * 101,
        "US",
        "d" * 2001,
        "S&P 500",
        "lifo",  # type: ignore[arg-type]
        "loose",  # type: ignore[arg-type]
        "yes",  # type: ignore[arg-type]
    )
    assert violations(hostile) == [
        ("portfolio.name", "must be at most 100 characters"),
        ("portfolio.description", "must be at most 2000 characters"),
        ("portfolio.base_currency", "must be a three-letter ISO 4217 currency code such as USD"),
        (
            "portfolio.benchmark",
            "must be 1-32 characters of A-Z, 0-9, '.', '-', '^', '=', starting with a letter, a digit or '^'",
        ),
        ("portfolio.cost_method", "must be one of fifo, average"),
        ("portfolio.cash_mode", "must be one of tracking, strict"),
        ("portfolio.allow_short", "must be true or false"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "required"),
        ("name", " \u3000 ", "required"),
        ("name", "Tab\there", "must not contain control characters (line breaks and tabs included)"),
        ("name", "a\u202egnp.exe", "must not contain control characters (line breaks and tabs included)"),
        ("name", None, "required"),
        ("description", "bell\x07", "must not contain control characters other than line breaks and tabs"),
        ("description", None, "must be text"),
        ("base_currency", "ÜSD", "must be a three-letter ISO 4217 currency code such as USD"),
        ("base_currency", "USDT", "must be a three-letter ISO 4217 currency code such as USD"),
        ("base_currency", "840", "must be a three-letter ISO 4217 currency code such as USD"),
        ("benchmark", 500, "must be text"),
        ("allow_short", 1, "must be true or false"),
    ],
)
def test_single_rules(field: str, value: object, message: str) -> None:
    changes: dict[str, Any] = {field: value}
    assert violations(replace(VALID, **changes)) == [(f"portfolio.{field}", message)]


def test_limits_are_inclusive() -> None:
    validate_portfolio_settings(replace(VALID, name="n" * 100, description="d" * 2000))
