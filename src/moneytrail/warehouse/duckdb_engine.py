"""DuckDB: the embedded default warehouse, one file under MONEYTRAIL_HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from moneytrail.warehouse.dialect import DIALECTS
from moneytrail.warehouse.engine import Append, Engine, check_name, literal

# DuckDB keeps the blocks it has just written in its buffer cache (up to 80% of RAM by default), so
# an uncapped ingest grows with the file. They are on disk already: while it writes, the cache is
# held to this (MONEYTRAIL_INGEST_CACHE overrides it; an engine opened with its own memory_limit
# keeps that). bench/bench_ingest.py measures memory and speed with and without it.
INGEST_CACHE = "128MB"
# an append of fewer rows than a row group is written in one piece: no need to lift insertion order
# for it (each statement costs a few ms in the client: a file's ledger rows are single rows)
LARGE_APPEND = 122_880


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = DIALECTS["duckdb"]

    def __init__(
        self, path: Path | str | None = None, threads: int | None = None, memory_limit: str | None = None
    ) -> None:
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.memory_limit = memory_limit
        self.con = duckdb.connect(str(path) if path is not None else ":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:  # caps DuckDB's buffer cache too (by default 80% of RAM)
            self.con.execute(f"SET memory_limit = {literal(memory_limit)}")

    @contextmanager
    def bounded_cache(self) -> Iterator[None]:
        if self.memory_limit:
            yield
            return
        self.con.execute(f"SET memory_limit = {literal(os.environ.get('MONEYTRAIL_INGEST_CACHE', INGEST_CACHE))}")
        try:
            yield
        finally:
            self.con.execute("RESET memory_limit")

    @contextmanager
    def appenders(self, count: int) -> Iterator[list[Append]]:
        """One cursor each: DuckDB appends from several connections at once (each compresses its
        own row groups, on a thread of its own) and commits them without conflict."""
        cursors = [self.con.cursor() for _ in range(max(1, count))]
        # rows of an append need no order among themselves (a table has none): without it DuckDB
        # writes a large append ~1.3x faster. A global setting: set for the appends' span.
        self.con.execute("SET preserve_insertion_order = false")
        try:
            yield [partial(_append, cursor) for cursor in cursors]
        finally:
            self.con.execute("RESET preserve_insertion_order")
            for cursor in cursors:
                cursor.close()

    def query(self, sql: str) -> pa.Table:
        relation = self.con.sql(sql)
        if relation is None:  # a statement, not a query
            return pa.table({})
        return relation.to_arrow_table()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(check_name(name), table)

    def create_table(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {check_name(name)} AS {sql}")

    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None:
        check_name(name)
        if mode == "append" and self.has_table(name):
            if table.num_rows < LARGE_APPEND:  # one chunk of work: order costs nothing
                _append(self.con, name, table)
                return
            # rows of an append need no order among themselves (a table has none): without
            # it DuckDB writes a large append ~1.3x faster
            self.con.execute("SET preserve_insertion_order = false")
            try:
                _append(self.con, name, table)
            finally:
                self.con.execute("RESET preserve_insertion_order")
            return
        view = f"__incoming_{name}"
        self.con.register(view, table)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    def has_table(self, name: str) -> bool:
        # fetchall, not fetchone: DuckDB keeps a half-read result open and refuses the next query.
        found = self.con.execute(
            "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = $name AND NOT temporary)"
            " + (SELECT count(*) FROM duckdb_views() WHERE view_name = $name AND NOT internal)",
            {"name": name},
        ).fetchall()
        return bool(found[0][0])

    def drop_table(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {check_name(name)}")

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def read_parquet(self, name: str, path: Path | str) -> None:
        target = Path(path)
        pattern = str(target / "**" / "*.parquet") if target.is_dir() else str(target)
        self.create_table(name, f"SELECT * FROM read_parquet({literal(pattern)})")

    def write_parquet(self, name: str, path: Path | str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY {check_name(name)} TO {literal(str(path))} (FORMAT parquet)")

    def close(self) -> None:
        self.con.close()


def _append(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    view = f"__incoming_{check_name(name)}"
    con.register(view, rows)
    try:
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {view}")
    finally:
        con.unregister(view)
