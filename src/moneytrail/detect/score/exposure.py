"""Exposure features: what the rules say about an account's counterparties.

The people who pay a facilitator, buy from a laundering merchant or feed a mule rarely look
unusual on their own; investigators find them by following the payments of a subject the rules
already flagged (INDICATORS 23's retro-hunt, the merchant-shutdown workflow's "all cards that
paid this MID"). For every typology the rule pack covers, each account gets:

- `own_TYP`: the summed score of its own alerts (a merchant's alerts count on the account its
  payments settle into);
- `out_max_TYP`, `out_sum_TYP`, `out_share_TYP`: the largest alert score among the accounts it
  paid, the scores summed per payment, and the share of its outgoing value that went to
  accounts with such alerts;
- `in_max_TYP`, `in_sum_TYP`, `in_share_TYP`: the same over the accounts that paid it.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine, check_name


def exposure_columns(typologies: list[str]) -> list[str]:
    return [
        f"{kind}_{typology}"
        for typology in typologies
        for kind in ("own", "out_max", "out_sum", "out_share", "in_max", "in_sum", "in_share")
    ]


def _node_scores_sql(typologies: list[str]) -> str:
    pivots = ", ".join(
        f"sum(CASE WHEN typology = '{check_name(t)}' THEN score ELSE 0 END) AS own_{check_name(t)}" for t in typologies
    )
    return f"""
    WITH subjects AS (
        SELECT typology, score, subject_kind,
            CASE WHEN subject_kind IN ('account', 'address') AND strpos(subject, ':') > 0
                THEN substr(subject, strpos(subject, ':') + 1) ELSE subject END AS node
        FROM alerts
    ),
    settles AS (SELECT DISTINCT merchant_id, dst_token FROM detect_txn
                WHERE merchant_id IS NOT NULL AND dst_token IS NOT NULL AND amount > 0
                    AND channel NOT IN ('refund', 'chargeback')),  -- a refund's receiver is the card, not the shop
    scored AS (
        SELECT node, typology, score FROM subjects WHERE subject_kind <> 'merchant'
        UNION ALL
        SELECT m.dst_token AS node, s.typology, s.score FROM subjects s JOIN settles m ON m.merchant_id = s.node
        WHERE s.subject_kind = 'merchant'
    )
    SELECT node, {pivots} FROM scored GROUP BY node
    """


def _side_sql(typologies: list[str], pairs: str, me: str, them: str, side: str) -> str:
    columns = []
    for t in typologies:
        own = f"coalesce(x.own_{t}, 0)"
        columns.append(
            f"max({own}) AS {side}_max_{t}, sum({own} * p.n) AS {side}_sum_{t}, "
            f"sum(CASE WHEN {own} > 0 THEN p.amount ELSE 0 END) / greatest(sum(p.amount), 1e-9) AS {side}_share_{t}"
        )
    return f"""SELECT p.{me} AS node, {", ".join(columns)}
        FROM {pairs} p LEFT JOIN exposure_own x ON x.node = p.{them} GROUP BY p.{me}"""


PAIRS_TABLE = "payment_pairs"  # who paid whom: src, dst, n payments, amount (also read by the second stage)


def payment_pairs(engine: Engine, edges: str, table: str = PAIRS_TABLE) -> None:
    """Materialise `table` from `edges` (src, dst, t, amount): one row per payer and payee, self-payments left out."""
    engine.create_table(
        check_name(table),
        f"""SELECT src, dst, count(*) AS n, sum(CAST(amount AS DOUBLE)) AS amount FROM {check_name(edges)}
        WHERE src <> dst GROUP BY src, dst""",
    )


def exposure_features(engine: Engine, pairs: str, typologies: list[str], table: str = "exposure_features") -> None:
    """Materialise `table` (node + `exposure_columns(typologies)`); needs `alerts` and `detect_txn`.

    `pairs` is a `payment_pairs` table whose node names are the alerts' subjects (tokens).
    """
    typologies = [check_name(t) for t in typologies]
    if not typologies:
        engine.create_table(check_name(table), f"SELECT DISTINCT src AS node FROM {check_name(pairs)}")
        return
    if engine.has_table("alerts"):
        engine.create_table("exposure_own", _node_scores_sql(typologies))
    else:
        zeros = ", ".join(f"CAST(0 AS DOUBLE) AS own_{t}" for t in typologies)
        engine.create_table("exposure_own", f"SELECT src AS node, {zeros} FROM {check_name(pairs)} WHERE 1 = 0")
    engine.create_table("exposure_out", _side_sql(typologies, check_name(pairs), "src", "dst", "out"))
    engine.create_table("exposure_in", _side_sql(typologies, check_name(pairs), "dst", "src", "in"))
    sides = {"out": "o", "in": "i"}  # column prefix -> the alias of its table below
    picked = ", ".join(
        f"coalesce(x.own_{t}, 0) AS own_{t}, "
        + ", ".join(
            f"coalesce({a}.{s}_{k}_{t}, 0) AS {s}_{k}_{t}" for s, a in sides.items() for k in ("max", "sum", "share")
        )
        for t in typologies
    )
    engine.create_table(
        check_name(table),
        f"""WITH nodes AS (SELECT node FROM exposure_out UNION SELECT node FROM exposure_in)
        SELECT n.node, {picked} FROM nodes n
        LEFT JOIN exposure_own x ON x.node = n.node
        LEFT JOIN exposure_out o ON o.node = n.node LEFT JOIN exposure_in i ON i.node = n.node""",
    )
    for name in ("exposure_own", "exposure_out", "exposure_in"):
        engine.drop_table(name)
