"""Weight-of-evidence binning for numeric and categorical columns (training only).

Numeric: up to ``max_bins`` quantile bins, then adjacent bins are merged until each holds at
least ``min_share`` of the rows with both goods and bads, and the bad rate is monotonic in
the value (an explainable scorecard never says "more delinquencies are better"). Missing
values get their own bin. Categorical: frequent categories keep their own bin, rare and
unseen ones share "other".

WOE = ln(share of goods / share of bads), smoothed by 0.5 so an empty cell stays finite:
positive WOE = safer than average.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SMOOTH = 0.5
MIN_MISSING_SHARE = 0.005


@dataclass
class BinStats:
    label: str
    goods: int
    bads: int
    upper: float | None = None
    categories: list[str] = field(default_factory=list)
    other: bool = False
    woe: float = 0.0

    @property
    def count(self) -> int:
        return self.goods + self.bads

    def bad_rate(self) -> float:
        return self.bads / self.count if self.count else 0.0

    def to_dict(self, points: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "count": self.count,
                               "bad_rate": round(self.bad_rate(), 4), "woe": round(self.woe, 6)}
        if self.upper is not None or (not self.categories and not self.other):
            out["upper"] = self.upper
        if self.categories or self.other:
            out["categories"] = sorted(self.categories)
        if self.other:
            out["other"] = True
        if points is not None:
            out["points_exact"] = round(points, 6)
            out["points"] = round(points)
        return out


@dataclass
class FeatureBins:
    name: str
    kind: str
    bins: list[BinStats]
    missing: BinStats
    iv: float = 0.0

    def woe_of(self, value: str | None) -> float:
        return self.find(value).woe

    def find(self, value: str | None) -> BinStats:
        if value is None:
            return self.missing
        if self.kind == "numeric":
            number = float(value)
            for b in self.bins:
                if b.upper is None or number < b.upper:
                    return b
            return self.bins[-1]
        for b in self.bins:
            if value in b.categories:
                return b
        return next(b for b in self.bins if b.other)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _label_numeric(bins: list[BinStats]) -> None:
    lower: float | None = None
    for b in bins:
        if lower is None and b.upper is not None:
            b.label = f"< {_fmt(b.upper)}"
        elif b.upper is None:
            b.label = f">= {_fmt(lower)}" if lower is not None else "all"
        else:
            b.label = f"[{_fmt(lower or 0)}, {_fmt(b.upper)})"
        lower = b.upper


def _merge(bins: list[BinStats], i: int) -> None:
    """Merges bin i+1 into bin i (numeric: the merged bin keeps the upper bound of i+1)."""
    a, b = bins[i], bins[i + 1]
    a.goods += b.goods
    a.bads += b.bads
    a.upper = b.upper
    del bins[i + 1]


def numeric_bins(values: Sequence[float | None], bads: Sequence[int], *, max_bins: int = 8,
                 min_share: float = 0.03) -> tuple[list[BinStats], BinStats]:
    present = sorted(v for v in values if v is not None)
    cut_set: set[float] = set()
    for k in range(1, max_bins):
        q = present[min(len(present) - 1, int(len(present) * k / max_bins))]
        if q > present[0]:
            cut_set.add(q)
    # A heavy point mass (most borrowers have 0 defaults) gets a cut right above it, or
    # quantiles alone would leave the whole column in one bin.
    heavy = [v for v, n in Counter(present).items() if n > len(present) / max_bins]
    for mass in heavy:
        above = next((x for x in present[bisect_right(present, mass):]), None)
        if above is not None:
            cut_set.add(above)
    cuts = sorted(cut_set)
    bins = [BinStats("", 0, 0, upper=c) for c in cuts] + [BinStats("", 0, 0, upper=None)]
    missing = BinStats("missing", 0, 0)
    for v, bad in zip(values, bads, strict=True):
        target = missing if v is None else next(
            b for b in bins if b.upper is None or v < b.upper)
        target.goods += 1 - bad
        target.bads += bad
    total = len(present)
    _merge_small(bins, total, min_share)
    _merge_non_monotonic(bins)
    _label_numeric(bins)
    return bins, missing


def _merge_small(bins: list[BinStats], total: int, min_share: float) -> None:
    while len(bins) > 1:
        small = [i for i, b in enumerate(bins)
                 if b.count < min_share * total or b.goods == 0 or b.bads == 0]
        if not small:
            return
        i = small[0]
        if i == len(bins) - 1:
            _merge(bins, i - 1)
        elif i == 0:
            _merge(bins, 0)
        else:  # join the neighbour with the closer bad rate
            left = abs(bins[i - 1].bad_rate() - bins[i].bad_rate())
            right = abs(bins[i + 1].bad_rate() - bins[i].bad_rate())
            _merge(bins, i - 1 if left <= right else i)


def _merge_non_monotonic(bins: list[BinStats]) -> None:
    while len(bins) > 2:
        rates = [b.bad_rate() for b in bins]
        rising = rates[-1] >= rates[0]
        violations = [i for i in range(len(rates) - 1)
                      if (rates[i + 1] < rates[i]) == rising and rates[i + 1] != rates[i]]
        if not violations:
            return
        i = min(violations, key=lambda k: abs(rates[k + 1] - rates[k]))
        _merge(bins, i)


def categorical_bins(values: Sequence[str | None], bads: Sequence[int], *,
                     min_share: float = 0.02, max_categories: int = 12
                     ) -> tuple[list[BinStats], BinStats]:
    counts = Counter(v for v in values if v is not None)
    total = sum(counts.values())
    frequent = [c for c, n in counts.most_common(max_categories) if n >= min_share * total]
    bins = [BinStats(c, 0, 0, categories=[c]) for c in sorted(frequent)]
    other = BinStats("(other)", 0, 0, categories=sorted(set(counts) - set(frequent)), other=True)
    bins.append(other)
    by_category = {c: b for b in bins for c in b.categories}
    missing = BinStats("missing", 0, 0)
    for v, bad in zip(values, bads, strict=True):
        target = missing if v is None else by_category.get(v, other)
        target.goods += 1 - bad
        target.bads += bad
    return bins, missing


def apply_woe(feature: FeatureBins, total_goods: int, total_bads: int) -> None:
    """Sets each bin's WOE and the feature's information value. A missing bin too small to
    estimate stays neutral (WOE 0)."""
    iv = 0.0
    everything = total_goods + total_bads
    for b in [*feature.bins, feature.missing]:
        if b is feature.missing and b.count < MIN_MISSING_SHARE * everything:
            b.woe = 0.0
            continue
        if b.count == 0:
            b.woe = 0.0
            continue
        good_share = (b.goods + SMOOTH) / (total_goods + SMOOTH)
        bad_share = (b.bads + SMOOTH) / (total_bads + SMOOTH)
        b.woe = math.log(good_share / bad_share)
        iv += (b.goods / total_goods - b.bads / total_bads) * b.woe
    feature.iv = iv
