"""Loan classification as data: China's five categories and the IFRS 9 stage, from days
past due and restructure history (rules in classification.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lending_collections.domain.errors import StrategyFileError

CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")


@dataclass(frozen=True)
class Classification:
    asset_class: str
    ifrs9_stage: int


@dataclass(frozen=True)
class ClassificationRules:
    version: str
    class_from_dpd: tuple[tuple[int, str], ...]  # (min DPD, class), highest first
    stage_from_dpd: tuple[tuple[int, int], ...]  # (min DPD, stage), highest first
    restructured_class: str  # the floor while a loan has been restructured
    restructured_stage: int

    def classify(self, days_past_due: int, restructured: bool = False,
                 written_off: bool = False) -> Classification:
        if written_off:
            return Classification("loss", 3)
        asset = next(c for d, c in self.class_from_dpd if days_past_due >= d)
        stage = next(s for d, s in self.stage_from_dpd if days_past_due >= d)
        if restructured:
            asset = max(asset, self.restructured_class, key=CLASSES.index)
            stage = max(stage, self.restructured_stage)
        return Classification(asset, stage)


def rules_from_dict(raw: Mapping[str, Any]) -> ClassificationRules:
    try:
        classes = sorted(((int(r["from_dpd"]), str(r["class"])) for r in raw["class"]),
                         reverse=True)
        stages = sorted(((int(r["from_dpd"]), int(r["stage"])) for r in raw["stage"]),
                        reverse=True)
        restructured = raw["restructured"]
        rules = ClassificationRules(str(raw["version"]), tuple(classes), tuple(stages),
                                    str(restructured["class"]), int(restructured["stage"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise StrategyFileError(f"classification: missing or malformed {exc}") from exc
    unknown = ({c for _, c in classes} | {rules.restructured_class}) - set(CLASSES)
    if unknown:
        raise StrategyFileError(f"classification: unknown classes {sorted(unknown)}")
    if classes[-1][0] != 0 or stages[-1][0] != 0:
        raise StrategyFileError("classification: the lowest rule must start at 0 DPD")
    return rules
