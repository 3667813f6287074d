"""The pre-contract disclosure and its canonical hash (what the e-signature refers to)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def disclosure_hash(disclosure: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(disclosure)).hexdigest()
