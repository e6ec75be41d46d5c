"""Rows of each member file before they are written: column specs, accumulation and formatting.

Ordinary life produces whole columns at once; schemes add a few rows at a time through
`Rows`. Both become Arrow tables with the same columns plus helper columns: `_ts` (UTC
epoch seconds), `_tz` (offset minutes of the initiating party), `_typ`/`_sch` (label).
Amounts are integers in minor units (cents; satoshis for BTC) until they are written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# kind -> [(column, type)], type: s = string, i = int64 minor units, f = float
KINDS: dict[str, list[tuple[str, str]]] = {
    "camt": [
        ("account", "s"), ("acct_ccy", "s"), ("owner_name", "s"), ("amount", "i"), ("cdt_dbt", "s"),
        ("bktxcd", "s"), ("cp_name", "s"), ("cp_country", "s"), ("cp_account", "s"), ("cp_bic", "s"),
        ("purpose", "s"), ("reference", "s"), ("addtl", "s"),
    ],
    "pacs": [
        ("dbtr_account", "s"), ("dbtr_name", "s"), ("dbtr_country", "s"), ("cdtr_account", "s"),
        ("cdtr_name", "s"), ("cdtr_country", "s"), ("cdtr_bic", "s"), ("amount", "i"), ("currency", "s"),
        ("purpose", "s"), ("reference", "s"),
    ],
    "clearing": [
        ("pan", "s"), ("card_product", "s"), ("issuer_id", "s"), ("issuer_country", "s"), ("acquirer_id", "s"),
        ("mid", "s"), ("merchant_name", "s"), ("descriptor", "s"), ("mcc", "s"), ("merchant_city", "s"),
        ("merchant_country", "s"), ("website_url", "s"), ("amount", "i"), ("currency", "s"),
        ("billing_amount", "i"), ("billing_currency", "s"), ("txn_type", "s"), ("card_present", "s"),
        ("pos_entry", "s"), ("auth_code", "s"),
    ],
    "transfers": [
        ("sender_id", "s"), ("sender_name", "s"), ("sender_country", "s"), ("send_amount", "i"),
        ("send_currency", "s"), ("fee", "i"), ("fx_rate", "f"), ("payout_amount", "i"), ("payout_currency", "s"),
        ("receiver_name", "s"), ("receiver_country", "s"), ("receiver_phone", "s"), ("payout_method", "s"),
        ("payout_account", "s"), ("payout_partner", "s"), ("relationship", "s"), ("purpose", "s"),
        ("message", "s"), ("funding_method", "s"), ("funding_account", "s"), ("device_id", "s"), ("ip", "s"),
    ],
    "payments": [
        ("type", "s"), ("sender_user_id", "s"), ("receiver_user_id", "s"), ("amount", "i"), ("currency", "s"),
        ("note", "s"), ("external_account", "s"), ("external_institution", "s"), ("receiver_country", "s"),
        ("device_id", "s"), ("ip", "s"),
    ],
    "ewallet": [
        ("txn_type", "s"), ("amount", "i"), ("currency", "s"), ("from_wallet", "s"), ("from_name", "s"),
        ("from_country", "s"), ("to_wallet", "s"), ("to_name", "s"), ("partner", "s"), ("partner_ref", "s"),
        ("agent_id", "s"), ("location", "s"), ("note", "s"), ("device_id", "s"),
    ],
    "ledger": [
        ("account_id", "s"), ("entry_type", "s"), ("asset", "s"), ("amount", "i"), ("fee", "i"),
        ("counter_asset", "s"), ("counter_amount", "i"), ("funding_method", "s"), ("funding_account", "s"),
        ("address", "s"), ("chain", "s"), ("tx_hash", "s"), ("ip", "s"), ("device_id", "s"),
    ],
}
HELPERS: list[tuple[str, pa.DataType]] = [
    ("_ts", pa.int64()), ("_tz", pa.int32()), ("_typ", pa.string()), ("_sch", pa.string()), ("_id", pa.string()),
]
_TYPES = {"s": pa.string(), "i": pa.int64(), "f": pa.float64()}


def schema(kind: str) -> pa.Schema:
    fields = [pa.field(name, _TYPES[t]) for name, t in KINDS[kind]]
    return pa.schema(fields + [pa.field(name, t) for name, t in HELPERS])


def make_table(kind: str, n: int, columns: dict[str, Any]) -> pa.Table:
    """An Arrow table of `kind` with the given columns; the others are null."""
    sch = schema(kind)
    arrays = []
    for field in sch:
        value = columns.get(field.name)
        if value is None:
            arrays.append(pa.nulls(n, field.type))
        elif isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value.cast(field.type))
        elif isinstance(value, str | int | float):
            arrays.append(pa.array(np.full(n, value, dtype=object), field.type))
        else:
            arrays.append(pa.array(value, field.type))
    return pa.Table.from_arrays(arrays, schema=sch)


class Rows:
    """Rows added one at a time (schemes); every row carries its native id in `_id`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.names = frozenset([name for name, _ in KINDS[kind]] + [name for name, _ in HELPERS])
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        if not values.keys() <= self.names:
            raise KeyError(f"{self.kind}: unknown columns {sorted(set(values) - self.names)}")
        self.rows.append(values)

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=schema(self.kind))


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def format_ts(ts: pa.Array | np.ndarray, tz: pa.Array | np.ndarray) -> pa.Array:
    """ISO 8601 local time with its offset, e.g. 2025-03-04T23:15:07-05:00."""
    ts_np = np.asarray(ts, dtype=np.int64)
    tz_np = np.asarray(tz, dtype=np.int64)
    local = pa.array(ts_np + tz_np * 60, pa.timestamp("s"))
    text = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S")
    codes, inverse = np.unique(tz_np, return_inverse=True)
    offsets = pa.array([offset_text(int(c)) for c in codes]).take(pa.array(inverse))
    return pc.binary_join_element_wise(text, offsets, "")


def format_amount(minor: pa.Array | np.ndarray, scale: int) -> pa.Array:
    """Plain decimal text with `scale` digits from integer minor units (never exponent notation); nulls stay null."""
    arr = minor if isinstance(minor, pa.Array | pa.ChunkedArray) else pa.array(minor, pa.int64())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    valid = arr.is_valid()
    values = arr.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    magnitude = np.abs(values)
    unit = 10**scale
    whole = pa.array(magnitude // unit).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(magnitude % unit).cast(pa.string()), width=scale, padding="0")
    sign = pc.if_else(pa.array(values < 0), "-", "")
    text = pc.binary_join_element_wise(sign, whole, ".", frac, "") if scale else pc.binary_join_element_wise(
        sign, whole, "")
    return pc.if_else(valid, text, pa.scalar(None, pa.string()))
