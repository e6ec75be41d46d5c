"""The CSV reader stages rows as DuckDB reads them (one query, scanned in parallel, rows out of
order): every row must still carry its own record number, loaded or rejected."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from moneytrail.ingest import csv_mapping
from moneytrail.ingest.base import ReadContext
from moneytrail.ingest.csv_mapping import read_csv_mapped

ROWS = 300_000  # several DuckDB row groups and CSV buffers: the scan runs on every thread


def _write(path: Path) -> None:
    """Payments whose id is their record number; every 10,007th amount is bad."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'P' || CAST(i AS VARCHAR) AS payment_id, '2025-03-01T10:00:00Z' AS created_at,
                  'payment' AS type, 'U' || CAST(i % 997 AS VARCHAR) AS sender_user_id,
                  'U' || CAST(i % 991 AS VARCHAR) AS receiver_user_id,
                  CASE WHEN i % 10007 = 0 THEN 'lots' ELSE '1.50' END AS amount, 'USD' AS currency,
                  '' AS note, '' AS external_account, '' AS external_institution, 'US' AS receiver_country,
                  'd' AS device_id, '' AS ip
           FROM range(1, {ROWS + 1}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


def test_record_numbers_follow_the_file_on_a_parallel_scan(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    _write(path)
    batches = list(read_csv_mapped(path, ReadContext("m", {"mapping": "p2p_payments"}, 500_000)))
    loaded = pa.concat_tables([b.rows.select(["txn_id", "source_row"]) for b in batches])
    rejected = pa.concat_tables([b.rejected for b in batches])
    assert sum(b.records for b in batches) == ROWS
    assert loaded.num_rows + rejected.num_rows == ROWS
    # a loaded row's record number is the number in its id
    ids = pc.utf8_slice_codeunits(loaded.column("txn_id"), 3)
    numbers = pc.utf8_slice_codeunits(loaded.column("source_row"), 7)
    assert pc.all(pc.equal(ids, numbers)).as_py()
    # a rejected row: its number and its own text
    assert set(rejected.column("reason").to_pylist()) == {"not a valid decimal"}
    numbers_rejected = [int(v.removeprefix("record ")) for v in rejected.column("location").to_pylist()]
    assert sorted(numbers_rejected) == [i for i in range(1, ROWS + 1) if i % 10007 == 0]
    for number, raw in zip(numbers_rejected, rejected.column("raw").to_pylist(), strict=True):
        assert raw.startswith(f"P{number},")


def test_rows_a_first_table_leaves_out_are_reported_by_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `where` on the table that counts the records: the rows it leaves out are quarantined under
    their own record numbers, so `read = loaded + quarantined` still holds."""
    (tmp_path / "payments_only.yaml").write_text(
        "tables:\n  transactions:\n    where: \"type = 'payment'\"\n    fields:\n"
        "      txn_id: {native: payment_id}\n      ts: created_at\n      amount: amount\n"
        "      currency: currency\n      channel: {const: p2p}\n      src_raw: sender_user_id\n"
        "      src_scope: {const: own}\n      dst_raw: receiver_user_id\n      dst_scope: {const: own}\n"
    )
    monkeypatch.setattr(csv_mapping, "MAPPINGS", tmp_path)
    csv_mapping.load_mapping.cache_clear()
    lines = ["payment_id,created_at,type,sender_user_id,receiver_user_id,amount,currency"]
    lines += [
        f"P{i},2025-03-01T10:00:00Z,{'refund' if i % 3 == 0 else 'payment'},U1,U2,{'x' if i == 7 else '1'},USD"
        for i in range(1, 11)
    ]
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(lines) + "\n")
    try:
        batches = list(read_csv_mapped(path, ReadContext("m", {"mapping": "payments_only"}, 500_000)))
    finally:
        csv_mapping.load_mapping.cache_clear()
    rejected = pa.concat_tables([b.rejected for b in batches]).to_pylist()
    loaded = pa.concat_tables([b.rows for b in batches])
    assert sum(b.records for b in batches) == 10 == loaded.num_rows + len(rejected)
    assert sorted((r["location"], r["reason"]) for r in rejected) == [
        ("record 3", "row kind this mapping does not load"),
        ("record 6", "row kind this mapping does not load"),
        ("record 7", "not a valid decimal"),
        ("record 9", "row kind this mapping does not load"),
    ]
    assert sorted(loaded.column("source_row").to_pylist()) == sorted(f"record {i}" for i in (1, 2, 4, 5, 8, 10))
