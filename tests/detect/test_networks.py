"""The suspicious subgraph's components group flagged accounts that are linked by payments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from moneytrail.detect.networks import suspicious_networks
from moneytrail.model.schemas import TRANSACTIONS
from moneytrail.warehouse.engine import Engine


def _transactions(pairs: list[tuple[str, str]]) -> pa.Table:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {"txn_id": f"m:{i}", "member_id": "m", "ts": start + timedelta(hours=i), "amount": Decimal(50),
         "currency": "USD", "channel": "p2p", "src_account": f"m:{a}", "dst_account": f"m:{b}",
         "src_token": a, "dst_token": b}
        for i, (a, b) in enumerate(pairs)
    ]
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in TRANSACTIONS}, schema=TRANSACTIONS)


def test_flagged_accounts_linked_by_payments_form_one_network(engine: Engine) -> None:
    # s1 and s2 (flagged) both pay beneficiary b1; s3 (flagged) pays b2; x pays y (no one flagged).
    engine.write_table("transactions", _transactions([("s1", "b1"), ("s2", "b1"), ("s3", "b2"), ("x", "y")]))
    engine.write_table(
        "risk_summary",
        pa.table({
            "subject_kind": ["account", "account", "token", "merchant"],
            "subject": ["bank:s1", "bank:s2", "s3", "cardnet:MID1"],
            "total_score": [2.0, 3.0, 4.0, 9.0],
            "reportable": [True, True, True, True],
        }),
    )
    assert suspicious_networks(engine) == 2
    components = dict(
        (r["node"], r["component"]) for r in engine.query("SELECT * FROM suspicious_components").to_pylist()
    )
    assert components["s1"] == components["s2"] == components["b1"]
    assert components["s3"] == components["b2"] != components["s1"]
    assert "x" not in components and "y" not in components
    networks = engine.query(
        "SELECT nodes, flagged_nodes, total_score FROM suspicious_networks ORDER BY total_score"
    ).to_pylist()
    assert networks == [
        {"nodes": 2, "flagged_nodes": 1, "total_score": 4.0},
        {"nodes": 3, "flagged_nodes": 2, "total_score": 5.0},
    ]
