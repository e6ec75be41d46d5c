"""Layering features: how money moves *through* an account, in SQL windows (DuckDB and Spark).

Laundering rarely shows on one account's totals; it shows in how one payment relates to the
payments around it (FATF and FinCEN red flags: funds in and straight out in similar amounts,
many similar transfers converging on or fanning out of one account in a short time). Three
families, each one ordered pass per partition (window functions, no range self-joins):

- **similar-amount fan-in / fan-out**: distinct counterparties that sent (received) an amount
  in the same band within +-`window` of each payment. A band is a step of `band_ratio` on a log
  scale; two bandings offset by half a step so that nearby amounts always share one.
  A node gets the hub value (`sim_fan_in`, `sim_fan_out`) and, as a counterparty, the value of
  the hub it paid into (`into_sim_fan_in`) or was paid from (`from_sim_fan_out`). The `_once`
  variants count only one-off counterparties (one payment between the two in the whole data):
  a payroll pays the same people every month, a laundering fan pays strangers once.
- **pass-through**: outgoing payments covered by what came in during the `relay` window before
  (`passthrough`: the out-amount is 70-100% of that inflow) and outgoing payments preceded by an
  inflow in the same amount band (`relay`, `relay_share`).
- **neighbours' pass-through**: the largest `relay` among the accounts a node pays or is paid by,
  so the ends of a layering chain carry the signal of its middle.
"""

from __future__ import annotations

from dataclasses import dataclass

from moneytrail.warehouse.engine import Engine, check_name

FLOW_COLUMNS = (
    "sim_fan_in",
    "sim_fan_out",
    "into_sim_fan_in",
    "from_sim_fan_out",
    "sim_fan_in_once",
    "sim_fan_out_once",
    "into_sim_fan_in_once",
    "from_sim_fan_out_once",
    "passthrough",
    "passthrough_share",
    "relay",
    "relay_share",
    "out_nb_relay",
    "in_nb_relay",
    "once_out",
    "once_in",
    "relay_once",
    "out_nb_relay_once",
    "in_nb_relay_once",
)


@dataclass(frozen=True)
class FlowParams:
    window_seconds: int = 3 * 86400  # +- around a payment for similar-amount fan-in/out
    relay_seconds: int = 5 * 86400  # how far back an inflow can fund an outflow
    band_ratio: float = 1.25  # amounts within ~25% share a band
    passthrough_low: float = 0.7  # out-amount at least this share of the inflow before it


def _bands(column: str, ratio: float) -> str:
    step = f"ln({ratio})"
    return f"floor(ln({column}) / {step}) AS band_a, floor(ln({column}) / {step} + 0.5) AS band_b"


def _similar(node: str, cp: str, band: str, w: int, once: bool = False) -> str:
    counted = f"CASE WHEN pair_n = 1 THEN {cp} END" if once else cp
    return (
        f"count(DISTINCT {counted}) OVER (PARTITION BY {node}, {band} ORDER BY t "
        f"RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING)"
    )


def _either_band(node: str, cp: str, w: int, once: bool = False) -> str:
    return f"greatest({_similar(node, cp, 'band_a', w, once)}, {_similar(node, cp, 'band_b', w, once)})"


def flows_sql(edges: str, params: FlowParams) -> str:
    """One row per node with the layering features; `edges` has src, dst, t (seconds), amount."""
    edges, w, r = check_name(edges), params.window_seconds, params.relay_seconds
    in_before = (
        "sum(CASE WHEN dir = 'in' THEN {x} ELSE 0 END) OVER (PARTITION BY node{p} ORDER BY t "
        "RANGE BETWEEN {r} PRECEDING AND CURRENT ROW)"
    )
    once = "CASE WHEN pair_n = 1 THEN 1 ELSE 0 END"  # a payment that is the only one between its two accounts
    return f"""
    WITH e AS (SELECT src, dst, CAST(t AS DOUBLE) AS t, CAST(amount AS DOUBLE) AS amount,
                  count(*) OVER (PARTITION BY src, dst) AS pair_n
               FROM {edges} WHERE amount > 0 AND src <> dst),
    banded AS (SELECT src, dst, t, pair_n, {_bands("amount", params.band_ratio)} FROM e),
    same_band AS (
        SELECT src, dst, pair_n,
            {_either_band("dst", "src", w)} AS in_sim, {_either_band("src", "dst", w)} AS out_sim,
            {_either_band("dst", "src", w, once=True)} AS in_once,
            {_either_band("src", "dst", w, once=True)} AS out_once
        FROM banded
    ),
    hub_in AS (SELECT dst AS node, max(in_sim) AS sim_fan_in, max(out_sim) AS from_sim_fan_out,
               max(in_once) AS sim_fan_in_once, max(CASE WHEN pair_n = 1 THEN out_once END) AS from_sim_fan_out_once
               FROM same_band GROUP BY dst),
    hub_out AS (SELECT src AS node, max(out_sim) AS sim_fan_out, max(in_sim) AS into_sim_fan_in,
                max(out_once) AS sim_fan_out_once, max(CASE WHEN pair_n = 1 THEN in_once END) AS into_sim_fan_in_once
                FROM same_band GROUP BY src),
    led AS (
        SELECT src AS node, t, amount, pair_n, 'out' AS dir FROM e
        UNION ALL SELECT dst AS node, t, amount, pair_n, 'in' AS dir FROM e
    ),
    funded AS (
        SELECT node, t, dir, amount, pair_n, {in_before.format(x="amount", p="", r=r)} AS in_before,
            {_bands("amount", params.band_ratio)}
        FROM led
    ),
    relayed AS (
        SELECT node, dir, amount, pair_n, in_before,
            {in_before.format(x="1", p=", band_a", r=r)} AS in_band_a,
            {in_before.format(x="1", p=", band_b", r=r)} AS in_band_b,
            {in_before.format(x=once, p=", band_a", r=r)} AS once_band_a,
            {in_before.format(x=once, p=", band_b", r=r)} AS once_band_b
        FROM funded
    ),
    per_node AS (
        SELECT node,
            sum(CASE WHEN dir = 'out' AND in_before > 0 AND amount >= {params.passthrough_low} * in_before
                AND amount <= in_before THEN 1 ELSE 0 END) AS passthrough,
            sum(CASE WHEN dir = 'out' AND greatest(in_band_a, in_band_b) > 0 THEN 1 ELSE 0 END) AS relay,
            sum(CASE WHEN dir = 'out' THEN 1 ELSE 0 END) AS outs,
            sum(CASE WHEN dir = 'out' AND pair_n = 1 THEN 1 ELSE 0 END) AS once_out,
            sum(CASE WHEN dir = 'in' AND pair_n = 1 THEN 1 ELSE 0 END) AS once_in,
            sum(CASE WHEN dir = 'out' AND pair_n = 1 AND greatest(once_band_a, once_band_b) > 0 THEN 1 ELSE 0 END)
                AS relay_once
        FROM relayed GROUP BY node
    ),
    pairs AS (SELECT DISTINCT src, dst FROM e),
    nb_out AS (SELECT p.src AS node, max(x.relay) AS out_nb_relay, max(x.relay_once) AS out_nb_relay_once
               FROM pairs p JOIN per_node x ON x.node = p.dst GROUP BY p.src),
    nb_in AS (SELECT p.dst AS node, max(x.relay) AS in_nb_relay, max(x.relay_once) AS in_nb_relay_once
              FROM pairs p JOIN per_node x ON x.node = p.src GROUP BY p.dst)
    SELECT n.node,
        coalesce(hi.sim_fan_in, 0) AS sim_fan_in, coalesce(ho.sim_fan_out, 0) AS sim_fan_out,
        coalesce(ho.into_sim_fan_in, 0) AS into_sim_fan_in, coalesce(hi.from_sim_fan_out, 0) AS from_sim_fan_out,
        coalesce(hi.sim_fan_in_once, 0) AS sim_fan_in_once, coalesce(ho.sim_fan_out_once, 0) AS sim_fan_out_once,
        coalesce(ho.into_sim_fan_in_once, 0) AS into_sim_fan_in_once,
        coalesce(hi.from_sim_fan_out_once, 0) AS from_sim_fan_out_once,
        n.passthrough, CAST(n.passthrough AS DOUBLE) / greatest(n.outs, 1) AS passthrough_share,
        n.relay, CAST(n.relay AS DOUBLE) / greatest(n.outs, 1) AS relay_share,
        coalesce(bo.out_nb_relay, 0) AS out_nb_relay, coalesce(bi.in_nb_relay, 0) AS in_nb_relay,
        n.once_out, n.once_in, n.relay_once,
        coalesce(bo.out_nb_relay_once, 0) AS out_nb_relay_once, coalesce(bi.in_nb_relay_once, 0) AS in_nb_relay_once
    FROM per_node n
    LEFT JOIN hub_in hi ON hi.node = n.node LEFT JOIN hub_out ho ON ho.node = n.node
    LEFT JOIN nb_out bo ON bo.node = n.node LEFT JOIN nb_in bi ON bi.node = n.node
    """


def flow_features(engine: Engine, edges: str, params: FlowParams | None = None, table: str = "flow_features") -> None:
    """Materialise `table`: one row per node that sends or receives, with the layering features."""
    engine.create_table(check_name(table), flows_sql(edges, params or FlowParams()))

