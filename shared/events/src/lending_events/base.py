"""The base of every integration event and the small value objects events share."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

from lending_events.money import AMOUNT_MARKER, Amount, check_amount, minor_digits
from lending_events.vocabulary import Identifier


def known_codes(vocabulary: type[StrEnum], what: str = "Reason codes") -> str:
    return f"{what} (open vocabulary; known: {', '.join(m.value for m in vocabulary)})"


class ContractModel(BaseModel):
    """Every model on the wire: immutable, tolerant of fields added by newer producers."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class IntegrationEvent(ContractModel):
    """A fact one service publishes for the others.

    ``event_type`` is the envelope's ``type``; ``schema_version`` changes only on an
    incompatible change (see docs/events.md); ``producer`` names the service, hence the topic.
    """

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    producer: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.event_type = cls.__name__

    @property
    def subject(self) -> str:
        """The envelope subject and Kafka key."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _amounts_have_currency_digits(self) -> IntegrationEvent:
        found = _misfit(self, None)
        if found is not None:
            segments, amount, currency = found
            where = "".join(reversed(segments))
            if currency is None:
                raise ValueError(f"{where}: amount without a currency field")
            check_amount(amount, currency, where)  # raises, naming the field
        return self


class LoanEvent(IntegrationEvent):
    """An event about one loan: the loan id (= application id) is the subject and key."""

    loan_id: Identifier = Field(description="Loan id, equal to the application id; Kafka key")

    @property
    def subject(self) -> str:
        return self.loan_id


class Breakdown(ContractModel):
    """Amounts split by component; ``total`` is their exact sum."""

    principal: Amount
    interest: Amount
    fees: Amount
    penalties: Amount
    total: Amount

    @model_validator(mode="after")
    def _total_is_sum(self) -> Breakdown:
        parts: Decimal = self.principal + self.interest + self.fees + self.penalties
        if parts != self.total:
            raise ValueError(f"total {self.total} is not principal+interest+fees+penalties {parts}")
        return self


# The first amount without its currency's minor digits: its field path (innermost segment
# first), the amount, and the currency of the nearest enclosing model with a ``currency``
# field. The path is built only on the way back from a misfit: an approval's schedule has
# dozens of amounts, and formatting a path for each cost more than checking them.
Misfit = tuple[list[str], Decimal, str | None]


def _misfit(model: BaseModel, currency: str | None) -> Misfit | None:
    has_currency, amounts, nested = _walk_plan(type(model))
    if has_currency:
        currency = getattr(model, "currency", None) or currency
    if amounts:
        digits = _digits(currency)
        for name in amounts:
            value = getattr(model, name)
            if isinstance(value, Decimal) and value.as_tuple().exponent != digits:
                return [name], value, currency
    for name in nested:
        value = getattr(model, name)
        if isinstance(value, BaseModel | list | tuple):
            found = _nested_misfit(value, currency)
            if found is not None:
                found[0].append(name)
                return found
    return None


def _nested_misfit(value: Any, currency: str | None) -> Misfit | None:
    if isinstance(value, BaseModel):
        found = _misfit(value, currency)
        if found is not None:
            found[0].append(".")
        return found
    for i, item in enumerate(value):
        if isinstance(item, BaseModel | list | tuple):
            found = _nested_misfit(item, currency)
            if found is not None:
                found[0].append(f"[{i}]")
                return found
    return None


@cache
def _walk_plan(model: type[BaseModel]) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(has a currency field, amount fields, fields that may hold models or lists) of a
    model class: inspecting field annotations on every event built cost more than the rest
    of its validation."""
    fields = model.model_fields
    amounts = tuple(name for name, info in fields.items() if _is_amount(info))
    return ("currency" in fields, amounts,
            tuple(n for n, info in fields.items()
                  if n not in amounts and _may_nest(info.annotation)))


def _may_nest(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel | list | tuple)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # the rest of its arguments are metadata
        return _may_nest(args[0])
    # unions, list[...] / tuple[...] (their origin is list or tuple), Any, ...
    return origin in (list, tuple) or not args or any(_may_nest(a) for a in args)


@cache
def _digits(currency: str | None) -> int | None:
    """The exponent a ``currency`` amount must have; None (matching no exponent) when the
    currency is missing or not a code, so that check_amount says which."""
    try:
        return -minor_digits(currency) if currency is not None else None
    except ValueError:
        return None


def _is_amount(info: FieldInfo) -> bool:
    if AMOUNT_MARKER in info.metadata:
        return True
    # ``Amount | None``: the marker sits inside the union's Annotated member
    members = get_args(info.annotation)
    return any(AMOUNT_MARKER in getattr(arg, "__metadata__", ()) for arg in members)

