"""Reads the strategy book and the classification rules from their TOML files."""

from __future__ import annotations

import tomllib
from pathlib import Path

from lending_collections.domain.classification import ClassificationRules, rules_from_dict
from lending_collections.domain.early_warning import EarlyWarningRules
from lending_collections.domain.early_warning import rules_from_dict as warnings_from_dict
from lending_collections.domain.errors import StrategyFileError
from lending_collections.domain.recovery import RecoveryPolicy, policy_from_dict
from lending_collections.domain.strategy import StrategyBook, book_from_dict


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StrategyFileError(f"{path}: {exc}") from exc


def load_strategies(path: Path) -> StrategyBook:
    return book_from_dict(_read(path))


def load_classification(path: Path) -> ClassificationRules:
    return rules_from_dict(_read(path))


def load_recovery(path: Path) -> RecoveryPolicy:
    return policy_from_dict(_read(path))


def load_early_warning(path: Path) -> EarlyWarningRules:
    return warnings_from_dict(_read(path))
