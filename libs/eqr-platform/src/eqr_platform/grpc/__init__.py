"""gRPC mechanics shared by every service: server bootstrap, client channels, errors."""

from eqr_platform.grpc.client import create_channel
from eqr_platform.grpc.errors import FieldViolation, ServiceError, decode_error

__all__ = ["FieldViolation", "ServiceError", "create_channel", "decode_error"]
