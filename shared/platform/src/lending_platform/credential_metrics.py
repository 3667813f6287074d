"""``lending_credential_projection_age_seconds``: how old this service's view of issued and
revoked keys is (lending_platform.freshness). The alert LendingCredentialProjectionStale
fires on it well before the service starts refusing keys at its bound."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Gauge


def install_credential_metrics(app: FastAPI) -> None:
    age = Gauge("lending_credential_projection_age_seconds",
                "Seconds since every credential event published had been projected here "
                "(+Inf before the first proof)", registry=app.state.metrics_registry)
    bound = Gauge("lending_credential_projection_max_age_seconds",
                  "The age past which this service refuses every API key",
                  registry=app.state.metrics_registry)

    async def refresh(app: FastAPI) -> None:
        runtime = getattr(app.state, "runtime", None)
        freshness = getattr(runtime.ports.get("credentials"), "freshness", None) if runtime \
            else None
        if freshness is None:
            return
        age.set(freshness.age())
        bound.set(freshness.max_staleness)

    app.state.metric_refreshers.append(refresh)
