"""Connected components of the suspicious subgraph: the networks behind the alerts.

The subgraph is every payment that touches a reportable subject (account, token or
address; merchants are subjects of their own). Its components, labelled with iterative
SQL that runs on both engines, group the flagged accounts that pay each other or share
counterparties into one network, so an analyst opens one case per network.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine
from moneytrail.warehouse.graph import connected_components

FLAGGED_SQL = """
SELECT CASE WHEN subject_kind = 'account' THEN split_part(subject, ':', 2) ELSE subject END AS node,
       sum(total_score) AS total_score
FROM risk_summary
WHERE reportable AND subject_kind <> 'merchant'
GROUP BY 1
"""

SUBGRAPH_SQL = f"""
WITH flagged AS ({FLAGGED_SQL}),
edges AS (
    SELECT coalesce(src_token, src_account) AS a, coalesce(dst_token, dst_account) AS b FROM transactions
    WHERE coalesce(src_token, src_account) IS NOT NULL AND coalesce(dst_token, dst_account) IS NOT NULL
)
SELECT a, b FROM edges WHERE a IN (SELECT node FROM flagged) OR b IN (SELECT node FROM flagged)
"""


def suspicious_networks(engine: Engine) -> int:
    """Write `suspicious_components(node, component)` and `suspicious_networks` (one row per
    network: nodes, flagged nodes, summed score); returns the number of networks with a flagged node."""
    connected_components(engine, SUBGRAPH_SQL, table="suspicious_components")
    engine.create_table(
        "suspicious_networks",
        f"""
        WITH flagged AS ({FLAGGED_SQL})
        SELECT c.component, count(*) AS nodes, count(f.node) AS flagged_nodes,
               coalesce(sum(f.total_score), 0.0) AS total_score
        FROM suspicious_components c LEFT JOIN flagged f ON f.node = c.node
        GROUP BY c.component
        """,
    )
    count = engine.query("SELECT count(*) FROM suspicious_networks WHERE flagged_nodes > 0").column(0)[0].as_py()
    return int(count)
