"""Per-request access to the warehouse and the operational store, and the audit of every access."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa

from moneytrail.config import Settings
from moneytrail.store import Store
from moneytrail.warehouse import Engine, open_engine


@dataclass
class AppState:
    """What the app holds for its lifetime: settings, one store, one warehouse engine behind a lock."""

    config: Settings
    store: Store
    _engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def warehouse(self) -> Iterator[Engine]:
        # DuckDB connections are not safe across threads: serialise warehouse access.
        with self._lock:
            if self._engine is None:
                self._engine = open_engine(self.config)
            yield self._engine

    def query(self, sql: str) -> pa.Table:
        with self.warehouse() as engine:
            return engine.query(sql)

    def has_table(self, name: str) -> bool:
        with self.warehouse() as engine:
            return engine.has_table(name)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
        self.store.dispose()
