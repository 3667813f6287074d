"""Schema compatibility for consumers that ignore unknown fields.

A change is compatible only if old consumers can read new events AND new consumers can read
old events (replays, retained topics). So, per field:
- adding an optional field: compatible (old consumers ignore it);
- removing a field, adding a required one, optional -> required or required -> optional,
  changing a type, format, pattern or nullability: incompatible;
- narrowing an enum (new readers reject old values) or widening one (old readers reject the
  new value): incompatible. Growing vocabularies are open strings (``ReasonCode``) instead;
- changing a numeric/length constraint either way: incompatible.
Annotations (title, description, examples, default) never matter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Schema = dict[str, Any]

_SHAPE_KEYWORDS = ("format", "pattern")
_CONSTRAINTS = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
)
_ANNOTATIONS = {"title", "description", "examples", "default", "$comment"}


class Kind(StrEnum):
    FIELD_REMOVED = "field removed"
    REQUIRED_FIELD_ADDED = "required field added"
    BECAME_REQUIRED = "optional field became required"
    BECAME_OPTIONAL = "required field became optional"
    TYPE_CHANGED = "type changed"
    ENUM_NARROWED = "enum narrowed"
    ENUM_WIDENED = "enum widened"
    CONSTRAINT_CHANGED = "constraint changed"


@dataclass(frozen=True)
class Incompatibility:
    path: str
    kind: Kind
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.kind.value} ({self.detail})"


def compare(old: Schema, new: Schema) -> list[Incompatibility]:
    """Every incompatibility between the ``old`` (committed) and ``new`` (generated) schema."""
    found: list[Incompatibility] = []
    _compare_node(old, old, new, new, "", found)
    return found


def _resolve(root: Schema, node: Schema) -> Schema:
    while "$ref" in node or ("allOf" in node and len(node["allOf"]) == 1):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
        else:
            target, rest = node["allOf"][0], {k: v for k, v in node.items() if k != "allOf"}
        node = {**target, **rest}
    return node


def _branches(root: Schema, node: Schema) -> tuple[list[Schema], bool]:
    """Non-null alternatives of a node, and whether null is allowed."""
    node = _resolve(root, node)
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        types = node.get("type")
        if isinstance(types, list) and "null" in types:
            rest = [t for t in types if t != "null"]
            return [{**node, "type": rest[0] if len(rest) == 1 else rest}], True
        return ([] if types == "null" else [node]), types == "null"
    alternatives = [_resolve(root, o) for o in options]
    nullable = any(a.get("type") == "null" for a in alternatives)
    return [a for a in alternatives if a.get("type") != "null"], nullable


def _canonical(node: Any) -> str:
    if isinstance(node, dict):
        node = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
    return json.dumps(node, sort_keys=True, default=str)


def _compare_node(
    old_root: Schema, old: Schema, new_root: Schema, new: Schema, path: str,
    found: list[Incompatibility],
) -> None:
    old_opts, old_null = _branches(old_root, old)
    new_opts, new_null = _branches(new_root, new)
    if old_null != new_null:
        change = "became nullable" if new_null else "no longer nullable"
        found.append(Incompatibility(path, Kind.TYPE_CHANGED, change))
    if len(old_opts) == 1 and len(new_opts) == 1:
        _compare_single(old_root, old_opts[0], new_root, new_opts[0], path, found)
    elif sorted(map(_canonical, old_opts)) != sorted(map(_canonical, new_opts)):
        found.append(Incompatibility(path, Kind.TYPE_CHANGED, "union alternatives changed"))


def _compare_single(
    old_root: Schema, old: Schema, new_root: Schema, new: Schema, path: str,
    found: list[Incompatibility],
) -> None:
    def add(kind: Kind, detail: str) -> None:
        found.append(Incompatibility(path, kind, detail))

    if old.get("type") != new.get("type"):
        add(Kind.TYPE_CHANGED, f"{old.get('type')} -> {new.get('type')}")
        return
    for key in _SHAPE_KEYWORDS:
        if old.get(key) != new.get(key):
            add(Kind.TYPE_CHANGED, f"{key} {old.get(key)!r} -> {new.get(key)!r}")
    for key in _CONSTRAINTS:
        if old.get(key) != new.get(key):
            add(Kind.CONSTRAINT_CHANGED, f"{key} {old.get(key)!r} -> {new.get(key)!r}")
    _compare_enums(old, new, add)
    _compare_properties(old_root, old, new_root, new, path, found)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        _compare_node(old_root, old["items"], new_root, new["items"], path + "[]", found)
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _compare_node(old_root, old_extra, new_root, new_extra, path + "{}", found)


def _compare_enums(old: Schema, new: Schema, add: Any) -> None:
    def values(node: Schema) -> set[str] | None:
        if "const" in node:
            return {_canonical(node["const"])}
        return {_canonical(v) for v in node["enum"]} if "enum" in node else None

    old_values, new_values = values(old), values(new)
    if old_values == new_values:
        return
    if new_values is not None and (old_values is None or old_values - new_values):
        lost = "any value" if old_values is None else sorted(old_values - new_values)
        add(Kind.ENUM_NARROWED, f"no longer accepts {lost}")
    if old_values is not None and (new_values is None or new_values - old_values):
        gained = "any value" if new_values is None else sorted(new_values - old_values)
        add(Kind.ENUM_WIDENED, f"now emits {gained}")


def _compare_properties(
    old_root: Schema, old: Schema, new_root: Schema, new: Schema, path: str,
    found: list[Incompatibility],
) -> None:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    prefix = f"{path}." if path else ""
    for name, old_field in old_props.items():
        where = prefix + name
        if name not in new_props:
            found.append(Incompatibility(where, Kind.FIELD_REMOVED, "consumers still read it"))
            continue
        if name in new_required and name not in old_required:
            found.append(Incompatibility(where, Kind.BECAME_REQUIRED, "old events lack it"))
        if name in old_required and name not in new_required:
            found.append(Incompatibility(where, Kind.BECAME_OPTIONAL, "old consumers need it"))
        _compare_node(old_root, old_field, new_root, new_props[name], where, found)
    for name in new_props.keys() - old_props.keys():
        if name in new_required:
            found.append(Incompatibility(prefix + name, Kind.REQUIRED_FIELD_ADDED,
                                         "old events lack it"))
