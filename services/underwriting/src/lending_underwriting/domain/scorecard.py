"""Scoring at run time: a WOE-binned logistic scorecard read from its JSON artifact.

Pure Python, no training library. The artifact (written by ``lending_underwriting.training``)
holds, per feature, its bins with their weight of evidence and points; scoring looks up one
bin per feature and adds the points to the base points:

    score = offset - factor * (intercept + sum_j coef_j * woe_j)
    PD    = 1 / (1 + exp((score_exact - offset) / factor))
    factor = PDO / ln 2;  offset = base points - factor * ln(base odds)

Reason codes, in the style of adverse-action notices, name the features that cost the most
points against the best bin of the same feature, strongest first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lending_underwriting.domain.errors import ModelArtifactError

ARTIFACT_FORMAT = "lending-scorecard/1"
MAX_REASONS = 4
MIN_SHORTFALL = 1.0  # points: smaller gaps are not worth naming to an applicant
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})


@dataclass(frozen=True, slots=True)
class Bin:
    label: str
    points: float
    woe: float
    upper: float | None = None  # numeric: value < upper (None = +infinity)
    categories: frozenset[str] = frozenset()
    other: bool = False  # categorical: takes categories not seen in training


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # numeric | categorical
    coefficient: float
    reason_code: str
    bins: tuple[Bin, ...]
    missing: Bin
    best_points: float

    def bin_for(self, value: Any) -> Bin:
        if is_missing(value):
            return self.missing
        if self.kind == "numeric":
            try:
                number = float(value)
            except (TypeError, ValueError):
                return self.missing
            for b in self.bins:
                if b.upper is None or number < b.upper:
                    return b
            return self.bins[-1]
        text = str(value)
        for b in self.bins:
            if text in b.categories:
                return b
        for b in self.bins:
            if b.other:
                return b
        return self.missing


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: Any
    bin: str
    points: float
    shortfall: float  # points below this feature's best bin


@dataclass(frozen=True)
class ScoreResult:
    model_version: str
    score: int
    probability_of_default: Decimal  # 4 decimal places
    contributions: tuple[Contribution, ...]
    reason_codes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version, "score": self.score,
            "probability_of_default": str(self.probability_of_default),
            "reason_codes": list(self.reason_codes),
            "contributions": [
                {"feature": c.feature, "value": _plain(c.value), "bin": c.bin,
                 "points": round(c.points, 2), "shortfall": round(c.shortfall, 2)}
                for c in self.contributions
            ],
        }


class Scorecard:
    def __init__(self, artifact: Mapping[str, Any]) -> None:
        if artifact.get("format") != ARTIFACT_FORMAT:
            raise ModelArtifactError(f"not a {ARTIFACT_FORMAT} artifact")
        try:
            self.version: str = artifact["model_version"]
            scaling = artifact["scaling"]
            self.factor = float(scaling["factor"])
            self.offset = float(scaling["offset"])
            self.base_points = float(artifact["base_points"])
            self.features = tuple(_feature(f) for f in artifact["features"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelArtifactError(f"malformed scorecard artifact: {exc!r}") from exc
        self.artifact = dict(artifact)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def score(self, values: Mapping[str, Any]) -> ScoreResult:
        total = self.base_points
        contributions = []
        for feature in self.features:
            value = values.get(feature.name)
            b = feature.bin_for(value)
            total += b.points
            contributions.append(Contribution(
                feature.name, value, b.label, b.points, max(0.0, feature.best_points - b.points)))
        pd = 1.0 / (1.0 + math.exp(min(700.0, (total - self.offset) / self.factor)))
        ranked = sorted(contributions, key=lambda c: (-c.shortfall, c.feature))
        reasons: list[str] = []
        by_name = {f.name: f for f in self.features}
        for c in ranked:
            code = by_name[c.feature].reason_code
            if c.shortfall >= MIN_SHORTFALL and code not in reasons:
                reasons.append(code)
            if len(reasons) == MAX_REASONS:
                break
        return ScoreResult(self.version, round(total), Decimal(f"{pd:.4f}"),
                           tuple(contributions), tuple(reasons))


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_TOKENS


def _bin(data: Mapping[str, Any]) -> Bin:
    upper = data.get("upper")
    return Bin(
        label=str(data["label"]), points=float(data["points_exact"]), woe=float(data["woe"]),
        upper=None if upper is None else float(upper),
        categories=frozenset(str(c) for c in data.get("categories", ())),
        other=bool(data.get("other", False)),
    )


def _feature(data: Mapping[str, Any]) -> Feature:
    bins = tuple(_bin(b) for b in data["bins"])
    missing = _bin(data["missing"])
    if not bins:
        raise ValueError(f"feature {data['name']} has no bins")
    best = max([b.points for b in bins] + [missing.points])
    return Feature(str(data["name"]), str(data["kind"]), float(data["coefficient"]),
                   str(data["reason_code"]), bins, missing, best)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
