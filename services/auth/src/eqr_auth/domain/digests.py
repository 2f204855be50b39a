"""Secrets are stored only as SHA-256 digests and compared in constant time.

Refresh tokens, reset tokens and API keys are high-entropy random values, so a plain
(unsalted, fast) digest is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
