"""The loader's background writers: every batch lands whole, each raw value reaches the vault once,
and a failed append stops the ingest with its own error instead of being lost in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Append
from moneytrail.warehouse.load import Loader

_HEADER = "payment_id,created_at,type,sender_user_id,receiver_user_id,amount,currency,note,external_account,"
_HEADER += "external_institution,receiver_country,device_id,ip"


def _payments(path: Path, rows: int) -> Path:
    lines = [_HEADER] + [
        f"P{i},2025-01-01T00:00:{i % 60:02d}Z,payment,U{i % 7},U{(i + 1) % 7},{i}.50,USD,,,,US,dev{i % 5},1.2.3.4"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


class _WatchedEngine(DuckDBEngine):
    """DuckDB whose appenders call `seen(name, rows)` before each append."""

    def seen(self, name: str, rows: pa.Table) -> None:
        pass

    @contextmanager
    def appenders(self, count: int) -> Iterator[list[Append]]:
        with super().appenders(count) as appenders:
            yield [self._watched(append) for append in appenders]

    def _watched(self, append: Append) -> Append:
        def watched(name: str, rows: pa.Table) -> None:
            self.seen(name, rows)
            append(name, rows)

        return watched


class _FailingEngine(_WatchedEngine):
    def seen(self, name: str, rows: pa.Table) -> None:
        if name == "transactions" and rows.num_rows:
            raise OSError("disk full")


def test_batches_are_appended_in_order_and_whole(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    path = _payments(tmp_path / "payments.csv", 2_500)
    seen: list[int] = []
    result = loader.ingest_file(
        path, "p2p", "csv", {"mapping": "p2p_payments"}, on_batch=lambda _, n: seen.append(n), batch_rows=1_000
    )
    assert seen == [1_000, 2_000, 2_500]
    assert (result.read, result.loaded, result.quarantined) == (2_500, 2_500, 0)
    rows = engine.query("SELECT count(*) AS n, count(DISTINCT source_row) AS d FROM transactions").to_pylist()[0]
    assert rows == {"n": 2_500, "d": 2_500}
    vault = engine.query("SELECT count(*) AS n, count(DISTINCT (kind, raw)) AS d FROM vault_p2p").to_pylist()[0]
    assert vault["n"] == vault["d"] == 7 + 5  # each raw identifier once per file: 7 users, 5 devices
    assert engine.query("SELECT status FROM ingest_files").column(0).to_pylist() == ["started", "done"]


def test_a_failed_append_stops_the_ingest_with_its_error(tmp_path: Path) -> None:
    engine = _FailingEngine(tmp_path / "w.duckdb")
    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    path = _payments(tmp_path / "payments.csv", 2_500)
    with pytest.raises(OSError, match="disk full"):
        loader.ingest_file(path, "p2p", "csv", {"mapping": "p2p_payments"}, batch_rows=1_000)
    assert engine.query("SELECT status FROM ingest_files").column(0).to_pylist() == ["started"]  # not done
    assert loader._writer is None  # the threads were stopped


def _limit(engine: DuckDBEngine) -> str:
    return str(engine.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


class _CacheWatchingEngine(_WatchedEngine):
    """Records DuckDB's memory_limit each time a transactions batch is written."""

    limits: list[str]

    def seen(self, name: str, rows: pa.Table) -> None:
        if name == "transactions":
            cursor = self.con.cursor()  # a writer thread: a connection of its own
            self.limits.append(str(cursor.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
            cursor.close()


def test_ingest_holds_the_write_cache_and_lifts_it_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONEYTRAIL_INGEST_CACHE", "96MB")
    engine = _CacheWatchingEngine(tmp_path / "w.duckdb")
    engine.limits = []
    default = _limit(engine)
    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    loader.ingest_file(_payments(tmp_path / "payments.csv", 300), "p2p_app", "csv", {"mapping": "p2p_payments"})
    assert engine.limits and all(limit.replace(" ", "").upper().startswith(("96", "91")) for limit in engine.limits)
    assert _limit(engine) == default  # queries after the ingest get the whole cache back


def test_an_engine_opened_with_its_own_limit_keeps_it(tmp_path: Path) -> None:
    engine = _CacheWatchingEngine(tmp_path / "w.duckdb", memory_limit="300MB")
    engine.limits = []
    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    loader.ingest_file(_payments(tmp_path / "payments.csv", 300), "p2p_app", "csv", {"mapping": "p2p_payments"})
    assert engine.limits and all(limit.replace(" ", "").upper().startswith(("300", "286")) for limit in engine.limits)
