"""The scorecard at run time (points, PD, reason codes, missing values) and training."""

from __future__ import annotations

import csv
import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from lending_underwriting.adapters.model_store import DEFAULT_MODEL_DIR
from lending_underwriting.domain.errors import ModelArtifactError
from lending_underwriting.domain.scorecard import Scorecard
from lending_underwriting.training.metrics import auc, ks
from lending_underwriting.training.synthetic import generate, write_csv
from lending_underwriting.training.trainer import train

GOOD = {"age_years": 45, "history_months": 200, "delinquencies_24m": 0, "inquiries_6m": 0,
        "defaults": 0, "debt_to_income": 0.1, "loan_to_income": 0.1, "purpose": "inventory",
        "worst_dpd_on_book": 0}


def test_the_score_is_base_points_plus_each_features_bin_points(models):
    card = models.current
    result = card.score(GOOD)
    assert result.score == round(card.base_points + sum(c.points for c in result.contributions))
    worse = card.score({**GOOD, "delinquencies_24m": 3, "inquiries_6m": 5})
    assert worse.score < result.score
    assert worse.probability_of_default > result.probability_of_default


def test_twenty_points_double_the_odds(models):
    card = models.current
    a = card.score(GOOD)
    b = card.score({**GOOD, "inquiries_6m": 5})
    odds = [(1 - float(r.probability_of_default)) / float(r.probability_of_default)
            for r in (a, b)]
    exact_gap = sum(c.points for c in a.contributions) - sum(c.points for c in b.contributions)
    assert odds[0] / odds[1] == pytest.approx(2 ** (exact_gap / 20), rel=0.02)


def test_reason_codes_name_the_biggest_point_losses_first(models):
    result = models.current.score({**GOOD, "inquiries_6m": 6, "history_months": 10})
    losses = sorted(result.contributions, key=lambda c: -c.shortfall)
    assert result.reason_codes[0] == {
        "inquiries_6m": "many_recent_inquiries",
        "history_months": "short_credit_history"}[losses[0].feature]
    assert set(result.reason_codes[:2]) == {"many_recent_inquiries", "short_credit_history"}


def test_missing_and_unseen_values_fall_into_their_bins(models):
    result = models.current.score({**GOOD, "history_months": None, "purpose": "yachting"})
    bins = {c.feature: c.bin for c in result.contributions}
    assert bins["history_months"] == "missing" and bins["purpose"] == "(other)"


def test_a_malformed_artifact_is_refused():
    with pytest.raises(ModelArtifactError):
        Scorecard({"format": "something-else"})
    artifact = json.loads((DEFAULT_MODEL_DIR / "scorecard.json").read_text())
    del artifact["features"][0]["bins"]
    with pytest.raises(ModelArtifactError):
        Scorecard(artifact)


def test_metrics_match_their_definitions():
    assert auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert auc([0.5, 0.5], [1, 0]) == 0.5
    assert ks([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0


def test_training_on_the_synthetic_portfolio_learns_and_is_deterministic(tmp_path: Path):
    data = tmp_path / "portfolio.csv"
    write_csv(data, generate(4000, seed=3))
    first, report = train(data, "bad", seed=1)
    again, _ = train(data, "bad", seed=1)
    assert first["model_version"] == again["model_version"]
    assert 0.7 < report["holdout_auc"] < 0.9 and report["ks"] > 0.3
    history = next(f for f in first["features"] if f["name"] == "history_months")
    rates = [b["bad_rate"] for b in history["bins"]]
    assert rates == sorted(rates, reverse=True)  # monotonic: longer history, fewer bads


def test_training_reads_any_csv_with_categorical_values_and_a_text_target(tmp_path: Path):
    rows = generate(3000, seed=5)
    data = tmp_path / "loans.csv"
    with data.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "region", "dti", "status"])
        for i, r in enumerate(rows):
            writer.writerow([f"c{i}", r["purpose"], r["debt_to_income"] or "",
                             "charged_off" if r["bad"] else "paid"])
    artifact, report = train(data, "status", bad_value="charged_off")
    names = {f["name"] for f in artifact["features"]}
    assert "dti" in names and "customer_id" not in names
    skipped = {s["name"]: s["why"] for s in report["feature_selection"] if not s["kept"]}
    assert skipped["customer_id"] == "constant or id-like"
    assert D(str(report["holdout_auc"])) > D("0.6")


def test_the_shipped_model_reports_honest_holdout_quality():
    metrics = json.loads((DEFAULT_MODEL_DIR / "metrics.json").read_text())
    assert metrics["model_version"] == json.loads(
        (DEFAULT_MODEL_DIR / "scorecard.json").read_text())["model_version"]
    assert metrics["holdout_auc"] > 0.75 and metrics["ks"] > 0.35
    grades = metrics["holdout"]["calibration_by_grade"]
    observed = [g["observed_bad_rate"] for g in grades]
    assert observed == sorted(observed)  # grades rank risk
