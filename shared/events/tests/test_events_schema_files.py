"""The committed schemas are the compatibility baseline: this is what fails `make test` when a
model changes without its schema, or changes incompatibly without a new version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lending_events.registry import EVENT_TYPES
from lending_events.schema_tools.cli import DEFAULT_ROOT, check, generate, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def copy_of_committed(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copy(ROOT / "asyncapi.yaml", tmp_path / "asyncapi.yaml")
    return tmp_path


def _edit_committed(root: Path, name: str, edit: object) -> None:
    path = root / "schemas" / f"{name}.json"
    schema = json.loads(path.read_text())
    edit(schema)  # type: ignore[operator]
    path.write_text(json.dumps(schema, indent=2) + "\n")


def test_the_tools_find_the_committed_files_in_the_source_tree() -> None:
    assert DEFAULT_ROOT == ROOT


def test_the_committed_schemas_and_asyncapi_match_the_models() -> None:
    assert check(ROOT) == []


def test_every_event_has_a_committed_schema_for_its_current_version() -> None:
    for event_type, cls in EVENT_TYPES.items():
        assert (ROOT / "schemas" / f"{event_type}.v{cls.schema_version}.json").exists()


def test_a_required_field_added_to_a_model_fails_the_check(copy_of_committed: Path) -> None:
    _edit_committed(copy_of_committed, "LoanClosed.v1", lambda s: s["properties"].pop("reason"))
    _edit_committed(copy_of_committed, "LoanClosed.v1", lambda s: s["required"].remove("reason"))
    [problem] = check(copy_of_committed)
    assert problem.startswith("LoanClosed.v1: incompatible change at reason: required field added")


def test_a_field_dropped_from_a_model_fails_the_check_naming_event_and_field(
    copy_of_committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The committed schema has a field the model no longer generates: a removal.
    def add_field(schema: dict) -> None:
        schema["properties"]["grace_days_used"] = {"type": "integer"}
        schema["required"].append("grace_days_used")
    _edit_committed(copy_of_committed, "PaymentMissed.v1", add_field)
    assert main(["check", "--root", str(copy_of_committed)]) == 1
    err = capsys.readouterr().err
    assert "PaymentMissed.v1: incompatible change at grace_days_used: field removed" in err


def test_a_retyped_field_fails_the_check(copy_of_committed: Path) -> None:
    _edit_committed(copy_of_committed, "LoanApproved.v1",
                    lambda s: s["$defs"]["Installment"]["properties"]["number"].update(
                        type="string"))
    [problem] = check(copy_of_committed)
    assert problem.startswith("LoanApproved.v1: incompatible change at "
                              "terms.schedule[].number: type changed")


def test_a_compatible_model_change_only_asks_to_regenerate(copy_of_committed: Path) -> None:
    # The model gained an optional field the committed schema does not have yet.
    _edit_committed(copy_of_committed, "PaymentReceived.v1",
                    lambda s: s["properties"].pop("payoff_quote_id"))
    assert check(copy_of_committed) == [
        "PaymentReceived.v1: committed schema is out of date (compatible change); run generate"]
    assert generate(copy_of_committed) == []
    assert check(copy_of_committed) == []


def test_generate_refuses_to_overwrite_a_schema_with_an_incompatible_one(
    copy_of_committed: Path,
) -> None:
    _edit_committed(copy_of_committed, "Disbursed.v1",
                    lambda s: s["properties"].update(batch_id={"type": "string"}))
    _edit_committed(copy_of_committed, "Disbursed.v1", lambda s: s["required"].append("batch_id"))
    refused = generate(copy_of_committed)
    assert refused == ["Disbursed.v1: not rewritten, incompatible change at batch_id: "
                       "field removed (consumers still read it)"]
    assert check(copy_of_committed) != []
    assert generate(copy_of_committed, force=True) == []
    assert check(copy_of_committed) == []


def test_a_schema_for_an_event_type_that_no_longer_exists_fails_the_check(
    copy_of_committed: Path,
) -> None:
    shutil.copy(copy_of_committed / "schemas" / "LoanClosed.v1.json",
                copy_of_committed / "schemas" / "LoanTeleported.v1.json")
    assert check(copy_of_committed) == [
        "LoanTeleported: schema committed but the event type is gone; "
        "consumers may still receive it"]


def test_a_stale_asyncapi_document_fails_the_check(copy_of_committed: Path) -> None:
    (copy_of_committed / "asyncapi.yaml").write_text("asyncapi: 3.0.0\n")
    assert check(copy_of_committed) == ["asyncapi.yaml: out of date; run generate"]


def test_the_event_catalogue_documents_every_event() -> None:
    catalogue = (ROOT.parents[1] / "docs" / "events.md").read_text()
    missing = [t for t in EVENT_TYPES if f"| {t} |" not in catalogue]
    assert missing == []
