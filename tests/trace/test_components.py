"""Whole-graph connected components as iterative SQL, on DuckDB and Spark."""

from __future__ import annotations

from trace_helpers import at, transactions

from moneytrail.trace.components import connected_components
from moneytrail.warehouse.engine import Engine


def test_components_over_the_payment_graph(engine: Engine) -> None:
    # A long chain a1..a6 (needs several rounds), a pair b1-b2, and a cycle c1->c2->c3->c1.
    pairs = [("a1", "a2"), ("a3", "a2"), ("a3", "a4"), ("a5", "a4"), ("a6", "a5"), ("b2", "b1")]
    pairs += [("c1", "c2"), ("c2", "c3"), ("c3", "c1")]
    rows = [
        {"member_id": "bank", "src_token": s, "dst_token": d, "src_account": f"bank:{s}", "amount": 1, "ts": at(i)}
        for i, (s, d) in enumerate(pairs)
    ]
    engine.write_table("transactions", transactions(rows))
    rounds = connected_components(engine)
    assert rounds >= 2
    got = {r["node"]: r["component"] for r in engine.table("components").to_pylist()}
    assert got == {**{f"a{i}": "a1" for i in range(1, 7)}, "b1": "b1", "b2": "b1", "c1": "c1", "c2": "c1", "c3": "c1"}
    assert not {"trace_cc_edges", "trace_cc_labels_a", "trace_cc_labels_b"} & set(engine.tables())
