"""The world the generator draws from: `data/world.yaml` and `data/names.yaml`, plus user overrides."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from moneytrail.errors import UserError

_DATA = Path(__file__).with_name("data")
DAY = 86_400


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a YAML mapping")
    return data


@dataclass(frozen=True)
class World:
    """Read-only view over the merged configuration."""

    config: dict[str, Any]
    names: dict[str, Any]

    @classmethod
    def load(cls, override: Path | None = None) -> World:
        config = _load(_DATA / "world.yaml")
        if override is not None:
            if not override.exists():
                raise UserError(f"config file not found: {override}")
            config = _merge(config, _load(override))
        return cls(config=config, names=_load(_DATA / "names.yaml"))

    def __getitem__(self, key: str) -> Any:
        return self.config[key]

    @cached_property
    def start(self) -> int:
        """Epoch seconds (UTC) of the first day."""
        day = datetime.fromisoformat(str(self.config["start"])).replace(tzinfo=UTC)
        return int(day.timestamp())

    @property
    def days(self) -> int:
        return int(self.config["days"])

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    def country(self, code: str) -> dict[str, Any]:
        return dict(self.config["countries"][code])

    def tz(self, code: str) -> int:
        """UTC offset in minutes (fixed per country)."""
        return int(self.config["countries"][code]["tz_minutes"])

    def currency(self, code: str) -> str:
        return str(self.config["countries"][code]["currency"])

    def usd_per(self, currency: str) -> float:
        return float(self.config["usd_per"][currency])

    def member(self, member_id: str) -> dict[str, Any]:
        for member in self.config["members"]:
            if member["member_id"] == member_id:
                return dict(member)
        raise KeyError(member_id)

    def hours(self, profile: str) -> np.ndarray:
        weights = np.asarray(self.config["hours"][profile], dtype=np.float64)
        out: np.ndarray = weights / weights.sum()
        return out

    @cached_property
    def weekdays(self) -> np.ndarray:
        return np.asarray(self.config["weekdays"], dtype=np.float64)

    def typology(self, name: str) -> dict[str, Any]:
        return dict(self.config[name])
