"""gRPC clients of the other services: protobuf in, the app's port types out."""
