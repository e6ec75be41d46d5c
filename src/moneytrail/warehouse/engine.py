"""The warehouse engine interface: run SQL, register and materialise tables, move Arrow and Parquet.

SQL handed to an engine is DuckDB SQL; each engine translates it with its `Dialect`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from moneytrail.errors import UserError
from moneytrail.warehouse.dialect import Dialect

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(name: str) -> str:
    """Table names are plain identifiers: they are spliced into SQL."""
    if not _NAME.match(name):
        raise UserError(f"not a valid table name: {name!r}")
    return name


def literal(value: object) -> str:
    """A SQL literal for a Python value, for values spliced into generated SQL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("'", "''")
    return f"'{text}'"


def sql_type(arrow_type: pa.DataType) -> str:
    """The SQL type (DuckDB's dialect, translated per engine like all warehouse SQL) of an Arrow type."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "VARCHAR"
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    named = {pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN",
             pa.date32(): "DATE"}  # fmt: skip
    if arrow_type not in named:
        raise UserError(f"no SQL type for the Arrow type {arrow_type}")
    return named[arrow_type]


def add_missing_columns(engine: Engine, name: str, schema: pa.Schema) -> None:
    """Give table `name` the columns of `schema` it lacks (made by an older moneytrail).

    Rows loaded before a column existed have no value for it: NULL, as from a reader that lacks
    the field. Columns in the schema's order, so every engine's appends line up.
    """
    present = engine.query(f"SELECT * FROM {check_name(name)} LIMIT 0").column_names
    if set(schema.names) <= set(present):
        return
    columns = [
        f'"{f.name}"' if f.name in present else f"CAST(NULL AS {sql_type(f.type)}) AS {check_name(f.name)}"
        for f in schema
    ] + [f'"{c}"' for c in present if c not in schema.names]
    engine.create_table(name, f"SELECT {', '.join(columns)} FROM {name}")


# appends Arrow rows to the named table
Append = Callable[[str, pa.Table], None]


class Engine(ABC):
    """A warehouse engine. Tables persist under the engine's home between sessions."""

    name: str
    dialect: Dialect

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run one DuckDB-dialect SELECT and return its result as Arrow."""

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing useful (DDL, DROP)."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Expose an Arrow table to SQL under `name` for this session (not persisted)."""

    @abstractmethod
    def create_table(self, name: str, sql: str) -> None:
        """Materialise the result of a SELECT as a persistent table, replacing any old one."""

    @abstractmethod
    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None:
        """Persist an Arrow table; mode is 'overwrite' or 'append'."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether a persistent table (or a registered view) of this name exists."""

    @abstractmethod
    def drop_table(self, name: str) -> None:
        """Drop a persistent table if it exists."""

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the persistent tables."""

    @abstractmethod
    def read_parquet(self, name: str, path: Path | str) -> None:
        """Materialise a Parquet file or folder as a persistent table."""

    @abstractmethod
    def write_parquet(self, name: str, path: Path | str) -> None:
        """Write a table out as Parquet."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources."""

    @contextmanager
    def bounded_cache(self) -> Iterator[None]:
        """Hold the engine's cache of blocks it has written to a fixed size while a long write runs
        (an ingest), so memory stays flat as files grow; engines without such a cache do nothing."""
        yield

    @contextmanager
    def appenders(self, count: int) -> Iterator[list[Append]]:
        """Up to `count` functions that append Arrow rows to an existing table, each safe to run in
        a thread of its own while the others run (an ingest writes batches side by side). Engines
        that cannot append concurrently give one."""
        yield [lambda name, rows: self.write_table(name, rows, "append")]

    def table(self, name: str) -> pa.Table:
        """A whole table as Arrow."""
        return self.query(f"SELECT * FROM {check_name(name)}")

    def count(self, name: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {check_name(name)}").column(0)[0].as_py())

    def translate(self, sql: str) -> str:
        """The SQL this engine actually runs for a DuckDB-dialect statement."""
        return self.dialect.translate(sql)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
