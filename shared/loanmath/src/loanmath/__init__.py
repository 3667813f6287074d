"""loanmath: pure loan mathematics exact to the minor unit (no I/O, no floats).

Build a schedule from `LoanTerms`, disclose its APR, quote a payoff, re-amortize after a
prepayment. See docs/loanmath.md for the rounding rule and the conventions.
"""

from loanmath.apr import (
    AprResult,
    DatedAmount,
    RegZSpan,
    TimedAmount,
    YearTimedAmount,
    apr_actuarial,
    apr_eu,
    apr_eu_dated,
    apr_eu_regular,
    apr_us_reg_z,
    apr_us_reg_z_regular,
    effective_annual_rate,
    eu_year_fraction,
    first_period_of_days,
    reg_z_regular,
    regz_interval,
    regz_span,
    schedule_apr,
)
from loanmath.dates import (
    BusinessDayAdjustment,
    BusinessDayConvention,
    HolidayCalendar,
    add_months,
)
from loanmath.daycount import InterestBasis, year_fraction
from loanmath.errors import (
    AprNotFoundError,
    CurrencyMismatchError,
    InvalidLoanTermsError,
    LoanMathError,
    UnknownCurrencyError,
)
from loanmath.frequency import Frequency, FrequencyUnit
from loanmath.money import Currency, Money
from loanmath.payoff import PayoffQuote, Reamortization, payoff_quote, reamortize
from loanmath.rounding import RoundingMode, round_minor, round_to_multiple
from loanmath.schedule import Installment, Schedule, build_schedule
from loanmath.standing import NextDue, next_due, unpaid_of
from loanmath.terms import AmortizationMethod, LoanTerms

__all__ = [
    "AmortizationMethod",
    "AprNotFoundError",
    "AprResult",
    "BusinessDayAdjustment",
    "BusinessDayConvention",
    "Currency",
    "CurrencyMismatchError",
    "DatedAmount",
    "Frequency",
    "FrequencyUnit",
    "HolidayCalendar",
    "Installment",
    "InterestBasis",
    "InvalidLoanTermsError",
    "LoanMathError",
    "LoanTerms",
    "Money",
    "NextDue",
    "PayoffQuote",
    "Reamortization",
    "RegZSpan",
    "RoundingMode",
    "Schedule",
    "TimedAmount",
    "UnknownCurrencyError",
    "YearTimedAmount",
    "add_months",
    "apr_actuarial",
    "apr_eu",
    "apr_eu_dated",
    "apr_eu_regular",
    "apr_us_reg_z",
    "apr_us_reg_z_regular",
    "build_schedule",
    "effective_annual_rate",
    "eu_year_fraction",
    "first_period_of_days",
    "next_due",
    "payoff_quote",
    "reamortize",
    "reg_z_regular",
    "regz_interval",
    "regz_span",
    "round_minor",
    "round_to_multiple",
    "schedule_apr",
    "unpaid_of",
    "year_fraction",
]
