"""Swagger UI at /docs, served from the gateway itself (works offline, strict CSP: no inline script)."""

from __future__ import annotations

import html
import json

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_PATH = "/docs"
_ASSETS = f"{DOCS_PATH}/assets"

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{title}}</title>
  <link rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{_ASSETS}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{_ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_PATH}/init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, *, openapi_url: str) -> None:
    config = {
        "url": openapi_url,
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "persistAuthorization": True,
        "displayRequestDuration": True,
        "validatorUrl": None,
    }
    init_script = f"window.ui = SwaggerUIBundle({json.dumps(config)});\n"
    page = _PAGE.replace("{title}", html.escape(app.title))

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(init_script, media_type="text/javascript")

    app.mount(_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
