"""Connected components of a graph as iterative SQL: runs on DuckDB and on Spark.

Min-label propagation with pointer jumping (each round a node takes the smallest label
among itself and its neighbours, then the label of its label), one materialised table per
round, a Python loop until nothing changes — the shape DESIGN.md asks of iterative
algorithms. Trace labels the whole payment graph with it; detect labels the suspicious
subgraph.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine, check_name


def connected_components(engine: Engine, edges_sql: str, table: str = "components", max_rounds: int = 200) -> int:
    """Label every node of the undirected graph `edges_sql` (columns a, b) with its component.

    Writes `table(node, component)`, the component being the smallest node name in it;
    returns the number of rounds it took.
    """
    check_name(table)
    edges, current, spare = f"{table}_cc_edges", f"{table}_cc_labels_a", f"{table}_cc_labels_b"
    # Both directions, plus each node to itself so a node's own label takes part in the minimum.
    engine.create_table(
        edges,
        f"""
        WITH e AS ({edges_sql})
        SELECT DISTINCT node, other FROM (
            SELECT a AS node, b AS other FROM e UNION ALL SELECT b, a FROM e
            UNION ALL SELECT a, a FROM e UNION ALL SELECT b, b FROM e
        ) both_ways
        """,
    )
    engine.create_table(current, f"SELECT node, min(other) AS label FROM {edges} GROUP BY node")
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is the answer
        # Neighbours' labels, then pointer jumping: a node takes the label of its label.
        engine.create_table(
            spare,
            f"""
            WITH spread AS (
                SELECT e.node, min(l.label) AS label
                FROM {edges} e JOIN {current} l ON l.node = e.other
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
    for name in (edges, current, spare):
        engine.drop_table(name)
    return rounds
