"""Templates, target weights and rebalancing <-> protobuf."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import decimal_pb
from eqr_portfolio.domain.rebalance import CommissionModel, RebalanceOptions, RebalanceProposal
from eqr_portfolio.domain.templates import PortfolioTemplate
from eqr_portfolio.wire.fields import decimal_from_pb


def template_to_pb(template_id: str, template: PortfolioTemplate, *, builtin: bool) -> pb.Template:
    return pb.Template(
        id=template_id,
        name=template.name,
        description=template.description,
        builtin=builtin,
        weights=[pb.TargetWeight(symbol=s, weight=decimal_pb(w)) for s, w in template.weights.items()],
    )


def weights_from_pb(weights: Iterable[pb.TargetWeight], field: str) -> list[tuple[str, Decimal]]:
    return [(w.symbol, decimal_from_pb(w.weight, f"{field}[{w.symbol}]")) for w in weights]


def rebalance_options_from_pb(message: pb.RebalanceOptions) -> RebalanceOptions:
    def amount(
        name: Literal[
            "min_trade_value", "cash_buffer", "commission_per_trade", "commission_per_share", "commission_bps"
        ],
    ) -> Decimal:
        return decimal_from_pb(getattr(message, name), f"options.{name}", present=message.HasField(name))

    return RebalanceOptions(
        whole_shares=not message.fractional,
        min_trade_value=amount("min_trade_value"),
        cash_buffer=amount("cash_buffer"),
        commission=CommissionModel(
            amount("commission_per_trade"), amount("commission_per_share"), amount("commission_bps")
        ),
    )


def proposal_to_pb(proposal: RebalanceProposal, currency: str) -> pb.RebalanceProposal:
    drift = [
        pb.Drift(
            symbol=symbol,
            current_weight=float(d.current_weight),
            target_weight=float(d.target_weight),
            drift=float(d.drift),
            weight_after=float(d.weight_after),
        )
        for symbol, d in [*proposal.symbol_drift.items(), (currency, proposal.cash_drift)]
    ]
    return pb.RebalanceProposal(
        trades=[
            pb.ProposedTrade(
                symbol=t.symbol,
                side=t.side.value,
                quantity=decimal_pb(t.quantity),
                price=decimal_pb(t.price),
                value=decimal_pb(t.estimated_value),
                commission=decimal_pb(t.estimated_commission),
            )
            for t in proposal.trades
        ],
        drift=drift,
        cash_after=decimal_pb(proposal.cash_after),
        commissions=decimal_pb(sum((t.estimated_commission for t in proposal.trades), Decimal(0))),
    )
