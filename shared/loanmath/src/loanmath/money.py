"""Money: an integer number of minor units and an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from loanmath.currencies import minor_units
from loanmath.errors import CurrencyMismatchError, InvalidLoanTermsError, UnknownCurrencyError
from loanmath.rounding import RoundingMode, round_minor


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int

    @classmethod
    def of(cls, code: str, field: str = "currency") -> Currency:
        normalized = code.strip().upper()
        exponent = minor_units(normalized)
        if exponent is None:
            raise UnknownCurrencyError(code, field)
        return _CURRENCIES.setdefault(normalized, cls(normalized, exponent))

    @property
    def scale(self) -> int:
        """Minor units per major unit (100 for USD, 1 for JPY, 1000 for KWD)."""
        return 10**self.exponent


_CURRENCIES: dict[str, Currency] = {}


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: Currency

    @classmethod
    def parse(cls, text: str, currency: Currency | str, field: str = "amount") -> Money:
        """Parses "1250.00"; refuses more decimals than the currency has and any float syntax."""
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        try:
            value = Decimal(text.strip())
        except (InvalidOperation, AttributeError):
            raise InvalidLoanTermsError(field, f"not a decimal amount: {text!r}") from None
        if not value.is_finite():
            raise InvalidLoanTermsError(field, f"not a decimal amount: {text!r}")
        minor = value.scaleb(cur.exponent)
        if minor != minor.to_integral_value():
            raise InvalidLoanTermsError(
                field, f"{text!r} has more than {cur.exponent} decimals for {cur.code}"
            )
        return cls(int(minor), cur)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: Currency | str) -> Money:
        """Exact construction from major units; raises if the amount needs rounding."""
        return cls.parse(str(amount), currency)

    @classmethod
    def from_decimal(cls, amount: Decimal, currency: Currency, mode: RoundingMode) -> Money:
        """Rounds an exact major-unit amount to the minor unit with the named mode."""
        return cls(round_minor(amount.scaleb(currency.exponent), mode), currency)

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        return cls(0, cur)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, with exactly the currency's minor digits."""
        return Decimal(self.minor).scaleb(-self.currency.exponent)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency.code} vs {other.currency.code}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def is_zero(self) -> bool:
        return self.minor == 0

    def __str__(self) -> str:
        """The wire format: a decimal string with the currency's minor digits ("1250.00")."""
        return format_minor(self.minor, self.currency.exponent)


def format_minor(minor: int, exponent: int) -> str:
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"
