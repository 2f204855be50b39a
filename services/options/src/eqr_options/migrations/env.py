from eqr_options.adapters.db.tables import metadata
from eqr_platform.db.migrations import run_env

run_env(metadata)
