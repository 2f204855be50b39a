import re
import uuid
from datetime import UTC

from eqr_auth.adapters.security.system import SystemClock, SystemSecrets
from eqr_auth.domain.api_keys import PUBLIC_ID_ALPHABET, SECRET_BYTES


def test_tokens_are_url_safe_and_43_characters_for_32_bytes() -> None:
    token = SystemSecrets().token(SECRET_BYTES)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_identifiers_are_uuids_and_public_ids_use_the_alphabet() -> None:
    secrets = SystemSecrets()
    assert uuid.UUID(secrets.identifier()).version == 4
    public_id = secrets.choice_string(PUBLIC_ID_ALPHABET, 8)
    assert len(public_id) == 8
    assert set(public_id) <= set(PUBLIC_ID_ALPHABET)


def test_the_clock_is_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
