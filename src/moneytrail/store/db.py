"""Opening the operational store and bringing its schema up to date with Alembic."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from moneytrail.store.models import ApiKey, AuditEvent

MIGRATIONS = Path(__file__).parent / "migrations"


def hash_api_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Store:
    """One operational store. `Store(url).upgrade()` creates or migrates its schema."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self, revision: str = "head") -> None:
        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str = "base") -> None:
        self._migrate(command.downgrade, revision)

    def _migrate(self, step: Callable[[Config, str], None], revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def audit(self, actor: str, action: str, object_type: str, object_id: str | None = None, **detail: object) -> None:
        with self.session() as session:
            event = AuditEvent(actor=actor, action=action, object_type=object_type, object_id=object_id, detail=detail)
            session.add(event)

    def issue_api_key(self, user_id: int) -> str:
        """Create an API key for a user; returns the plain key (only the hash is stored)."""
        plain = "mt_" + secrets.token_urlsafe(32)
        with self.session() as session:
            session.add(ApiKey(key_id=secrets.token_hex(8), user_id=user_id, key_hash=hash_api_key(plain)))
        return plain

    def dispose(self) -> None:
        self.engine.dispose()
