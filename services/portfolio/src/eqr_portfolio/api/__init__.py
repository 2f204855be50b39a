"""PortfolioService over gRPC: protobuf in, use case, protobuf out."""
