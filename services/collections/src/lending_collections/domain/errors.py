"""Domain errors, mapped to problem details in one place (entrypoints/errors.py)."""

from __future__ import annotations


class CollectionsError(Exception):
    """Base of every collections domain error."""


class CaseNotFoundError(CollectionsError, LookupError):
    pass


class CaseClosedError(CollectionsError):
    """The case is closed: nothing more can be recorded on it."""


class PromiseInvalidError(CollectionsError, ValueError):
    """A promise with a non-positive amount, or a date before the business date."""


class StrategyFileError(CollectionsError, ValueError):
    """strategies.toml or classification.toml does not describe a valid policy."""
