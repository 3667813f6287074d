"""`python -m lending_platform.container`: the entry point of the one service image
(deploy/docker/service.Dockerfile), which is built once per service with SERVICE and PORT.

``LENDING_SERVICE`` names the service; ``LENDING_SERVICE_HOST`` / ``LENDING_SERVICE_PORT``
become its own ``<SERVICE>_HOST`` / ``<SERVICE>_PORT`` unless those are set (a Deployment
may set either). ``--healthcheck`` asks the running service's ``/healthz`` instead.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import urllib.request

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def service_environment(environ: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The service named by the environment and the settings it adds for it."""
    service = environ.get("LENDING_SERVICE", "")
    if service not in SERVICES:
        raise SystemExit(f"error: LENDING_SERVICE must be one of {', '.join(SERVICES)}, "
                         f"got {service!r}")
    prefix, added = service.upper(), {}
    for name in ("HOST", "PORT"):
        generic = environ.get(f"LENDING_SERVICE_{name}")
        if generic and not environ.get(f"{prefix}_{name}"):
            added[f"{prefix}_{name}"] = generic
    return service, added


def main(argv: list[str]) -> None:
    service, added = service_environment(dict(os.environ))
    os.environ.update(added)
    if argv[1:] == ["--healthcheck"]:
        port = os.environ.get(f"{service.upper()}_PORT") or importlib.import_module(
            f"lending_{service}.config").Settings.model_fields["port"].default
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3)
        return
    runpy.run_module(f"lending_{service}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
