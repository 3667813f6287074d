"""The scorecard's inputs, derived from the application, the bureau report and our books.

The names are the columns of the synthetic training portfolio (``training/synthetic.py``):
a model trained on any CSV with these columns scores live applications unchanged.
A missing bureau report leaves the bureau features missing; the scorecard's missing bins
price that in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport

NUMERIC = (
    "age_years", "history_months", "open_accounts", "delinquencies_24m", "inquiries_6m",
    "defaults", "debt_to_income", "loan_to_income", "worst_dpd_on_book",
)
CATEGORICAL = ("applicant_type", "channel", "purpose")


def monthly_obligations(app: Application, bureau: BureauReport | None) -> Decimal:
    """The larger of what the applicant declared and what the bureau reports."""
    declared = app.monthly_obligations or Decimal(0)
    reported = bureau.monthly_debt_payments if bureau else Decimal(0)
    return max(declared, reported)


def features(app: Application, bureau: BureauReport | None,
             exposure: BorrowerExposure) -> dict[str, Any]:
    income = app.monthly_income
    values: dict[str, Any] = {
        "applicant_type": app.applicant_type, "channel": app.channel, "purpose": app.purpose,
        "worst_dpd_on_book": exposure.worst_days_past_due,
        "debt_to_income": None, "loan_to_income": None,
    }
    if income is not None and income > 0:
        values["debt_to_income"] = round(float(monthly_obligations(app, bureau) / income), 4)
        values["loan_to_income"] = round(float(app.requested_amount / (income * 12)), 4)
    for name in ("age_years", "history_months", "open_accounts", "delinquencies_24m",
                 "inquiries_6m", "defaults"):
        values[name] = getattr(bureau, name) if bureau is not None else None
    return values
