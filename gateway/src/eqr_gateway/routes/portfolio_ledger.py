"""A portfolio's ledger: /api/v1/portfolios/{portfolio_id}/transactions, and CSV import/export.

The import takes the file itself as the body (not multipart), up to
``GATEWAY_MAX_TRANSACTION_IMPORT_BYTES``: the one portfolio route above the default limit.
"""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Query, Request, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import (
    IMPORT_FORMAT_TO_PB,
    import_report_doc,
    page_doc,
    page_pb,
    transaction_doc,
    transaction_input_pb,
)
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import FieldError, ProblemError, invalid_field
from eqr_gateway.routes.portfolio_common import (
    BODY,
    DELETE_ERRORS,
    PAGE_QUERY,
    READ_ERRORS,
    WRITE_ERRORS,
    attachment,
    download_responses,
    fields,
    portfolio_router,
    safe_filename,
)
from eqr_gateway.schemas.portfolio import (
    Transaction,
    TransactionImportReport,
    TransactionInput,
    TransactionPage,
)
from eqr_gateway.schemas.portfolio_fields import (
    SYMBOL_PATTERN,
    Cursor,
    ImportFormat,
    Limit,
    PortfolioIdPath,
)

router = portfolio_router("transactions")

# Matched by the body-limit middleware, which runs before routing.
IMPORT_PATH_PATTERN = re.compile(r"/api/v1/portfolios/[^/]+/transactions/import")
CSV_MEDIA_TYPES = frozenset(
    {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"}
)

TransactionIdPath = Annotated[UUID, Path(description="The transaction's id.")]
_TRANSACTION_FIELDS = fields((("transaction_id", "path.transaction_id"), ("transaction.", "body.")), BODY)
IMPORT_FIELDS = fields(
    (
        ("line ", "line "),
        ("content", "body"),
        ("format", "query.format"),
        ("dry_run", "query.dry_run"),
    ),
    BODY,
)
_CSV_EXAMPLE = (
    "date,type,symbol,quantity,price,amount,ratio,commission,notes\n"
    "2025-01-02,deposit,,,,10000,,,\n"
    "2025-01-15,buy,AAPL,10,185.20,,,1.00,first lot\n"
)


@router.get(
    "/portfolios/{portfolio_id}/transactions",
    summary="The ledger, a page at a time",
    description=(
        "Newest trade date first (entries of one day newest recorded first). Deleted entries only "
        "with `include_deleted=true`."
    ),
    responses=READ_ERRORS,
)
async def list_transactions(
    portfolio_id: PortfolioIdPath,
    portfolio: UserPortfolio,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_deleted: Annotated[bool, Query(description="Include deleted entries.")] = False,
    symbol: Annotated[
        str | None,
        Query(pattern=SYMBOL_PATTERN, description="Only this symbol's entries.", examples=["AAPL"]),
    ] = None,
) -> TransactionPage:
    request = pb.ListTransactionsRequest(
        portfolio_id=str(portfolio_id),
        page=page_pb(limit, cursor),
        include_deleted=include_deleted,
        symbol=(symbol or "").upper(),
    )
    call_fields = fields(PAGE_QUERY, (("", "query."),))
    response = await portfolio.upstream.call(portfolio.stub.ListTransactions, request, fields=call_fields)
    items = [transaction_doc(t) for t in response.transactions]
    return TransactionPage.model_validate(page_doc(items, response.page))


@router.post(
    "/portfolios/{portfolio_id}/transactions",
    status_code=status.HTTP_201_CREATED,
    summary="Record a transaction",
    description=(
        "Refused (422, naming the field) when the ledger would break its rules: selling more "
        "than is held, or a strict portfolio's cash going negative. Honours `Idempotency-Key`."
    ),
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def record_transaction(
    portfolio_id: PortfolioIdPath, body: TransactionInput, portfolio: UserPortfolio
) -> Transaction:
    request = pb.RecordTransactionRequest(
        portfolio_id=str(portfolio_id), transaction=transaction_input_pb(body)
    )
    response = await portfolio.upstream.call(
        portfolio.stub.RecordTransaction, request, fields=_TRANSACTION_FIELDS
    )
    return Transaction.model_validate(transaction_doc(response.transaction))


@router.put(
    "/portfolios/{portfolio_id}/transactions/{transaction_id}",
    summary="Replace a transaction",
    description="Every field is replaced; the ledger must still hold together afterwards.",
    responses=WRITE_ERRORS,
)
async def update_transaction(
    portfolio_id: PortfolioIdPath,
    transaction_id: TransactionIdPath,
    body: TransactionInput,
    portfolio: UserPortfolio,
) -> Transaction:
    request = pb.UpdateTransactionRequest(
        portfolio_id=str(portfolio_id),
        transaction_id=str(transaction_id),
        transaction=transaction_input_pb(body),
    )
    response = await portfolio.upstream.call(
        portfolio.stub.UpdateTransaction, request, fields=_TRANSACTION_FIELDS
    )
    return Transaction.model_validate(transaction_doc(response.transaction))


@router.delete(
    "/portfolios/{portfolio_id}/transactions/{transaction_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a transaction",
    description="It can be restored; refused when the ledger would no longer hold together.",
    response_description="The transaction is deleted.",
    responses=DELETE_ERRORS,
)
async def delete_transaction(
    portfolio_id: PortfolioIdPath, transaction_id: TransactionIdPath, portfolio: UserPortfolio
) -> Response:
    request = pb.DeleteTransactionRequest(portfolio_id=str(portfolio_id), transaction_id=str(transaction_id))
    await portfolio.upstream.call(portfolio.stub.DeleteTransaction, request, fields=_TRANSACTION_FIELDS)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/portfolios/{portfolio_id}/transactions/{transaction_id}/restore",
    summary="Restore a deleted transaction",
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
async def restore_transaction(
    portfolio_id: PortfolioIdPath, transaction_id: TransactionIdPath, portfolio: UserPortfolio
) -> Transaction:
    request = pb.RestoreTransactionRequest(portfolio_id=str(portfolio_id), transaction_id=str(transaction_id))
    response = await portfolio.upstream.call(
        portfolio.stub.RestoreTransaction, request, fields=_TRANSACTION_FIELDS
    )
    return Transaction.model_validate(transaction_doc(response.transaction))


async def csv_text(request: Request) -> str:
    """The uploaded file as text: UTF-8, a leading byte-order mark dropped."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in CSV_MEDIA_TYPES:
        raise ProblemError(415, f"Send the file itself as the body, as text/csv (not {media_type}).")
    raw = await request.body()
    if not raw:
        raise invalid_field("body", "is empty; send the file as the request body")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid_field("body", f"must be UTF-8 text (byte {exc.start} is not)") from None


def _row_field(line: int, field: str) -> str:
    if line <= 0:
        return "body"
    return f"line {line}: {field}" if field else f"line {line}"


@router.post(
    "/portfolios/{portfolio_id}/transactions/import",
    summary="Import transactions from a file",
    description=(
        "The body is the file itself (`Content-Type: text/csv`, UTF-8, a byte-order mark "
        "allowed), up to `GATEWAY_MAX_TRANSACTION_IMPORT_BYTES` (8 MiB) and "
        "`PORTFOLIO_MAX_IMPORT_ROWS` (50,000) rows by default; a file over either is refused whole. "
        "`format=csv` reads the platform's columns "
        "`date,type,symbol,quantity,price,amount,ratio,commission,notes`; `format=ibkr_flex` an "
        "Interactive Brokers Flex Query (Trades, CSV). All or nothing: `dry_run=true` reports "
        "every bad row and writes nothing; otherwise bad rows are a 422 whose `errors` name "
        'each one (`"line 12: quantity"`). Honours `Idempotency-Key`.'
    ),
    dependencies=[IDEMPOTENT],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE}},
        }
    },
)
async def import_transactions(
    portfolio_id: PortfolioIdPath,
    portfolio: UserPortfolio,
    content: Annotated[str, Depends(csv_text)],
    file_format: Annotated[ImportFormat, Query(alias="format", description="The file's layout.")] = "csv",
    dry_run: Annotated[bool, Query(description="Only check the file and report.")] = False,
) -> TransactionImportReport:
    request = pb.ImportTransactionsRequest(
        portfolio_id=str(portfolio_id),
        format=IMPORT_FORMAT_TO_PB[file_format],
        content=content,
        dry_run=dry_run,
    )
    response = await portfolio.bulk.call(portfolio.stub.ImportTransactions, request, fields=IMPORT_FIELDS)
    if response.errors and not dry_run:
        errors = [FieldError(field=_row_field(e.line, e.field), message=e.message) for e in response.errors]
        raise ProblemError(422, f"The file has {len(errors)} problems; nothing was imported.", errors=errors)
    return TransactionImportReport.model_validate(import_report_doc(response))


@router.get(
    "/portfolios/{portfolio_id}/transactions/export",
    summary="Download the ledger as CSV",
    description="The columns `POST .../transactions/import?format=csv` reads.",
    response_class=Response,
    responses=download_responses("text/csv", "The CSV file, as an attachment."),
)
async def export_transactions(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> Response:
    request = pb.ExportTransactionsRequest(portfolio_id=str(portfolio_id))
    response = await portfolio.upstream.call(portfolio.stub.ExportTransactions, request, fields=fields())
    return attachment(response.content, "text/csv", safe_filename(response.filename, "transactions.csv"))
