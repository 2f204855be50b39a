"""Auth through the gateway on the launcher's real fleet, and local token verification.

Peers in the same run: the gateway's own ``/healthz`` (the floor: HTTP stack, no upstream)
for request latency, and PyJWT's bare ``decode`` for token verification, which is what a
service would do by hand instead of using ``eqr_platform.tokens``.
"""

from __future__ import annotations

import asyncio
import json
import time
import timeit

import httpx
import jwt

from bench.load import LatencyResult, closed_loop, open_loop
from bench.rawhttp import RawClient
from bench.target import Target
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD
from eqr_platform.tokens import JwksCache, TokenVerifier

RATE = 100.0
CLIENTS = 8
CONNECTIONS = 64
SECONDS = 10.0
VERIFICATIONS = 5000


async def _latencies(gateway: str) -> tuple[list[LatencyResult], list[float], dict[str, float], str, str]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=30) as client:
        logins = []
        for _ in range(10):
            started = time.perf_counter()
            login = await client.post(
                "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
            logins.append((time.perf_counter() - started) * 1000)
            login.raise_for_status()
        token = login.json()["access_token"]
        jwks = (await client.get("/.well-known/jwks.json")).text
        headers = {"Authorization": f"Bearer {token}"}
    async with RawClient(gateway, connections=CONNECTIONS) as raw:
        routes = {
            "GET /healthz (floor)": lambda: raw.get("/healthz"),
            "GET /api/v1/auth/me (JWT + denylist + gRPC + PostgreSQL)": lambda: raw.get(
                "/api/v1/auth/me", headers
            ),
        }
        latencies = [await open_loop(name, send, rate=RATE, seconds=SECONDS) for name, send in routes.items()]
        throughput = {
            name: await closed_loop(send, clients=CLIENTS, seconds=SECONDS) for name, send in routes.items()
        }
    return latencies, logins, throughput, token, jwks


def _verification_rates(token: str, jwks: str) -> tuple[float, float]:
    async def fetch() -> str:
        return jwks

    async def verify_many() -> float:
        # remembered=0: every call verifies the signature, as for a token seen the first time.
        verifier = TokenVerifier(JwksCache(fetch), remembered=0)
        await verifier.verify(token)  # warm the key cache
        started = time.perf_counter()
        for _ in range(VERIFICATIONS):
            await verifier.verify(token)
        return time.perf_counter() - started

    ours = asyncio.run(verify_many())
    key = jwt.PyJWK(json.loads(jwks)["keys"][0])
    peer = timeit.timeit(
        lambda: jwt.decode(token, key, algorithms=["EdDSA"], audience="eqr", issuer="eqr-auth"),
        number=VERIFICATIONS,
    )
    return VERIFICATIONS / ours, VERIFICATIONS / peer


def run(target: Target) -> str:
    results, logins, throughput, token, jwks = asyncio.run(_latencies(target.gateway_url))
    ours, peer = _verification_rates(token, jwks)
    floor, me = results
    lines = [
        "### Auth through the gateway",
        "",
        f"Open-loop load at {RATE:.0f} requests/s for {SECONDS:.0f} s after a 1 s warm-up, one client",
        "process on the same machine as the fleet (so client and servers share the cores). Latency",
        "from each request's scheduled start.",
        "",
        "| route | rate/s | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
        *(r.row() for r in results),
        "",
        f"Sustained throughput, {CLIENTS} closed-loop clients for {SECONDS:.0f} s:",
        "",
        "| route | requests/s |",
        "|---|---|",
        *(f"| {name} | {rate:,.0f} |" for name, rate in throughput.items()),
        "",
        f"- Authenticated read vs the floor: p50 {me.p50_ms / floor.p50_ms:.1f}x,"
        f" p99 {me.p99_ms / floor.p99_ms:.1f}x"
        " (the difference is token verification, the Redis denylist, the gRPC hop and the query).",
        f"- Password login (argon2id, t=3, m=64 MiB, p=4 — deliberately slow): median "
        f"{sorted(logins)[len(logins) // 2]:.0f} ms over {len(logins)} logins.",
        f"- Access-token verification in-process, first sight of a token: eqr_platform.tokens {ours:,.0f}/s"
        f" vs bare PyJWT decode {peer:,.0f}/s (ratio {ours / peer:.2f}; ours also pins alg/kid and maps"
        " errors). A token seen before is remembered until it expires and costs a dictionary lookup.",
    ]
    return "\n".join(lines)
