"""The WebSocket at /api/v1/ws: live quotes, market moves, portfolio values and alerts."""
