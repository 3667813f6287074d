"""The one place where money is rounded.

Rule: every amount is computed exactly in `Decimal` (in minor units) and rounded to an
integer number of minor units only here, with the loan's named `RoundingMode`. `down` and
`up` mean toward and away from zero (the `decimal` module's ROUND_DOWN / ROUND_UP).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum

from loanmath.errors import InvalidLoanTermsError


class RoundingMode(StrEnum):
    HALF_UP = "half-up"
    HALF_EVEN = "half-even"
    DOWN = "down"
    UP = "up"

    @classmethod
    def parse(cls, text: str, field: str = "rounding") -> RoundingMode:
        try:
            return cls(text.strip().lower().replace("_", "-"))
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise InvalidLoanTermsError(
                field, f"unknown rounding {text!r}; expected one of {choices}"
            ) from None


_DECIMAL_ROUNDING = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.DOWN: ROUND_DOWN,
    RoundingMode.UP: ROUND_UP,
}
_ONE = Decimal(1)


def round_minor(minor_units: Decimal, mode: RoundingMode) -> int:
    """Rounds an exact amount expressed in minor units to a whole number of minor units."""
    return int(minor_units.quantize(_ONE, rounding=_DECIMAL_ROUNDING[mode]))


def round_to_multiple(minor_units: Decimal, multiple: int, mode: RoundingMode) -> int:
    """Rounds to a multiple of `multiple` minor units (e.g. 100 = whole dollars)."""
    if multiple <= 1:
        return round_minor(minor_units, mode)
    return round_minor(minor_units / multiple, mode) * multiple
