"""Trains a WOE logistic scorecard on any tabular CSV and writes a readable artifact.

    artifact, report = train(Path("portfolio.csv"), target="bad")
    write_artifact(Path("out"), artifact, report)

Steps: read and type the columns (numeric when every present value parses as a number,
categorical otherwise; columns with one value or an id-like spread are skipped); split
train/holdout with a seed; bin each column and compute WOE and information value on the
training rows; keep columns with IV >= 0.02; fit a logistic regression on the WOE values
(Newton-Raphson, light L2), dropping any column whose coefficient has the wrong sign and
refitting; scale to points (base points at base odds, points to double the odds); measure
the holdout with the run-time scorer itself, so the metrics are those of the shipped file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lending_underwriting.domain.scorecard import ARTIFACT_FORMAT, Scorecard, is_missing
from lending_underwriting.training.binning import (
    FeatureBins,
    apply_woe,
    categorical_bins,
    numeric_bins,
)
from lending_underwriting.training.metrics import summary

MIN_IV = 0.02
L2 = 1e-3
REASON_CODES = {
    "history_months": "short_credit_history", "delinquencies_24m": "recent_delinquencies",
    "inquiries_6m": "many_recent_inquiries", "defaults": "previous_defaults",
    "open_accounts": "many_open_accounts", "debt_to_income": "high_debt_burden",
    "loan_to_income": "high_loan_to_income", "age_years": "applicant_age_profile",
    "channel": "application_channel", "purpose": "loan_purpose",
    "applicant_type": "applicant_type_profile", "worst_dpd_on_book": "payment_history_with_us",
}


class TrainingError(ValueError):
    """The data cannot train a scorecard (no target column, one class only, no features)."""


@dataclass(frozen=True)
class Scaling:
    base_points: float = 600.0
    base_odds: float = 50.0  # good:bad odds at the base points
    points_to_double_odds: float = 20.0

    @property
    def factor(self) -> float:
        return self.points_to_double_odds / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str | None]]
    bads: list[int]


def read_table(path: Path, target: str, bad_value: str = "1") -> Table:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or target not in reader.fieldnames:
            raise TrainingError(f"{path}: no column {target!r}")
        columns = [c for c in reader.fieldnames if c != target]
        rows: list[dict[str, str | None]] = []
        bads: list[int] = []
        for record in reader:
            label = record.get(target)
            if label is None or is_missing(label):
                continue
            bads.append(1 if label.strip() == bad_value else 0)
            rows.append({c: None if is_missing(record.get(c)) else str(record[c]).strip()
                         for c in columns})
    if not rows:
        raise TrainingError(f"{path}: no rows with a {target!r} value")
    return Table(columns, rows, bads)


def column_kind(values: Sequence[str | None]) -> str | None:
    present = [v for v in values if v is not None]
    distinct = set(present)
    if len(distinct) < 2:
        return None
    try:
        for v in distinct:
            float(v)
    except ValueError:
        # id-like: almost every row its own category tells nothing generalisable
        return "categorical" if len(distinct) <= max(50, len(present) // 20) else None
    return "numeric"


def split(n: int, test_size: float, seed: int) -> tuple[list[int], list[int]]:
    if not 0 < test_size < 1:
        raise TrainingError("test size must be between 0 and 1")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = round(n * (1 - test_size))
    return sorted(order[:cut]), sorted(order[cut:])


def fit_logistic(x: Any, y: Any, l2: float = L2) -> Any:
    """Newton-Raphson on the penalised log-likelihood; column 0 is the (unpenalised)
    intercept. Returns the coefficient vector."""
    import numpy as np

    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2 * x.shape[0])
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = p * (1 - p)
        gradient = x.T @ (y - p) - penalty * beta
        hessian = (x.T * w) @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    return beta


def train(path: Path, target: str, *, bad_value: str = "1", test_size: float = 0.3,
          seed: int = 42, grades: Sequence[tuple[str, Decimal]] = (),
          scaling: Scaling | None = None, version: str | None = None,
          progress: Callable[[str], None] | None = None,
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``progress`` hears each step (a large CSV takes minutes)."""
    import numpy as np

    say = progress or (lambda _: None)
    scaling = scaling or Scaling()
    table = read_table(path, target, bad_value)
    say(f"read {len(table.rows)} rows, {len(table.columns)} columns")
    train_idx, test_idx = split(len(table.rows), test_size, seed)
    y = [table.bads[i] for i in train_idx]
    goods, bads = len(y) - sum(y), sum(y)
    if goods == 0 or bads == 0 or not test_idx:
        raise TrainingError("the training rows need both goods and bads, and a holdout")
    selection: list[dict[str, Any]] = []
    candidates: list[FeatureBins] = []
    for k, column in enumerate(table.columns, start=1):
        say(f"[{k}/{len(table.columns)}] binning {column}")
        values = [table.rows[i][column] for i in train_idx]
        kind = column_kind(values)
        if kind is None:
            selection.append({"name": column, "kept": False, "why": "constant or id-like"})
            continue
        if kind == "numeric":
            bins, missing = numeric_bins([None if v is None else float(v) for v in values], y)
        else:
            bins, missing = categorical_bins(values, y)
        feature = FeatureBins(column, kind, bins, missing)
        apply_woe(feature, goods, bads)
        if feature.iv < MIN_IV:
            selection.append({"name": column, "kind": kind, "iv": round(feature.iv, 4),
                              "kept": False, "why": f"information value below {MIN_IV}"})
            continue
        candidates.append(feature)
    while True:
        if not candidates:
            raise TrainingError("no column predicts the target (all IV below the minimum)")
        say(f"fitting the logistic regression on {len(candidates)} features")
        x = np.array([[1.0] + [f.woe_of(table.rows[i][f.name]) for f in candidates]
                      for i in train_idx])
        beta = fit_logistic(x, np.array(y, dtype=float))
        wrong = [f for f, b in zip(candidates, beta[1:], strict=True) if b >= 0]
        if not wrong:
            break
        for f in wrong:  # with WOE = ln(good/bad), a safer bin must never add risk
            selection.append({"name": f.name, "kind": f.kind, "iv": round(f.iv, 4),
                              "kept": False, "why": "coefficient of the wrong sign"})
        candidates = [f for f in candidates if f not in wrong]
    for f in candidates:
        selection.append({"name": f.name, "kind": f.kind, "iv": round(f.iv, 4), "kept": True})
    artifact = _artifact(candidates, beta, scaling, table, target, bad_value, seed, test_size,
                         len(train_idx), selection, version)
    scorecard = Scorecard(artifact)
    say(f"scoring {len(train_idx)} training and {len(test_idx)} holdout rows")
    report = {
        "model_version": artifact["model_version"],
        "train": evaluate_rows(scorecard, [table.rows[i] for i in train_idx], y, grades),
        "holdout": evaluate_rows(scorecard, [table.rows[i] for i in test_idx],
                                 [table.bads[i] for i in test_idx], grades),
        "features": [_feature_report(f) for f in artifact["features"]],
        "feature_selection": selection,
    }
    holdout = report["holdout"]
    report = {"model_version": report["model_version"], "holdout_auc": holdout["auc"],
              "gini": holdout["gini"], "ks": holdout["ks"], **report}
    return artifact, report


def _artifact(features: list[FeatureBins], beta: Any, scaling: Scaling, table: Table,
              target: str, bad_value: str, seed: int, test_size: float, train_rows: int,
              selection: list[dict[str, Any]], version: str | None) -> dict[str, Any]:
    factor = scaling.factor
    intercept = float(beta[0])
    body: dict[str, Any] = {
        "format": ARTIFACT_FORMAT,
        "model_version": "",
        "method": "WOE-binned logistic regression, points scaling",
        "target": {"column": target, "bad_value": bad_value},
        "training": {"rows": train_rows, "holdout_share": test_size, "seed": seed,
                     "l2": L2, "min_information_value": MIN_IV},
        "scaling": {"base_points": scaling.base_points, "base_odds": scaling.base_odds,
                    "points_to_double_odds": scaling.points_to_double_odds,
                    "factor": round(factor, 10), "offset": round(scaling.offset, 10)},
        "intercept": round(intercept, 10),
        "base_points": round(scaling.offset - factor * intercept, 6),
        "features": [],
    }
    for f, coefficient in zip(features, beta[1:], strict=True):
        c = float(coefficient)
        body["features"].append({
            "name": f.name, "kind": f.kind, "coefficient": round(c, 10),
            "information_value": round(f.iv, 6),
            "reason_code": REASON_CODES.get(f.name, _code(f.name)),
            "bins": [b.to_dict(points=-factor * c * b.woe) for b in f.bins],
            "missing": f.missing.to_dict(points=-factor * c * f.missing.woe),
        })
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    body["model_version"] = version or f"scorecard-{digest}"
    return body


def _code(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_") or "x"
    if not cleaned[0].isalpha():
        cleaned = "f_" + cleaned
    return f"{cleaned[:48]}_unfavourable"


def _feature_report(f: dict[str, Any]) -> dict[str, Any]:
    return {"name": f["name"], "kind": f["kind"], "iv": round(f["information_value"], 4),
            "coefficient": round(f["coefficient"], 4), "reason_code": f["reason_code"],
            "bins": [{k: b[k] for k in ("label", "count", "bad_rate", "woe", "points")}
                     for b in [*f["bins"], f["missing"]]]}


def evaluate_rows(scorecard: Scorecard, rows: Sequence[dict[str, Any]], bads: Sequence[int],
                  grades: Sequence[tuple[str, Decimal]] = ()) -> dict[str, Any]:
    pds = [float(scorecard.score(r).probability_of_default) for r in rows]
    return summary(pds, list(bads), grades or None)


def evaluate(artifact: dict[str, Any], path: Path, target: str, bad_value: str = "1",
             grades: Sequence[tuple[str, Decimal]] = ()) -> dict[str, Any]:
    scorecard = Scorecard(artifact)
    table = read_table(path, target, bad_value)
    result = evaluate_rows(scorecard, table.rows, table.bads, grades)
    return {"model_version": scorecard.version, "holdout_auc": result["auc"],
            "gini": result["gini"], "ks": result["ks"], "evaluation": result,
            "features": [_feature_report(f) for f in artifact["features"]]}


def write_artifact(out: Path, artifact: dict[str, Any], report: dict[str, Any]) -> None:
    """``scorecard.json`` (what the service loads), ``metrics.json`` and a Markdown summary."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "scorecard.json").write_text(json.dumps(artifact, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "README.md").write_text(markdown(artifact, report))


def markdown(artifact: dict[str, Any], report: dict[str, Any]) -> str:
    s = artifact["scaling"]
    lines = [
        f"# Scorecard {artifact['model_version']}", "",
        f"{artifact['method']}. Target `{artifact['target']['column']}` "
        f"(bad = `{artifact['target']['bad_value']}`). {s['base_points']:g} points at "
        f"{s['base_odds']:g}:1 good:bad odds, {s['points_to_double_odds']:g} points to double "
        f"the odds; base points {artifact['base_points']:.1f}.", "",
        f"Holdout: AUC {report['holdout_auc']}, Gini {report['gini']}, KS {report['ks']}.", "",
    ]
    for f in artifact["features"]:
        lines += [f"## {f['name']} ({f['kind']}, IV {f['information_value']:.3f}, reason "
                  f"`{f['reason_code']}`)", "", "| bin | count | bad rate | WOE | points |",
                  "|---|---:|---:|---:|---:|"]
        for b in [*f["bins"], f["missing"]]:
            lines.append(f"| {b['label']} | {b['count']} | {b['bad_rate']:.4f} | "
                         f"{b['woe']:.3f} | {b['points']} |")
        lines.append("")
    return "\n".join(lines)
