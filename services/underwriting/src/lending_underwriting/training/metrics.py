"""Model-quality metrics in pure Python: AUC, Gini, KS and a calibration table by grade.

``scores`` are probabilities of default (higher = riskier) or scorecard points with
``higher_is_riskier=False``; ``bads`` are 1 for a default, 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def auc(risk: Sequence[float], bads: Sequence[int]) -> float:
    """Probability that a random bad is ranked riskier than a random good (ties count 1/2):
    the Mann-Whitney U statistic from average ranks."""
    n_bad = sum(bads)
    n_good = len(bads) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("AUC needs both bads and goods")
    order = sorted(range(len(risk)), key=lambda i: risk[i])
    ranks = [0.0] * len(risk)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and risk[order[j + 1]] == risk[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    rank_sum = sum(r for r, b in zip(ranks, bads, strict=True) if b)
    return (rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good)


def ks(risk: Sequence[float], bads: Sequence[int]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the cumulative shares of bads and goods
    when applicants are sorted from riskiest to safest."""
    n_bad = sum(bads)
    n_good = len(bads) - n_bad
    pairs = sorted(zip(risk, bads, strict=True), key=lambda p: -p[0])
    best = cum_bad = cum_good = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            cum_bad += pairs[j][1]
            cum_good += 1 - pairs[j][1]
            j += 1
        best = max(best, abs(cum_bad / n_bad - cum_good / n_good))
        i = j
    return best


def calibration_by_grade(pds: Sequence[float], bads: Sequence[int],
                         grades: Sequence[tuple[str, Decimal]]) -> list[dict[str, Any]]:
    """Per grade: applicants, share, mean predicted PD and observed bad rate."""
    table: dict[str, list[tuple[float, int]]] = {g: [] for g, _ in grades}
    for pd, bad in zip(pds, bads, strict=True):
        pd4 = Decimal(f"{pd:.4f}")
        grade = next((g for g, top in grades if pd4 <= top), grades[-1][0])
        table[grade].append((pd, bad))
    total = len(pds)
    rows = []
    for grade, top in grades:
        items = table[grade]
        n = len(items)
        rows.append({
            "grade": grade, "max_pd": str(top), "count": n,
            "share": round(n / total, 4) if total else 0.0,
            "mean_predicted_pd": round(sum(p for p, _ in items) / n, 4) if n else None,
            "observed_bad_rate": round(sum(b for _, b in items) / n, 4) if n else None,
        })
    return rows


def summary(pds: Sequence[float], bads: Sequence[int],
            grades: Sequence[tuple[str, Decimal]] | None = None) -> dict[str, Any]:
    area = auc(pds, bads)
    out: dict[str, Any] = {
        "rows": len(bads), "bad_rate": round(sum(bads) / len(bads), 4),
        "auc": round(area, 4), "gini": round(2 * area - 1, 4), "ks": round(ks(pds, bads), 4),
        "mean_predicted_pd": round(sum(pds) / len(pds), 4),
    }
    if grades:
        out["calibration_by_grade"] = calibration_by_grade(pds, bads, grades)
    return out
