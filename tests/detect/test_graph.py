"""Graph pattern features: kernels on hand-made graphs, SQL window features, DuckDB and Spark alike."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.detect.graph.features import GraphParams, graph_features
from moneytrail.detect.graph.kernels import chain_lengths, csr, scatter_gather, temporal_cycles, two_hop_paths
from moneytrail.detect.graph.patterns import PatternParams, bucket_counts
from moneytrail.warehouse.engine import Engine

DAY = 86400.0


def _cycles(
    edges: list[tuple[int, int, float]] | list[tuple[int, int, float, float]],
    n: int,
    max_len: int = 6,
    delta: float = 10 * DAY,
    band: tuple[float, float, int] | None = None,
) -> list[int]:
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    t = np.array([e[2] for e in edges], dtype=np.float64)
    amount = np.array([e[3] if len(e) > 3 else 1.0 for e in edges], dtype=np.float64)
    offsets, d, ts, order = csr(src, dst, t, n)
    extra = band or (0.0, np.inf, 2)
    return list(temporal_cycles(offsets, d, ts, amount[order], max_len, delta, -np.inf, np.inf, 100_000, *extra))


def test_temporal_cycle_in_time_order_is_found_once() -> None:
    assert _cycles([(0, 1, 1 * DAY), (1, 2, 2 * DAY), (2, 0, 3 * DAY)], 3) == [1, 1, 1]


def test_cycle_against_time_or_too_long_or_too_slow_is_not() -> None:
    assert _cycles([(0, 1, 3 * DAY), (1, 2, 2 * DAY), (2, 0, 1 * DAY)], 3) == [0, 0, 0]  # times run backwards
    ring7 = [(i, (i + 1) % 7, float(i)) for i in range(7)]
    assert sum(_cycles(ring7, 7, max_len=6)) == 0
    assert _cycles(ring7, 7, max_len=7) == [1] * 7
    assert _cycles([(0, 1, 0.0), (1, 0, 20 * DAY)], 2) == [0, 0]  # outside delta


def test_kept_cycle_passes_the_money_on() -> None:
    band = (0.8, 1.25, 3)  # each hop 80-125% of the one before, at least three hops
    ring = [(0, 1, 1 * DAY, 1000.0), (1, 2, 2 * DAY, 950.0), (2, 3, 3 * DAY, 900.0), (3, 0, 4 * DAY, 880.0)]
    assert _cycles(ring, 4, band=band) == [1, 1, 1, 1]
    # the same ring, one hop carrying half of what came in: unrelated payments that happen to close
    broken = [*ring[:2], (2, 3, 3 * DAY, 450.0), ring[3]]
    assert _cycles(broken, 4, band=band) == [0, 0, 0, 0]
    assert _cycles(broken, 4) == [1, 1, 1, 1]  # the plain count still sees the ring
    assert _cycles([(0, 1, DAY, 100.0), (1, 0, 2 * DAY, 99.0)], 2, band=band) == [0, 0]  # two hops: too short
    ring8 = [(i, (i + 1) % 8, i * DAY, 1000.0 - i) for i in range(8)]
    assert _cycles(ring8, 8, max_len=10, band=band) == [1] * 8


def test_scatter_gather_needs_two_middles() -> None:
    # 0 scatters to 1 and 2, both gather into 3; 4 -> 5 -> 6 has one middle only
    edges = [(0, 1, 1.0), (0, 2, 1.0), (1, 3, 2.0), (2, 3, 3.0), (4, 5, 1.0), (5, 6, 2.0)]
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    offsets, d, ts, _ = csr(src, dst, np.array([e[2] for e in edges]), 7)
    u, m, v = two_hop_paths(offsets, d, ts, DAY, -np.inf, np.inf, 100)
    source, middle, target = scatter_gather(u, m, v, 7, 2)
    assert list(source) == [1, 0, 0, 0, 0, 0, 0]
    assert list(middle) == [0, 1, 1, 0, 0, 0, 0]
    assert list(target) == [0, 0, 0, 1, 0, 0, 0]


def _chains(edges: list[tuple[int, int, float]], n: int, gap: float = 2 * DAY, cap: int = 6) -> list[int]:
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    return list(chain_lengths(src, dst, np.array([e[2] for e in edges], dtype=np.float64), gap, cap, n))


def test_chain_is_the_longest_path_in_time_order_within_the_gap() -> None:
    walk = [(0, 1, 1 * DAY), (1, 2, 2 * DAY), (2, 3, 3.5 * DAY), (3, 1, 4 * DAY)]  # revisits 1: a walk, not a ring
    assert _chains(walk, 5) == [4, 4, 4, 4, 0]
    assert _chains(walk, 4, cap=3) == [3, 3, 3, 3]
    # the third hop leaves 2 more than two days after money reached it: two chains of two and of one hop
    slow = [(0, 1, 1 * DAY), (1, 2, 2 * DAY), (2, 3, 4.5 * DAY)]
    assert _chains(slow, 4) == [2, 2, 2, 1]
    backwards = [(0, 1, 3 * DAY), (1, 2, 2 * DAY), (2, 3, 1 * DAY)]  # each hop before the money arrived
    assert _chains(backwards, 4) == [1, 1, 1, 1]


def test_payments_at_the_same_moment_do_not_chain() -> None:
    assert _chains([(0, 1, DAY), (1, 2, DAY)], 3) == [1, 1, 1]
    # whichever order the tie comes in, the earlier payment into 1 still starts a chain of two
    assert _chains([(0, 1, 0.5 * DAY), (4, 1, DAY), (1, 2, DAY)], 5) == [2, 2, 2, 0, 1]
    assert _chains([(1, 2, DAY), (4, 1, DAY), (0, 1, 0.5 * DAY)], 5) == [2, 2, 2, 0, 1]


def test_chain_counts_only_rare_pairs_of_sums() -> None:
    """A household's standing transfer (paid every week) and a split bill break a chain; strangers' sums do not."""
    params = PatternParams(delta_seconds=20 * DAY, bucket_seconds=40 * DAY, chain_gap_seconds=2 * DAY)
    hops = [("a", "b", 1 * DAY, 3000.0), ("b", "c", 2 * DAY, 2500.0), ("c", "d", 3 * DAY, 900.0)]
    rent = [("b", "c", d * DAY, 2500.0) for d in (9.0, 16.0)]  # b pays c every week: not strangers
    small = [("c", "d", 3 * DAY, 20.0)]

    def lengths(rows: list[tuple[str, str, float, float]]) -> dict[str, int]:
        table = pa.table({"src": [r[0] for r in rows], "dst": [r[1] for r in rows], "t": [r[2] for r in rows],
                          "amount": [r[3] for r in rows], "bucket": [0] * len(rows)})  # fmt: skip
        counts = bucket_counts(table, params).to_pydict()
        return dict(zip(counts["node"], counts["rare_chain_length"], strict=True))

    assert lengths(hops) == {"a": 3, "b": 3, "c": 3, "d": 3}
    assert lengths([*hops, *rent]) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert lengths([*hops[:2], *small]) == {"a": 2, "b": 2, "c": 2}


def test_buckets_count_each_cycle_once() -> None:
    # a cycle straddling a bucket boundary is owned by the bucket of its first edge
    params = PatternParams(delta_seconds=5 * DAY, bucket_seconds=10 * DAY)
    times = [9 * DAY, 11 * DAY, 12 * DAY]
    rows = {"src": ["a", "b", "c"], "dst": ["b", "c", "a"], "t": times, "amount": [100.0, 95.0, 90.0]}
    base = pa.table(rows)
    b0 = base.append_column("bucket", pa.array([0, 1, 1], pa.int64()))
    b0 = pa.concat_tables([b0, base.slice(1).append_column("bucket", pa.array([0, 0], pa.int64()))])
    counts = bucket_counts(b0, params).to_pydict()
    assert dict(zip(counts["node"], counts["cycle_count"], strict=True)) == {"a": 1, "b": 1, "c": 1}
    assert dict(zip(counts["node"], counts["kept_cycle_count"], strict=True)) == {"a": 1, "b": 1, "c": 1}


_TIED_EDGES = st.lists(  # few nodes, few distinct times: many ties, many cycles and two-hop paths
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3), st.sampled_from([90.0, 100.0, 110.0])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(edges=_TIED_EDGES, shuffle_seed=st.integers(0, 2**32 - 1))
def test_kernel_counts_do_not_depend_on_the_order_edges_arrive_in(
    edges: list[tuple[int, int, int, float]], shuffle_seed: int
) -> None:
    """The searches are bounded (budget, cap): with ties in time, input order must not pick what they reach."""
    params = PatternParams(delta_seconds=5 * DAY, bucket_seconds=10 * DAY, cycle_budget=6, kept_cycle_budget=6,
                           hop_cap=2)  # fmt: skip
    rows = {
        "src": [f"n{e[0]}" for e in edges],
        "dst": [f"n{e[1]}" for e in edges],
        "t": [e[2] * DAY for e in edges],
        "amount": [e[3] for e in edges],
        "bucket": [0] * len(edges),
    }
    table = pa.table(rows)
    shuffled = table.take(np.random.default_rng(shuffle_seed).permutation(len(edges)))
    assert bucket_counts(shuffled, params).to_pydict() == bucket_counts(table, params).to_pydict()


def _edges() -> pa.Table:
    # fan-in: five payers into "hub" within a day; a slow payer a month later; a 3-cycle x->y->z->x
    src = [f"p{i}" for i in range(5)] + ["late", "x", "y", "z", "hub", "hub"]
    dst = ["hub"] * 6 + ["y", "z", "x", "out1", "out2"]
    t = [i * 3600.0 for i in range(5)] + [40 * DAY, DAY, 2 * DAY, 3 * DAY, 5 * 3600.0, 6 * 3600.0]
    amount = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 100.0, 99.0, 98.0, 75.0, 75.0]
    return pa.table({"src": src, "dst": dst, "t": t, "amount": amount})


@pytest.mark.slow
def test_graph_features_on_both_engines(engine: Engine) -> None:
    engine.write_table("edges", _edges())
    params = GraphParams(patterns=PatternParams(delta_seconds=10 * DAY, bucket_seconds=20 * DAY, chain_min_amount=50.0))
    graph_features(engine, "edges", params)
    rows = {r["node"]: r for r in engine.table("graph_features").to_pylist()}
    hub = rows["hub"]
    assert hub["in_degree"] == 6 and hub["out_degree"] == 2
    assert hub["fan_in_1d"] == 5 and hub["fan_in_30d"] == 5  # the late payer is 40 days on
    assert hub["in_max"] == 60 and hub["in_min"] == 10
    assert hub["in_sum"] == pytest.approx(210.0)
    assert hub["gather_scatter"] == 2  # five in, then two out within the week
    assert [rows[n]["cycle_count"] for n in ("x", "y", "z", "hub")] == [1, 1, 1, 0]
    assert [rows[n]["kept_cycle_count"] for n in ("x", "y", "z", "hub")] == [1, 1, 1, 0]  # 100, 99, 98 passed on
    assert rows["p0"]["onb_in_degree_max"] == 6  # a payer sees the hub it pays into
    # x -> y -> z -> x is a chain of three; p4 (50) -> hub -> out1 one of two; p0 paid under the floor
    assert [rows[n]["rare_chain_length"] for n in ("x", "y", "z", "hub", "p4", "out1", "p0")] == [3, 3, 3, 2, 2, 2, 0]
