"""Access tokens checked the way every verifier in the fleet checks them: pyjwt and the JWKS."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eqr_auth.adapters.security.signing import Ed25519TokenSigner, jwk_thumbprint, jwks_document
from eqr_auth.app import signing_keys
from eqr_auth.domain.roles import Role
from eqr_auth.domain.tokens import AccessTokenClaims
from eqr_platform.tokens import JwksCache, TokenError, TokenVerifier


@pytest.fixture(autouse=True)
def real_time(harness) -> None:
    """pyjwt checks expiry against the real clock, so the fake one starts there."""
    harness.clock.current = datetime.now(UTC).replace(microsecond=0)


async def issue(harness) -> str:
    await harness.register()
    return (await harness.login()).tokens.access_token


async def verify_with_jwks(harness, token: str) -> dict:
    jwks = jwt.PyJWKSet.from_json(await signing_keys.get_jwks(harness.deps))
    key = next(k for k in jwks.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    return jwt.decode(token, key=key, algorithms=["EdDSA"], audience="eqr", issuer="eqr-auth")


async def test_access_tokens_carry_exactly_the_agreed_claims(harness) -> None:
    token = await issue(harness)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    claims = await verify_with_jwks(harness, token)
    assert set(claims) == {"iss", "aud", "sub", "role", "sid", "scope", "iat", "nbf", "exp", "jti"}
    assert claims["role"] == "analyst"
    assert claims["scope"] == "read research:write"
    now = int(harness.clock.now().timestamp())
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (now, now, now + 900)


async def test_the_key_id_is_the_rfc_7638_thumbprint(harness) -> None:
    token = await issue(harness)
    [jwk] = json.loads(await signing_keys.get_jwks(harness.deps))["keys"]
    assert jwk["kid"] == jwt.get_unverified_header(token)["kid"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in jwk
    assert jwk_thumbprint(jwk) == jwk["kid"]


def test_thumbprint_matches_the_rfc_8037_example() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 public key.
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


async def test_rotation_keeps_old_tokens_verifiable_until_they_expire(harness) -> None:
    old_token = await issue(harness)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    harness.clock.advance(timedelta(minutes=5))
    new_key = await signing_keys.rotate_signing_key(harness.deps)
    assert new_key.key_id != old_kid

    new_token = (await harness.login()).tokens.access_token
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.key_id
    published = {k["kid"] for k in json.loads(await signing_keys.get_jwks(harness.deps))["keys"]}
    assert published == {old_kid, new_key.key_id}
    await verify_with_jwks(harness, old_token)

    harness.clock.advance(timedelta(minutes=15))
    published = {k["kid"] for k in json.loads(await signing_keys.get_jwks(harness.deps))["keys"]}
    assert published == {new_key.key_id}


async def test_ensure_creates_once_and_rotates_by_age(harness) -> None:
    first = await signing_keys.ensure_signing_key(harness.deps, max_age=timedelta(days=30))
    assert await signing_keys.ensure_signing_key(harness.deps, max_age=timedelta(days=30)) == first
    harness.clock.advance(timedelta(days=30))
    rotated = await signing_keys.ensure_signing_key(harness.deps, max_age=timedelta(days=30))
    assert rotated.key_id != first.key_id
    assert harness.state.signing_keys[first.key_id].retired_at == harness.clock.now()


async def test_a_tampered_token_is_rejected(harness) -> None:
    token = await issue(harness)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        await verify_with_jwks(harness, f"{header}.{forged}.{signature}")


async def test_an_unsigned_token_is_rejected(harness) -> None:
    token = await issue(harness)
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    unsigned = jwt.encode(claims, key=None, algorithm="none", headers={"kid": kid})
    with pytest.raises(jwt.InvalidAlgorithmError):
        await verify_with_jwks(harness, unsigned)


async def test_a_token_signed_by_another_key_is_rejected(harness) -> None:
    token = await issue(harness)
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    impostor = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    with pytest.raises(jwt.InvalidSignatureError):
        await verify_with_jwks(harness, impostor)


async def test_the_platform_verifier_accepts_our_tokens(harness) -> None:
    token = await issue(harness)

    async def fetch() -> str:
        return await signing_keys.get_jwks(harness.deps)

    verifier = TokenVerifier(JwksCache(fetch))
    claims = await verifier.verify(token)
    assert claims.role == "analyst"
    assert claims.scopes == ("read", "research:write")
    assert claims.session_id == harness.principal_of(token).session_id
    with pytest.raises(TokenError):
        await verifier.verify(token[:-4] + "AAAA")


async def test_keys_reloaded_from_pem_sign_the_same_way(harness) -> None:
    key = Ed25519TokenSigner().generate_key(harness.clock.now())
    claims = AccessTokenClaims(
        subject="user-1",
        role=Role.VIEWER,
        session_id=None,
        scopes=("read",),
        issued_at=harness.clock.now(),
        expires_at=harness.clock.now() + timedelta(minutes=15),
        token_id="jti-1",
    )
    token = Ed25519TokenSigner().sign(claims, key)
    jwk = jwt.PyJWK(json.loads(jwks_document([key]))["keys"][0])
    decoded = jwt.decode(
        token, key=jwk, algorithms=["EdDSA"], audience="eqr", issuer="eqr-auth", options={"verify_exp": False}
    )
    assert decoded["scope"] == "read"
    assert "sid" not in decoded
