"""Domain errors, mapped to problem details in one place (entrypoints/errors.py)."""

from __future__ import annotations


class CollectionsError(Exception):
    """Base of every collections domain error."""


class CaseNotFoundError(CollectionsError, LookupError):
    pass


class CaseClosedError(CollectionsError):
    """The case is closed: nothing more can be recorded on it."""


class ContactLimitReachedError(CollectionsError):
    """The case has had its week's contacts: automated and manual contacts share the limit."""


class PromiseInvalidError(CollectionsError, ValueError):
    """A promise with a non-positive amount, or a date before the business date."""


class StrategyFileError(CollectionsError, ValueError):
    """strategies.toml or classification.toml does not describe a valid policy."""


class ProposalNotFoundError(CollectionsError, LookupError):
    pass


class ProposalInvalidError(CollectionsError, ValueError):
    """A recovery plan that cannot be asked for; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class ProposalDecidedError(CollectionsError):
    """The proposal was already approved or rejected (by someone else)."""


class ApprovalRefusedError(CollectionsError):
    """The approver proposed it (maker-checker) or lacks a role the approval rules require."""
