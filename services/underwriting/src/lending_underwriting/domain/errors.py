"""Errors the underwriting domain raises, each saying what was wrong."""

from __future__ import annotations


class UnderwritingError(Exception):
    """Base of this service's domain errors."""


class PolicyError(UnderwritingError, ValueError):
    """The policy file is wrong; ``field`` names where (``products.personal-credit.fees``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ModelArtifactError(UnderwritingError, ValueError):
    """A scorecard artifact is malformed or not the version asked for."""


class ReferralNotFoundError(UnderwritingError, LookupError):
    def __init__(self, referral_id: str) -> None:
        super().__init__(f"referral {referral_id} does not exist")
        self.referral_id = referral_id


class ReferralAlreadyDecidedError(UnderwritingError):
    def __init__(self, referral_id: str, outcome: str) -> None:
        super().__init__(f"referral {referral_id} was already decided: {outcome}")
        self.referral_id = referral_id
        self.outcome = outcome


class NoOfferToApproveError(UnderwritingError):
    """The referred application has no priced offer (e.g. the legal cap leaves no price)."""

    def __init__(self, referral_id: str) -> None:
        super().__init__(f"referral {referral_id} has no priced offer to approve; decline it")
        self.referral_id = referral_id


class DecisionNotFoundError(UnderwritingError, LookupError):
    def __init__(self, application_id: str) -> None:
        super().__init__(f"no decision for application {application_id}")
        self.application_id = application_id
