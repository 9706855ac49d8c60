"""Measures read by their declared names: a family of the chapter registry and its fields give the
key; a missing measure is an error naming the key and the chapter that writes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GedigError
from .chapters import registry
from .measures import Measure


def _families() -> list[tuple[str, Measure]]:
    return [(c.name, m) for c in registry() for m in c.measures]


def family(template: str) -> tuple[str, Measure]:
    """The chapter that declares ``template``, and the family; an undeclared one is a bug, named."""
    for chapter, m in _families():
        if m.template == template:
            return chapter, m
    raise GedigError(f"no measure family {template!r} is declared (gedig.book.chapters)")


def key_of(template: str, **fields: Any) -> str:
    """The key of a declared family with its fields filled in."""
    return family(template)[1].key(**fields)


def read(measures: Mapping[str, Any], template: str, **fields: Any) -> Any:
    """The measure ``template`` with ``fields`` filled in; a missing one is an error naming the key
    and the chapter that writes it."""
    chapter, m = family(template)
    key = m.key(**fields)
    if measures.get(key) is None:
        raise GedigError(f"measure {key!r} is missing: chapter {chapter} writes it ({m.description})")
    return measures[key]


def fields(measures: Mapping[str, Any], template: str) -> list[dict[str, str]]:
    """The field values of every key of the family ``template`` that ``measures`` holds, in key order."""
    _, m = family(template)
    return [hit.groupdict() for key in sorted(measures) if (hit := m.pattern.fullmatch(key))]


def has(measures: Mapping[str, Any], template: str, **fields: Any) -> bool:
    """Whether the measure is there (for text that applies only when a chapter measured it)."""
    return measures.get(key_of(template, **fields)) is not None
