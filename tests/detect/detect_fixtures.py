"""Hand-made warehouse rows in the canonical schemas, for rule tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from moneytrail.detect.pipeline import detect
from moneytrail.detect.prepare import HOTLIST
from moneytrail.detect.rulespec import RuleSpec, load_rules
from moneytrail.model import schemas
from moneytrail.warehouse.engine import Engine

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_counter = iter(range(10**9))


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def txn(**fields: Any) -> dict[str, Any]:
    """One transaction with defaults; amounts in USD unless a currency is given."""
    n = next(_counter)
    row: dict[str, Any] = {name: None for name in schemas.TRANSACTIONS.names}
    row.update(
        txn_id=f"m1:t{n}",
        member_id="m1",
        ts=T0,
        amount=Decimal("50"),
        currency="USD",
        channel="remittance",
        src_account="m1:alice",
        dst_account="ext:bob",
        src_country="US",
        dst_country="US",
    )
    row.update(fields)
    row["amount"] = Decimal(str(row["amount"]))
    if row["amount_usd"] is None and row["currency"] == "USD":
        row["amount_usd"] = row["amount"]
    elif row["amount_usd"] is not None:
        row["amount_usd"] = Decimal(str(row["amount_usd"]))
    if row["src_token"] is None and row["src_account"]:
        row["src_token"] = row["src_account"].split(":", 1)[1]
    if row["dst_token"] is None and row["dst_account"]:
        row["dst_token"] = row["dst_account"].split(":", 1)[1]
    return row


def rows_table(schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.Table:
    full = [{name: r.get(name) for name in schema.names} for r in rows]
    return pa.Table.from_pylist(full, schema=schema)


def load(
    engine: Engine,
    txns: list[dict[str, Any]],
    accounts: list[dict[str, Any]] | None = None,
    parties: list[dict[str, Any]] | None = None,
    merchants: list[dict[str, Any]] | None = None,
    hotlist: list[dict[str, Any]] | None = None,
    members: list[dict[str, Any]] | None = None,
    wallets: list[dict[str, Any]] | None = None,
) -> None:
    engine.write_table("transactions", rows_table(schemas.TRANSACTIONS, txns))
    for name, schema, rows in (
        ("accounts", schemas.ACCOUNTS, accounts),
        ("parties", schemas.PARTIES, parties),
        ("merchants", schemas.MERCHANTS, merchants),
        ("hotlist", HOTLIST, hotlist),
        ("members", schemas.MEMBERS, members),
        ("wallets", schemas.WALLETS, wallets),
    ):
        if rows:
            engine.write_table(name, rows_table(schema, rows))


def person(account_key: str, party_id: str, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """An account and its holder (a person), e.g. person('m1:alice', 'p1', age_band='<18')."""
    member = account_key.split(":", 1)[0]
    account = {
        "account_key": account_key,
        "member_id": member,
        "party_id": party_id,
        "kind": fields.pop("kind", "bank"),
    }
    party = {"party_id": party_id, "member_id": member, "kind": "person", **fields}
    return account, party


def holder(
    account_key: str, party_id: str, phone: str | None = None, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`person` with the account's token (the key after the member) and the holder's phone token:
    what the coalition links one person's accounts at different members by."""
    account, party = person(account_key, party_id, phone_token=phone, **fields)
    account["account_token"] = account_key.split(":", 1)[1]
    return account, party


def specs_for(rule_id: str) -> list[RuleSpec]:
    """The rule and the rules it builds on, in order."""
    everything = {s.id: s for s in load_rules()}
    needed: list[RuleSpec] = []

    def add(rid: str) -> None:
        for dep in everything[rid].after:
            add(dep)
        if everything[rid] not in needed:
            needed.append(everything[rid])

    add(rule_id)
    return needed


def alerts_of(engine: Engine, rule_id: str) -> list[dict[str, Any]]:
    result = detect(engine, specs=specs_for(rule_id), store=False)
    return [a for a in result.alerts.to_pylist() if a["rule_id"] == rule_id]


def subjects(engine: Engine, rule_id: str) -> set[str]:
    return {a["subject"] for a in alerts_of(engine, rule_id)}
