"""Connected components of a whole graph as iterative SQL: runs on DuckDB and on Spark.

Min-label propagation with pointer jumping (each round a node takes the smallest label
among itself and its neighbours, then the label of its label), one materialised table per
round, a Python loop until nothing changes — the shape DESIGN.md asks of iterative
algorithms, so a coalition's whole history can be labelled on Spark.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine, check_name

# The whole payment graph, nodes named as in the trace index (tokens, addresses, tx nodes).
PAYMENT_EDGES_SQL = """
SELECT coalesce(src_token, src_account) AS a, coalesce(dst_token, dst_account) AS b
FROM transactions
WHERE coalesce(src_token, src_account) IS NOT NULL AND coalesce(dst_token, dst_account) IS NOT NULL
"""

_EDGES = "trace_cc_edges"
_LABELS = ("trace_cc_labels_a", "trace_cc_labels_b")


def connected_components(
    engine: Engine, edges_sql: str = PAYMENT_EDGES_SQL, table: str = "components", max_rounds: int = 200
) -> int:
    """Label every node of the undirected graph `edges_sql` (columns a, b) with its component.

    Writes `table(node, component)`, the component being the smallest node name in it;
    returns the number of rounds it took.
    """
    check_name(table)
    # Both directions, plus each node to itself so a node's own label takes part in the minimum.
    engine.create_table(
        _EDGES,
        f"""
        WITH e AS ({edges_sql})
        SELECT DISTINCT node, other FROM (
            SELECT a AS node, b AS other FROM e UNION ALL SELECT b, a FROM e
            UNION ALL SELECT a, a FROM e UNION ALL SELECT b, b FROM e
        ) both_ways
        """,
    )
    current, spare = _LABELS
    engine.create_table(current, f"SELECT node, min(other) AS label FROM {_EDGES} GROUP BY node")
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is the answer
        # Neighbours' labels, then pointer jumping: a node takes the label of its label.
        engine.create_table(
            spare,
            f"""
            WITH spread AS (
                SELECT e.node, min(l.label) AS label
                FROM {_EDGES} e JOIN {current} l ON l.node = e.other
                GROUP BY e.node
            )
            SELECT s.node, least(s.label, coalesce(j.label, s.label)) AS label
            FROM spread s LEFT JOIN spread j ON j.node = s.label
            """,
        )
        changed = engine.query(
            f"SELECT count(*) AS n FROM {spare} s JOIN {current} c ON s.node = c.node WHERE s.label <> c.label"
        ).column(0)[0]
        current, spare = spare, current
        if not changed.as_py():
            break
    engine.create_table(table, f"SELECT node, label AS component FROM {current}")
    for name in (_EDGES, *_LABELS):
        engine.drop_table(name)
    return rounds
