"""Identifiers that look and validate like the real thing: Luhn PANs, GB IBANs, E.164 phones, P2PKH addresses."""

from __future__ import annotations

import hashlib

import numpy as np
import schwifty

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def unique_ints(rng: np.random.Generator, n: int, digits: int) -> np.ndarray:
    """n distinct integers with exactly `digits` digits."""
    low = 10 ** (digits - 1)
    out: np.ndarray = low + rng.choice(9 * low, size=n, replace=False)
    return out


def digits_text(values: np.ndarray, width: int, prefix: str = "") -> list[str]:
    return [f"{prefix}{v:0{width}d}" for v in values.tolist()]


def luhn_pans(rng: np.random.Generator, n: int, bin6: str) -> list[str]:
    """Distinct 16-digit PANs under a BIN, with a valid Luhn check digit."""
    body = unique_ints(rng, n, 9)  # 6 BIN + 9 account digits + 1 check digit
    out = []
    for value in body.tolist():
        partial = f"{bin6}{value:09d}"
        total = 0
        # Luhn: double every second digit from the right, counting the check digit as position 1.
        for i, ch in enumerate(reversed(partial)):
            d = int(ch)
            if i % 2 == 0:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        out.append(partial + str((10 - total % 10) % 10))
    return out


def gb_ibans(rng: np.random.Generator, n: int, bank_code: str) -> list[str]:
    """Distinct GB IBANs at one bank (sort codes from a handful of branches)."""
    accounts = unique_ints(rng, n, 8)
    sorts = rng.integers(200400, 200420, size=n)
    return [
        str(schwifty.IBAN.generate("GB", bank_code=f"{bank_code}{s}", account_code=f"{a:08d}"))
        for s, a in zip(sorts.tolist(), accounts.tolist(), strict=True)
    ]


def phones(rng: np.random.Generator, prefix: str, n: int) -> list[str]:
    """Distinct E.164 numbers: the prefix plus enough digits for a 12-13 digit number."""
    width = max(15 - len(prefix) - 2, 6)
    return digits_text(unique_ints(rng, n, width), width, prefix)


def hex_ids(rng: np.random.Generator, n: int, width: int, prefix: str = "") -> list[str]:
    raw = rng.integers(0, 256, size=(n, (width + 1) // 2), dtype=np.uint8)
    return [prefix + row.tobytes().hex()[:width] for row in raw]


def _b58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def p2pkh(hash160: bytes) -> str:
    """Base58Check address of version 0 (mainnet P2PKH)."""
    payload = b"\0" + hash160
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return _b58(payload + check)


def btc_addresses(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """(address, hash160 hex) pairs; the hash160 goes into the output script."""
    raw = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    hashes = [row.tobytes() for row in raw]
    return [p2pkh(h) for h in hashes], [h.hex() for h in hashes]


def b58decode_hash160(address: str) -> str:
    number = 0
    for ch in address:
        number = number * 58 + _B58.index(ch)
    return number.to_bytes(25, "big")[1:21].hex()
