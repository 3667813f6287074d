"""`loanctl scorecard`: train on a CSV, print honest metrics, write an artifact that
`evaluate` (and the service) can load; bad input is one clear line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lending_underwriting.domain.scorecard import Scorecard
from loanctl.commands.scorecard import app

runner = CliRunner()


def test_synthetic_then_train_then_evaluate(tmp_path: Path):
    data = tmp_path / "portfolio.csv"
    made = runner.invoke(app, ["synthetic", "--rows", "3000", "--seed", "11", "--out",
                               str(data)])
    assert made.exit_code == 0, made.output
    out = tmp_path / "model"
    trained = runner.invoke(app, ["train", "--csv", str(data), "--target", "bad",
                                  "--test-size", "0.3", "--seed", "42", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    metrics = json.loads(trained.stdout)
    steps = trained.stderr.splitlines()
    assert steps[0] == "read 3000 rows, 12 columns" and steps[-1].startswith("wrote ")
    assert "fitting the logistic regression" in trained.stderr
    assert {"holdout_auc", "gini", "ks", "features"} <= set(metrics)
    assert 0.6 < metrics["holdout_auc"] <= 1
    assert abs(metrics["gini"] - (2 * metrics["holdout_auc"] - 1)) < 0.001
    assert all(f["bins"] for f in metrics["features"])
    assert next(g["grade"] for g in metrics["holdout"]["calibration_by_grade"]) == "A"
    artifact = json.loads((out / "scorecard.json").read_text())
    assert Scorecard(artifact).version == metrics["model_version"]
    assert (out / "README.md").read_text().startswith(f"# Scorecard {metrics['model_version']}")
    evaluated = runner.invoke(app, ["evaluate", "--model", str(out), "--csv", str(data),
                                    "--target", "bad"])
    assert evaluated.exit_code == 0, evaluated.output
    again = json.loads(evaluated.stdout)
    assert again["model_version"] == metrics["model_version"]
    assert abs(again["holdout_auc"] - metrics["holdout_auc"]) < 0.05


def test_a_quiet_training_run_prints_the_metrics_alone(tmp_path: Path):
    data = tmp_path / "portfolio.csv"
    assert runner.invoke(app, ["synthetic", "--rows", "1000", "--out", str(data)]
                         ).exit_code == 0
    trained = runner.invoke(app, ["train", "--csv", str(data), "--target", "bad", "--out",
                                  str(tmp_path / "model"), "--quiet"])
    assert trained.exit_code == 0, trained.output
    assert trained.stderr == "" and json.loads(trained.stdout)["holdout_auc"] > 0.5


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path):
    data = tmp_path / "x.csv"
    data.write_text("a,b\n1,2\n")
    missing = runner.invoke(app, ["train", "--csv", str(data), "--target", "bad", "--out",
                                  str(tmp_path / "m")])
    assert missing.exit_code == 2
    assert "no column 'bad'" in missing.output
    nofile = runner.invoke(app, ["evaluate", "--model", str(tmp_path), "--csv",
                                 str(tmp_path / "nope.csv"), "--target", "bad"])
    assert nofile.exit_code == 2 and "no such file" in nofile.output
