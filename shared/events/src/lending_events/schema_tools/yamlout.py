"""A tiny YAML emitter for JSON-like data, so the runtime package needs no YAML library.

Scalars that could be misread (numbers, booleans, anything with spaces or YAML indicators)
are written as JSON double-quoted strings, which YAML reads back verbatim.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_./$+-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            out.extend(_entry(pad + _scalar(str(key)) + ":", item, indent))
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, dict) and item:
                nested = _lines(item, indent + 1)
                out.append(pad + "- " + nested[0].lstrip())
                out.extend(nested[1:])
            else:
                out.extend(_entry(pad + "-", item, indent))
        return out
    return [pad + _scalar(value)]


def _entry(head: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, dict | list) and item:
        return [head, *_lines(item, indent + 1)]
    return [head + " " + _lines(item, 0)[0]]


def to_yaml(data: Any) -> str:
    return "\n".join(_lines(data, 0)) + "\n"
