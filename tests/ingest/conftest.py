"""Fixtures for ingest tests: a loader over the `engine` fixture with a fresh coalition key."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.ingest import readers
from moneytrail.tokens import CoalitionKey, load_key
from moneytrail.warehouse.engine import Engine
from moneytrail.warehouse.load import Loader


@pytest.fixture
def key(tmp_path: Path) -> CoalitionKey:
    return load_key(tmp_path / "keys.json")


@pytest.fixture
def loader(engine: Engine, key: CoalitionKey) -> Loader:
    return Loader(engine, key, readers())


@pytest.fixture
def duck_loader(tmp_path: Path, key: CoalitionKey) -> Loader:
    """DuckDB only, for reader tests whose SQL is not the point."""
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    return Loader(DuckDBEngine(tmp_path / "duck.duckdb"), key, readers())
