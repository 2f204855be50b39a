from eqr_market_data.adapters.db.tables import metadata
from eqr_platform.db.migrations import run_env

run_env(metadata)
