"""The coalition key: created on first use in `$MONEYTRAIL_HOME/keys.json`, versioned, rotatable.

The file holds the current key and the retired ones (so old tokens can be mapped to new
ones on rotation). It is written with owner-only permissions.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moneytrail.errors import UserError


@dataclass(frozen=True)
class CoalitionKey:
    key_id: str
    version: int
    secret: bytes
    created_at: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["secret"] = self.secret.hex()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CoalitionKey:
        return cls(str(data["key_id"]), int(data["version"]), bytes.fromhex(data["secret"]), str(data["created_at"]))

    @classmethod
    def generate(cls, key_id: str, version: int) -> CoalitionKey:
        return cls(key_id, version, secrets.token_bytes(32), datetime.now(UTC).isoformat(timespec="seconds"))


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read the coalition key file {path}: {error}") from error
    if "current" not in data:
        raise UserError(f"the coalition key file {path} has no current key")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    staging.replace(path)


def load_key(path: Path) -> CoalitionKey:
    """The current coalition key, created (version 1) if the file does not exist yet."""
    if not path.exists():
        key = CoalitionKey.generate("coalition", 1)
        _write(path, {"current": key.to_json(), "retired": []})
        return key
    return CoalitionKey.from_json(_read(path)["current"])


def retired_keys(path: Path) -> list[CoalitionKey]:
    if not path.exists():
        return []
    return [CoalitionKey.from_json(item) for item in _read(path).get("retired", [])]


def rotate_key(path: Path) -> tuple[CoalitionKey, CoalitionKey]:
    """Make a new key version current; returns (old, new). Callers re-tokenise with both."""
    old = load_key(path)
    data = _read(path)
    new = CoalitionKey.generate(old.key_id, old.version + 1)
    data["retired"] = [*data.get("retired", []), old.to_json()]
    data["current"] = new.to_json()
    _write(path, data)
    return old, new
