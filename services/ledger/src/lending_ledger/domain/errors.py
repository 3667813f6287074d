"""What the loan account refuses, each with its own name."""

from __future__ import annotations


class LedgerDomainError(Exception):
    """Base of every refusal the ledger domain raises."""


class InvalidContractError(LedgerDomainError):
    """The contract terms cannot be serviced (bad amount, unknown currency, empty schedule)."""


class LoanNotBookedError(LedgerDomainError):
    """A command for a loan account that does not exist yet."""


class LoanAlreadyBookedError(LedgerDomainError):
    """A second booking for the same loan with different terms."""


class UnknownPaymentError(LedgerDomainError):
    """A reversal names a payment this loan never applied (or already reversed)."""


class InvalidLoanStateError(LedgerDomainError):
    """The command does not apply in the loan's current status."""


class UnbalancedEntryError(LedgerDomainError):
    """A journal entry whose debits and credits differ: a bug, never a business outcome."""


class NegativeBalanceError(LedgerDomainError):
    """A component balance would fall below zero: a bug, never a business outcome."""


class ReversalApprovalError(LedgerDomainError):
    """Maker-checker: whoever asked for a reversal never approves it (a 403)."""


class ReversalDecidedError(LedgerDomainError):
    """The reversal request was already approved or rejected (a 409)."""
