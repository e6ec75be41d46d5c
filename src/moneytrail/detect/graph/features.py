"""Per-account graph features as SQL: degrees, amount statistics, windowed fan-in/fan-out,
gather-scatter, neighbourhood degrees; plus the kernel patterns (cycles, scatter-gather, chains).

Windowed counts are window functions over one ordered pass per node (never range self-joins:
~1 s instead of ~30 s and 4 GiB on 1M edges in DuckDB).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from moneytrail.detect.graph.patterns import PATTERN_SCHEMA, PatternParams, pattern_counts
from moneytrail.warehouse.engine import Engine, check_name
from moneytrail.warehouse.pipeline import create_view


@dataclass(frozen=True)
class GraphParams:
    windows_seconds: tuple[int, ...] = (86400, 7 * 86400, 30 * 86400)
    gather_scatter_seconds: int = 7 * 86400
    patterns: PatternParams = field(default_factory=PatternParams)
    kernels: bool = True


def _window_name(seconds: int) -> str:
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds}s"


def features_sql(edges: str, params: GraphParams) -> str:
    """One row per node with its SQL graph features; `edges` has src, dst, t (seconds), amount."""
    edges = check_name(edges)
    stats = """count(*) AS {d}_count, sum(amount) AS {d}_sum, avg(amount) AS {d}_mean, max(amount) AS {d}_max,
        min(amount) AS {d}_min, coalesce(stddev_samp(amount), 0) AS {d}_std, count(DISTINCT {cp}) AS {d}_degree,
        min(t) AS {d}_first, max(t) AS {d}_last,
        avg(CASE WHEN abs(amount - round(amount)) < 0.005 THEN 1.0 ELSE 0.0 END) AS {d}_round_share"""
    windowed = []
    for w in params.windows_seconds:
        n = _window_name(w)
        windowed.append(
            f"count(DISTINCT cp) OVER (PARTITION BY node, dir ORDER BY t RANGE BETWEEN {w} PRECEDING AND CURRENT ROW)"
            f" AS fan_{n}, count(*) OVER (PARTITION BY node, dir ORDER BY t RANGE BETWEEN {w} PRECEDING AND"
            f" CURRENT ROW) AS deg_{n}, sum(amount) OVER (PARTITION BY node, dir ORDER BY t RANGE BETWEEN {w}"
            f" PRECEDING AND CURRENT ROW) AS vol_{n}"
        )
    window_max = []
    for w in params.windows_seconds:
        n = _window_name(w)
        for d in ("in", "out"):
            window_max.append(
                f"max(CASE WHEN dir = '{d}' THEN fan_{n} END) AS fan_{d}_{n}, "
                f"max(CASE WHEN dir = '{d}' THEN deg_{n} END) AS deg_{d}_{n}, "
                f"max(CASE WHEN dir = '{d}' THEN vol_{n} END) AS vol_{d}_{n}"
            )
    gs = params.gather_scatter_seconds
    return f"""
    WITH e AS (SELECT src, dst, CAST(t AS DOUBLE) AS t, CAST(amount AS DOUBLE) AS amount FROM {edges}),
    outs AS (SELECT src AS node, {stats.format(d="out", cp="dst")} FROM e GROUP BY src),
    ins AS (SELECT dst AS node, {stats.format(d="in", cp="src")} FROM e GROUP BY dst),
    led AS (
        SELECT src AS node, dst AS cp, t, amount, 'out' AS dir FROM e
        UNION ALL SELECT dst AS node, src AS cp, t, amount, 'in' AS dir FROM e
    ),
    win AS (SELECT node, dir, {", ".join(windowed)} FROM led),
    winmax AS (SELECT node, {", ".join(window_max)} FROM win GROUP BY node),
    gsw AS (
        SELECT node,
            count(DISTINCT CASE WHEN dir = 'in' THEN cp END) OVER (PARTITION BY node ORDER BY t
                RANGE BETWEEN {gs} PRECEDING AND CURRENT ROW) AS gathered,
            count(DISTINCT CASE WHEN dir = 'out' THEN cp END) OVER (PARTITION BY node ORDER BY t
                RANGE BETWEEN CURRENT ROW AND {gs} FOLLOWING) AS scattered
        FROM led
    ),
    gsmax AS (SELECT node, max(least(gathered, scattered)) AS gather_scatter FROM gsw GROUP BY node),
    pairs AS (SELECT DISTINCT src, dst FROM e),
    pair_day AS (
        SELECT src, dst, count(*) AS n, sum(count(*)) OVER (PARTITION BY src, dst) AS n_total
        FROM e GROUP BY src, dst, floor(t / 86400)
    ),
    burst_out AS (
        SELECT src AS node, max(n) AS out_pair_burst_1d, max(n_total) AS out_pair_max FROM pair_day GROUP BY src
    ),
    burst_in AS (
        SELECT dst AS node, max(n) AS in_pair_burst_1d, max(n_total) AS in_pair_max FROM pair_day GROUP BY dst
    ),
    nb_out AS (
        SELECT p.src AS node, avg(i.in_degree) AS out_nb_in_degree_mean, max(i.in_degree) AS out_nb_in_degree_max,
            avg(o.out_degree) AS out_nb_out_degree_mean
        FROM pairs p LEFT JOIN ins i ON i.node = p.dst LEFT JOIN outs o ON o.node = p.dst GROUP BY p.src
    ),
    nb_in AS (
        SELECT p.dst AS node, avg(o.out_degree) AS in_nb_out_degree_mean, max(o.out_degree) AS in_nb_out_degree_max,
            avg(i.in_degree) AS in_nb_in_degree_mean
        FROM pairs p LEFT JOIN outs o ON o.node = p.src LEFT JOIN ins i ON i.node = p.src GROUP BY p.dst
    ),
    nodes AS (SELECT node FROM outs UNION SELECT node FROM ins)
    SELECT n.node,
        coalesce(o.out_count, 0) AS out_count, coalesce(o.out_sum, 0) AS out_sum, o.out_mean, o.out_max, o.out_min,
        o.out_std, coalesce(o.out_degree, 0) AS out_degree, o.out_round_share,
        coalesce(i.in_count, 0) AS in_count, coalesce(i.in_sum, 0) AS in_sum, i.in_mean, i.in_max, i.in_min,
        i.in_std, coalesce(i.in_degree, 0) AS in_degree, i.in_round_share,
        coalesce(o.out_degree, 0) + coalesce(i.in_degree, 0) AS degree,
        coalesce(i.in_sum, 0) - coalesce(o.out_sum, 0) AS net_flow,
        greatest(coalesce(o.out_last, i.in_last), coalesce(i.in_last, o.out_last))
            - least(coalesce(o.out_first, i.in_first), coalesce(i.in_first, o.out_first)) AS active_span,
        o.out_first - i.in_first AS first_out_after_in,
        {
        ", ".join(
            f"coalesce(wm.fan_{d}_{_window_name(w)}, 0) AS fan_{d}_{_window_name(w)}, "
            f"coalesce(wm.deg_{d}_{_window_name(w)}, 0) AS deg_{d}_{_window_name(w)}, "
            f"coalesce(wm.vol_{d}_{_window_name(w)}, 0) AS vol_{d}_{_window_name(w)}"
            for w in params.windows_seconds
            for d in ("in", "out")
        )
    },
        coalesce(g.gather_scatter, 0) AS gather_scatter,
        no.out_nb_in_degree_mean, no.out_nb_in_degree_max, no.out_nb_out_degree_mean,
        ni.in_nb_out_degree_mean, ni.in_nb_out_degree_max, ni.in_nb_in_degree_mean,
        coalesce(bo.out_pair_burst_1d, 0) AS out_pair_burst_1d, coalesce(bo.out_pair_max, 0) AS out_pair_max,
        coalesce(bi.in_pair_burst_1d, 0) AS in_pair_burst_1d, coalesce(bi.in_pair_max, 0) AS in_pair_max
    FROM nodes n
    LEFT JOIN burst_out bo ON bo.node = n.node LEFT JOIN burst_in bi ON bi.node = n.node
    LEFT JOIN outs o ON o.node = n.node LEFT JOIN ins i ON i.node = n.node
    LEFT JOIN winmax wm ON wm.node = n.node LEFT JOIN gsmax g ON g.node = n.node
    LEFT JOIN nb_out no ON no.node = n.node LEFT JOIN nb_in ni ON ni.node = n.node
    """


# Features of a node's counterparties, aggregated: a laundering node is often ordinary itself
# but pays into (or is paid from) a node that is not.
NEIGHBOUR_COLUMNS = (
    "in_degree",
    "out_degree",
    "fan_in_7d",
    "fan_out_7d",
    "in_min",
    "out_min",
    "in_pair_burst_1d",
    "out_pair_burst_1d",
    "gather_scatter",
    "in_mean",
    "out_mean",
)


def neighbour_sql(base: str, edges: str) -> str:
    """Max and mean of selected counterparty features over out-neighbours and in-neighbours."""
    out_cols = ", ".join(f"max(f.{c}) AS onb_{c}_max, avg(f.{c}) AS onb_{c}_mean" for c in NEIGHBOUR_COLUMNS)
    in_cols = ", ".join(f"max(f.{c}) AS inb_{c}_max, avg(f.{c}) AS inb_{c}_mean" for c in NEIGHBOUR_COLUMNS)
    picked_out = ", ".join(f"o.onb_{c}_max, o.onb_{c}_mean" for c in NEIGHBOUR_COLUMNS)
    picked_in = ", ".join(f"i.inb_{c}_max, i.inb_{c}_mean" for c in NEIGHBOUR_COLUMNS)
    return f"""
    WITH pairs AS (SELECT DISTINCT src, dst FROM {check_name(edges)}),
    o AS (SELECT p.src AS node, {out_cols} FROM pairs p JOIN {check_name(base)} f ON f.node = p.dst GROUP BY p.src),
    i AS (SELECT p.dst AS node, {in_cols} FROM pairs p JOIN {check_name(base)} f ON f.node = p.src GROUP BY p.dst)
    SELECT b.*, {picked_out}, {picked_in}
    FROM {check_name(base)} b LEFT JOIN o ON o.node = b.node LEFT JOIN i ON i.node = b.node
    """


def graph_features(
    engine: Engine, edges: str, params: GraphParams | None = None, table: str = "graph_features"
) -> None:
    """Materialise `table`: one row per node with SQL features and kernel pattern counts."""
    params = params or GraphParams()
    engine.create_table("gf_base", features_sql(edges, params))
    engine.create_table("gf_sql", neighbour_sql("gf_base", edges))
    engine.drop_table("gf_base")
    patterns = pattern_counts(engine, edges, params.patterns) if params.kernels else PATTERN_SCHEMA.empty_table()
    engine.register("gf_patterns", patterns)
    kernel_columns = ", ".join(f"coalesce(p.{c}, 0) AS {c}" for c in PATTERN_SCHEMA.names[1:])
    engine.create_table(
        check_name(table),
        f"SELECT f.*, {kernel_columns} FROM gf_sql f LEFT JOIN gf_patterns p ON p.node = f.node",
    )
    engine.drop_table("gf_sql")


def feature_table(engine: Engine, table: str = "graph_features") -> pa.Table:
    return engine.table(table)


def transaction_edges(engine: Engine, name: str = "gf_edges", source: str = "detect_txn") -> None:
    """The coalition graph from `detect_txn`: nodes are tokens, so one person at two members is one node."""
    create_view(
        engine,
        name,
        f"""SELECT src_token AS src, dst_token AS dst, CAST(t_s AS DOUBLE) AS t, amount_usd AS amount
        FROM {check_name(source)} WHERE src_token IS NOT NULL AND dst_token IS NOT NULL AND amount_usd IS NOT NULL""",
    )
