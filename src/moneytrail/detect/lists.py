"""Versioned reference data the rules read: country lists, keyword lists, MCC sets, FX, UTC offsets."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from moneytrail.errors import UserError
from moneytrail.warehouse.engine import literal

DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class MccSet:
    values: tuple[str, ...]
    ranges: tuple[tuple[str, str], ...]


@cache
def _lists() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "lists.yaml").read_text())
    return data


@cache
def _mcc() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "mcc.yaml").read_text())
    return data


def lists_version() -> str:
    return f"lists:{_lists()['version']},mcc:{_mcc()['version']}"


def values(name: str) -> list[str]:
    """The values of a named list from lists.yaml."""
    try:
        return [str(v) for v in _lists()["lists"][name]["values"]]
    except KeyError:
        raise UserError(f"unknown list {name!r} (see detect/data/lists.yaml)") from None


def mcc_set(name: str) -> MccSet:
    try:
        spec = _mcc()["sets"][name]
    except KeyError:
        raise UserError(f"unknown MCC set {name!r} (see detect/data/mcc.yaml)") from None
    ranges = tuple((str(a), str(b)) for a, b in spec.get("ranges", []))
    return MccSet(tuple(str(v) for v in spec.get("values", [])), ranges)


def sql_in(name: str) -> str:
    """`('PH', 'TH', ...)`: a list as a SQL IN-list."""
    return "(" + ", ".join(literal(v) for v in values(name)) + ")"


def sql_mcc(name: str, column: str = "mcc") -> str:
    """A SQL condition: column is in the MCC set (values or inclusive ranges of 4-digit codes)."""
    spec = mcc_set(name)
    parts = []
    if spec.values:
        parts.append(f"{column} IN (" + ", ".join(literal(v) for v in spec.values) + ")")
    for low, high in spec.ranges:
        parts.append(f"({column} >= {literal(low)} AND {column} <= {literal(high)} AND length({column}) = 4)")
    return "(" + " OR ".join(parts or ["FALSE"]) + ")"


def sql_keywords(name: str, column: str = "reference") -> str:
    """A SQL condition: column (lower case text) contains any keyword of the list as a whole word."""
    words = "|".join(re.escape(w.lower()).replace("'", "''") for w in values(name))
    return f"regexp_matches({column}, '(^|[^a-z])({words})([^a-z]|$)')"


def sql_merchant(words: str, mcc_set: str, table: str = "") -> str:
    """A SQL condition: the merchant's name (lower case) holds a word of list `words`; where the name is
    unknown (no merchant file), its MCC is in `mcc_set` instead. `table`: the alias of `detect_txn`."""
    prefix = f"{table}." if table else ""
    named = sql_keywords(words, f"{prefix}merchant_name")
    coarse = sql_mcc(mcc_set, f"{prefix}mcc")
    return f"(({prefix}merchant_name IS NOT NULL AND {named}) OR ({prefix}merchant_name IS NULL AND {coarse}))"


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def utc_offsets() -> pa.Table:
    """Standard-time UTC offset per country (DST ignored: an hour off for part of the year)."""
    rows = _csv("utc_offsets.csv")
    return pa.table(
        {
            "country": pa.array([r["country"] for r in rows], pa.string()),
            "utc_offset_hours": pa.array([float(r["utc_offset_hours"]) for r in rows], pa.float64()),
        }
    )


def fx_rates() -> pa.Table:
    """EUR per unit of currency: a fixed reference table used where amount_usd is missing."""
    rows = _csv("fx.csv")
    return pa.table(
        {
            "currency": pa.array([r["currency"] for r in rows], pa.string()),
            "eur_per_unit": pa.array([float(r["eur_per_unit"]) for r in rows], pa.float64()),
        }
    )


def eur_per_usd() -> float:
    for row in _csv("fx.csv"):
        if row["currency"] == "USD":
            return float(row["eur_per_unit"])
    raise UserError("fx.csv lacks USD")
