"""A stand-in gateway: GET /readyz answers 200 on GATEWAY_HOST:GATEWAY_PORT."""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


ThreadingHTTPServer((os.environ["GATEWAY_HOST"], int(os.environ["GATEWAY_PORT"])), Handler).serve_forever()
