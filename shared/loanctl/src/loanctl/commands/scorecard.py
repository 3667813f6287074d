"""`loanctl scorecard train|evaluate|synthetic`: WOE logistic scorecards from any CSV.

    loanctl scorecard train --csv FILE --target COLUMN [--bad-value VALUE] [--test-size 0.3]
                            [--seed 42] --out DIR
    loanctl scorecard evaluate --model DIR --csv FILE --target COLUMN [--bad-value VALUE]
    loanctl scorecard synthetic --rows 30000 --seed 7 --out FILE

Both print JSON metrics (holdout_auc, gini, ks, the calibration table by the policy's risk
grades and the bins per feature). Training lives in the underwriting package and needs its
``train`` extra (numpy); the service itself scores with the JSON artifact alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Train and evaluate credit scorecards.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _grades() -> Any:
    from lending_underwriting.adapters.policy_file import load_policy_book

    return load_policy_book().grades


@app.command()
def train(
    csv: Annotated[Path, typer.Option("--csv", help="Training data, one row per loan")],
    target: Annotated[str, typer.Option(help="The column that says whether a loan went bad")],
    out: Annotated[Path, typer.Option(help="Directory for scorecard.json, metrics.json")],
    bad_value: Annotated[str, typer.Option(help="The target value meaning bad")] = "1",
    test_size: Annotated[float, typer.Option(help="Share held out for the metrics")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the train/holdout split")] = 42,
    version: Annotated[str | None, typer.Option(help="Model version (default: content hash)")
                       ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr")
                     ] = False,
) -> None:
    """Trains on CSV, prints holdout metrics as JSON and writes a versioned artifact.

    Says each step on stderr as it goes (stdout is the JSON alone); --quiet: nothing."""
    from lending_underwriting.training.trainer import TrainingError, write_artifact
    from lending_underwriting.training.trainer import train as run

    if not csv.is_file():
        raise _fail(f"--csv: no such file {csv}")
    if not 0 < test_size < 1:
        raise _fail("--test-size: must be between 0 and 1")
    try:
        artifact, report = run(csv, target, bad_value=bad_value, test_size=test_size,
                               seed=seed, grades=_grades(), version=version,
                               progress=None if quiet else _say)
    except TrainingError as exc:
        raise _fail(str(exc)) from exc
    except ImportError as exc:  # numpy: the underwriting package's ``train`` extra
        raise _fail(f"training needs lending-underwriting[train]: {exc}") from exc
    write_artifact(out, artifact, report)
    if not quiet:
        _say(f"wrote {out / 'scorecard.json'}")
    typer.echo(json.dumps({**report, "artifact": str(out / "scorecard.json")}, indent=2))


@app.command()
def evaluate(
    model: Annotated[Path, typer.Option(help="A trained model directory (or scorecard.json)")],
    csv: Annotated[Path, typer.Option("--csv", help="Data to score")],
    target: Annotated[str, typer.Option(help="The column that says whether a loan went bad")],
    bad_value: Annotated[str, typer.Option(help="The target value meaning bad")] = "1",
) -> None:
    """Scores CSV with a trained model and prints the same metrics as JSON."""
    from lending_underwriting.adapters.model_store import load_scorecard
    from lending_underwriting.domain.errors import ModelArtifactError
    from lending_underwriting.training.trainer import TrainingError
    from lending_underwriting.training.trainer import evaluate as run

    if not csv.is_file():
        raise _fail(f"--csv: no such file {csv}")
    try:
        artifact = load_scorecard(model).artifact
        report = run(artifact, csv, target, bad_value, grades=_grades())
    except (ModelArtifactError, TrainingError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(report, indent=2))


@app.command()
def synthetic(
    out: Annotated[Path, typer.Option(help="CSV file to write")],
    rows: Annotated[int, typer.Option(min=100, help="Applicants")] = 30_000,
    seed: Annotated[int, typer.Option(help="Generator seed")] = 7,
) -> None:
    """Writes the seeded synthetic portfolio the default scorecard is trained on."""
    from lending_underwriting.training.synthetic import generate, write_csv

    write_csv(out, generate(rows, seed))
    typer.echo(f"wrote {rows} rows to {out}")
