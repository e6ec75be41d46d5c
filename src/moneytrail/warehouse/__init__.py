"""The warehouse: one Engine interface over DuckDB (default) and Spark."""

from __future__ import annotations

import os

from moneytrail.config import Settings, settings
from moneytrail.warehouse.engine import Engine, check_name, literal


def open_engine(config: Settings | None = None) -> Engine:
    """The engine the settings name, over the warehouse under MONEYTRAIL_HOME."""
    config = config or settings()
    if config.engine == "spark":
        from moneytrail.warehouse.spark_engine import SparkEngine

        return SparkEngine(config.spark_root, config.spark_master)
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    return DuckDBEngine(config.warehouse_path, memory_limit=os.environ.get("MONEYTRAIL_DUCKDB_MEMORY_LIMIT"))


__all__ = ["Engine", "check_name", "literal", "open_engine"]
