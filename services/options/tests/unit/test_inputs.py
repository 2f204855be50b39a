"""Hostile input is refused at the boundary, naming the field and the row."""

from __future__ import annotations

import numpy as np
import pytest

from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.inputs import option_prices, option_terms, volatilities


def fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {v.field: v.message for v in exc.value.violations}


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("spot", [100.0, 0.0], "row 1"),
        ("spot", -5.0, "above 0"),
        ("strike", [10.0, float("nan")], "finite"),
        ("years", [0.5, 0.0], "row 1"),
        ("years", 80.0, "at most 50"),
        ("rate", 3.0, "100%"),
    ],
)
def test_bad_terms_name_the_field_and_row(field: str, value: object, says: str) -> None:
    good: dict[str, object] = {"spot": 100.0, "strike": 100.0, "years": 1.0, "is_call": True, "rate": 0.01}
    with pytest.raises(ValidationFailed) as exc:
        option_terms(**{**good, field: value})  # type: ignore[arg-type]
    assert field in fields(exc)
    assert says in fields(exc)[field]


def test_mismatched_lengths_and_row_limit() -> None:
    with pytest.raises(ValidationFailed) as exc:
        option_terms(spot=[1.0, 2.0], strike=[1.0, 2.0, 3.0], years=1.0, is_call=True)
    assert "rows" in str(exc.value)
    with pytest.raises(ValidationFailed) as exc:
        option_terms(spot=np.ones(11), strike=1.0, years=1.0, is_call=True, max_rows=10)
    assert "limit of 10" in str(exc.value)


def test_absurd_vols_and_prices() -> None:
    with pytest.raises(ValidationFailed, match="vol: row 2"):
        volatilities([0.2, 0.3, 25.0], rows=3)
    with pytest.raises(ValidationFailed, match="vol"):
        volatilities([0.2, 0.3], rows=3)
    with pytest.raises(ValidationFailed, match="price: row 0"):
        option_prices([-1.0], rows=1)


def test_text_model_and_black76_yield_are_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        option_terms(spot="abc", strike=1.0, years=1.0, is_call=True)  # type: ignore[arg-type]
    assert "spot" in fields(exc)
    with pytest.raises(ValidationFailed, match="model"):
        option_terms(spot=1.0, strike=1.0, years=1.0, is_call=True, model="heston")
    with pytest.raises(ValidationFailed, match="dividend_yield"):
        option_terms(spot=1.0, strike=1.0, years=1.0, is_call=True, model="black76", dividend_yield=0.02)
