"""Crypto address checks per chain: shape from data/chains.yaml, checksum where cheap."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_FILE = Path(__file__).parent / "data" / "chains.yaml"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {c: i for i, c in enumerate(_BASE58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONSTANTS = (1, 0x2BC830A3)  # bech32 (BIP 173) and bech32m (BIP 350)


@dataclass(frozen=True)
class AddressPattern:
    regex: re.Pattern[str]
    check: str
    hrp: str | None


@cache
def _chains() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(_FILE.read_text())["chains"]
    return data


@cache
def _patterns(chain: str) -> tuple[AddressPattern, ...]:
    spec = _chains().get(chain)
    if spec is None:
        raise ValueError(f"unknown chain {chain!r}")
    return tuple(AddressPattern(re.compile(p["regex"]), p["check"], p.get("hrp")) for p in spec["patterns"])


def chains() -> list[str]:
    return list(_chains())


def chains_for_ofac_code(code: str) -> list[str]:
    """The chains whose addresses an OFAC asset code (XBT, ETH, USDT...) may list."""
    return [str(chain) for chain, spec in _chains().items() if code.upper() in spec.get("ofac", [])]


def _base58check(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + _BASE58_INDEX[char]
    leading = len(address) - len(address.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * leading + body
    if len(raw) < 5:
        return False
    payload, checksum = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum


def _bech32_polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(generators):
            checksum ^= generator if (top >> i) & 1 else 0
    return checksum


def _bech32(address: str, hrp: str) -> bool:
    if address.lower() != address and address.upper() != address:
        return False
    text = address.lower()
    prefix, _, data = text.rpartition("1")
    if prefix != hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    expanded = [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]
    return _bech32_polymod(expanded + [_BECH32.index(c) for c in data]) in _BECH32_CONSTANTS


def check_address(address: str, chain: str) -> str | None:
    """None when the address is valid on the chain, else the reason it is not."""
    for pattern in _patterns(chain):
        if not pattern.regex.match(address):
            continue
        if pattern.check == "base58check" and not _base58check(address):
            return f"bad base58check checksum for a {chain} address"
        if pattern.check == "bech32" and not _bech32(address, pattern.hrp or ""):
            return f"bad bech32 checksum for a {chain} address"
        return None
    return f"not a {chain} address"


def guess_chain(address: str) -> str | None:
    """The first chain whose address shape (and checksum) the text fits, if any."""
    for chain in _chains():
        if check_address(address, chain) is None:
            return chain
    return None
