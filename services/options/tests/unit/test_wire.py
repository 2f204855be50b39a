"""Protobuf <-> use-case values: single values broadcast, enums and dates checked by field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eqr.common.v1 import date_pb2
from eqr.options.v1 import options_service_pb2 as service_pb
from eqr.options.v1 import resources_pb2 as pb
from eqr_options import wire
from eqr_options.app.batches import Style
from eqr_options.app.strategies import Analysis
from eqr_options.domain.black_scholes import Greeks
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.inputs import Model
from eqr_options.domain.strategy_analysis import Diagram


def test_a_single_value_stands_for_every_row_and_an_absent_column_is_empty() -> None:
    batch = wire.batch_from_pb(
        pb.OptionBatch(
            model=pb.PRICING_MODEL_BLACK76,
            style=pb.EXERCISE_STYLE_AMERICAN,
            kind=[pb.OPTION_KIND_CALL, pb.OPTION_KIND_PUT],
            spot=[100.0],
            strike=[90.0, 110.0],
            years=[0.5],
        )
    )
    assert (batch.model, batch.style) == (Model.BLACK76, Style.AMERICAN)
    assert batch.spot.ndim == 0
    assert batch.strike.tolist() == [90.0, 110.0]
    assert batch.is_call.tolist() == [True, False]
    assert batch.rate.size == 0
    assert batch.valuation_date is None


@pytest.mark.parametrize(
    ("message", "field", "text"),
    [
        (pb.OptionBatch(kind=[pb.OPTION_KIND_CALL, pb.OPTION_KIND_UNSPECIFIED]), "kind", "row 1"),
        (pb.OptionBatch(kind=[pb.OPTION_KIND_CALL, 7]), "kind", "row 1"),
        (pb.OptionBatch(model=9), "model", "unknown"),
        (
            pb.OptionBatch(
                expiry=[date_pb2.Date(year=2027, month=1, day=15), date_pb2.Date(year=2027, month=2, day=30)]
            ),
            "expiry",
            "row 1",
        ),
        (
            pb.OptionBatch(valuation_date=date_pb2.Date(year=2027, month=13, day=1)),
            "valuation_date",
            "not a date",
        ),
    ],
)
def test_bad_enums_and_dates_name_the_field(message: pb.OptionBatch, field: str, text: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        wire.batch_from_pb(message)
    assert error.value.violations[0].field == field
    assert text in error.value.violations[0].message


def test_legs_and_positions_name_their_index() -> None:
    with pytest.raises(ValidationFailed) as error:
        wire.legs_from_pb(pb.Strategy(legs=[pb.StrategyLeg(kind=pb.LEG_KIND_CALL), pb.StrategyLeg()]))
    assert error.value.violations[0].field == "legs[1].kind"
    position = service_pb.OptionPosition(
        contract=pb.OptionContract(underlying="AAPL", kind=pb.OPTION_KIND_PUT)
    )
    with pytest.raises(ValidationFailed) as error:
        wire.position_from_pb(position, 3)
    assert error.value.violations[0].field == "positions[3].contract.expiry"


def test_unlimited_extremes_leave_the_optional_fields_unset() -> None:
    one = np.array([1.0])
    analysis = Analysis(
        cost=100.0,
        horizon_years=0.5,
        breakevens=[44.0],
        max_profit=math.inf,
        max_loss=-100.0,
        probability_of_profit=0.4,
        net_greeks=Greeks(one, one, one, one, one, one, one),
        diagram=Diagram(one, one, one),
        spot_shocks=one,
        vol_shocks=one,
        scenario_pnl=np.ones((1, 1)),
        elapsed_years=0.0,
    )
    message = wire.analysis_to_pb(analysis)
    assert message.profit_unlimited
    assert not message.HasField("max_profit")
    assert message.HasField("max_loss")
    assert message.max_loss == -100.0
    assert not message.loss_unlimited
