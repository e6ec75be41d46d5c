"""The same SQL pipeline gives identical results on DuckDB and Spark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.errors import UserError
from moneytrail.model.schemas import TRANSACTIONS
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine, check_name, literal
from moneytrail.warehouse.pipeline import Pipeline


def _transactions() -> pa.Table:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(60):
        rows.append(
            {
                "txn_id": f"t{i}",
                "member_id": "bank_a" if i % 2 else "remit_b",
                "ts": start + timedelta(hours=7 * i),
                "amount": Decimal(f"{(i * 37) % 200 + 10}.25"),
                "currency": "USD",
                "amount_usd": Decimal(f"{(i * 37) % 200 + 10}.25"),
                "channel": "remittance",
                "src_account": f"bank_a:s{i % 7}",
                "dst_account": f"ewallet:d{i % 3}",
                "src_token": f"tok{i % 7}",
                "dst_token": f"ben{i % 3}",
                "src_country": "US",
                "dst_country": "PH",
            }
        )
    columns = {field.name: [row.get(field.name) for row in rows] for field in TRANSACTIONS}
    return pa.table(columns, schema=TRANSACTIONS)


def _pipeline() -> Pipeline:
    return (
        Pipeline()
        .step("txn_window", """
            SELECT dst_token, ts, amount_usd, src_token,
                   count(*) OVER w AS fan_in_30d,
                   count(DISTINCT src_token) OVER w AS distinct_senders_30d,
                   sum(amount_usd) OVER w AS sum_usd_30d
            FROM transactions
            WINDOW w AS (PARTITION BY dst_token ORDER BY ts RANGE BETWEEN INTERVAL 30 DAYS PRECEDING AND CURRENT ROW)
        """)
        .step("beneficiary_summary", """
            SELECT dst_token,
                   max(fan_in_30d) AS max_fan_in_30d,
                   max(distinct_senders_30d) AS max_senders_30d,
                   sum(amount_usd) AS total_usd,
                   min(ts) AS first_seen,
                   count(*) FILTER (WHERE extract(hour FROM ts) >= 23 OR extract(hour FROM ts) < 5) AS odd_hour_count,
                   date_trunc('day', max(ts)) AS last_day,
                   max(epoch(ts)) - min(epoch(ts)) AS span_seconds
            FROM txn_window GROUP BY dst_token
        """, materialise=True)
    )


def _result(engine: Engine) -> list[dict[str, object]]:
    engine.write_table("transactions", _transactions())
    _pipeline().run(engine)
    rows = engine.query("SELECT * FROM beneficiary_summary ORDER BY dst_token").to_pylist()
    return rows


def test_pipeline_runs_on_each_engine(engine: Engine) -> None:
    rows = _result(engine)
    assert [r["dst_token"] for r in rows] == ["ben0", "ben1", "ben2"]
    assert sum(int(r["max_fan_in_30d"]) for r in rows) > 3
    assert all(int(r["max_senders_30d"]) <= 7 for r in rows)
    assert engine.has_table("beneficiary_summary")
    assert "beneficiary_summary" in engine.tables()


@pytest.mark.spark
def test_pipeline_identical_on_duckdb_and_spark(tmp_path: Path, spark_root: Path) -> None:
    from moneytrail.warehouse.spark_engine import SparkEngine

    with DuckDBEngine(tmp_path / "w.duckdb") as duck:
        duck_rows = _result(duck)
    with SparkEngine(spark_root / "identical") as spark:
        spark_rows = _result(spark)
    assert duck_rows == spark_rows


def test_tables_persist_and_append(engine: Engine) -> None:
    data = _transactions()
    engine.write_table("transactions", data.slice(0, 10))
    engine.write_table("transactions", data.slice(10, 5), mode="append")
    assert engine.count("transactions") == 15
    back = engine.table("transactions")
    assert back.schema.field("amount").type == pa.decimal128(38, 8)
    assert sorted(back.column("txn_id").to_pylist()) == sorted(data.slice(0, 15).column("txn_id").to_pylist())
    engine.drop_table("transactions")
    assert not engine.has_table("transactions")


def test_parquet_round_trip(engine: Engine, tmp_path: Path) -> None:
    engine.write_table("transactions", _transactions())
    target = tmp_path / "out" / "transactions.parquet"
    engine.write_parquet("transactions", target)
    engine.read_parquet("copy", target)
    assert engine.count("copy") == 60


def test_duckdb_tables_survive_reopen(tmp_path: Path) -> None:
    with DuckDBEngine(tmp_path / "w.duckdb") as first:
        first.write_table("transactions", _transactions())
    with DuckDBEngine(tmp_path / "w.duckdb") as second:
        assert second.count("transactions") == 60


def test_names_and_literals_are_safe() -> None:
    assert check_name("fan_in_24h") == "fan_in_24h"
    with pytest.raises(UserError):
        check_name("x; DROP TABLE y")
    assert literal("it's") == "'it''s'"
    assert literal(None) == "NULL"
    assert literal(3) == "3"


def test_spark_dialect_rewrites_distinct_window() -> None:
    from moneytrail.warehouse.dialect import DIALECTS

    sql = "SELECT count(DISTINCT a) OVER (PARTITION BY b) AS n FROM t"
    spark_sql = DIALECTS["spark"].translate(sql)
    assert "COLLECT_SET" in spark_sql.upper()
    assert "DISTINCT" not in spark_sql.upper()
    assert DIALECTS["duckdb"].translate(sql) == sql


def test_epoch_keeps_fractions_on_each_engine(engine: Engine) -> None:
    engine.write_table("transactions", _transactions().slice(0, 1))
    value = engine.query(
        "SELECT epoch(ts + INTERVAL 500 MILLISECOND) - epoch(ts) AS half FROM transactions"
    ).column(0)[0].as_py()
    assert value == pytest.approx(0.5)


def test_duckdb_memory_limit_is_applied(tmp_path: Path) -> None:
    with DuckDBEngine(tmp_path / "w.duckdb", memory_limit="512MB") as duck:
        setting = duck.query("SELECT current_setting('memory_limit') AS m").column(0)[0].as_py()
    assert setting.replace(" ", "").upper().startswith(("512", "488"))
