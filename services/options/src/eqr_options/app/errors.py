"""Failures the use cases report besides bad input (``ValidationFailed`` from the domain)."""

from __future__ import annotations

from eqr_options.domain.errors import DomainError


class NotFound(DomainError):
    """The thing asked for does not exist for this caller; the message names it."""
