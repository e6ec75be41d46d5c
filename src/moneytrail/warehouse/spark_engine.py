"""Apache Spark: the engine for a coalition that outgrows one machine.

Each persistent table is a Parquet folder under `<home>/spark/<name>`; the engine
registers a temporary view per table, so SQL sees them by name. One SparkSession
is shared per process (its start costs ~10 s).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from moneytrail.warehouse.dialect import DIALECTS
from moneytrail.warehouse.engine import Engine, check_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_lock = threading.Lock()
_sessions: dict[str, SparkSession] = {}


def spark_session(master: str = "local[*]") -> SparkSession:
    """The process-wide SparkSession for a master URL, started on first use."""
    with _lock:
        if master in _sessions:
            return _sessions[master]
        from pyspark.sql import SparkSession

        # Workers must run this interpreter (the venv), or they cannot import moneytrail.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.master(master)
            .appName("moneytrail")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", os.environ.get("MONEYTRAIL_SPARK_PARTITIONS", "4"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("MONEYTRAIL_SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _sessions[master] = session
        return session


class SparkEngine(Engine):
    name = "spark"
    dialect = DIALECTS["spark"]

    def __init__(self, root: Path | str, master: str = "local[*]") -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.spark = spark_session(master)
        self._views: set[str] = set()
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and not folder.name.startswith("_"):
                self._attach(folder.name)

    # -- helpers -----------------------------------------------------------------
    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def _attach(self, name: str) -> None:
        path = self._path(name)
        if any(path.glob("*.parquet")):
            self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        else:
            self.spark.catalog.dropTempView(name)
        self._views.add(name)

    def _df(self, sql: str) -> DataFrame:
        return self.spark.sql(self.translate(sql))

    def _save(self, name: str, df: DataFrame, mode: str) -> None:
        # Write to a fresh folder then swap, so a table can be rebuilt from itself.
        target = self._path(name)
        staging = self.root / f"_staging_{name}_{uuid.uuid4().hex[:8]}"
        if mode == "append" and target.exists():
            df.write.mode("overwrite").parquet(str(staging))
            for part in staging.glob("*.parquet"):
                part.rename(target / f"{uuid.uuid4().hex}-{part.name}")
            shutil.rmtree(staging)
        else:
            df.write.mode("overwrite").parquet(str(staging))
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        self._attach(name)

    # -- Engine --------------------------------------------------------------------
    def query(self, sql: str) -> pa.Table:
        return self._df(sql).toArrow()

    def execute(self, sql: str) -> None:
        self._df(sql).collect()

    def register(self, name: str, table: pa.Table) -> None:
        self.dataframe(table).createOrReplaceTempView(check_name(name))

    def dataframe(self, table: pa.Table) -> DataFrame:
        """An Arrow table as a Spark DataFrame (empty tables keep their schema)."""
        return self.spark.createDataFrame(table)

    def create_table(self, name: str, sql: str) -> None:
        self._save(name, self._df(sql), "overwrite")

    def write_table(self, name: str, table: pa.Table, mode: str = "overwrite") -> None:
        self._save(name, self.dataframe(table), mode)

    def has_table(self, name: str) -> bool:
        return self._path(name).exists() or self.spark.catalog.tableExists(name)

    def drop_table(self, name: str) -> None:
        path = self._path(name)
        if path.exists():
            shutil.rmtree(path)
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def tables(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("_"))

    def read_parquet(self, name: str, path: Path | str) -> None:
        self._save(name, self.spark.read.parquet(str(path)), "overwrite")

    def write_parquet(self, name: str, path: Path | str) -> None:
        self.spark.table(check_name(name)).write.mode("overwrite").parquet(str(path))

    def close(self) -> None:
        # The session is shared by the process; only this engine's views go.
        for name in list(self._views):
            self.spark.catalog.dropTempView(name)
        self._views.clear()

    def run_python(self, sql: str, func: Any, schema: str) -> pa.Table:
        """Apply an Arrow batch function to a query's rows on the executors (mapInArrow)."""
        return self._df(sql).mapInArrow(func, schema).toArrow()
