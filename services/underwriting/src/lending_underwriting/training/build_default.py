"""Rebuilds the scorecard the service ships (``models/default``) from the seeded synthetic
portfolio: 30,000 applicants (seed 7), 30% holdout (seed 42).

    .venv/bin/python -m lending_underwriting.training.build_default
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from lending_underwriting.adapters.model_store import DEFAULT_MODEL_DIR
from lending_underwriting.adapters.policy_file import load_policy_book
from lending_underwriting.training.synthetic import generate, write_csv
from lending_underwriting.training.trainer import train, write_artifact

ROWS, DATA_SEED, SPLIT_SEED, HOLDOUT = 30_000, 7, 42, 0.3


def build(out: Path = DEFAULT_MODEL_DIR) -> dict[str, object]:
    grades = load_policy_book().grades
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "synthetic.csv"
        write_csv(data, generate(ROWS, DATA_SEED))
        artifact, report = train(data, "bad", test_size=HOLDOUT, seed=SPLIT_SEED,
                                 grades=grades)
    report["trained_on"] = (f"synthetic portfolio: {ROWS} rows, generator seed {DATA_SEED}, "
                            f"holdout {HOLDOUT} (seed {SPLIT_SEED})")
    write_artifact(out, artifact, report)
    return report


if __name__ == "__main__":
    result = build()
    print(result["model_version"], result["holdout_auc"], result["ks"])
