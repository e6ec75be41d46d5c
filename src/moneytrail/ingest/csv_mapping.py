"""CSV with a declarative column mapping per member (YAML in `mappings/`), read by DuckDB.

A mapping names, per target table, how each staged field is made from the file's columns:

    fields:
      amount: send_amount                 # a column, as text
      channel: {const: remittance}        # a constant
      txn_id: {native: transfer_id}       # MEMBER:<column>, the native id
      src_raw: {sql: "coalesce(a, b)"}    # a DuckDB expression over the columns ($member = member id)
      birth_year: {year_of: birth_date}   # derived: year of a date, age band today of a birth date
    where: "type <> 'x'"                  # optional row filter (rows it drops are still counted)

Every column is read as VARCHAR (no sniffed types), the Stager casts with TRY_CAST, so a bad
value quarantines its row; malformed lines (too many or too few fields) are caught by
DuckDB's reject table and quarantined with their line. The first table of a mapping counts
the records; rows a `where` leaves out of every table go to quarantine with the reason, so
`read = loaded + quarantined` holds. Nothing runs per row in Python.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from moneytrail.ingest.base import Batch, ReadContext, Reader, refuse, rejected
from moneytrail.ingest.schemas import (
    HOTLIST,
    SITE_REPORTS,
    STAGED_ACCOUNTS,
    STAGED_PARTIES,
    STAGED_TRANSACTIONS,
    STAGED_WALLETS,
)
from moneytrail.ingest.stage import Stager, split
from moneytrail.model.schemas import MERCHANTS

MAPPINGS = Path(__file__).parent / "mappings"
STAGED: dict[str, pa.Schema] = {
    "transactions": STAGED_TRANSACTIONS,
    "accounts": STAGED_ACCOUNTS,
    "parties": STAGED_PARTIES,
    "wallets": STAGED_WALLETS,
    "merchants": pa.schema([f for f in MERCHANTS if f.name not in ("member_id", "source_file")]).append(
        pa.field("source_row", pa.string())
    ),
    "site_reports": pa.schema([f for f in SITE_REPORTS if f.name not in ("member_id", "source_file")]).append(
        pa.field("source_row", pa.string())
    ),
    "hotlist": pa.schema([f for f in HOTLIST if f.name != "source_file"]).append(pa.field("source_row", pa.string())),
}
# formats that are CSV with a fixed mapping
FORMAT_MAPPINGS = {"cards": "cards_clearing", "exchange": "exchange_ledger", "sites": "site_reports"}
# rows per batch handed to the loader: two DuckDB row groups (the loader appends them in one write)
CHUNK_ROWS = 122_880
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@cache
def load_mapping(name: str) -> dict[str, Any]:
    path = MAPPINGS / f"{name}.yaml"
    if not _IDENT.match(name) or not path.exists():
        known = ", ".join(sorted(p.stem for p in MAPPINGS.glob("*.yaml")))
        raise refuse(Path(name), f"no column mapping named {name!r}; mappings: {known}")
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def mapping_names() -> list[str]:
    return sorted(p.stem for p in MAPPINGS.glob("*.yaml"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _expression(spec: Any, member: str) -> str:
    if isinstance(spec, str):
        return _quote(spec)
    if "const" in spec:
        return "NULL" if spec["const"] is None else _literal(spec["const"])
    if "native" in spec:
        return f"{_literal(member + ':')} || {_quote(spec['native'])}"
    if "sql" in spec:
        return str(spec["sql"]).replace("$member", _literal(member))
    if "year_of" in spec:
        return f"CAST(year(TRY_CAST({_quote(spec['year_of'])} AS DATE)) AS VARCHAR)"
    if "age_band_of" in spec:  # age today, in the bands of model.schemas.PARTIES
        years = f"date_part('year', age(current_date, TRY_CAST({_quote(spec['age_band_of'])} AS DATE)))"
        return (
            f"CASE WHEN {years} IS NULL THEN NULL WHEN {years} < 18 THEN '<18' WHEN {years} < 25 THEN '18-24' "
            f"WHEN {years} < 45 THEN '25-44' WHEN {years} < 65 THEN '45-64' ELSE '65+' END"
        )
    raise ValueError(f"bad field spec {spec!r}")


def required_columns(mapping: dict[str, Any]) -> set[str]:
    """Columns a mapping names directly (`sql` expressions name theirs in `columns:`)."""
    needed = set(mapping.get("columns", []))
    for table in mapping["tables"].values():
        for spec in table["fields"].values():
            if isinstance(spec, str):
                needed.add(spec)
            elif isinstance(spec, dict):
                needed.update(str(spec[k]) for k in ("native", "year_of", "age_band_of") if k in spec)
    return needed


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except UnicodeDecodeError as error:
        raise refuse(path, f"not UTF-8 CSV text: {error.reason}") from error


def fixed_mapping_reader(fmt: str) -> Reader:
    """The reader of a format that is CSV with one fixed mapping (cards, exchange, sites)."""

    def read(path: Path, context: ReadContext) -> Iterator[Batch]:
        options = {**context.options, "mapping": context.options.get("mapping") or FORMAT_MAPPINGS[fmt]}
        return read_csv_mapped(path, ReadContext(context.member_id, options, context.batch_rows))

    return read


def read_csv_mapped(path: Path, context: ReadContext) -> Iterator[Batch]:
    name = str(context.options.get("mapping") or "")
    if not name:
        raise refuse(path, "format csv needs a column mapping (--mapping NAME)")
    mapping = load_mapping(name)
    header = _header(path)
    missing = sorted(required_columns(mapping) - set(header))
    if missing:
        raise refuse(path, f"not a {name} file: missing columns {', '.join(missing)}")
    member = context.member_id
    stager = Stager()
    columns = ", ".join(_literal(c) + ": 'VARCHAR'" for c in header)
    options = (
        f"header=true, delim=',', quote='\"', escape='\"', auto_detect=false, columns={{{columns}}}, "
        "null_padding=false, strict_mode=false"
    )
    # the first scan keeps malformed lines in a reject table; later scans of the file skip them
    first_scan = f"read_csv({_literal(path)}, {options}, store_rejects=true, rejects_table='_rejects')"
    later_scan = f"read_csv({_literal(path)}, {options}, ignore_errors=true)"
    try:
        stream = stager.con.cursor()
        plans = []
        for position, (name_in_mapping, spec) in enumerate(mapping["tables"].items()):
            fields = {k: _expression(v, member) for k, v in spec["fields"].items()}
            select = ", ".join(f"{sql} AS {_quote(field)}" for field, sql in fields.items())
            # the line as read, for quarantine; a column some field copies as it is is not exported twice
            copied = {column: field for field, column in spec["fields"].items() if isinstance(column, str)}
            raw = [copied.get(c, f"__raw_{i}") for i, c in enumerate(header)]
            originals = "".join(f"{_quote(c)} AS {r}, " for c, r in zip(header, raw, strict=True) if c not in copied)
            keep = f"coalesce(({spec.get('where') or 'true'}), false) AS __keep"
            # the record number, counted by DuckDB as it reads (a streaming window: the file's order)
            keep += ", 'record ' || CAST(row_number() OVER () AS VARCHAR) AS source_row"
            columns_sql = f"SELECT {select}, {originals}{keep} FROM "
            try:  # every expression must bind before anything is yielded; this also gives the column types
                given = stream.sql(f"{columns_sql}{later_scan} LIMIT 0").to_arrow_table().schema
            except duckdb.Error as error:
                raise refuse(path, f"not a {name} file: {str(error).splitlines()[0]}") from error
            counted = position == 0  # the first table counts the file's records
            query = columns_sql + (first_scan if counted else later_scan)
            plans.append((str(spec.get("table", name_in_mapping)), query, given, raw, counted))
        for table, query, given, raw, counted in plans:
            chunk = min(context.batch_rows, CHUNK_ROWS)
            yield from _scan(stream, query, given, stager, STAGED[table], table, raw, counted, chunk, path)
            if counted:
                yield from _leftovers(stream)
    finally:
        stager.close()


def _scan(
    con: Any,
    query: str,
    given: pa.Schema,
    stager: Stager,
    schema: pa.Schema,
    table: str,
    raw: list[str],
    counted: bool,
    batch_rows: int,
    path: Path,
) -> Iterator[Batch]:
    """Stage a mapped query as DuckDB reads it (one query: the mapped text never goes through
    Arrow), in batches; rows a `where` leaves out are reported. Rows may come out of file order
    (the scan and the joins run in parallel): each carries its record number from the query."""
    staged = stager.query(f"({query})", given, schema, raw, carried=("__keep",))
    seen = 0
    try:
        for result in _chunks(con.sql(staged).to_arrow_reader(batch_rows), batch_rows):
            seen += result.num_rows
            records = result.num_rows if counted else 0
            keep = result.column("__keep")
            dropped: list[str] = []
            if not pc.all(keep).as_py():  # rows a `where` leaves out
                dropped = pc.filter(result.column("source_row"), pc.invert(keep)).to_pylist() if counted else []
                result = result.filter(keep)
            good, bad = split(result, schema)
            left_out = rejected([(str(r), "", "row kind this mapping does not load", "") for r in dropped])
            yield Batch(table, good, records, pa.concat_tables([bad, left_out]))
    except duckdb.Error as error:  # the parser gave up part way: what was read stays, the rest is one record
        if not counted:
            return
        reason = f"CSV unreadable from here on: {str(error).splitlines()[0]}"
        yield Batch(table, schema.empty_table(), 1, rejected([(f"after record {seen}", "", reason, path.name)]))


def _chunks(reader: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """DuckDB's record batches (~64k rows) cut into tables of exactly `rows` rows (the last one
    fewer): fewer, larger batches downstream, each of a bounded size, and appends that fill whole
    DuckDB row groups (a table of many part-filled row groups is merged again later)."""
    held = pa.Table.from_batches([], reader.schema)
    for batch in reader:
        held = pa.concat_tables([held, pa.Table.from_batches([batch])])
        while held.num_rows >= rows:
            yield held.slice(0, rows)
            held = held.slice(rows)
    if held.num_rows:
        yield held


def _leftovers(con: Any) -> Iterator[Batch]:
    """Malformed lines, from DuckDB's reject table: each one a quarantined record."""
    bad: list[tuple[str, str, str, str]] = []
    for line, column, error, text in con.execute(
        # DuckDB may report one line several times (once per missing column): one record each
        "SELECT line, arg_min(coalesce(column_name, ''), column_idx), arg_min(error_message, column_idx), "
        "any_value(csv_line) FROM _rejects GROUP BY line ORDER BY line"
    ).fetchall():
        bad.append((f"line {line}", str(column), f"malformed CSV line: {error}", str(text or "")))
    if bad:
        yield Batch("transactions", STAGED_TRANSACTIONS.empty_table(), len(bad), rejected(bad))
