"""PostgreSQL access: engines, the unit of work with its transactional outbox, migrations."""

from eqr_platform.db.engine import create_engine
from eqr_platform.db.outbox import OutboxRelay, outbox_table
from eqr_platform.db.schema import schema_metadata
from eqr_platform.db.unit_of_work import UnitOfWork

__all__ = ["OutboxRelay", "UnitOfWork", "create_engine", "outbox_table", "schema_metadata"]
