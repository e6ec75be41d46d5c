"""Payment profiles: per account, the counts and shares behind the indicators the rules threshold.

The features are data (`detect/data/profiles.yaml`): named sets of payments as SQL conditions over
`detect_txn`, and per feature a side (out: the payer, in: the payee) and a measure: a count,
distinct counterparties, a share of the account's own payments, the largest of their amounts
(EUR) or how many different amounts they are, the most of them with any one counterparty, or the
largest (mean) value of such a feature among its counterparties. Grouped passes per side, on DuckDB
and Spark alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
import yaml

from moneytrail.detect.rulespec import payout_senders, render_template
from moneytrail.errors import UserError
from moneytrail.warehouse.engine import Engine, check_name

PROFILES_FILE = Path(__file__).parents[1] / "data" / "profiles.yaml"
SIDES = ("out", "in")
OWN_MEASURES = ("count", "distinct", "share", "max_eur", "amounts")
PAIR_MEASURES = ("pair_max",)  # per counterparty first, then the largest over them
COUNTERPARTY_MEASURES = ("counterparty_max", "counterparty_mean")  # of an own feature of the other side
MEASURES = OWN_MEASURES + PAIR_MEASURES + COUNTERPARTY_MEASURES
# the columns of `detect_txn` a set may read (each side's rows carry these and no more)
SET_COLUMNS = ("channel", "src_country", "dst_country", "local_hour", "amount", "amount_eur", "reference",
               "src_surname", "dst_surname", "src_age_band", "mcc", "merchant_id", "merchant_name",
               "relationship")


@dataclass(frozen=True)
class ProfileFeature:
    name: str
    side: str
    measure: str
    of: str  # the set measured (a counterparty measure: the other side's own feature it reads)
    among: str | None  # the payments it looks at (None: all the side's payments)


@dataclass(frozen=True)
class PaymentMark:
    name: str
    side: str  # out: the payer reads its payees' scores; in: the payee reads its payers'
    of: str  # the set of payments that marks a pair
    among: str | None = None  # ... counted among these payments only (None: all of them)


@dataclass(frozen=True)
class Profiles:
    sets: dict[str, str]  # name -> rendered SQL condition
    features: tuple[ProfileFeature, ...]
    marks: tuple[PaymentMark, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.features]


@cache
def load_profiles(path: Path = PROFILES_FILE) -> Profiles:
    """The profile features of `path`, checked: every set they name exists, every name is a column name."""
    try:
        raw = yaml.safe_load(path.read_text())
        sets = {check_name(name): render_template(str(sql)) for name, sql in raw["sets"].items()}
    except (OSError, yaml.YAMLError, KeyError, jinja2.TemplateError) as error:
        raise UserError(f"{path}: {error}") from None
    features = []
    for name, spec in raw.get("features", {}).items():
        side = spec.get("side")
        measures = [m for m in MEASURES if m in spec]
        if side not in SIDES or len(measures) != 1:
            raise UserError(f"{path}: feature {name} needs a side ({'/'.join(SIDES)}) and one of {', '.join(MEASURES)}")
        measure = measures[0]
        among = spec.get("among")
        for named in (spec[measure] if measure not in COUNTERPARTY_MEASURES else None, among):
            if named is not None and named not in sets:
                raise UserError(f"{path}: feature {name} names an unknown set {named!r}")
        features.append(ProfileFeature(check_name(name), side, measure, spec[measure], among))
    own = {f.name: f.side for f in features if f.measure in OWN_MEASURES}
    for f in features:
        if f.measure in COUNTERPARTY_MEASURES and own.get(f.of, f.side) == f.side:
            kinds = ", ".join(OWN_MEASURES)
            raise UserError(f"{path}: feature {f.name} needs an own feature ({kinds}) of the other side")
    marks = []
    for name, spec in (raw.get("marks") or {}).items():
        among = spec.get("among")
        if spec.get("side") not in SIDES or spec.get("set") not in sets or (among is not None and among not in sets):
            raise UserError(f"{path}: mark {name} needs a side ({'/'.join(SIDES)}) and known sets")
        marks.append(PaymentMark(check_name(name), spec["side"], spec["set"], among))
    return Profiles(sets, tuple(features), tuple(marks))


def _aggregate(feature: ProfileFeature, sets: dict[str, str]) -> str:
    among = f"({sets[feature.among]})" if feature.among else "TRUE"
    if feature.measure in COUNTERPARTY_MEASURES:
        how = "max" if feature.measure == "counterparty_max" else "avg"
        return f"{how}(CASE WHEN {among} THEN coalesce(cp_{feature.of}, 0) END)"
    condition = f"{among} AND ({sets[feature.of]})"
    if feature.measure in ("count", "pair_max"):  # pair_max: counted per (node, counterparty), then the largest
        return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"
    if feature.measure == "distinct":
        return f"count(DISTINCT CASE WHEN {condition} THEN cp END)"
    if feature.measure == "max_eur":
        return f"max(CASE WHEN {condition} THEN amount_eur END)"
    if feature.measure == "amounts":
        return f"count(DISTINCT CASE WHEN {condition} THEN round(amount, 2) END)"
    return (
        f"CAST(sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS DOUBLE)"
        f" / greatest(sum(CASE WHEN {among} THEN 1 ELSE 0 END), 1)"
    )


def _side_rows(side: str) -> str:
    """The side's payments, one row per (node, payment), with the counterparty `cp` and `SET_COLUMNS`."""
    plain = ", ".join(f"d.{c}" for c in SET_COLUMNS)
    if side == "out":
        return f"""SELECT d.src_token AS node, d.dst_token AS cp, {plain}
        FROM detect_txn d WHERE d.src_token IS NOT NULL
        UNION ALL
        SELECT f.src_token AS node, d.dst_token AS cp, {plain} FROM detect_txn d
        JOIN detect_txn f ON f.txn_id = d.txn_id || ':funding' WHERE f.src_token IS NOT NULL"""
    columns = ", ".join("coalesce(s.src_surname, d.src_surname) AS src_surname" if c == "src_surname" else f"d.{c}"
                        for c in SET_COLUMNS)
    return f"""SELECT d.dst_token AS node, coalesce(s.src_token, d.src_token) AS cp, {columns}
        FROM detect_txn d LEFT JOIN {payout_senders()} s ON s.txn_id = d.txn_id WHERE d.dst_token IS NOT NULL"""


def profile_features(engine: Engine, table: str = "profile_features", profiles: Profiles | None = None) -> list[str]:
    """Materialise `table` (node + the profile columns, 0 where a side has no payments); returns the columns.

    Needs `detect_txn` (from `prepare`). First each side's own features, then the counterparty
    features, which read the other side's own features of the accounts at the far end of each payment.
    """
    profiles = profiles or load_profiles()
    other = {"out": "in", "in": "out"}
    made: list[tuple[str, list[ProfileFeature]]] = []
    for step, measures in (("own", OWN_MEASURES), ("pair", PAIR_MEASURES), ("cp", COUNTERPARTY_MEASURES)):
        for side in SIDES:
            features = [f for f in profiles.features if f.side == side and f.measure in measures]
            if not features:
                continue
            rows = _side_rows(side)
            if step == "cp":
                far = ", ".join(f"o.{of} AS cp_{of}" for of in sorted({f.of for f in features}))
                rows = f"SELECT r.*, {far} FROM ({rows}) r LEFT JOIN profile_own_{other[side]} o ON o.node = r.cp"
            picked = ", ".join(f"{_aggregate(f, profiles.sets)} AS {f.name}" for f in features)
            grouped = f"SELECT node, {picked} FROM ({rows}) rows GROUP BY node"
            if step == "pair":
                largest = ", ".join(f"max({f.name}) AS {f.name}" for f in features)
                grouped = f"SELECT node, {largest} FROM (SELECT node, cp, {picked} FROM ({rows}) rows" \
                    " GROUP BY node, cp) pairs GROUP BY node"
            engine.create_table(f"profile_{step}_{side}", grouped)
            made.append((f"profile_{step}_{side}", features))
    names = [name for name, _ in made]
    nodes = " UNION ".join(f"SELECT node FROM {name}" for name in names) or "SELECT '' AS node WHERE 1 = 0"
    columns = "".join(f", coalesce(t{k}.{f.name}, 0) AS {f.name}" for k, (_, features) in enumerate(made)
                      for f in features)
    joins = " ".join(f"LEFT JOIN {name} t{k} ON t{k}.node = n.node" for k, name in enumerate(names))
    engine.create_table(check_name(table), f"WITH n AS ({nodes}) SELECT n.node{columns} FROM n {joins}")
    for name in names:
        engine.drop_table(name)
    return [f.name for _, features in made for f in features]


MARKS_TABLE = "payment_marks"


def mark_column(mark: PaymentMark) -> str:
    return f"mark_{mark.side}_{mark.name}"


def payment_marks(engine: Engine, table: str = MARKS_TABLE, profiles: Profiles | None = None) -> list[str]:
    """Materialise `table`: src, dst and, per mark, how many of the pair's payments are in its set.

    Only pairs with a marked payment are kept; needs `detect_txn`. Returns the mark columns.
    """
    profiles = profiles or load_profiles()
    columns = [mark_column(m) for m in profiles.marks]
    conditions = [
        f"({profiles.sets[m.of]})" + (f" AND ({profiles.sets[m.among]})" if m.among else "") for m in profiles.marks
    ]
    counts = "".join(
        f", sum(CASE WHEN {c} THEN 1 ELSE 0 END) AS {name}" for c, name in zip(conditions, columns, strict=True)
    )
    any_mark = " OR ".join(f"({c})" for c in conditions) or "FALSE"
    engine.create_table(
        check_name(table),
        f"""SELECT src_token AS src, dst_token AS dst{counts} FROM detect_txn
        WHERE src_token IS NOT NULL AND dst_token IS NOT NULL AND src_token <> dst_token AND ({any_mark})
        GROUP BY src_token, dst_token""",
    )
    return columns
