"""Describe a trace from the warehouse: who holds each account, its kind and risk; each payment's currency."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

from moneytrail.trace.result import TraceResult
from moneytrail.warehouse.engine import Engine

# Names the warehouse uses for things that are not a member's account.
_CHAIN_TX_PREFIX = "btctx:"


def _columns(engine: Engine, table: str) -> set[str]:
    if not engine.has_table(table):
        return set()
    return set(engine.query(f"SELECT * FROM {table} LIMIT 0").column_names)


def _rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    return list(engine.query(sql).to_pylist())


def describe(result: TraceResult, engine: Engine) -> None:
    """Fill in member, kind, account keys, risk and hotlist flags of nodes; amount and currency of edges."""
    if not result.nodes:
        return
    ids = pa.table({"node": pa.array([n.id for n in result.nodes], pa.string())})
    engine.register("trace_nodes", ids)
    accounts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if {"account_key", "account_token", "member_id", "kind"} <= _columns(engine, "accounts"):
        for row in _rows(
            engine,
            # Two equi-joins, not one join on OR: engines plan an OR join as a nested loop.
            "SELECT t.node, a.account_key, a.member_id, a.kind FROM accounts a "
            "JOIN trace_nodes t ON a.account_token = t.node "
            "UNION SELECT t.node, a.account_key, a.member_id, a.kind FROM accounts a "
            "JOIN trace_nodes t ON a.account_key = t.node",
        ):
            accounts[row["node"]].append(row)
    wallets: dict[str, dict[str, Any]] = {}
    if {"address", "member_id", "kind"} <= _columns(engine, "wallets"):
        for row in _rows(
            engine,
            "SELECT w.address AS node, w.member_id, w.kind FROM wallets w JOIN trace_nodes t ON w.address = t.node",
        ):
            wallets[row["node"]] = row
    hotlisted: set[str] = set()
    if {"value"} <= _columns(engine, "hotlist"):
        hotlisted = {
            r["node"] for r in _rows(engine, "SELECT t.node FROM trace_nodes t JOIN hotlist h ON h.value = t.node")
        }
    risk: dict[str, float] = {}
    risk_columns = _columns(engine, "risk_summary")
    if {"subject", "score"} <= risk_columns:
        keys = {key for rows in accounts.values() for key in (r["account_key"] for r in rows)}
        subjects = pa.table({"subject": pa.array(sorted(keys | {n.id for n in result.nodes}), pa.string())})
        engine.register("trace_subjects", subjects)
        for row in _rows(
            engine,
            "SELECT r.subject, max(CAST(r.score AS DOUBLE)) AS score FROM risk_summary r "
            "JOIN trace_subjects s ON r.subject = s.subject GROUP BY r.subject",
        ):
            risk[row["subject"]] = float(row["score"] or 0.0)
    holder_kind: dict[str, str] = {}
    if {"party_id"} <= _columns(engine, "accounts") and {"party_id", "kind"} <= _columns(engine, "parties"):
        for row in _rows(
            engine,
            "SELECT DISTINCT a.account_token AS node, p.kind FROM accounts a "
            "JOIN trace_nodes t ON a.account_token = t.node JOIN parties p ON p.party_id = a.party_id",
        ):
            holder_kind[row["node"]] = row["kind"]
    for node in result.nodes:
        node.holder_kind = holder_kind.get(node.id)
        held = accounts.get(node.id, [])
        if held:
            node.member = held[0]["member_id"]
            node.kind = held[0]["kind"]
            node.account_keys = sorted({r["account_key"] for r in held})
        elif node.id in wallets:
            node.member = wallets[node.id]["member_id"]
            node.kind = "crypto_address"
        elif node.id.startswith(_CHAIN_TX_PREFIX):
            node.kind = "crypto_tx"
        else:
            node.kind = "external"
        node.hotlisted = node.id in hotlisted
        scores = [risk.get(k, 0.0) for k in [node.id, *node.account_keys]]
        node.risk = 1.0 if node.hotlisted else max(scores, default=0.0)
    _describe_edges(result, engine)


def _describe_edges(result: TraceResult, engine: Engine) -> None:
    wanted = [t for e in result.edges for t in e.txn_ids]
    if not wanted:
        return
    engine.register("trace_txns", pa.table({"txn_id": pa.array(wanted, pa.string())}))
    rows = _rows(
        engine,
        "SELECT x.txn_id, CAST(x.amount AS DOUBLE) AS amount, x.currency, x.channel FROM transactions x "
        "JOIN trace_txns t ON x.txn_id = t.txn_id",
    )
    by_id = {r["txn_id"]: r for r in rows}
    for edge in result.edges:
        found = [by_id[t] for t in edge.txn_ids if t in by_id]
        currencies = {r["currency"] for r in found}
        if found and len(currencies) == 1:
            edge.currency = currencies.pop()
            edge.amount = sum(float(r["amount"]) for r in found)
        channels = {r["channel"] for r in found}
        if len(channels) == 1:
            edge.channel = channels.pop()
