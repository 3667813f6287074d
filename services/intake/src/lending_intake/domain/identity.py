"""The identity inside an application request, kept apart from the rest so that it can be
sealed at rest and erased when the retention period ends.

Identity: the whole applicant (national id, name, date of birth, phone, email, address), a
guarantor's name, national id and phone, and the disbursement account holder's name. The
rest (amounts, purpose, finances, documents' hashes, the account token) stays readable.
"""

from __future__ import annotations

import copy
from typing import Any

GUARANTOR_IDENTITY = ("full_name", "national_id", "phone")


def split_identity(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request without identity, the identity) of a request as sent."""
    rest = copy.deepcopy(body)
    identity: dict[str, Any] = {"applicant": rest.pop("applicant", None)}
    security = rest.get("security") or {}
    if security.get("type") == "guarantor":
        identity["guarantor"] = {k: security.pop(k) for k in GUARANTOR_IDENTITY
                                 if k in security}
    account = rest.get("disbursement_account") or {}
    if "holder_name" in account:
        identity["account_holder_name"] = account.pop("holder_name")
    return rest, identity


def join_identity(rest: dict[str, Any], identity: dict[str, Any]) -> dict[str, Any]:
    """The request as sent, from its two parts."""
    body = copy.deepcopy(rest)
    if identity.get("applicant") is not None:
        body["applicant"] = identity["applicant"]
    if "guarantor" in identity:
        body.setdefault("security", {}).update(identity["guarantor"])
    if "account_holder_name" in identity:
        body.setdefault("disbursement_account", {})["holder_name"] = (
            identity["account_holder_name"])
    return body
