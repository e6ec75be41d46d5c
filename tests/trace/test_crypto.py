"""Common-input clustering on the real bitcoin-etl sample and on hand-made on-chain rows; exposure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trace_helpers import at, transactions

from moneytrail.ingest import readers
from moneytrail.tokens import load_key
from moneytrail.trace import TraceIndex
from moneytrail.trace.crypto import cluster_addresses, clusters, exposure
from moneytrail.warehouse.duckdb_engine import DuckDBEngine
from moneytrail.warehouse.engine import Engine
from moneytrail.warehouse.load import Loader, ingest_files


def _expected_clusters(files: list[Path]) -> list[set[str]]:
    """Worked out from the JSON itself: the input addresses of each spend belong together."""
    groups: list[set[str]] = []
    for path in files:
        for line in path.read_text().splitlines():
            tx = json.loads(line)
            owners = {f"btc:{a}" for i in tx["inputs"] for a in i.get("addresses") or []}
            if len(owners) < 2:
                continue
            overlapping = [g for g in groups if g & owners]
            for group in overlapping:
                groups.remove(group)
                owners |= group
            groups.append(owners)
    return groups


def test_bitcoin_etl_sample_clusters_by_common_input(shared_data: Path, tmp_path: Path) -> None:
    files = sorted((shared_data / "bitcoin-etl").glob("*/expected_transactions.json"))
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    loader = Loader(engine, load_key(tmp_path / "keys.json"), readers())
    ingest_files(loader, [(p, "btc", "bitcoin-etl", {}) for p in files])
    expected = _expected_clusters(files)
    # By hand: block 50001's transaction 7940cdde… spends 1DoQeKfU… and 1PZMgkF2… together;
    # every other spend has one input, and coinbase outputs spend nothing.
    assert expected == [{"btc:1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae", "btc:1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9"}]
    assert cluster_addresses(engine) == 1
    assert clusters(engine) == expected
    singles = engine.query(
        "SELECT cluster_id FROM address_clusters WHERE address = 'btc:18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD'"
    ).to_pylist()
    assert singles == [{"cluster_id": "btc:18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD"}]


def _chain_rows() -> list[dict[str, object]]:
    """t1: A and D spend together (one owner). t2: A, B, C mix into three equal outputs (CoinJoin).
    t3: E spends to X (seen before, in t2) and a fresh Y (E's change)."""
    rows: list[dict[str, object]] = []

    def tx(hash_: str, hour: float, inputs: list[tuple[str, float]], outputs: list[tuple[str, float]]) -> None:
        for n, (address, amount) in enumerate(inputs):
            rows.append(dict(txn_id=f"btc:{hash_}:in:{n}", src_account=f"btc:{address}", dst_account=f"btctx:{hash_}",
                             src_token=address, dst_token=f"btctx:{hash_}", amount=amount, ts=at(hour)))  # fmt: skip
        for n, (address, amount) in enumerate(outputs):
            rows.append(dict(txn_id=f"btc:{hash_}:out:{n}", src_account=f"btctx:{hash_}", dst_account=f"btc:{address}",
                             src_token=f"btctx:{hash_}", dst_token=address, amount=amount, ts=at(hour)))  # fmt: skip

    tx("t1", 1, [("A", 1.0), ("D", 2.0)], [("P", 2.9)])
    tx("t2", 2, [("A", 1.0), ("B", 1.0), ("C", 1.0)], [("X", 0.99), ("Q", 0.99), ("R", 0.99)])
    tx("t3", 3, [("E", 5.0)], [("X", 1.0), ("Y", 3.9)])
    for row in rows:
        row.update(
            member_id="btc", chain="btc", channel="crypto", currency="BTC", tx_hash=str(row["txn_id"]).split(":")[1]
        )
    return rows


def test_coinjoin_is_left_out_and_change_joins_the_spender(engine: Engine) -> None:
    engine.write_table("transactions", transactions(_chain_rows()))
    cluster_addresses(engine, change=True)
    assert sorted(map(sorted, clusters(engine))) == [["btc:A", "btc:D"], ["btc:E", "btc:Y"]]


def test_change_heuristic_is_off_by_default(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    engine.write_table("transactions", transactions(_chain_rows()))
    cluster_addresses(engine)
    assert clusters(engine) == [{"btc:A", "btc:D"}]


def test_exposure_to_hotlisted_addresses_direct_and_within_hops() -> None:
    # H (hotlisted) -> tx1 -> M -> tx2 -> K (the cluster); K also gets 3.0 from clean C via tx3.
    rows = [
        ("H", "btctx:1", 1, 2.0), ("btctx:1", "M", 1, 2.0),
        ("M", "btctx:2", 2, 2.0), ("btctx:2", "K", 2, 1.0), ("btctx:2", "Z", 2, 1.0),
        ("C", "btctx:3", 3, 3.0), ("btctx:3", "K", 3, 3.0),
        ("K", "btctx:4", 4, 4.0), ("btctx:4", "H", 4, 4.0),
    ]  # fmt: skip
    from trace_helpers import edge_index

    index: TraceIndex = edge_index(rows)
    found = exposure(index, ["K"], {"H"}, hops=2)
    assert found.direct_in == 0.0  # nothing straight from H
    assert found.direct_out == pytest.approx(4.0)  # K pays H in one transaction
    assert found.total_in == pytest.approx(4.0)
    assert found.indirect_in == pytest.approx(1.0)  # 1.0 of K's 4.0 goes back to H in two transactions
    assert found.share_in == pytest.approx(0.25)
    assert found.counterparties == ["H"]
