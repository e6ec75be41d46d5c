"""Crypto: address clustering by common-input ownership, and clusters' exposure to hotlisted addresses.

Works on the canonical on-chain rows (docs/INTERFACES.md): an input row
`CHAIN:ADDRESS -> CHAINtx:HASH`, an output row `CHAINtx:HASH -> CHAIN:ADDRESS`. Heuristic
parameters and their sources are in `data/crypto.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from moneytrail.trace.components import connected_components
from moneytrail.trace.index import TraceIndex
from moneytrail.warehouse.engine import Engine, check_name

_TX_INPUTS = """
SELECT DISTINCT dst_account AS tx, src_account AS address, chain
FROM transactions
WHERE chain IS NOT NULL AND tx_hash IS NOT NULL AND dst_account = chain || 'tx:' || tx_hash
  AND src_account IS NOT NULL
"""
_TX_OUTPUTS = """
SELECT DISTINCT txn_id, src_account AS tx, dst_account AS address, amount, ts
FROM transactions
WHERE chain IS NOT NULL AND tx_hash IS NOT NULL AND src_account = chain || 'tx:' || tx_hash
  AND dst_account IS NOT NULL
"""


@cache
def heuristics() -> dict[str, Any]:
    text = resources.files("moneytrail.trace").joinpath("data/crypto.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def coinjoin_sql() -> str:
    """Transactions that look like CoinJoins: many outputs of one equal value, several input addresses."""
    rules = heuristics()["coinjoin"]
    return f"""
    SELECT o.tx FROM (
        SELECT tx, max(n) AS most_equal FROM (
            SELECT tx, amount, count(*) AS n FROM ({_TX_OUTPUTS}) x GROUP BY tx, amount
        ) y GROUP BY tx
    ) o JOIN (
        SELECT tx, count(DISTINCT address) AS n_inputs FROM ({_TX_INPUTS}) i GROUP BY tx
    ) i ON o.tx = i.tx
    WHERE o.most_equal >= {int(rules["min_equal_outputs"])} AND i.n_inputs >= {int(rules["min_inputs"])}
    """


def change_links_sql() -> str:
    """One-time change: the only never-seen-before output address of a (non-CoinJoin) spend."""
    rules = heuristics()["change"]
    return f"""
    WITH outputs AS ({_TX_OUTPUTS}),
    inputs AS ({_TX_INPUTS}),
    seen AS (
        SELECT address, min(ts) AS first_ts FROM (
            SELECT src_account AS address, ts FROM transactions WHERE chain IS NOT NULL
            UNION ALL SELECT dst_account AS address, ts FROM transactions WHERE chain IS NOT NULL
        ) a GROUP BY address
    ),
    candidates AS (
        SELECT o.tx, o.address,
               CASE WHEN s.first_ts = o.ts AND o.address NOT IN (SELECT address FROM inputs i WHERE i.tx = o.tx)
                    THEN 1 ELSE 0 END AS fresh
        FROM outputs o JOIN seen s ON s.address = o.address
        WHERE o.tx IN (SELECT tx FROM inputs) AND o.tx NOT IN ({coinjoin_sql()})
    ),
    per_tx AS (
        SELECT tx, count(*) AS n_outputs, sum(fresh) AS n_fresh FROM candidates GROUP BY tx
    )
    SELECT c.address AS a, c.tx AS b FROM candidates c JOIN per_tx p ON p.tx = c.tx
    WHERE c.fresh = 1 AND p.n_fresh = 1 AND p.n_outputs >= {int(rules["min_outputs"])}
    """


def cluster_links_sql(change: bool = False) -> str:
    """Edges (a: address, b: transaction node) whose components are the ownership clusters."""
    sql = f"SELECT address AS a, tx AS b FROM ({_TX_INPUTS}) i WHERE tx NOT IN ({coinjoin_sql()})"
    if change:
        sql += f" UNION SELECT a, b FROM ({change_links_sql()}) c"
    return sql


def cluster_addresses(engine: Engine, change: bool | None = None, table: str = "address_clusters") -> int:
    """Cluster on-chain addresses; writes `table(address, cluster_id)` for every address that ever
    spent (others are their own cluster). cluster_id is the cluster's smallest `CHAIN:ADDRESS`.
    Returns the number of clusters with two or more addresses."""
    check_name(table)
    use_change = heuristics()["change"]["enabled_by_default"] if change is None else change
    connected_components(engine, cluster_links_sql(bool(use_change)), table="trace_address_components")
    # Transaction nodes join the components only to link their inputs: keep the addresses.
    engine.create_table(
        table,
        f"SELECT c.node AS address, c.component AS cluster_id FROM trace_address_components c "
        f"WHERE c.node NOT IN (SELECT tx FROM ({_TX_INPUTS}) i) "
        f"AND c.node NOT IN (SELECT tx FROM ({_TX_OUTPUTS}) o)",
    )
    engine.drop_table("trace_address_components")
    rows = engine.query(
        f"SELECT count(*) AS n FROM (SELECT cluster_id FROM {table} GROUP BY cluster_id HAVING count(*) > 1) c"
    )
    return int(rows.column(0)[0].as_py())


def clusters(engine: Engine, table: str = "address_clusters") -> list[set[str]]:
    """The clusters as sets of `CHAIN:ADDRESS` keys (only those with two or more addresses)."""
    groups: dict[str, set[str]] = {}
    for row in engine.query(f"SELECT address, cluster_id FROM {check_name(table)}").to_pylist():
        groups.setdefault(row["cluster_id"], set()).add(row["address"])
    return [members for members in groups.values() if len(members) > 1]


@dataclass
class Exposure:
    """How much of a cluster's money came from (incoming) or went to (outgoing) hotlisted addresses."""

    addresses: list[str]
    hops: int  # payments counted (an on-chain transaction, address -> tx -> address, is one)
    direct_in: float = 0.0  # value received straight from hotlisted addresses (one transaction)
    direct_out: float = 0.0
    indirect_in: float = 0.0  # value traced back to hotlisted addresses within `hops` (haircut)
    indirect_out: float = 0.0
    total_in: float = 0.0
    total_out: float = 0.0
    hotlisted_in_cluster: list[str] = field(default_factory=list)
    counterparties: list[str] = field(default_factory=list)  # hotlisted addresses reached

    @property
    def share_in(self) -> float:
        return self.indirect_in / self.total_in if self.total_in else 0.0

    @property
    def share_out(self) -> float:
        return self.indirect_out / self.total_out if self.total_out else 0.0


def exposure(index: TraceIndex, addresses: list[str], hotlisted: set[str], hops: int = 3) -> Exposure:
    """Exposure of the cluster `addresses` (bare addresses) to `hotlisted` addresses.

    Direct: within one transaction; indirect: within `hops` transactions, the value share
    found by a haircut trace (backward for money received, forward for money sent) that
    stops at hotlisted addresses, so value is never counted twice.
    """
    from moneytrail.trace.api import run

    seeds = [n for n in (index.node_number(a) for a in addresses) if n is not None]
    result = Exposure(addresses=sorted(addresses), hops=hops)
    result.hotlisted_in_cluster = sorted(a for a in addresses if a in hotlisted)
    if not seeds:
        return result
    stop = np.zeros(index.node_count, dtype=np.bool_)
    listed = [n for n in (index.node_number(a) for a in hotlisted) if n is not None]
    stop[listed] = True
    stop[seeds] = False
    seed_set = set(seeds)
    reached: set[str] = set()
    for direction in ("backward", "forward"):
        for limit, attr in ((1, "direct"), (hops, "indirect")):
            raw = run(index, seeds, limit, direction, "haircut", stop=stop)
            ends = index.src[raw.edges] if direction == "backward" else index.dst[raw.edges]
            hit = stop[ends]
            value = float(raw.attributed[hit].sum())
            setattr(result, f"{attr}_{'in' if direction == 'backward' else 'out'}", value)
            reached.update(index.node_id(int(n)) for n in np.unique(ends[hit]))
        first = raw.hop == 1
        starts = index.dst[raw.edges] if direction == "backward" else index.src[raw.edges]
        total = float(raw.attributed[first & np.isin(starts, list(seed_set))].sum())
        setattr(result, "total_in" if direction == "backward" else "total_out", total)
    result.counterparties = sorted(reached)
    return result
