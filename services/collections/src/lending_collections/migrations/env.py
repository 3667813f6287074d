from lending_collections.adapters.orm import metadata
from lending_platform.alembic_env import run_migrations

run_migrations(metadata)
