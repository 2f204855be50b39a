"""Everything a use case needs, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eqr_options.app.batches import Limits
from eqr_options.app.chains import ChainBook
from eqr_options.app.ports import Clock, UnitOfWork


@dataclass(frozen=True)
class Dependencies:
    unit_of_work: Callable[[], UnitOfWork]
    clock: Clock
    chains: ChainBook
    limits: Limits
    risk_free_rate: float
    max_positions: int
