"""Specific errors: every one says which input was wrong, so callers can point at it."""

from __future__ import annotations


class LoanMathError(Exception):
    """Base class of every error this package raises."""


class InvalidLoanTermsError(LoanMathError, ValueError):
    """An input is out of range or malformed; `field` names it (a LoanTerms field name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownCurrencyError(InvalidLoanTermsError):
    """The currency code is not an ISO 4217 code this package knows."""

    def __init__(self, code: str, field: str = "currency") -> None:
        super().__init__(field, f"unknown ISO 4217 currency {code!r}")
        self.code = code


class CurrencyMismatchError(LoanMathError, ValueError):
    """Two amounts in different currencies were combined."""


class AprNotFoundError(LoanMathError, ArithmeticError):
    """The APR equation has no solution for these cash flows (or did not converge)."""
