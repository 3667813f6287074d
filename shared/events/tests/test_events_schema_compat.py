"""compare(old, new): what a consumer that ignores unknown fields can and cannot absorb."""

from __future__ import annotations

import copy
from typing import Any

from lending_events.schema_tools import Kind, compare

OLD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "loan_id": {"type": "string", "title": "Loan Id"},
        "amount": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "bucket": {"$ref": "#/$defs/Bucket"},
        "schedule": {"type": "array", "items": {"$ref": "#/$defs/Installment"}},
        "days_past_due": {"type": "integer", "minimum": 0},
    },
    "required": ["loan_id", "amount", "bucket", "schedule", "days_past_due"],
    "$defs": {
        "Bucket": {"type": "string", "enum": ["current", "dpd_1_30"]},
        "Installment": {
            "type": "object",
            "properties": {"number": {"type": "integer"}, "due_date": {"type": "string",
                                                                       "format": "date"}},
            "required": ["number", "due_date"],
        },
    },
}


def _changed(edit: Any) -> list[tuple[str, Kind]]:
    new = copy.deepcopy(OLD)
    edit(new)
    return [(i.path, i.kind) for i in compare(OLD, new)]


def test_an_identical_schema_is_compatible() -> None:
    assert compare(OLD, copy.deepcopy(OLD)) == []


def test_adding_an_optional_field_is_compatible() -> None:
    assert _changed(lambda s: s["properties"].update(channel={"type": "string"})) == []


def test_changing_titles_and_descriptions_is_compatible() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["loan_id"]["title"] = "Loan"
        s["properties"]["loan_id"]["description"] = "The loan id"
    assert _changed(edit) == []


def test_removing_a_field_is_incompatible() -> None:
    assert _changed(lambda s: s["properties"].pop("note")) == [("note", Kind.FIELD_REMOVED)]


def test_adding_a_required_field_is_incompatible() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["channel"] = {"type": "string"}
        s["required"].append("channel")
    assert _changed(edit) == [("channel", Kind.REQUIRED_FIELD_ADDED)]


def test_making_an_optional_field_required_is_incompatible() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["required"].append("note")
    assert ("note", Kind.BECAME_REQUIRED) in _changed(edit)


def test_making_a_required_field_optional_is_incompatible() -> None:
    assert _changed(lambda s: s["required"].remove("amount")) == [
        ("amount", Kind.BECAME_OPTIONAL)]


def test_changing_a_fields_type_is_incompatible() -> None:
    assert _changed(lambda s: s["properties"].update(amount={"type": "number"})) == [
        ("amount", Kind.TYPE_CHANGED)]


def test_changing_a_format_or_nullability_is_incompatible() -> None:
    assert _changed(lambda s: s["$defs"]["Installment"]["properties"]["due_date"].update(
        format="date-time")) == [("schedule[].due_date", Kind.TYPE_CHANGED)]
    assert _changed(lambda s: s["properties"].update(note={"type": "string"})) == [
        ("note", Kind.TYPE_CHANGED)]


def test_narrowing_an_enum_is_incompatible() -> None:
    assert _changed(lambda s: s["$defs"]["Bucket"].update(enum=["current"])) == [
        ("bucket", Kind.ENUM_NARROWED)]


def test_widening_a_closed_enum_is_incompatible_for_old_readers() -> None:
    assert _changed(lambda s: s["$defs"]["Bucket"]["enum"].append("dpd_31_60")) == [
        ("bucket", Kind.ENUM_WIDENED)]


def test_changing_a_constraint_is_incompatible() -> None:
    assert _changed(lambda s: s["properties"]["days_past_due"].update(minimum=1)) == [
        ("days_past_due", Kind.CONSTRAINT_CHANGED)]


def test_changes_inside_nested_lists_name_the_nested_field() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["$defs"]["Installment"]["properties"].pop("number")
    assert _changed(edit) == [("schedule[].number", Kind.FIELD_REMOVED)]


def test_an_inlined_definition_equals_its_reference() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["bucket"] = {"allOf": [{"$ref": "#/$defs/Bucket"}], "description": "x"}
    assert _changed(edit) == []
