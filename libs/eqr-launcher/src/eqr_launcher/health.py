"""Single, bounded readiness probes; callers poll them until a deadline."""

import socket

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROBE_TIMEOUT_SECONDS = 1.0
HTTP_PROBE_TIMEOUT_SECONDS = 5.0


def grpc_serving(address: str, service: str = "") -> bool:
    """The standard grpc.health.v1 check reports SERVING for `service` ("" is the whole server)."""
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=PROBE_TIMEOUT_SECONDS
            )
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=HTTP_PROBE_TIMEOUT_SECONDS).status_code == 200
    except httpx.HTTPError:
        return False


def redis_pong(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False
