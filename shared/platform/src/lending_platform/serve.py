"""`python -m lending_<service>`: uvicorn on the service's configured host and port."""

from __future__ import annotations

import uvicorn

from lending_platform.settings import ServiceSettings


def serve(app_factory: str, settings: ServiceSettings) -> None:
    uvicorn.run(
        app_factory, factory=True, host=settings.host, port=settings.port,
        log_config=None, access_log=False, lifespan="on",
    )
