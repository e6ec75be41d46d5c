"""Hand-made graphs for trace tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from moneytrail.model.schemas import TRANSACTIONS
from moneytrail.trace import TraceIndex

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def edge_index(rows: list[tuple[str, str, float, float]]) -> TraceIndex:
    """An index from (payer, payee, hour, value) rows; txn ids t0, t1, ..."""
    table = pa.table(
        {
            "src": [r[0] for r in rows],
            "dst": [r[1] for r in rows],
            "ts": pa.array([at(r[2]) for r in rows], pa.timestamp("us", tz="UTC")),
            "value": [float(r[3]) for r in rows],
            "txn_id": [f"t{i}" for i in range(len(rows))],
        }
    )
    return TraceIndex.from_edges(table)


def transactions(rows: list[dict[str, Any]]) -> pa.Table:
    """Canonical `transactions` rows; unspecified columns are null, amounts Decimal."""
    filled = []
    for i, row in enumerate(rows):
        item = {"txn_id": f"m:{i}", "channel": "wire", "currency": "USD", **row}
        item["amount"] = Decimal(str(item["amount"]))
        if item.get("amount_usd") is not None:
            item["amount_usd"] = Decimal(str(item["amount_usd"]))
        filled.append(item)
    columns = {field.name: [row.get(field.name) for row in filled] for field in TRANSACTIONS}
    return pa.Table.from_pydict(columns, schema=TRANSACTIONS)
