"""The simulator's tradeable symbols, as a client finds them."""

from __future__ import annotations

import string

import httpx


async def tradeable_symbols(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """Every equity and ETF: a search per initial letter lists symbol-prefix matches first."""
    found: set[str] = set()
    for letter in string.ascii_uppercase:
        response = await client.get(
            "/api/v1/stocks/search", params={"q": letter, "limit": 50}, headers=headers
        )
        response.raise_for_status()
        found |= {i["symbol"] for i in response.json()["items"] if i["asset_class"] in ("equity", "etf")}
    return sorted(found)
