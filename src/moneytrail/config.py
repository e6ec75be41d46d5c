"""Settings read from the environment, with sensible defaults.

MONEYTRAIL_HOME          where the warehouse, keys and operational store live (./.moneytrail)
MONEYTRAIL_DATABASE_URL  SQLAlchemy URL of the operational store (SQLite file under home)
MONEYTRAIL_ENGINE        duckdb (default) or spark
MONEYTRAIL_SPARK_MASTER  Spark master URL (local[*] by default)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from moneytrail.errors import UserError

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    engine: str
    spark_master: str

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def spark_root(self) -> Path:
        return self.home / "spark"

    @property
    def key_file(self) -> Path:
        return self.home / "keys.json"


def settings(home: str | Path | None = None, engine: str | None = None) -> Settings:
    """Resolve settings: explicit arguments win over the environment, which wins over defaults."""
    home_path = Path(home or os.environ.get("MONEYTRAIL_HOME") or ".moneytrail").expanduser()
    engine_name = (engine or os.environ.get("MONEYTRAIL_ENGINE") or "duckdb").lower()
    if engine_name not in ENGINES:
        raise UserError(f"unknown engine {engine_name!r}: choose one of {', '.join(ENGINES)}")
    database_url = os.environ.get("MONEYTRAIL_DATABASE_URL") or f"sqlite:///{home_path / 'moneytrail.db'}"
    master = os.environ.get("MONEYTRAIL_SPARK_MASTER") or "local[*]"
    return Settings(home=home_path, database_url=database_url, engine=engine_name, spark_master=master)
