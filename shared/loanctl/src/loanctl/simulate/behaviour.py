"""Who the simulated borrowers are and how they repay: pure functions of the seed.

Each borrower draws a repayment behaviour from the mix and the parameters of that behaviour
(how late, how partial, when they settle or stop) from a generator seeded by the run's seed
and the borrower's number, so a borrower's choices never depend on the order in which the
run happens to meet them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Behaviour(StrEnum):
    ON_TIME = "on_time"  # pays what is due on the due date
    LATE = "late"  # pays what is due some days after the due date
    PARTIAL = "partial"  # pays part of what is due, catches up every few installments
    EARLY_SETTLE = "early_settle"  # pays on time, then settles with a payoff quote
    PREPAY = "prepay"  # pays on time and once prepays part of the principal
    DEFAULT = "default"  # pays some installments, then stops


class OfferResponse(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"  # withdraws the application
    IGNORE = "ignore"  # leaves the offer to expire


DEFAULT_MIX: dict[Behaviour, float] = {
    Behaviour.ON_TIME: 0.55, Behaviour.LATE: 0.2, Behaviour.PARTIAL: 0.05,
    Behaviour.EARLY_SETTLE: 0.05, Behaviour.PREPAY: 0.05, Behaviour.DEFAULT: 0.1,
}


class MixError(ValueError):
    """A --mix that cannot be used, with the reason."""


def parse_mix(text: str | None) -> dict[Behaviour, float]:
    """``on_time=0.6,late=0.2,...``: shares of the behaviours, normalised to sum to one;
    behaviours left out get none."""
    if not text:
        return dict(DEFAULT_MIX)
    shares: dict[Behaviour, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            behaviour = Behaviour(name.strip())
        except ValueError:
            known = ", ".join(b.value for b in Behaviour)
            raise MixError(f"unknown behaviour {name.strip()!r} (known: {known})") from None
        try:
            share = float(value) if sep else -1.0
        except ValueError:
            share = -1.0
        if share < 0:
            raise MixError(f"{name.strip()}: the share must be a number >= 0, like late=0.2")
        shares[behaviour] = share
    total = sum(shares.values())
    if total <= 0:
        raise MixError("the shares of the mix must add up to more than zero")
    return {b: s / total for b, s in shares.items() if s > 0}


@dataclass(frozen=True)
class Borrower:
    """One simulated borrower: their behaviour and its parameters, all drawn up front."""

    number: int
    behaviour: Behaviour
    offer_response: OfferResponse
    days_late: int  # LATE: days after the due date they pay
    partial_share: Decimal  # PARTIAL: share of what is due they pay
    catch_up_every: int  # PARTIAL: every n-th installment they pay everything due
    settle_after: int  # EARLY_SETTLE: installments paid before settling
    prepay_after: int  # PREPAY: installments paid before the prepayment
    prepay_share: Decimal  # PREPAY: share of the outstanding principal prepaid
    stop_after: int  # DEFAULT: installments paid before stopping
    answers_calls: float  # in collections: chance a call reaches them
    keeps_promises: float  # chance a promise made is kept
    accepts_restructure: bool  # says yes when a collector offers a new schedule


def draw_borrower(seed: int, number: int, mix: dict[Behaviour, float],
                  accept_share: float = 0.85, decline_share: float = 0.05) -> Borrower:
    rng = random.Random(f"borrower:{seed}:{number}")
    behaviour = _pick(rng, mix)
    roll = rng.random()
    response = (OfferResponse.ACCEPT if roll < accept_share
                else OfferResponse.DECLINE if roll < accept_share + decline_share
                else OfferResponse.IGNORE)
    defaulter = behaviour is Behaviour.DEFAULT
    return Borrower(
        number=number, behaviour=behaviour, offer_response=response,
        days_late=rng.randint(3, 20),
        partial_share=Decimal(rng.randint(40, 85)) / 100,
        catch_up_every=rng.randint(2, 4),
        settle_after=rng.randint(1, 5),
        prepay_after=rng.randint(1, 4),
        prepay_share=Decimal(rng.randint(10, 40)) / 100,
        stop_after=rng.randint(0, 3),
        answers_calls=rng.uniform(0.2, 0.6) if defaulter else rng.uniform(0.6, 0.95),
        keeps_promises=rng.uniform(0.05, 0.4) if defaulter else rng.uniform(0.6, 0.95),
        accepts_restructure=rng.random() < (0.35 if defaulter else 0.6),
    )


def _pick(rng: random.Random, mix: dict[Behaviour, float]) -> Behaviour:
    roll, cumulative = rng.random(), 0.0
    chosen = next(iter(mix))
    for behaviour, share in mix.items():
        cumulative += share
        chosen = behaviour
        if roll < cumulative:
            break
    return chosen
