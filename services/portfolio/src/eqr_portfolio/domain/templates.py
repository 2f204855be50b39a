"""Portfolio templates: named target weights to start a portfolio from.

A template's weights are rebalancing targets (see ``rebalance``): each in [0, 1], summing to
at most 1, the rest held as cash. The built-in templates sum to exactly 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from eqr_portfolio.domain.errors import ViolationCollector
from eqr_portfolio.domain.rebalance import (
    RebalanceOptions,
    RebalanceProposal,
    parse_target_weights,
    propose_rebalance,
)

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1000
MAX_WEIGHTS = 100


@dataclass(frozen=True)
class PortfolioTemplate:
    name: str
    description: str
    weights: Mapping[str, Decimal]


_SIXTY_FORTY = PortfolioTemplate(
    name="sixty-forty",
    description="The classic balanced portfolio: 60% US stocks (SPY), 40% US investment-grade bonds (AGG).",
    weights={"SPY": Decimal("0.60"), "AGG": Decimal("0.40")},
)

# The S&P 500's GICS sector weights on 2024-12-31 as S&P Dow Jones Indices' S&P 500 factsheet
# gives them, to 0.1%. Those sum to 100.1%, so the excess 0.1% is taken from the largest sector
# (information technology: 32.5% there).
_SP500_SECTORS = PortfolioTemplate(
    name="sp500-sectors",
    description="The S&P 500's sectors through the 11 SPDR sector ETFs, at the index's end-2024 weights.",
    weights={
        "XLK": Decimal("0.324"),  # information technology
        "XLF": Decimal("0.136"),  # financials
        "XLY": Decimal("0.113"),  # consumer discretionary
        "XLV": Decimal("0.101"),  # health care
        "XLC": Decimal("0.094"),  # communication services
        "XLI": Decimal("0.082"),  # industrials
        "XLP": Decimal("0.055"),  # consumer staples
        "XLE": Decimal("0.032"),  # energy
        "XLU": Decimal("0.023"),  # utilities
        "XLRE": Decimal("0.021"),  # real estate
        "XLB": Decimal("0.019"),  # materials
    },
)

# 1/11 to a basis point is 0.0909, and eleven of those make 0.9999: the basis point left over
# goes to the first sector in the order the SPDR family lists them (XLK).
_EQUAL_SECTORS = PortfolioTemplate(
    name="equal-sectors",
    description="The 11 SPDR sector ETFs in equal parts, about 9.09% each.",
    weights={
        "XLK": Decimal("0.0910"),
        **dict.fromkeys(
            ("XLF", "XLV", "XLY", "XLC", "XLI", "XLP", "XLE", "XLU", "XLRE", "XLB"), Decimal("0.0909")
        ),
    },
)

BUILT_IN_TEMPLATES: Mapping[str, PortfolioTemplate] = {
    template.name: template for template in (_SIXTY_FORTY, _SP500_SECTORS, _EQUAL_SECTORS)
}


def validate_template(
    name: str, description: str, weights: Iterable[tuple[str, Decimal]]
) -> PortfolioTemplate:
    """A user's template with its name and description stripped and its symbols normalised, or
    ``ValidationFailed`` naming every bad field (``weights[SYMBOL]`` for a bad weight)."""
    violations = ViolationCollector()
    name, description, entries = name.strip(), description.strip(), list(weights)
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        violations.add("name", f"must be 1-{MAX_NAME_LENGTH} characters")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        violations.add("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    if not 1 <= len(entries) <= MAX_WEIGHTS:
        violations.add("weights", f"must hold 1-{MAX_WEIGHTS} weights")
    no_weights: dict[str, Decimal] = {}
    parsed = violations.apply(lambda: parse_target_weights(entries, field="weights"), no_weights)
    violations.raise_if_any()
    return PortfolioTemplate(name, description, parsed)


def plan_from_template(
    template: PortfolioTemplate,
    cash_amount: Decimal,
    prices: Mapping[str, Decimal],
    options: RebalanceOptions = RebalanceOptions(),
) -> RebalanceProposal:
    """The buys that invest ``cash_amount`` in a new portfolio along ``template``: a rebalance from
    all cash, so the same rounding, budget and commission rules hold."""
    return propose_rebalance([], cash_amount, template.weights, prices=prices, options=options)
