"""Root finding for rate equations: safeguarded Newton in Decimal, no floats.

Both APR equations have the shape NPV(r) = sum(payments discounted) - sum(advances
discounted) = 0 with NPV decreasing in r when money is advanced before it is repaid.
Newton converges in a handful of steps from a simple-interest guess. The signs seen so far
bracket the root; a Newton step that leaves the bracket, or that does not at least halve
the previous step (the overshoot far to the left of a convex NPV would otherwise crawl
back), is replaced by bisection ("rtsafe", Numerical Recipes 9.4).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext

from loanmath.errors import AprNotFoundError

SOLVER_PRECISION = 34
_TOLERANCE = Decimal("1e-15")
_LOWEST = Decimal("-0.999999")
_HIGHEST = Decimal("1e12")


def solve_decreasing(
    npv_and_slope: Callable[[Decimal], tuple[Decimal, Decimal]],
    guess: Decimal,
    lowest: Decimal = _LOWEST,
    highest: Decimal = _HIGHEST,
) -> Decimal:
    """The rate in (lowest, highest) where npv is zero, for an npv decreasing in the rate."""
    with localcontext() as ctx:
        ctx.prec = SOLVER_PRECISION
        low, high = lowest, None
        rate = min(max(guess, lowest / 2), highest)
        previous_step = highest - lowest
        for _ in range(500):
            value, slope = npv_and_slope(rate)
            if value == 0:
                return rate
            if value > 0:
                low = max(low, rate)
            else:
                high = rate if high is None else min(high, rate)
            upper = highest if high is None else high
            candidate = rate - value / slope if slope < 0 else None
            slow = high is not None and abs(2 * value) > abs(previous_step * slope)
            if candidate is None or not low < candidate < upper or slow:
                if high is None:
                    candidate = rate * 2 + 1
                    if candidate > highest:
                        break
                else:
                    candidate = (low + high) / 2
            step = abs(candidate - rate)
            if step <= _TOLERANCE * (1 + abs(rate)):
                return candidate
            previous_step, rate = step, candidate
    raise AprNotFoundError("the rate equation did not converge for these cash flows")
