"""Scorecard artifacts on disk: the current model, and every packaged version by name so a
stored decision can be re-run with the model that made it."""

from __future__ import annotations

import json
from pathlib import Path

from lending_underwriting.domain.errors import ModelArtifactError
from lending_underwriting.domain.scorecard import Scorecard

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL_DIR = MODELS_DIR / "default"


def load_scorecard(directory: Path) -> Scorecard:
    path = directory / "scorecard.json" if directory.is_dir() else directory
    try:
        return Scorecard(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelArtifactError(f"cannot read scorecard {path}: {exc}") from exc


class ModelRegistry:
    """The current scorecard plus the packaged ones, by ``model_version``."""

    def __init__(self, current: Scorecard, others: list[Scorecard] | None = None) -> None:
        self.current = current
        self._by_version = {m.version: m for m in [*(others or []), current]}

    @classmethod
    def from_directory(cls, current: Path | None = None,
                       packaged: Path = MODELS_DIR) -> ModelRegistry:
        models = [load_scorecard(p.parent) for p in sorted(packaged.glob("*/scorecard.json"))]
        chosen = load_scorecard(current or DEFAULT_MODEL_DIR)
        return cls(chosen, models)

    def get(self, version: str) -> Scorecard:
        model = self._by_version.get(version)
        if model is None:
            raise ModelArtifactError(f"model version {version} is not available")
        return model
