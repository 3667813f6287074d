"""Upcasters: pure functions that turn the ``data`` of version N of an event into version N+1.

``parse_event`` chains them when an envelope's schemaversion is older than the model's, so
consumers only ever see the current model. Register one per (event type, from version).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class MissingUpcasterError(LookupError):
    def __init__(self, event_type: str, from_version: int) -> None:
        super().__init__(f"no upcaster for {event_type} from version {from_version}")
        self.event_type = event_type
        self.from_version = from_version


def upcaster(
    event_type: str, from_version: int, registry: dict[tuple[str, int], Upcaster] | None = None
) -> Callable[[Upcaster], Upcaster]:
    """Decorator registering ``fn`` as the upcaster from ``from_version`` to the next."""
    target = UPCASTERS if registry is None else registry

    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in target:
            raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
        target[key] = fn
        return fn

    return register


def upcast(
    event_type: str,
    data: Data,
    from_version: int,
    to_version: int,
    registry: Mapping[tuple[str, int], Upcaster] | None = None,
) -> Data:
    chain = UPCASTERS if registry is None else registry
    for version in range(from_version, to_version):
        step = chain.get((event_type, version))
        if step is None:
            raise MissingUpcasterError(event_type, version)
        data = step(dict(data))
    return data
