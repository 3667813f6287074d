"""Apply a service's database migrations, then exit: the Kubernetes init container's command.

    python /app/bin/migrate.py <service>

Reads the same settings as the service itself (``<SERVICE>_DATABASE_URL`` and friends).
Several replicas start at once and each runs this first, so the upgrade is serialised with
a PostgreSQL advisory lock: the first pod migrates, the others wait, then find nothing to do.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from pathlib import Path

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
# Any fixed 64-bit number works; it only has to be the same in every replica of a service.
MIGRATION_LOCK_KEY = 7_305_921_118_400_001


def migrations_dir(service: str) -> Path:
    package = importlib.import_module(f"lending_{service}")
    return Path(package.__file__).resolve().parent / "migrations"  # type: ignore[arg-type]


def database_url(service: str) -> str:
    # Only the database URL: the migration needs none of the service's keys, so the init
    # container is given none (its Settings would refuse to load without them).
    from lending_platform.settings import default_database_url

    return os.environ.get(f"{service.upper()}_DATABASE_URL") or default_database_url(service)


async def migrate(service: str) -> None:
    import asyncpg  # the services' own driver: no extra dependency in the image

    from lending_platform.database import upgrade_to_head_async

    url = database_url(service)
    lock = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        await upgrade_to_head_async(migrations_dir(service), url)
    finally:
        await lock.close()  # closing the session releases the advisory lock


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: migrate.py {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2
    asyncio.run(migrate(argv[0]))
    print(f"{argv[0]}: migrations at head")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
