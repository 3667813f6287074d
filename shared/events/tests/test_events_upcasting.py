"""The upcasting mechanism, driven by a test-only event at version 2.

Version 1 of LoanNicknamed carried ``name``; version 2 renamed it ``nickname`` and added
a required ``language``. Real events are all at version 1 today.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from lending_events import (
    Envelope,
    MissingUpcasterError,
    UnsupportedSchemaVersionError,
    parse_event,
    upcaster,
)
from lending_events.base import LoanEvent
from lending_events.upcasting import Upcaster


class LoanNicknamed(LoanEvent):
    producer: ClassVar[str] = "servicing"
    schema_version: ClassVar[int] = 2

    nickname: str
    language: str


TYPES = {"LoanNicknamed": LoanNicknamed}
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


@upcaster("LoanNicknamed", 1, UPCASTERS)
def rename_name_to_nickname(data: dict[str, Any]) -> dict[str, Any]:
    data["nickname"] = data.pop("name")
    data.setdefault("language", "en")
    return data


def _envelope(version: int, data: dict[str, Any]) -> Envelope:
    return Envelope(source="/lending/test", type="LoanNicknamed", subject="app-1",
                    schemaversion=version, data={"loan_id": "app-1", **data})


def test_an_old_version_is_upcast_to_the_current_model() -> None:
    event = parse_event(_envelope(1, {"name": "bakery van"}), types=TYPES, upcasters=UPCASTERS)
    assert event == LoanNicknamed(loan_id="app-1", nickname="bakery van", language="en")


def test_the_current_version_is_parsed_without_upcasting() -> None:
    event = parse_event(_envelope(2, {"nickname": "van", "language": "de"}), types=TYPES,
                        upcasters=UPCASTERS)
    assert event == LoanNicknamed(loan_id="app-1", nickname="van", language="de")


def test_a_missing_upcaster_is_reported_with_the_version_it_lacks() -> None:
    with pytest.raises(MissingUpcasterError, match="LoanNicknamed from version 1"):
        parse_event(_envelope(1, {"name": "van"}), types=TYPES, upcasters={})


def test_a_version_newer_than_the_model_is_refused() -> None:
    with pytest.raises(UnsupportedSchemaVersionError, match="v3 is newer than the supported v2"):
        parse_event(_envelope(3, {}), types=TYPES, upcasters=UPCASTERS)


def test_an_upcaster_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="already exists"):
        upcaster("LoanNicknamed", 1, UPCASTERS)(rename_name_to_nickname)
