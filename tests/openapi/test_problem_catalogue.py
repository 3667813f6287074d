"""A problem's ``type`` leads a person to its explanation: every code the services and
simulators can answer with has a section in the catalogue (problems.toml, rendered as
docs/problems.md), and ``/problems/<code>``, resolved against the URL that answered, serves
that section on every service and simulator."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from fastapi import FastAPI

from lending_platform.openapi_tools import PROBLEMS_DOC, SERVICES
from lending_platform.problem_catalogue import catalogue, render_markdown

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted(ROOT.glob("services/*/src")), ROOT / "shared/platform/src",
           ROOT / "shared/simulators/src"]
EMITTERS = {"ProblemError", "problem_response", "problem"}  # problem: the simulators'


def _code_of_status(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-")


def _offer_reasons() -> set[str]:
    """OfferUnavailableError(reason, ...) becomes ``offer-<reason>`` (intake's errors.py)."""
    source = ROOT / "services/intake/src/lending_intake/domain/application.py"
    return {f"offer-{node.args[0].value}".replace("_", "-")
            for node in ast.walk(ast.parse(source.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") ==
            "OfferUnavailableError" and isinstance(node.args[0], ast.Constant)}


def _underwriting_codes() -> set[str]:
    app = importlib.import_module("lending_underwriting.entrypoints.app")
    return {code for _, code in (*app.PROBLEMS.values(), app.FALLBACK_PROBLEM)}


# Call sites whose code is computed, with every code each can produce. A new computed site
# fails the test until its codes are listed here.
COMPUTED = {
    # ProblemError's own code (each ProblemError(...) call is collected where it is raised).
    ("lending_platform/problems.py", "exc.code"): lambda: set(),
    # Starlette's and FastAPI's own HTTP errors: an unparseable body, an unknown path, a
    # wrong method, a body past the limit.
    ("lending_platform/problems.py", "code"): lambda: {_code_of_status(s)
                                                       for s in (400, 404, 405, 413)},
    ("lending_intake/entrypoints/errors.py", "f'offer-{exc.reason}'.replace('_', '-')"):
        _offer_reasons,
    ("lending_underwriting/entrypoints/app.py", "code"): _underwriting_codes,
}


def _emitted() -> Iterator[tuple[str, str]]:
    """(where, code) for every problem code the source can send."""
    for root in SOURCES:
        for file in sorted(root.rglob("*.py")):
            rel = str(file.relative_to(root))
            for node in ast.walk(ast.parse(file.read_text())):
                if not (isinstance(node, ast.Call) and (
                        getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                ) in EMITTERS):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                if code is None and name == "problem" and len(node.args) > 1:
                    code = node.args[1]
                where = f"{rel}:{node.lineno}"
                if code is None:  # ProblemError(status, ...): the status's own code
                    status = node.args[0] if node.args else None
                    assert isinstance(status, ast.Constant), f"{where}: status not literal"
                    yield where, _code_of_status(status.value)
                elif isinstance(code, ast.Constant):
                    yield where, code.value
                else:
                    key = (rel, ast.unparse(code))
                    assert key in COMPUTED, f"{where}: a computed problem code {key[1]!r}; " \
                        "list what it can be in COMPUTED"
                    yield from ((where, c) for c in COMPUTED[key]())


EMITTED = sorted(set(_emitted()))


def test_the_source_is_read_for_every_kind_of_loan_problem() -> None:
    codes = {code for _, code in EMITTED}
    assert {"validation-error", "internal-error", "database-unavailable", "not-found",
            "unauthorized", "offer-expired", "loan-not-active", "referral-not-found",
            "case-closed", "account_closed", "method-not-allowed"} <= codes


def test_every_problem_a_loan_service_can_send_has_a_catalogue_section() -> None:
    missing = sorted({f"{code} ({where})" for where, code in EMITTED
                      if code not in catalogue()})
    assert missing == []


def test_the_catalogue_explains_no_problem_nothing_sends() -> None:
    assert set(catalogue()) - {code for _, code in EMITTED} == set()


def test_every_catalogue_entry_says_when_it_happens_and_what_to_do() -> None:
    for kind in catalogue().values():
        assert kind.title and kind.status and kind.when and kind.action, kind.code
        assert all(400 <= s < 600 for s in kind.status), kind.code


def test_the_committed_problem_page_is_the_catalogue_with_a_section_per_code() -> None:
    text = PROBLEMS_DOC.read_text()
    assert text == render_markdown(), "docs/problems.md is out of date; run make openapi"
    headings = re.findall(r"^## (\S+)$", text, flags=re.MULTILINE)
    assert headings == list(catalogue())


def _service(name: str) -> FastAPI:
    config = importlib.import_module(f"lending_{name}.config")
    entry = importlib.import_module(f"lending_{name}.entrypoints.app")
    app: FastAPI = entry.create_app(config.Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none", environment="development"))
    return app


def _client(app: FastAPI, base_url: str = "http://test") -> httpx.AsyncClient:
    # No lifespan: the pages need neither the database nor the broker.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.mark.parametrize("name", SERVICES)
async def test_a_loan_service_problem_type_resolves_to_its_explanation(name: str) -> None:
    async with _client(_service(name), "https://partners.lending.example.com") as client:
        answer = await client.get("/v1/no-such-loan-endpoint")
        assert answer.status_code == 404
        resolved = urljoin(str(answer.url), answer.json()["type"])
        # On the host the partner called (the ingress routes /problems as it routes /v1).
        assert resolved == "https://partners.lending.example.com/problems/not-found"
        page = await client.get(resolved)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="not-found"' in page.text and "What to do" in page.text


async def test_every_code_has_its_page_and_the_index_links_them_all() -> None:
    async with _client(_service("servicing")) as client:
        index = (await client.get("/problems")).text
        for code in catalogue():
            assert f'href="/problems/{code}"' in index
            page = await client.get(f"/problems/{code}")
            assert page.status_code == 200 and f'id="{code}"' in page.text, code
        unknown = await client.get("/problems/no-such-problem")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_a_simulated_payout_refusal_resolves_on_the_simulator() -> None:
    payout = importlib.import_module("lending_simulators.payout_provider")
    async with _client(payout.create_app()) as client:
        refused = await client.post(
            "/v1/payouts", headers={"Idempotency-Key": "disb-1"},
            json={"amount": "5940.00", "currency": "CNY", "account_ref": "closed-acct-1",
                  "method": "bank_transfer", "reference": "disb-1"})
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["code"] == "account_closed" and body["type"] == "/problems/account_closed"
        page = await client.get(urljoin(str(refused.url), body["type"]))
    assert page.status_code == 200 and 'id="account_closed"' in page.text
