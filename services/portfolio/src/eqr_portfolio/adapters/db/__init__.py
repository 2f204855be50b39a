"""PostgreSQL: the ``portfolio`` schema's tables, repositories and unit of work."""
