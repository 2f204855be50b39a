"""JSON bodies whose numbers keep their exact text: ``12.50`` is read as ``Decimal("12.50")``.

Starlette reads JSON numbers as floats, and 0.1 or a 19-digit amount would not survive that.
Routes of a router made with ``route_class=ExactJsonRoute`` see fractional numbers as
``Decimal`` (NaN and Infinity stay floats, for the schema to refuse by name).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class _ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            return await handler(_ExactJsonRequest(request.scope, request.receive))

        return exact_json_handler
