"""Schema tooling: JSON Schema and AsyncAPI generation, and the compatibility checker."""

from lending_events.schema_tools.compat import Incompatibility, Kind, compare

__all__ = ["Incompatibility", "Kind", "compare"]
