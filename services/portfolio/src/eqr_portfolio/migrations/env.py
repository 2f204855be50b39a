from eqr_platform.db.migrations import run_env
from eqr_portfolio.adapters.db.tables import metadata

run_env(metadata)
