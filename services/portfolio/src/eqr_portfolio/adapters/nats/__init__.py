"""NATS: the portfolio service's event codecs and its consumers of other services' events."""
