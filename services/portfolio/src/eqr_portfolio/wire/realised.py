"""Realised gains -> protobuf: closed lots and the summaries by symbol and in total."""

from __future__ import annotations

from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import date_pb, decimal_pb
from eqr_portfolio.domain.realised import RealisedLot, RealisedTotals, SymbolRealised


def closed_lot_to_pb(realised: RealisedLot) -> pb.ClosedLot:
    lot = realised.lot
    return pb.ClosedLot(
        symbol=lot.symbol,
        quantity=decimal_pb(lot.quantity),
        opened_on=date_pb(lot.opened_on),
        closed_on=date_pb(lot.closed_on),
        cost_basis=decimal_pb(lot.cost),
        proceeds=decimal_pb(lot.proceeds),
        commissions=decimal_pb(lot.commission),
        realized_pnl=decimal_pb(lot.realised_pnl),
        holding_days=realised.holding_days,
        long_term=realised.long_term,
        multiplier=int(realised.multiplier),
        transaction_id=str(lot.transaction_id or ""),
    )


def realised_summary_to_pb(
    totals: RealisedTotals, symbol: str = "", *, held: bool = False
) -> pb.RealizedSummary:
    return pb.RealizedSummary(
        symbol=symbol,
        held=held,
        lots=totals.lots,
        cost_basis=decimal_pb(totals.cost),
        proceeds=decimal_pb(totals.proceeds),
        commissions=decimal_pb(totals.commission),
        realized_pnl=decimal_pb(totals.realised_pnl),
        short_term_pnl=decimal_pb(totals.short_term_pnl),
        long_term_pnl=decimal_pb(totals.long_term_pnl),
    )


def symbol_realised_to_pb(entry: SymbolRealised) -> pb.RealizedSummary:
    return realised_summary_to_pb(entry.totals, entry.symbol, held=entry.held)
