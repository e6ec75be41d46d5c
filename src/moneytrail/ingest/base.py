"""What every reader hands the loader: batches of staged rows plus the records it rejected.

Readers parse and validate; they never tokenise or write (that is `warehouse.load`).
A reader is a function `read(path, context) -> Iterator[Batch]`; it raises `FormatError`
(one clear line) when the file is not the declared format, before yielding anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from moneytrail.errors import FormatError

REJECTED = pa.schema(
    [
        pa.field("location", pa.string()),  # row number or XPath
        pa.field("field", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),
    ]
)


@dataclass
class Batch:
    """Rows for one warehouse table, and the source records rejected while reading them.

    `records` counts the source records this batch stands for (loaded + rejected), so a
    summary reconciles `read = loaded + quarantined`; a second table fed by the same
    records (parties and accounts from one KYC row) says 0.
    """

    table: str
    rows: pa.Table
    records: int
    rejected: pa.Table = field(default_factory=REJECTED.empty_table)


@dataclass
class ReadContext:
    member_id: str
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"mapping": "kyc_bank"}
    batch_rows: int = 500_000


Reader = Callable[[Path, ReadContext], Iterator[Batch]]


def rejected(rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """A REJECTED table from (location, field, reason, raw) tuples."""
    columns: list[list[str]] = [[row[i] for row in rows] for i in range(4)]
    return pa.table([pa.array(c, pa.string()) for c in columns], schema=REJECTED)


def refuse(path: Path, reason: str) -> FormatError:
    """The one-line error for a file that is not the declared format."""
    return FormatError(f"{path.name}: {reason}")
