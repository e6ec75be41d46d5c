"""Trace benchmark: a 6-hop forward, time-respecting, haircut trace on a heavy-tailed payment graph.

    .venv/bin/python bench/bench_trace.py [--edges 5000000] [--nodes 1000000] [--traces 50] [--no-networkx]

Side by side on the same graph: moneytrail's CSR index + numba traversal, and networkx
(a MultiDiGraph and the same time-respecting 6-hop frontier in Python). Each side runs in
its own process so its peak memory is its own. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

SECONDS_PER_YEAR = 365 * 24 * 3600


def make_graph(edges: int, nodes: int, seed: int = 7) -> pa.Table:
    """Heavy-tailed: payers and payees drawn with weights ~ rank^-0.9 (a few hubs, a long tail),
    32-hex token node names, times spread over a year, log-normal values."""
    rng = np.random.default_rng(seed)
    weights = (np.arange(1, nodes + 1, dtype=np.float64)) ** -0.9
    weights /= weights.sum()
    src = rng.choice(nodes, size=edges, p=weights)
    dst = rng.choice(nodes, size=edges, p=weights[rng.permutation(nodes)])
    names = pa.array([os.urandom(16).hex() for _ in range(nodes)], pa.string())
    start = 1_704_067_200_000_000  # 2024-01-01 UTC, microseconds
    ts = start + rng.integers(0, SECONDS_PER_YEAR * 1_000_000, size=edges)
    return pa.table(
        {
            "src": names.take(pa.array(src)),
            "dst": names.take(pa.array(dst)),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "value": rng.lognormal(4.0, 1.2, size=edges),
            "txn_id": pa.array([f"b:{i}" for i in range(edges)], pa.string()),
        }
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seeds(table: pa.Table, count: int, seed: int = 11) -> list[str]:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, table.num_rows, size=count)
    return [str(v) for v in table.column("src").take(pa.array(rows)).to_pylist()]


def run_moneytrail(args: argparse.Namespace, out: Any) -> None:
    from moneytrail.trace import TraceIndex
    from moneytrail.trace.api import run

    table = make_graph(args.edges, args.nodes)
    before = _peak_mb()
    TraceIndex.from_edges(table.slice(0, 1000))  # compile the build helpers (cached on disk after the first run)
    builds = []
    for _ in range(args.builds):
        started = time.perf_counter()
        index = TraceIndex.from_edges(table)
        builds.append(time.perf_counter() - started)
    build = statistics.median(builds)
    cache = Path(args.cache)
    started = time.perf_counter()
    index.save(cache)
    save = time.perf_counter() - started
    started = time.perf_counter()
    loaded = TraceIndex.load(cache)
    load = time.perf_counter() - started
    assert loaded is not None
    seeds = [index.node_number(s) for s in _seeds(table, args.traces)]
    run(index, [seeds[0]], 6, "forward", "haircut")  # compile (cached on disk after the first run)
    times, sizes = [], []
    for s in seeds:
        started = time.perf_counter()
        raw = run(index, [s], 6, "forward", "haircut")
        times.append(time.perf_counter() - started)
        sizes.append(len(raw.edges))
    out.put(
        {
            "side": "moneytrail (CSR + numba)",
            "build_s": build,
            "save_s": save,
            "load_s": load,
            "peak_mb": _peak_mb() - before,
            "median_ms": statistics.median(times) * 1000,
            "p90_ms": float(np.percentile(times, 90) * 1000),
            "median_edges": statistics.median(sizes),
        }
    )


def _nx_trace(graph: Any, start: str, hops: int) -> int:
    """The same time-respecting 6-hop frontier (earliest arrival per node) over networkx."""
    arrival = {start: -1}
    frontier = {start}
    reached = 0
    for _ in range(hops):
        nxt = set()
        for node in frontier:
            t0 = arrival[node]
            for _, target, data in graph.out_edges(node, data=True):
                if data["ts"] >= t0:
                    reached += 1
                    if data["ts"] < arrival.get(target, 1 << 62):
                        arrival[target] = data["ts"]
                        nxt.add(target)
        frontier = nxt
    return reached


def run_networkx(args: argparse.Namespace, out: Any) -> None:
    import networkx as nx

    table = make_graph(args.edges, args.nodes)
    src = table.column("src").to_pylist()
    dst = table.column("dst").to_pylist()
    ts = table.column("ts").cast(pa.int64()).to_pylist()
    value = table.column("value").to_pylist()
    before = _peak_mb()
    started = time.perf_counter()
    graph = nx.MultiDiGraph()
    graph.add_edges_from((s, d, {"ts": t, "value": v}) for s, d, t, v in zip(src, dst, ts, value, strict=True))
    build = time.perf_counter() - started
    times, sizes = [], []
    for s in _seeds(table, args.traces):
        started = time.perf_counter()
        sizes.append(_nx_trace(graph, s, 6))
        times.append(time.perf_counter() - started)
    out.put(
        {
            "side": "networkx (MultiDiGraph, Python frontier)",
            "build_s": build,
            "save_s": float("nan"),
            "load_s": float("nan"),
            "peak_mb": _peak_mb() - before,
            "median_ms": statistics.median(times) * 1000,
            "p90_ms": float(np.percentile(times, 90) * 1000),
            "median_edges": statistics.median(sizes),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--traces", type=int, default=50)
    parser.add_argument("--cache", default="/tmp/moneytrail_bench_trace_index")
    parser.add_argument("--builds", type=int, default=3, help="index builds to take the median of")
    parser.add_argument("--no-networkx", action="store_true")
    args = parser.parse_args()
    sides = [run_moneytrail] + ([] if args.no_networkx else [run_networkx])
    rows = []
    for side in sides:
        queue: Any = mp.get_context("spawn").Queue()
        process = mp.get_context("spawn").Process(target=side, args=(args, queue))
        process.start()
        rows.append(queue.get())
        process.join()
    print(f"graph: {args.edges:,} edges, {args.nodes:,} nodes, heavy-tailed; {args.traces} traces, 6 hops forward")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| side | index build s | save s | load s | peak MB | median trace ms | p90 ms | median edges traced |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['side']} | {r['build_s']:.2f} | {r['save_s']:.2f} | {r['load_s']:.2f} | {r['peak_mb']:.0f} | "
            f"{r['median_ms']:.2f} | {r['p90_ms']:.2f} | {r['median_edges']:.0f} |"
        )


if __name__ == "__main__":
    main()
