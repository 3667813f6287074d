"""Shared vocabulary of the contract.

Closed enums describe structure (a frequency, a method): consumers may rely on knowing every
value, so adding or removing one is an incompatible change (a new schema version).
Reason codes are an open vocabulary: a ``ReasonCode`` is any snake_case string, the StrEnums
below list the codes known today, and consumers must treat an unknown code as "other". That
is what lets underwriting add a decline reason without a new schema version.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
ReasonCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]


class RepaymentFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    AT_MATURITY = "at_maturity"


class TermUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class AmortizationMethod(StrEnum):
    EQUAL_INSTALLMENTS = "equal_installments"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"
    BULLET = "bullet"


class InterestMethod(StrEnum):
    DECLINING_BALANCE = "declining_balance"
    FLAT = "flat"


class DayCount(StrEnum):
    ACT_365F = "act/365f"
    ACT_360 = "act/360"
    THIRTY_360 = "30/360"
    ACT_ACT = "act/act"


class RoundingMode(StrEnum):
    HALF_EVEN = "half_even"
    HALF_UP = "half_up"


class AprMethod(StrEnum):
    NOMINAL = "nominal"  # periodic IRR x periods per year (US Regulation Z)
    EFFECTIVE = "effective"  # compounded annual IRR (EU Consumer Credit Directive)


class Component(StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class FeeKind(StrEnum):
    ORIGINATION = "origination"
    SERVICE = "service"
    LATE_PAYMENT = "late_payment"
    PREPAYMENT = "prepayment"


class FeeBasis(StrEnum):
    FLAT = "flat"
    PRINCIPAL = "principal"
    OVERDUE_INSTALLMENT = "overdue_installment"


class SecurityType(StrEnum):
    NONE = "none"
    GUARANTOR = "guarantor"
    GROUP = "group"
    COLLATERAL = "collateral"
    RECEIVABLE = "receivable"


class ApplicantType(StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


class DecisionMode(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    MOBILE_MONEY = "mobile_money"
    DIRECT_DEBIT = "direct_debit"
    CASH = "cash"


class DelinquencyBucket(StrEnum):
    CURRENT = "current"
    DPD_1_30 = "dpd_1_30"
    DPD_31_60 = "dpd_31_60"
    DPD_61_90 = "dpd_61_90"
    DPD_91_180 = "dpd_91_180"
    DPD_181_PLUS = "dpd_181_plus"


class AssetClass(StrEnum):
    """China's five-category loan classification."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


class CollectionStage(StrEnum):
    REMINDER = "reminder"
    CALL = "call"
    FIELD_VISIT = "field_visit"
    FORMAL_DEMAND = "formal_demand"
    LEGAL = "legal"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RestructureKind(StrEnum):
    RESCHEDULE = "reschedule"
    RESTRUCTURE = "restructure"
    SETTLEMENT = "settlement"


class ClosureReason(StrEnum):
    REPAID = "repaid"
    PREPAID = "prepaid"
    REFINANCED = "refinanced"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


class CaseResolution(StrEnum):
    CURED = "cured"
    REPAID = "repaid"
    RESTRUCTURED = "restructured"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
