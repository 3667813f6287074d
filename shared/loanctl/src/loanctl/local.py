"""`loanctl` next to `make run`: the local stack is a development environment.

The services treat an unset environment as production and refuse the development keys
shipped with the code. `loanctl` reads intake's settings the same way, so without this an
operator would have to export `LENDING_ENVIRONMENT=development` before every command against
the local stack. When nothing points loanctl anywhere else (no environment named, no database
server or URL given), it is talking to the local devstack's PostgreSQL, and only there does
it default to development. Anything set explicitly wins.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SERVICES = ("INTAKE", "UNDERWRITING", "LEDGER", "SERVICING", "COLLECTIONS")
POINTERS = ("LENDING_ENVIRONMENT", "LENDING_PG_ADMIN_URL",
            *(f"{s}_ENVIRONMENT" for s in SERVICES), *(f"{s}_DATABASE_URL" for s in SERVICES))


def default_to_development(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Sets LENDING_ENVIRONMENT=development when loanctl targets the local stack; True if so."""
    if any(environ.get(name) for name in POINTERS):
        return False
    environ["LENDING_ENVIRONMENT"] = "development"
    return True
