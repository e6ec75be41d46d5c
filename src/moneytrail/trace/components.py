"""Connected components of the whole payment graph (iterative SQL; runs on Spark).

The algorithm lives in `moneytrail.warehouse.graph`; trace names the payment graph.
"""

from __future__ import annotations

from moneytrail.warehouse import graph
from moneytrail.warehouse.engine import Engine

# The whole payment graph, nodes named as in the trace index (tokens, addresses, tx nodes).
PAYMENT_EDGES_SQL = """
SELECT coalesce(src_token, src_account) AS a, coalesce(dst_token, dst_account) AS b
FROM transactions
WHERE coalesce(src_token, src_account) IS NOT NULL AND coalesce(dst_token, dst_account) IS NOT NULL
"""


def connected_components(
    engine: Engine, edges_sql: str = PAYMENT_EDGES_SQL, table: str = "components", max_rounds: int = 200
) -> int:
    """Label every node of `edges_sql` (columns a, b; the payment graph by default): `table(node, component)`."""
    return graph.connected_components(engine, edges_sql, table, max_rounds)
