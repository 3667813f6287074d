"""Fixtures for underwriting's unit tests (builders live in ``lending_underwriting.testing``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lending_underwriting.adapters.model_store import ModelRegistry
from lending_underwriting.adapters.policy_file import load_policy_book
from lending_underwriting.domain.decision import Decision, DecisionInputs, decide
from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport
from lending_underwriting.domain.policy import PolicyBook
from lending_underwriting.testing import NOW, TODAY, Wired, application, bureau_report, wire


@pytest.fixture(scope="session")
def book() -> PolicyBook:
    return load_policy_book()


@pytest.fixture(scope="session")
def models() -> ModelRegistry:
    return ModelRegistry.from_directory()


@pytest.fixture
def decide_for(book: PolicyBook, models: ModelRegistry) -> Callable[..., Decision]:
    """decide_for(app=..., bureau=..., exposure=...) with good defaults for the rest."""

    def run(app: Application | None = None, bureau: BureauReport | str | None = "default",
            exposure: BorrowerExposure | None = None, policy: PolicyBook | None = None
            ) -> Decision:
        report = bureau_report() if bureau == "default" else bureau
        assert not isinstance(report, str)
        inputs = DecisionInputs(app or application(), report, exposure or BorrowerExposure(),
                                TODAY, NOW, None if report else "bureau down")
        return decide(inputs, policy or book, models.current)

    return run


@pytest.fixture
def wired() -> Wired:
    return wire()
