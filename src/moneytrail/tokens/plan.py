"""The tokenising plan (data/plan.yaml): which staged columns are identifiers and what replaces them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_FILE = Path(__file__).parent / "data" / "plan.yaml"
SCOPES = ("own", "ext", "cpty", "public")


@dataclass(frozen=True)
class IdentifierColumn:
    raw: str
    kind: str
    token: str | None = None
    key: str | None = None
    scope: str | None = None  # a scope name, or the staged column holding one per row


@cache
def plan() -> dict[str, tuple[IdentifierColumn, ...]]:
    data = yaml.safe_load(_FILE.read_text())["tables"]
    return {table: tuple(IdentifierColumn(**spec) for spec in specs) for table, specs in data.items()}


def identifier_columns(table: str) -> tuple[IdentifierColumn, ...]:
    return plan().get(table, ())
