"""Typed staging in DuckDB: text columns in, typed canonical columns out, bad rows set aside.

Every reader funnels its rows through `Stager.stage`: empty text becomes NULL, each
column is cast to its staged type with TRY_CAST (so a bad value fails one row, not the
file), required fields, currencies, countries and signs are checked, and `amount_usd`
comes from the dated rates table (an ASOF join). Nothing runs row by row in Python.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
import yaml

from moneytrail.ingest.base import REJECTED

_DATA = Path(__file__).parent / "data"


@cache
def checks() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((_DATA / "checks.yaml").read_text())
    return data


def fx_rates() -> pa.Table:
    """The shipped dated rates table: currency, valid_from, usd_per_unit."""
    with (_DATA / "fx_rates.csv").open() as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return pa.table(
        {
            "currency": pa.array([r["currency"] for r in rows], pa.string()),
            "valid_from": pa.array([r["valid_from"] for r in rows], pa.string()),
            "usd_per_unit": pa.array([r["usd_per_unit"] for r in rows], pa.string()),
        }
    )


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    names = {
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.string(): "VARCHAR",
    }
    if arrow_type not in names:
        raise TypeError(f"no SQL type for {arrow_type}")
    return names[arrow_type]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _trimmed(text: str) -> str:
    """`trim(text)`, called only for a value that starts or ends with a space: trim costs ~70 ns
    a value, the test ~10."""
    return f"(CASE WHEN prefix({text}, ' ') OR suffix({text}, ' ') THEN trim({text}) ELSE {text} END)"


@cache
def _reference_database() -> duckdb.DuckDBPyConnection:
    """One in-memory database per process holding the reference tables; stagers take cursors on it."""
    con = duckdb.connect(":memory:")
    # staging always joins the read rows (left) to a small reference table (right). A CSV scan has
    # no row estimate, so DuckDB would otherwise build its hash table on the rows: every row of
    # the file held in memory before the first comes out. (This database holds references only.)
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    config = checks()
    currencies = sorted({c.alpha_3 for c in pycountry.currencies} | set(config["crypto_assets"]))
    countries = sorted(c.alpha_2 for c in pycountry.countries)
    con.register("_currencies_in", pa.table({"code": currencies}))
    con.register("_countries_in", pa.table({"code": countries}))
    con.register("_fx_in", fx_rates())
    con.execute("CREATE TABLE ref_currencies AS SELECT code FROM _currencies_in")
    con.execute("CREATE TABLE ref_countries AS SELECT code FROM _countries_in")
    con.execute(
        "CREATE TABLE ref_fx AS SELECT currency, CAST(valid_from AS TIMESTAMPTZ) AS valid_from, "
        "CAST(usd_per_unit AS DECIMAL(38,12)) AS usd_per_unit FROM _fx_in"
    )
    for name in ("_currencies_in", "_countries_in", "_fx_in"):
        con.unregister(name)
    return con


@cache
def _fx_period() -> str | None:
    """'year' or 'month' when every rate starts at such a boundary (the shipped table): then
    `ref_fx_periods` holds the rate of every (currency, period) up to 2200, and a staged row finds
    its rate by a hash join on (currency, date_trunc(period, ts)), the same rate an ASOF join on
    `ts` gives, without sorting the batch. None: rows are ASOF-joined to `ref_fx` directly."""
    con = _reference_database().cursor()
    for period in ("year", "month"):
        aligned = f"SELECT coalesce(bool_and(valid_from = date_trunc('{period}', valid_from)), true) FROM ref_fx"
        if con.execute(aligned).fetchall()[0][0]:
            con.execute(
                "CREATE OR REPLACE TABLE ref_fx_periods AS SELECT p.currency, p.period, fx.usd_per_unit FROM "
                "(SELECT currency, unnest(generate_series(min(valid_from), TIMESTAMPTZ '2200-01-01', "
                f"INTERVAL 1 {period})) AS period FROM ref_fx GROUP BY currency) p "
                "ASOF JOIN ref_fx fx ON p.currency = fx.currency AND p.period >= fx.valid_from"
            )
            return period
    return None


class Stager:
    """A DuckDB cursor over the shared reference tables (currencies, countries, rates)."""

    def __init__(self) -> None:
        self.con = _reference_database().cursor()
        self.con.execute("SET TimeZone = 'UTC'")
        self._batch = 0

    def close(self) -> None:
        self.con.close()

    def stage(
        self, rows: pa.Table, schema: pa.Schema, raw_columns: list[str] | None = None
    ) -> tuple[pa.Table, pa.Table]:
        """(typed rows in `schema`, REJECTED rows). `rows` carries text (or already typed) columns
        named as in `schema` plus `source_row`; `raw_columns` make up the `raw` text kept for a
        rejected row (default: all input columns)."""
        self._batch += 1
        view = f"_stage_in_{self._batch}"
        self.con.register(view, rows)
        try:
            query = self.query(view, rows.schema, schema, raw_columns or rows.column_names)
            return split(self.con.sql(query).to_arrow_table(), schema)
        finally:
            self.con.unregister(view)

    def query(
        self,
        source: str,
        given: pa.Schema,
        schema: pa.Schema,
        raw_columns: list[str],
        carried: tuple[str, ...] = (),
    ) -> str:
        """The staging query over `source` (a table, view or parenthesised query whose columns are
        `given`): one pass, each conversion computed once: text (trimmed, '' -> NULL) -> typed
        value -> verdict `_bad` (the first failed check) -> amount_usd. Output: the columns of
        `schema`, `_bad`, `_raw` (the record's text, for rejected rows only), `_location` (the
        source's `source_row`) and the `carried` source columns as they are.
        A query source is staged as DuckDB reads it, with no copy in between (`split` then
        parts each result batch by verdict)."""
        config = checks()
        missing_required = [t.name for t in schema if not t.nullable and t.name not in given.names]
        if missing_required:
            raise ValueError(f"reader did not provide required columns {missing_required}")
        texts: list[str] = []  # layer 1: the trimmed text of every column
        text_names: list[str] = []
        values: list[str] = []  # layer 2: typed (and canonical) values
        joins: list[str] = []  # layer 3: reference lookups
        required: list[str] = []
        tests: list[str] = []
        for index, target in enumerate(schema):
            name = target.name
            if name not in given.names:
                continue
            column, source_field = _quote(name), given.field(name)
            sql_type = _sql_type(target.type)
            text = f"__text_{index}"
            text_names.append(text)
            if source_field.type == target.type and not pa.types.is_string(target.type):
                texts.append(f"{column} AS {text}")
                value = text
            else:
                texts.append(f"NULLIF({_trimmed(f'CAST({column} AS VARCHAR)')}, '') AS {text}")
                value = text if pa.types.is_string(target.type) else f"TRY_CAST({text} AS {sql_type})"
            if name in config["currency_fields"]:
                value = f"upper({value})"
            if name in config["country_fields"]:
                aliases = " ".join(
                    f"WHEN {_text(k)} THEN {_text(v)}" for k, v in config.get("country_aliases", {}).items()
                )
                value = f"upper({value})"
                if aliases:
                    value = f"(CASE {value} {aliases} ELSE {value} END)"
            values.append(f"{value} AS {column}")
            if not target.nullable:
                # missing: no text at all (text that does not convert is "not a valid ..." below)
                required.append(f"WHEN v.{text} IS NULL THEN {{'f': {_text(name)}, 'r': 'missing'}}")
            if value != text and not pa.types.is_string(target.type):
                kind = sql_type.split("(")[0].lower()
                tests.append(
                    f"WHEN v.{text} IS NOT NULL AND v.{column} IS NULL "
                    f"THEN {{'f': {_text(name)}, 'r': {_text('not a valid ' + kind)}}}"
                )
            for fields, reference, reason in (
                ("currency_fields", "ref_currencies", "not an ISO 4217 currency"),
                ("country_fields", "ref_countries", "not an ISO 3166 country"),
            ):
                if name in config[fields]:
                    alias = f"__ref_{index}"
                    joins.append(f"LEFT JOIN {reference} {alias} ON {alias}.code = v.{column}")
                    tests.append(
                        f"WHEN v.{column} IS NOT NULL AND {alias}.code IS NULL "
                        f"THEN {{'f': {_text(name)}, 'r': {_text(reason)}}}"
                    )
            if name in config["non_negative"]:
                tests.append(f"WHEN v.{column} < 0 THEN {{'f': {_text(name)}, 'r': 'negative amount'}}")
        tests = required[::-1] + tests  # as before: required fields first (last declared first)
        raws = [f"CAST({_quote(c)} AS VARCHAR) AS __raw_{i}" for i, c in enumerate(raw_columns)]
        raw = " || ',' || ".join(f"coalesce(c.__raw_{i}, '')" for i in range(len(raw_columns)))
        passed = [_quote(c) for c in carried] + ["_location"]
        location = "CAST(source_row AS VARCHAR) AS _location"
        layer1 = f"SELECT {', '.join([*texts, *raws, location] + [_quote(c) for c in carried])} FROM {source}"
        layer2_columns = values + text_names + [f"__raw_{i}" for i in range(len(raw_columns))] + passed
        layer2 = f"SELECT {', '.join(layer2_columns)} FROM ({layer1})"
        bad = f"CASE {' '.join(tests)} END" if tests else "NULL::STRUCT(f VARCHAR, r VARCHAR)"
        present = [t.name for t in schema if t.name in given.names]
        outputs = []
        for target in schema:
            if target.name == "amount_usd" and {"amount", "currency", "ts"} <= set(present):
                given_usd = "c.amount_usd, " if "amount_usd" in present else ""
                # a rate of exactly 1 (USD itself) skips the 128-bit multiply and rescale (~0.5 us a row)
                converted = (
                    "CASE WHEN fx.usd_per_unit = 1 THEN CAST(c.amount AS DECIMAL(38,8)) "
                    "ELSE CAST(c.amount * fx.usd_per_unit AS DECIMAL(38,8)) END"
                )
                outputs.append(f"coalesce({given_usd}{converted}) AS amount_usd")
            elif target.name in present:
                outputs.append(f"c.{_quote(target.name)}")
            else:
                outputs.append(f"CAST(NULL AS {_sql_type(target.type)}) AS {_quote(target.name)}")
        # the verdict first, so the raw text is only built for the (few) rejected rows
        checked = f"SELECT v.*, {bad} AS _bad FROM ({layer2}) v {' '.join(joins)}"
        join = ""
        if any("fx.usd_per_unit" in o for o in outputs):
            period = _fx_period()
            if period is None:
                join = "ASOF LEFT JOIN ref_fx fx ON c.currency = fx.currency AND c.ts >= fx.valid_from"
            else:
                join = (
                    "LEFT JOIN ref_fx_periods fx ON fx.currency = c.currency "
                    f"AND fx.period = date_trunc('{period}', c.ts)"
                )
        raw_text = f"CASE WHEN c._bad IS NOT NULL THEN {raw} END AS _raw"
        extra = "".join(f", c.{c}" for c in passed)
        return f"SELECT {', '.join(outputs)}, c._bad, {raw_text}{extra} FROM ({checked}) c {join}"


def split(result: pa.Table, schema: pa.Schema) -> tuple[pa.Table, pa.Table]:
    """A staging query's result parted by verdict: (typed rows in `schema`, REJECTED rows located
    by the result's `_location`)."""
    verdict = result.column("_bad")
    if verdict.null_count == len(verdict):  # every row passed: no copy
        good, failed = result.select(schema.names), result.slice(0, 0)
    else:
        passed = pc.is_null(verdict)
        good = result.filter(passed).select(schema.names)
        failed = result.filter(pc.invert(passed))
    reasons = failed.column("_bad").combine_chunks()
    rejected = pa.table(
        {
            "location": failed.column("_location"),
            "field": reasons.field("f") if len(reasons) else pa.array([], pa.string()),
            "reason": reasons.field("r") if len(reasons) else pa.array([], pa.string()),
            "raw": failed.column("_raw"),
        }
    )
    return good.cast(schema), rejected.cast(REJECTED)
