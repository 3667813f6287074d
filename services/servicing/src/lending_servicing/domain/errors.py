"""What can go wrong in servicing, named for the rule that was broken."""

from __future__ import annotations


class ServicingError(Exception):
    """Base of the errors the routes map to problem details (entrypoints/errors.py)."""


class LoanNotFoundError(ServicingError):
    def __init__(self, loan_id: str) -> None:
        super().__init__(f"No loan {loan_id!r}.")
        self.loan_id = loan_id


class LoanNotActiveError(ServicingError):
    """Payments need a disbursed loan that is not closed or written off."""

    def __init__(self, loan_id: str, status: str) -> None:
        super().__init__(f"Loan {loan_id} is {status}; it takes payments only while active.")
        self.status = status


class CurrencyMismatchError(ServicingError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"The loan is in {expected}; this payment is in {got}.")
        self.expected = expected
        self.got = got


class InvalidPaymentError(ServicingError):
    """A payment that can never be right, whatever the loan's state (a 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyKeyReusedError(ServicingError):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was used with another request body.")
        self.key = key


class PayoffQuoteError(ServicingError):
    """A payoff quote that cannot be given or cannot be used (a 409)."""


class PayoffQuoteUsedError(PayoffQuoteError):
    """A second payment against a quote: each quote settles the loan once (a 409)."""

    def __init__(self, quote_id: str, payment_id: str) -> None:
        super().__init__(f"Payoff quote {quote_id} was already used by payment {payment_id}; "
                         "ask for a new quote.")
        self.quote_id = quote_id
        self.payment_id = payment_id


class CalendarError(ServicingError):
    """A day close or holiday that would move the business calendar backwards (a 409)."""


class InvalidCloseError(ServicingError):
    """A day close that can never be run as asked (a 422 naming the field): a day later
    than today's date without an admin's override, or past the end of the calendar."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
