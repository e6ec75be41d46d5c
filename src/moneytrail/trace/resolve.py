"""Turn what an analyst types after `--from` into graph nodes.

Accepted: a token, an on-chain address (bare or `btc:ADDRESS`), a transaction node
`btctx:HASH`, an account key `MEMBER:TOKEN` / `ext:TOKEN`, an account as its member knows
it `MEMBER:ACCOUNT` (tokenised with the coalition key under the home), a merchant's MID or
a site URL (the merchant accounts paid through it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

from moneytrail.errors import UserError
from moneytrail.trace.index import TraceIndex
from moneytrail.warehouse.engine import Engine, literal


def _by_key(text: str, index: TraceIndex) -> int | None:
    number = index.node_number(text)
    if number is not None:
        return number
    prefix, _, rest = text.partition(":")
    if rest and prefix != "btctx":
        return index.node_number(rest)  # MEMBER:TOKEN, ext:TOKEN, btc:ADDRESS
    return None


def _by_raw_account(text: str, index: TraceIndex, home: Path | None) -> int | None:
    member, _, raw = text.partition(":")
    if not raw or home is None:
        return None
    from moneytrail.config import settings
    from moneytrail.tokens import IdentifierError, account_key, load_key

    key_file = settings(home).key_file
    if not key_file.exists():
        return None
    try:
        key = account_key(member, raw, load_key(key_file))
    except IdentifierError:
        return None
    return _by_key(key, index)


def _host(url: str) -> str:
    text = url if "//" in url else f"//{url}"
    return (urlsplit(text).hostname or "").lower().removeprefix("www.")


def _by_merchant(text: str, index: TraceIndex, engine: Engine | None) -> list[int]:
    """Accounts paid through the merchant with this MID, or selling at this URL."""
    if engine is None or not engine.has_table("merchants") or not engine.has_table("transactions"):
        return []
    columns = set(engine.query("SELECT * FROM merchants LIMIT 0").column_names)
    tests = [f"mid = {literal(text)}", f"merchant_id = {literal(text)}"]
    host = _host(text)
    if host:
        for column in ("url", "declared_url"):
            if column in columns:
                tests.append(
                    f"lower(regexp_replace(regexp_replace({column}, '^[a-zA-Z]+://', ''), '^www[.]', '')) "
                    f"LIKE {literal(host + '%')}"
                )
    merchants = f"SELECT merchant_id FROM merchants WHERE {' OR '.join(tests)}"
    rows = engine.query(
        f"SELECT DISTINCT coalesce(dst_token, dst_account) AS node FROM transactions WHERE merchant_id IN ({merchants})"
    )
    found = [index.node_number(str(v)) for v in rows.column("node").to_pylist() if v is not None]
    return [n for n in found if n is not None]


def resolve_start(
    starts: Sequence[str], index: TraceIndex, engine: Engine | None = None, home: Path | None = None
) -> list[int]:
    """Node numbers for each start; an unknown start is a `UserError` naming it."""
    seeds: list[int] = []
    for text in starts:
        text = text.strip()
        number = _by_key(text, index)
        if number is None:
            number = _by_raw_account(text, index, home)
        if number is not None:
            seeds.append(number)
            continue
        merchants = _by_merchant(text, index, engine)
        if not merchants:
            raise UserError(f"nothing to trace from {text!r}: no such account, address, MID or URL")
        seeds.extend(merchants)
    return seeds


def node_ids(index: TraceIndex, numbers: Sequence[int]) -> pa.Array:
    return index.nodes.take(pa.array(list(numbers), pa.int64()))
