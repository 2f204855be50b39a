"""Statistics of the daily return model against the values its parameters imply."""

from __future__ import annotations

import numpy as np
import pytest

from eqr_market_data.domain.simulator.model import FactorModel, day_returns
from eqr_market_data.domain.simulator.universe import FloatArray, build_universe

DAYS = 12_000
SEED = 7


def _simulate(model: FactorModel, seed: int, days: int) -> tuple[FloatArray, FloatArray]:
    """Returns on the trend (no reversion pull), and the market factor's returns."""
    n = len(model.params.beta)
    returns = np.empty((days, n))
    market = np.empty(days)
    variance = model.garch.long_run_variance
    for k in range(days):
        day = day_returns(model, seed, k, 1, np.zeros(n), variance)
        returns[k], market[k], variance = day.log_returns, day.market_return, day.next_variance
    return returns, market


@pytest.fixture(scope="module")
def model() -> FactorModel:
    universe = build_universe()
    return FactorModel(universe.params, universe.sector_vol)


@pytest.fixture(scope="module")
def simulated(model: FactorModel) -> tuple[FloatArray, FloatArray]:
    return _simulate(model, SEED, DAYS)


def _theoretical_covariance(model: FactorModel) -> FloatArray:
    p = model.params
    market = np.outer(p.beta, p.beta) * model.garch.long_run_variance
    sector_exposure = np.zeros((len(p.beta), len(model.sector_vol)))
    sector_exposure[np.arange(len(p.beta)), p.sector] = p.sector_loading * model.sector_vol[p.sector]
    own = np.diag(p.idio_vol**2)
    covariance: FloatArray = market + sector_exposure @ sector_exposure.T + own
    return covariance


def test_same_seed_same_returns_and_another_seed_different(model: FactorModel) -> None:
    first, _ = _simulate(model, SEED, 50)
    again, _ = _simulate(model, SEED, 50)
    other, _ = _simulate(model, SEED + 1, 50)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


def test_annualised_volatility_matches_the_parameters(
    model: FactorModel, simulated: tuple[FloatArray, FloatArray]
) -> None:
    returns, _ = simulated
    expected = np.sqrt(np.diag(_theoretical_covariance(model)) * 252)
    observed = returns.std(axis=0, ddof=1) * np.sqrt(252)
    assert np.all(np.abs(observed / expected - 1) < 0.10)
    assert abs(np.median(observed / expected) - 1) < 0.05


def test_pairwise_correlation_matches_the_factor_structure(
    model: FactorModel, simulated: tuple[FloatArray, FloatArray]
) -> None:
    returns, _ = simulated
    covariance = _theoretical_covariance(model)
    scale = np.sqrt(np.diag(covariance))
    expected = covariance / np.outer(scale, scale)
    observed = np.corrcoef(returns, rowvar=False)
    upper = np.triu_indices_from(expected, k=1)
    assert np.max(np.abs(observed[upper] - expected[upper])) < 0.08
    assert np.mean(np.abs(observed[upper] - expected[upper])) < 0.03
    same_sector = model.params.sector[:, None] == model.params.sector[None, :]
    assert observed[same_sector & ~np.eye(len(scale), dtype=bool)].mean() > observed[~same_sector].mean()


def test_market_returns_have_fat_tails_and_volatility_clustering(
    simulated: tuple[FloatArray, FloatArray],
) -> None:
    _, market = simulated
    standardised = (market - market.mean()) / market.std()
    assert np.mean(standardised**4) - 3 > 0.5
    squared = market**2
    lag_one = np.corrcoef(squared[:-1], squared[1:])[0, 1]
    assert lag_one > 0.05
