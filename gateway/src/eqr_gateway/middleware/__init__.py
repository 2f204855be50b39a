"""Pure ASGI middleware: each one job, composed in ``eqr_gateway.app``."""
