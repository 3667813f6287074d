from lending_platform.alembic_env import run_migrations
from lending_servicing.adapters.orm import metadata

run_migrations(metadata)
