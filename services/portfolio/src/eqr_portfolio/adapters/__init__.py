"""Everything outside the domain: PostgreSQL, NATS, the other services."""
