"""Demo data `make run` creates once the services are ready (a demo partner and its key)."""

from __future__ import annotations

from lending_devstack.settings import DevstackSettings


def seed_demo(settings: DevstackSettings) -> list[str]:
    """Creates the demo data if missing; returns lines to print (URLs, the demo API key).

    Partners and API keys arrive with the intake issue; until then there is nothing to seed.
    """
    return []
