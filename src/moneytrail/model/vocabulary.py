"""The shared vocabulary of typologies and roles, read from typologies.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

_FILE = Path(__file__).with_name("typologies.yaml")


@cache
def _vocabulary() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(_FILE.read_text())
    return data


def typologies() -> list[str]:
    return list(_vocabulary()["typologies"])


def roles() -> list[str]:
    return list(_vocabulary()["roles"])


def typology_title(name: str) -> str:
    return str(_vocabulary()["typologies"][name]["title"])
