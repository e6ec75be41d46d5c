"""The CSV reader stages rows as DuckDB reads them (one query, scanned in parallel, rows out of
order): every row must still carry its own record number, loaded or rejected."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

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
