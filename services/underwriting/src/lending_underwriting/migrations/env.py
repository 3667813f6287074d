from lending_platform.alembic_env import run_migrations
from lending_underwriting.adapters.orm import metadata

run_migrations(metadata)
