"""Kernel features per time bucket: temporal cycles, scatter-gather and chains, on DuckDB locally or on Spark.

Edges are cut into buckets of `bucket_seconds` by time; a bucket also carries the edges of the
next `delta` seconds (overlap), so every pattern whose first edge starts in the bucket is seen
whole. Spark runs one bucket per task with `mapInArrow`; DuckDB runs the same function here.
Counts are summed over buckets; the chain length is a maximum (a chain cut by a bucket's edge is
seen whole in the bucket where it starts).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.detect.graph.kernels import chain_lengths, csr, scatter_gather, temporal_cycles, two_hop_paths
from moneytrail.warehouse.engine import Engine

PATTERN_SCHEMA = pa.schema(
    [
        pa.field("node", pa.string()),
        pa.field("cycle_count", pa.int64()),
        pa.field("kept_cycle_count", pa.int64()),
        pa.field("sg_source", pa.int64()),
        pa.field("sg_middle", pa.int64()),
        pa.field("sg_target", pa.int64()),
        pa.field("rare_chain_length", pa.int64()),
    ]
)
MAXIMA = ("rare_chain_length",)  # aggregated over buckets by max; the other columns are counts, summed


@dataclass(frozen=True)
class PatternParams:
    delta_seconds: float = 30 * 86400.0  # a pattern spans at most this long
    bucket_seconds: float = 180 * 86400.0  # one kernel call per bucket; must be >= delta
    max_cycle_length: int = 6
    cycle_budget: int = 100  # edge expansions per cycle search (bounds hubs)
    # rings that pass the money on: each hop between these shares of the previous hop's amount
    # (fees taken, or a little topped up), through at least two other accounts
    kept_share: tuple[float, float] = (0.8, 1.25)
    kept_cycle_length: int = 10
    kept_cycle_min_length: int = 3
    kept_cycle_budget: int = 200
    hop_cap: int = 10  # continuations per first edge in scatter-gather
    min_middles: int = 2
    # chains: payments between accounts that pay each other at most `chain_pair_payments` times in
    # all the data (strangers, not a household's standing transfers), of at least `chain_min_amount`
    # (sums, not the coffees and split bills everyone passes around), each hop at most `chain_gap_seconds`
    # after the one before; lengths capped at `chain_cap` hops, whose span must fit in delta
    chain_pair_payments: int = 2
    chain_min_amount: float = 250.0
    chain_gap_seconds: float = 5 * 86400.0
    chain_cap: int = 6


def bucket_counts(edges: pa.Table, params: PatternParams) -> pa.Table:
    """Kernel features for the edges of one or more buckets (columns src, dst, t, amount, bucket)."""
    parts = []
    buckets = pc.unique(edges.column("bucket")).to_pylist()
    for bucket in sorted(buckets):
        part = edges.filter(pc.equal(edges.column("bucket"), bucket))
        start = float(bucket) * params.bucket_seconds
        parts.append(_one_bucket(part, start, start + params.bucket_seconds, params))
    if not parts:
        return PATTERN_SCHEMA.empty_table()
    return pa.concat_tables(parts)


def _one_bucket(edges: pa.Table, lo: float, hi: float, params: PatternParams) -> pa.Table:
    names, codes = np.unique(
        np.concatenate(
            [edges.column("src").to_numpy(zero_copy_only=False), edges.column("dst").to_numpy(zero_copy_only=False)]
        ).astype(str),
        return_inverse=True,
    )
    n_edges, n_nodes = edges.num_rows, len(names)
    src, dst = codes[:n_edges].astype(np.int64), codes[n_edges:].astype(np.int64)
    t = edges.column("t").to_numpy(zero_copy_only=False).astype(np.float64)
    amount = edges.column("amount").to_numpy(zero_copy_only=False).astype(np.float64)
    offsets, dst_sorted, t_sorted, order = csr(src, dst, t, n_nodes, tie=amount)
    amount_sorted = amount[order]
    delta = params.delta_seconds
    cycles = temporal_cycles(
        offsets, dst_sorted, t_sorted, amount_sorted, params.max_cycle_length, delta, lo, hi, params.cycle_budget
    )
    kept = temporal_cycles(
        offsets, dst_sorted, t_sorted, amount_sorted, params.kept_cycle_length, delta, lo, hi,
        params.kept_cycle_budget, params.kept_share[0], params.kept_share[1], params.kept_cycle_min_length,
    )
    u, m, v = two_hop_paths(offsets, dst_sorted, t_sorted, delta, lo, hi, params.hop_cap)
    as_source, as_middle, as_target = scatter_gather(u, m, v, n_nodes, params.min_middles)
    pair_payments = _pair_payments(edges, src, dst, n_nodes)
    rare = (amount >= params.chain_min_amount) & (pair_payments <= params.chain_pair_payments)
    chains = chain_lengths(src[rare], dst[rare], t[rare], params.chain_gap_seconds, params.chain_cap, n_nodes)
    keep = (cycles + kept + as_source + as_middle + as_target + chains) > 0
    return pa.table(
        {
            "node": pa.array(names[keep], pa.string()),
            "cycle_count": pa.array(cycles[keep], pa.int64()),
            "kept_cycle_count": pa.array(kept[keep], pa.int64()),
            "sg_source": pa.array(as_source[keep], pa.int64()),
            "sg_middle": pa.array(as_middle[keep], pa.int64()),
            "sg_target": pa.array(as_target[keep], pa.int64()),
            "rare_chain_length": pa.array(chains[keep], pa.int64()),
        },
        schema=PATTERN_SCHEMA,
    )


def _pair_payments(edges: pa.Table, src: np.ndarray, dst: np.ndarray, n_nodes: int) -> np.ndarray:
    """Per edge: how many payments its payer made to its payee, from `pair_n` (counted over all the data by
    `bucketed_edges_sql`) or, in a table without it, counted here."""
    if "pair_n" in edges.column_names:
        return np.asarray(edges.column("pair_n").to_numpy(zero_copy_only=False), dtype=np.int64)
    _, index, counts = np.unique(src * n_nodes + dst, return_inverse=True, return_counts=True)
    return np.asarray(counts[index], dtype=np.int64)


def bucketed_edges_sql(edges_view: str, params: PatternParams) -> str:
    """Each edge in its own bucket, and again in the previous bucket when it lies within delta of the boundary."""
    width, delta = params.bucket_seconds, params.delta_seconds
    return f"""
        WITH e AS (SELECT src, dst, t, CAST(amount AS DOUBLE) AS amount,
            count(*) OVER (PARTITION BY src, dst) AS pair_n FROM {edges_view})
        SELECT src, dst, t, amount, pair_n, CAST(floor(t / {width}) AS BIGINT) AS bucket FROM e
        UNION ALL
        SELECT src, dst, t, amount, pair_n, CAST(floor(t / {width}) AS BIGINT) - 1 AS bucket FROM e
        WHERE t - floor(t / {width}) * {width} < {delta}
    """


def pattern_counts(engine: Engine, edges_view: str, params: PatternParams) -> pa.Table:
    """Summed kernel features per node over all buckets, computed where the engine's data lives."""
    sql = bucketed_edges_sql(edges_view, params)
    spark = getattr(engine, "spark", None)
    if spark is not None:  # executors run the kernel per bucket
        frame = spark.sql(engine.translate(sql)).repartition("bucket")

        def per_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            chunks = list(batches)
            table = pa.Table.from_batches(chunks) if chunks else None
            if table is not None and table.num_rows:
                yield from bucket_counts(table, params).to_batches()

        ddl = ", ".join(["node string", *(f"{c} bigint" for c in PATTERN_SCHEMA.names[1:])])
        counts = frame.mapInArrow(per_partition, ddl).toArrow()
    else:
        counts = bucket_counts(engine.query(sql), params)
    if counts.num_rows == 0:
        return PATTERN_SCHEMA.empty_table()
    how = {c: "max" if c in MAXIMA else "sum" for c in PATTERN_SCHEMA.names[1:]}
    grouped = counts.group_by("node").aggregate(list(how.items()))
    return pa.table(
        {"node": grouped.column("node"), **{c: grouped.column(f"{c}_{f}") for c, f in how.items()}},
        schema=PATTERN_SCHEMA,
    )
