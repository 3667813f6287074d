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
        # The quick walk builds no field paths; only a failing event is walked again to
        # name the field (an approval's schedule has dozens of amounts).
        if not _amounts_fit(self, None):
            _check_amounts(self, None, "")
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


def _amounts_fit(model: BaseModel, currency: str | None) -> bool:
    """True when every amount has its currency's minor digits; what _check_amounts checks,
    without the messages."""
    has_currency, amounts, nested = _walk_plan(type(model))
    if has_currency:
        currency = getattr(model, "currency", None) or currency
    if amounts:
        digits = _digits(currency)
        for name in amounts:
            value = getattr(model, name)
            if isinstance(value, Decimal) and value.as_tuple().exponent != digits:
                return False
    for name in nested:
        value = getattr(model, name)
        if isinstance(value, BaseModel | list | tuple) and not _nested_fit(value, currency):
            return False
    return True


@cache
def _walk_plan(model: type[BaseModel]) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(has a currency field, amount fields, fields that may hold models or lists)."""
    amounts, others = _fields_of(model)
    fields = model.model_fields
    return ("currency" in fields, amounts,
            tuple(n for n in others if _may_nest(fields[n].annotation)))


def _may_nest(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel | list | tuple)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # the rest of its arguments are metadata
        return _may_nest(args[0])
    # unions, list[...] / tuple[...] (their origin is list or tuple), Any, ...
    return origin in (list, tuple) or not args or any(_may_nest(a) for a in args)


def _nested_fit(value: Any, currency: str | None) -> bool:
    if isinstance(value, BaseModel):
        return _amounts_fit(value, currency)
    return all(_nested_fit(item, currency) for item in value
               if isinstance(item, BaseModel | list | tuple))


@cache
def _digits(currency: str | None) -> int | None:
    """The exponent a ``currency`` amount must have; None (matching no exponent) when the
    currency is missing or not a code, so that the slow walk says which."""
    try:
        return -minor_digits(currency) if currency is not None else None
    except ValueError:
        return None


def _check_amounts(model: BaseModel, currency: str | None, path: str) -> None:
    """Check every ``Amount`` field (nested models and lists included) against the currency
    of the nearest enclosing model that has a ``currency`` field."""
    currency = getattr(model, "currency", None) or currency
    amounts, others = _fields_of(type(model))
    for name in amounts:
        value = getattr(model, name)
        if isinstance(value, Decimal):
            if currency is None:
                raise ValueError(f"{path}{name}: amount without a currency field")
            check_amount(value, currency, f"{path}{name}")
    for name in others:
        value = getattr(model, name)
        if isinstance(value, BaseModel | list | tuple):
            _check_nested(value, currency, f"{path}{name}")


@cache
def _fields_of(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(amount fields, other fields) of a model class: inspecting field annotations on every
    event built cost more than the rest of its validation."""
    fields = model.model_fields
    amounts = tuple(name for name, info in fields.items() if _is_amount(info))
    return amounts, tuple(name for name in fields if name not in amounts)


def _is_amount(info: FieldInfo) -> bool:
    if AMOUNT_MARKER in info.metadata:
        return True
    # ``Amount | None``: the marker sits inside the union's Annotated member
    members = get_args(info.annotation)
    return any(AMOUNT_MARKER in getattr(arg, "__metadata__", ()) for arg in members)


def _check_nested(value: Any, currency: str | None, where: str) -> None:
    if isinstance(value, BaseModel):
        _check_amounts(value, currency, where + ".")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_nested(item, currency, f"{where}[{i}]")
