"""Days past due -> delinquency bucket (the same edges servicing publishes)."""

from __future__ import annotations

CURRENT = "current"
_EDGES = ((180, "dpd_181_plus"), (90, "dpd_91_180"), (60, "dpd_61_90"), (30, "dpd_31_60"),
          (0, "dpd_1_30"))


def bucket_of(days_past_due: int) -> str:
    for edge, name in _EDGES:
        if days_past_due > edge:
            return name
    return CURRENT


def is_delinquent(bucket: str) -> bool:
    return bucket != CURRENT
