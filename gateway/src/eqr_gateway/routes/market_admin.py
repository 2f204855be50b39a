"""Market-data administration, for admins only: /api/v1/admin/market-data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_gateway.clients import UserMarketData
from eqr_gateway.convert_market import import_report_doc, quality_report_doc
from eqr_gateway.openapi import problem_responses
from eqr_gateway.schemas.market import (
    SYMBOL_DESCRIPTION,
    SYMBOL_SCHEMA,
    ImportFormat,
    ImportReport,
    QualityReport,
    SymbolText,
)
from eqr_gateway.security import require_role

PREFIX = "/api/v1/admin/market-data"
# The one route whose body may exceed the gateway's default limit (GATEWAY_MAX_IMPORT_BYTES).
IMPORT_PATH = f"{PREFIX}/import"

router = APIRouter(prefix=PREFIX, tags=["market-data-admin"], dependencies=[Depends(require_role("admin"))])


@router.post(
    "/import",
    summary="Import end-of-day bars from a file",
    description=(
        "Multipart upload: `file` is a CSV with a `Date,Open,High,Low,Close,Volume` header or a "
        "Stooq daily file (`format=stooq`), up to `GATEWAY_MAX_IMPORT_BYTES` (20 MiB). Every row "
        "goes through the data-quality checks: bad rows are rejected or flagged and reported "
        "with their line and column. `dry_run=true` validates and stores nothing."
    ),
    response_model=ImportReport,
    responses=problem_responses(400, 401, 403, 413, 422, 429, 503),
)
async def import_bars(
    market: UserMarketData,
    file: Annotated[UploadFile, File(description="The end-of-day file.")],
    symbol: Annotated[
        SymbolText, Form(description=SYMBOL_DESCRIPTION, examples=["AAPL"], json_schema_extra=SYMBOL_SCHEMA)
    ],
    file_format: Annotated[ImportFormat, Form(alias="format", description="The file's layout.")] = "csv",
    dry_run: Annotated[bool, Form(description="Only validate and report.")] = False,
) -> dict[str, Any]:
    request = pb.ImportBarsRequest(
        symbol=symbol, format=file_format, content=await file.read(), dry_run=dry_run
    )
    response = await market.bulk.call(
        market.stub.ImportBars,
        request,
        fields=(("content", "body.file"), ("", "body.")),
    )
    return import_report_doc(symbol, file_format, dry_run, response)


@router.get(
    "/quality",
    summary="What the data-quality checks rejected or flagged",
    description="Counts by check and severity, and the latest issues; every symbol unless `symbol` is given.",
    response_model=QualityReport,
    responses=problem_responses(401, 403, 422, 429, 503),
)
async def quality_report(
    market: UserMarketData,
    symbol: Annotated[
        SymbolText | None,
        Query(description=SYMBOL_DESCRIPTION, examples=["AAPL"], json_schema_extra=SYMBOL_SCHEMA),
    ] = None,
) -> dict[str, Any]:
    request = pb.GetQualityReportRequest(symbol=symbol or "")
    response = await market.upstream.call(market.stub.GetQualityReport, request, fields=(("", "query."),))
    return quality_report_doc(symbol, response)
