"""Reads the policy book from ``policy.toml`` (packaged beside the service, or a path)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from lending_underwriting.domain.policy import PolicyBook, parse_policy_book

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "policy.toml"


def load_policy_book(path: Path | None = None) -> PolicyBook:
    with (path or DEFAULT_POLICY).open("rb") as f:
        return parse_policy_book(tomllib.load(f))
