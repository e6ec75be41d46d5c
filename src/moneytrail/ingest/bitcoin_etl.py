"""bitcoin-etl transactions (JSON lines) -> address-level value flows through a transaction node.

One row per input (`btc:INPUT_ADDRESS -> btctx:HASH`, the input's value) and one per
output (`btctx:HASH -> btc:OUTPUT_ADDRESS`, the output's value); the fee is what stays at
the node; a coinbase has outputs only. Values are exact (satoshis -> BTC decimals). A line
that is not a transaction record, or whose outputs do not add up to `output_value`, is
quarantined whole. Outputs with no address (non-standard scripts) keep their value on a
`btcscript:HASH:N` node so nothing is lost. An export without enriched inputs (inputs
carry no value or address) still loads every output exactly; its inputs go to
`btc_unresolved_inputs` (spent tx hash and index) until the spent output is known.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from moneytrail.ingest.base import Batch, ReadContext, refuse, rejected
from moneytrail.ingest.schemas import BTC_UNRESOLVED_INPUTS, STAGED_TRANSACTIONS
from moneytrail.ingest.stage import Stager

_SATOSHI = Decimal(1).scaleb(-8)


def _btc(value: Any) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return None
    return str(Decimal(value) * _SATOSHI)


def _address(item: dict[str, Any], fallback: str) -> str:
    addresses = item.get("addresses") or []
    if len(addresses) == 1 and isinstance(addresses[0], str) and addresses[0]:
        return str(addresses[0])
    if addresses:  # bare multisig: the script's keys together are the holder
        return "btcmulti:" + "+".join(sorted(str(a) for a in addresses))
    return fallback


def _enriched(item: dict[str, Any]) -> bool:
    return isinstance(item.get("value"), int) and not isinstance(item.get("value"), bool)


def _unresolved(tx: dict[str, Any], line: str) -> list[dict[str, Any]]:
    return [
        {
            "tx_hash": str(tx["hash"]),
            "input_index": item.get("index", position),
            "spent_transaction_hash": item.get("spent_transaction_hash"),
            "spent_output_index": item.get("spent_output_index"),
            "source_row": line,
        }
        for position, item in enumerate(tx.get("inputs") or [])
        if not _enriched(item)
    ]


def _flows(tx: dict[str, Any], line: str) -> list[dict[str, str | None]]:
    digest = str(tx["hash"])
    node = f"btctx:{digest}"
    ts = datetime.fromtimestamp(int(tx["block_timestamp"]), UTC).isoformat()
    common = {"ts": ts, "currency": "BTC", "channel": "crypto", "chain": "btc", "tx_hash": digest, "source_row": line}
    rows: list[dict[str, str | None]] = []
    for position, item in enumerate(tx.get("inputs") or []):
        if not _enriched(item):
            continue
        index = item.get("index", position)
        source = _address(item, f"btcscript:{item.get('spent_transaction_hash')}:{item.get('spent_output_index')}")
        rows.append(
            {
                **common,
                "txn_id": f"btc:{digest}:in:{index}",
                "amount": _btc(item.get("value")),
                "src_raw": source,
                "src_scope": "public",
                "dst_raw": node,
                "dst_scope": "public",
            }
        )
    for position, item in enumerate(tx.get("outputs") or []):
        index = item.get("index", position)
        target = _address(item, f"btcscript:{digest}:{index}")
        rows.append(
            {
                **common,
                "txn_id": f"btc:{digest}:out:{index}",
                "amount": _btc(item.get("value")),
                "src_raw": node,
                "src_scope": "public",
                "dst_raw": target,
                "dst_scope": "public",
            }
        )
    return rows


def _problem(tx: Any) -> tuple[str, str] | None:
    """(field, reason) when a parsed line is not a usable transaction record."""
    if not isinstance(tx, dict):
        return "", "not a JSON object"
    if tx.get("type", "transaction") != "transaction":
        return "type", f"a {tx.get('type')!r} record, not a transaction"
    for name in ("hash", "block_timestamp", "outputs"):
        if tx.get(name) is None:
            return name, "missing"
    if not isinstance(tx["outputs"], list) or not isinstance(tx.get("inputs") or [], list):
        return "outputs", "inputs/outputs are not lists"
    if not isinstance(tx["block_timestamp"], int):
        return "block_timestamp", "not Unix seconds"
    raw_values = [o.get("value") if isinstance(o, dict) else None for o in tx["outputs"]]
    values = [v for v in raw_values if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
    if len(values) != len(raw_values):
        return "outputs", "an output without a satoshi value"
    if tx.get("output_value") is not None and sum(values) != tx["output_value"]:
        return "output_value", f"outputs add up to {sum(values)}, not {tx['output_value']}"
    inputs = tx.get("inputs") or []
    if any(not isinstance(i, dict) for i in inputs):
        return "inputs", "an input that is not a JSON object"
    if any(isinstance(i.get("value"), int) and i["value"] < 0 for i in inputs):
        return "inputs", "a negative input value"
    if not inputs and not tx.get("is_coinbase", False):
        return "inputs", "no inputs on a transaction that is not a coinbase"
    return None


def read_bitcoin_etl(path: Path, context: ReadContext) -> Iterator[Batch]:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    if head and not head.startswith(b"{"):
        raise refuse(path, "not bitcoin-etl JSON lines: the first line is not a JSON object")
    try:
        first = json.loads(head.split(b"\n", 1)[0]) if head else {}
    except ValueError:
        first = {}
    if isinstance(first, dict) and (first.get("type") == "block" or "transaction_count" in first):
        raise refuse(path, "bitcoin-etl block records carry no transactions; give the transactions export")
    stager = Stager()
    try:
        pending: list[dict[str, str | None]] = []
        unresolved: list[dict[str, Any]] = []
        bad: list[tuple[str, str, str, str]] = []
        records = 0
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                records += 1
                line = f"line {number}"
                try:
                    tx = json.loads(text)
                except ValueError as error:
                    bad.append((line, "", f"not JSON: {error}", text[:500]))
                    continue
                problem = _problem(tx)
                if problem is not None:
                    bad.append((line, problem[0], problem[1], text[:500]))
                    continue
                pending.extend(_flows(tx, line))
                unresolved.extend(_unresolved(tx, line))
                if len(pending) >= context.batch_rows:
                    yield from _batches(stager, pending, records, bad, unresolved)
                    pending, bad, records, unresolved = [], [], 0, []
        if pending or bad or records:
            yield from _batches(stager, pending, records, bad, unresolved)
    finally:
        stager.close()


def _batches(
    stager: Stager,
    rows: list[dict[str, str | None]],
    records: int,
    bad: list[tuple[str, str, str, str]],
    unresolved: list[dict[str, Any]],
) -> Iterator[Batch]:
    yield _batch(stager, rows, records, bad)
    if unresolved:
        table = pa.Table.from_pylist(
            unresolved, schema=BTC_UNRESOLVED_INPUTS.remove(BTC_UNRESOLVED_INPUTS.get_field_index("source_file"))
        )
        yield Batch("btc_unresolved_inputs", table, 0)


def _batch(
    stager: Stager, rows: list[dict[str, str | None]], records: int, bad: list[tuple[str, str, str, str]]
) -> Batch:
    names = [f.name for f in STAGED_TRANSACTIONS]
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    good, failed = stager.stage(table, STAGED_TRANSACTIONS)
    return Batch("transactions", good, records, pa.concat_tables([rejected(bad), failed]))
