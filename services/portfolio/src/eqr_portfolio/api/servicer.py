"""PortfolioService over gRPC: protobuf in, use case, protobuf out. No logic of its own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eqr.common.v1 import paging_pb2
from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr.portfolio.v1 import portfolio_service_pb2_grpc, resources_pb2
from eqr_platform.grpc.context import require_claims
from eqr_portfolio.app import (
    alerts,
    history,
    holdings,
    ledger,
    performance,
    portfolios,
    realised,
    rebalance,
    sharing,
    templates,
    transfer,
    valuation,
)
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.csv_transactions import RowProblem
from eqr_portfolio.domain.rebalance import TradeSide
from eqr_portfolio.domain.templates import validate_template
from eqr_portfolio.wire.alerts import ALERT_KIND, alert_to_pb, alert_trigger_to_pb
from eqr_portfolio.wire.fields import (
    decimal_from_pb,
    enum_from_pb,
    optional_date_from_pb,
    optional_decimal_from_pb,
    optional_enum_from_pb,
    uuid_from_pb,
)
from eqr_portfolio.wire.ledger import (
    ACCESS_ROLE,
    COST_METHOD,
    change_to_pb,
    draft_from_pb,
    portfolio_to_pb,
    settings_from_pb,
    share_to_pb,
    transaction_to_pb,
)
from eqr_portfolio.wire.performance import performance_to_pb, risk_to_pb
from eqr_portfolio.wire.planning import (
    proposal_to_pb,
    rebalance_options_from_pb,
    template_to_pb,
    weights_from_pb,
)
from eqr_portfolio.wire.realised import closed_lot_to_pb, realised_summary_to_pb, symbol_realised_to_pb
from eqr_portfolio.wire.valuation import valuation_to_pb

Context = Any


def _caller() -> Caller:
    return Caller(uuid_from_pb(require_claims().subject, "authorization"))


def _id(value: str, field: str = "portfolio_id") -> UUID:
    return uuid_from_pb(value, field)


def _page(token: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_page_token=token)


class PortfolioServicer(portfolio_service_pb2_grpc.PortfolioServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def CreatePortfolio(
        self, request: pb.CreatePortfolioRequest, context: Context
    ) -> pb.CreatePortfolioResponse:
        settings = settings_from_pb(request.portfolio)
        portfolio = await portfolios.create_portfolio(self._deps, _caller(), settings)
        return pb.CreatePortfolioResponse(portfolio=portfolio_to_pb(portfolio, AccessRole.OWNER))

    async def GetPortfolio(
        self, request: pb.GetPortfolioRequest, context: Context
    ) -> pb.GetPortfolioResponse:
        portfolio, role = await portfolios.get_portfolio(self._deps, _caller(), _id(request.portfolio_id))
        return pb.GetPortfolioResponse(portfolio=portfolio_to_pb(portfolio, role))

    async def ListPortfolios(
        self, request: pb.ListPortfoliosRequest, context: Context
    ) -> pb.ListPortfoliosResponse:
        page = await portfolios.list_portfolios(
            self._deps, _caller(), page_size=request.page.page_size, page_token=request.page.page_token
        )
        return pb.ListPortfoliosResponse(
            portfolios=[portfolio_to_pb(p, role) for p, role in page.portfolios],
            page=_page(page.next_page_token),
        )

    async def UpdatePortfolio(
        self, request: pb.UpdatePortfolioRequest, context: Context
    ) -> pb.UpdatePortfolioResponse:
        settings = settings_from_pb(request.portfolio)
        portfolio, role = await portfolios.update_portfolio(
            self._deps, _caller(), _id(request.portfolio_id), settings, set(request.update_mask)
        )
        return pb.UpdatePortfolioResponse(portfolio=portfolio_to_pb(portfolio, role))

    async def DeletePortfolio(
        self, request: pb.DeletePortfolioRequest, context: Context
    ) -> pb.DeletePortfolioResponse:
        await portfolios.delete_portfolio(self._deps, _caller(), _id(request.portfolio_id))
        return pb.DeletePortfolioResponse()

    async def RecordTransaction(
        self, request: pb.RecordTransactionRequest, context: Context
    ) -> pb.RecordTransactionResponse:
        draft = draft_from_pb(request.transaction)
        (stored,) = await ledger.record_transactions(
            self._deps, _caller(), _id(request.portfolio_id), [draft]
        )
        return pb.RecordTransactionResponse(transaction=transaction_to_pb(request.portfolio_id, stored))

    async def ListTransactions(
        self, request: pb.ListTransactionsRequest, context: Context
    ) -> pb.ListTransactionsResponse:
        page = await ledger.list_transactions(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            include_deleted=request.include_deleted,
            symbol=request.symbol,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListTransactionsResponse(
            transactions=[transaction_to_pb(request.portfolio_id, t) for t in page.transactions],
            page=_page(page.next_page_token),
        )

    async def UpdateTransaction(
        self, request: pb.UpdateTransactionRequest, context: Context
    ) -> pb.UpdateTransactionResponse:
        draft = draft_from_pb(request.transaction)
        updated = await ledger.update_transaction(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            _id(request.transaction_id, "transaction_id"),
            draft,
        )
        return pb.UpdateTransactionResponse(transaction=transaction_to_pb(request.portfolio_id, updated))

    async def DeleteTransaction(
        self, request: pb.DeleteTransactionRequest, context: Context
    ) -> pb.DeleteTransactionResponse:
        await ledger.delete_transaction(
            self._deps, _caller(), _id(request.portfolio_id), _id(request.transaction_id, "transaction_id")
        )
        return pb.DeleteTransactionResponse()

    async def RestoreTransaction(
        self, request: pb.RestoreTransactionRequest, context: Context
    ) -> pb.RestoreTransactionResponse:
        restored = await ledger.restore_transaction(
            self._deps, _caller(), _id(request.portfolio_id), _id(request.transaction_id, "transaction_id")
        )
        return pb.RestoreTransactionResponse(transaction=transaction_to_pb(request.portfolio_id, restored))

    async def GetValuation(
        self, request: pb.GetValuationRequest, context: Context
    ) -> pb.GetValuationResponse:
        as_of = optional_date_from_pb(request, "as_of", "as_of")
        valued = await valuation.value_portfolio(
            self._deps, _caller(), _id(request.portfolio_id), as_of=as_of
        )
        return pb.GetValuationResponse(
            valuation=valuation_to_pb(
                valued.portfolio,
                valued.book,
                valued.valuation,
                valued.quotes,
                as_of=valued.as_of,
                valued_at=valued.valued_at,
                lots=request.include_lots,
            )
        )

    async def AddHolding(self, request: pb.AddHoldingRequest, context: Context) -> pb.AddHoldingResponse:
        written = await holdings.add_holding(
            self._deps, _caller(), _id(request.portfolio_id), _holding_change(request)
        )
        return pb.AddHoldingResponse(
            transactions=[transaction_to_pb(request.portfolio_id, t) for t in written]
        )

    async def UpdateHolding(
        self, request: pb.UpdateHoldingRequest, context: Context
    ) -> pb.UpdateHoldingResponse:
        written = await holdings.set_holding(
            self._deps, _caller(), _id(request.portfolio_id), _holding_change(request)
        )
        return pb.UpdateHoldingResponse(
            transactions=[transaction_to_pb(request.portfolio_id, t) for t in written]
        )

    async def RemoveHolding(
        self, request: pb.RemoveHoldingRequest, context: Context
    ) -> pb.RemoveHoldingResponse:
        written = await holdings.remove_holding(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            request.symbol,
            price=optional_decimal_from_pb(request, "price", "price"),
            trade_date=optional_date_from_pb(request, "trade_date", "trade_date"),
        )
        return pb.RemoveHoldingResponse(
            transactions=[transaction_to_pb(request.portfolio_id, t) for t in written]
        )

    async def SharePortfolio(
        self, request: pb.SharePortfolioRequest, context: Context
    ) -> pb.SharePortfolioResponse:
        role = optional_enum_from_pb(ACCESS_ROLE, request.role, "role")
        share = await sharing.share_portfolio(
            self._deps, _caller(), _id(request.portfolio_id), email=request.email, role=role
        )
        return pb.SharePortfolioResponse(share=share_to_pb(share))

    async def ListShares(self, request: pb.ListSharesRequest, context: Context) -> pb.ListSharesResponse:
        shares = await sharing.list_shares(self._deps, _caller(), _id(request.portfolio_id))
        return pb.ListSharesResponse(shares=[share_to_pb(s) for s in shares])

    async def RevokeShare(self, request: pb.RevokeShareRequest, context: Context) -> pb.RevokeShareResponse:
        await sharing.revoke_share(
            self._deps, _caller(), _id(request.portfolio_id), _id(request.user_id, "user_id")
        )
        return pb.RevokeShareResponse()

    async def ImportTransactions(
        self, request: pb.ImportTransactionsRequest, context: Context
    ) -> pb.ImportTransactionsResponse:
        fmt = enum_from_pb(IMPORT_FORMAT, request.format, "format")
        report = await transfer.import_transactions(
            self._deps, _caller(), _id(request.portfolio_id), fmt, request.content, dry_run=request.dry_run
        )
        return pb.ImportTransactionsResponse(
            rows=report.rows,
            imported=report.imported,
            dry_run=report.dry_run,
            errors=[_row_error(p) for p in report.problems],
            skipped=[_row_error(p) for p in report.skipped],
        )

    async def ExportTransactions(
        self, request: pb.ExportTransactionsRequest, context: Context
    ) -> pb.ExportTransactionsResponse:
        export = await transfer.export_transactions(self._deps, _caller(), _id(request.portfolio_id))
        return pb.ExportTransactionsResponse(content=export.content, filename=export.filename)

    async def ExportPortfolio(
        self, request: pb.ExportPortfolioRequest, context: Context
    ) -> pb.ExportPortfolioResponse:
        export = await transfer.export_portfolio(self._deps, _caller(), _id(request.portfolio_id))
        return pb.ExportPortfolioResponse(content=export.content, filename=export.filename)

    async def ImportPortfolio(
        self, request: pb.ImportPortfolioRequest, context: Context
    ) -> pb.ImportPortfolioResponse:
        portfolio, count = await transfer.import_portfolio(self._deps, _caller(), request.content)
        return pb.ImportPortfolioResponse(
            portfolio=portfolio_to_pb(portfolio, AccessRole.OWNER), transactions=count
        )

    async def ListTemplates(
        self, request: pb.ListTemplatesRequest, context: Context
    ) -> pb.ListTemplatesResponse:
        found = await templates.list_templates(self._deps, _caller())
        return pb.ListTemplatesResponse(
            templates=[template_to_pb(t.id, t.template, builtin=t.builtin) for t in found]
        )

    async def SaveTemplate(
        self, request: pb.SaveTemplateRequest, context: Context
    ) -> pb.SaveTemplateResponse:
        template = validate_template(
            request.name, request.description, weights_from_pb(request.weights, "weights")
        )
        saved = await templates.save_template(self._deps, _caller(), template)
        return pb.SaveTemplateResponse(template=template_to_pb(saved.id, saved.template, builtin=False))

    async def DeleteTemplate(
        self, request: pb.DeleteTemplateRequest, context: Context
    ) -> pb.DeleteTemplateResponse:
        await templates.delete_template(self._deps, _caller(), request.template_id)
        return pb.DeleteTemplateResponse()

    async def CreatePortfolioFromTemplate(
        self, request: pb.CreatePortfolioFromTemplateRequest, context: Context
    ) -> pb.CreatePortfolioFromTemplateResponse:
        portfolio, written = await templates.create_from_template(
            self._deps,
            _caller(),
            request.template_id,
            settings_from_pb(request.portfolio),
            initial_cash=decimal_from_pb(request.initial_cash, "initial_cash"),
            trade_date=optional_date_from_pb(request, "trade_date", "trade_date"),
        )
        return pb.CreatePortfolioFromTemplateResponse(
            portfolio=portfolio_to_pb(portfolio, AccessRole.OWNER),
            transactions=[transaction_to_pb(str(portfolio.id), t) for t in written],
        )

    async def ProposeRebalance(
        self, request: pb.ProposeRebalanceRequest, context: Context
    ) -> pb.ProposeRebalanceResponse:
        portfolio_id = _id(request.portfolio_id)
        proposal = await rebalance.propose(
            self._deps,
            _caller(),
            portfolio_id,
            targets=weights_from_pb(request.targets, "targets"),
            template_id=request.template_id,
            options=rebalance_options_from_pb(request.options),
        )
        portfolio, _ = await portfolios.get_portfolio(self._deps, _caller(), portfolio_id)
        return pb.ProposeRebalanceResponse(proposal=proposal_to_pb(proposal, portfolio.base_currency))

    async def ApplyRebalance(
        self, request: pb.ApplyRebalanceRequest, context: Context
    ) -> pb.ApplyRebalanceResponse:
        trades = [
            rebalance.TradeToApply(
                symbol=t.symbol,
                side=enum_from_pb(TRADE_SIDE, _side_number(t.side), f"trades[{i}].side"),
                quantity=decimal_from_pb(t.quantity, f"trades[{i}].quantity"),
                price=decimal_from_pb(t.price, f"trades[{i}].price"),
                commission=decimal_from_pb(
                    t.commission, f"trades[{i}].commission", present=t.HasField("commission")
                ),
            )
            for i, t in enumerate(request.trades)
        ]
        written = await rebalance.apply(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            trades,
            optional_date_from_pb(request, "trade_date", "trade_date"),
        )
        return pb.ApplyRebalanceResponse(
            transactions=[transaction_to_pb(request.portfolio_id, t) for t in written]
        )

    async def GetRealizedGains(
        self, request: pb.GetRealizedGainsRequest, context: Context
    ) -> pb.GetRealizedGainsResponse:
        found = await realised.realised_gains(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            first_day=optional_date_from_pb(request, "start_date", "start_date"),
            last_day=optional_date_from_pb(request, "end_date", "end_date"),
            symbol=request.symbol,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.GetRealizedGainsResponse(
            portfolio_id=str(found.portfolio.id),
            currency=found.portfolio.base_currency,
            cost_method=COST_METHOD[found.portfolio.policy.cost_method],
            lots=[closed_lot_to_pb(lot) for lot in found.lots],
            by_symbol=[symbol_realised_to_pb(entry) for entry in found.report.by_symbol],
            totals=realised_summary_to_pb(found.report.totals),
            page=_page(found.next_page_token),
        )

    async def GetPerformance(
        self, request: pb.GetPerformanceRequest, context: Context
    ) -> pb.GetPerformanceResponse:
        report = await performance.portfolio_performance(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            first_day=optional_date_from_pb(request, "start_date", "start_date"),
            last_day=optional_date_from_pb(request, "end_date", "end_date"),
        )
        return pb.GetPerformanceResponse(performance=performance_to_pb(report))

    async def GetRisk(self, request: pb.GetRiskRequest, context: Context) -> pb.GetRiskResponse:
        rate = decimal_from_pb(
            request.risk_free_rate, "risk_free_rate", present=request.HasField("risk_free_rate")
        )
        report = await performance.portfolio_risk(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            first_day=optional_date_from_pb(request, "start_date", "start_date"),
            last_day=optional_date_from_pb(request, "end_date", "end_date"),
            risk_free_rate=float(rate),
        )
        return pb.GetRiskResponse(risk=risk_to_pb(report, float(rate)))

    async def CreateAlert(self, request: pb.CreateAlertRequest, context: Context) -> pb.CreateAlertResponse:
        alert = await alerts.create_alert(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            kind=enum_from_pb(ALERT_KIND, request.kind, "kind"),
            threshold=decimal_from_pb(request.threshold, "threshold", present=request.HasField("threshold")),
            symbol=request.symbol or None,
            note=request.note,
        )
        return pb.CreateAlertResponse(alert=alert_to_pb(alert))

    async def ListAlerts(self, request: pb.ListAlertsRequest, context: Context) -> pb.ListAlertsResponse:
        found = await alerts.list_alerts(self._deps, _caller(), _id(request.portfolio_id))
        return pb.ListAlertsResponse(alerts=[alert_to_pb(a) for a in found])

    async def DeleteAlert(self, request: pb.DeleteAlertRequest, context: Context) -> pb.DeleteAlertResponse:
        await alerts.delete_alert(
            self._deps, _caller(), _id(request.portfolio_id), _id(request.alert_id, "alert_id")
        )
        return pb.DeleteAlertResponse()

    async def ListAlertTriggers(
        self, request: pb.ListAlertTriggersRequest, context: Context
    ) -> pb.ListAlertTriggersResponse:
        page = await alerts.list_triggers(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListAlertTriggersResponse(
            triggers=[alert_trigger_to_pb(t) for t in page.triggers], page=_page(page.next_page_token)
        )

    async def ListChanges(self, request: pb.ListChangesRequest, context: Context) -> pb.ListChangesResponse:
        page = await history.list_changes(
            self._deps,
            _caller(),
            _id(request.portfolio_id),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListChangesResponse(
            changes=[change_to_pb(c) for c in page.changes], page=_page(page.next_page_token)
        )


TRADE_SIDE = {TradeSide.BUY: 1, TradeSide.SELL: 2}


def _side_number(side: str) -> int:
    """Trade sides travel as "buy"/"sell" text; 0 (invalid) for anything else."""
    return {"buy": 1, "sell": 2}.get(side.strip().lower(), 0)


IMPORT_FORMAT = {
    transfer.ImportFormat.CSV: pb.IMPORT_FORMAT_CSV,
    transfer.ImportFormat.IBKR_FLEX: pb.IMPORT_FORMAT_IBKR_FLEX,
}


def _row_error(problem: RowProblem) -> resources_pb2.RowError:
    return resources_pb2.RowError(line=problem.line or 0, field=problem.field, message=problem.message)


def _holding_change(request: pb.AddHoldingRequest | pb.UpdateHoldingRequest) -> holdings.HoldingChange:
    return holdings.HoldingChange(
        symbol=request.symbol,
        quantity=decimal_from_pb(request.quantity, "quantity"),
        price=optional_decimal_from_pb(request, "price", "price"),
        trade_date=optional_date_from_pb(request, "trade_date", "trade_date"),
        commission=decimal_from_pb(request.commission, "commission", present=request.HasField("commission")),
        notes=request.notes,
    )
