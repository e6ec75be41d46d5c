"""Detect benchmark: the rule pack over N transactions, graph pattern features, and a windowed SQL fan-in.

    .venv/bin/python bench/bench_detect.py [--transactions 5000000] [--edges 1000000] [--repeat 1]

Each measurement runs in its own process so its peak memory (ru_maxrss) is its own.
Transactions are synthetic and heavy-tailed (payers and payees drawn with weights ~ rank^-0.9),
with a channel, country, MCC and reference mix so every rule has rows to read.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

YEAR = 365 * 86400


def _heavy(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -0.9
    weights /= weights.sum()
    return rng.choice(n, size=size, p=weights)


def make_transactions(rows: int, seed: int = 11) -> pa.Table:
    from moneytrail.model.schemas import TRANSACTIONS

    rng = np.random.default_rng(seed)
    accounts = max(1000, rows // 5)
    src = _heavy(rng, accounts, rows)
    dst = _heavy(rng, accounts, rows)[rng.permutation(rows)]
    names = np.array([f"{i:032x}" for i in range(accounts)])
    members = np.array(["bank_us", "bank_gb", "remitter", "ewallet_ph", "cardnet", "exchange"])
    member = members[src % len(members)]
    countries = np.array(["US", "GB", "AU", "DE", "PH", "TH", "NG", "US", "US", "GB"])
    channels = np.array(["card", "card", "card", "wire", "p2p", "remittance", "cash", "ach", "crypto", "ewallet"])
    mccs = np.array(["5411", "5541", "5967", "7011", "5947", "6540", "5812", "4511", "7311", None], dtype=object)
    refs = np.array(["rent", "school fees", "invoice 12", "thanks", "@friend_01", "", "gift", "groceries"])
    amount = np.round(np.exp(rng.normal(3.8, 1.2, rows)), 2)
    ts = 1_735_689_600_000_000 + rng.integers(0, YEAR * 1_000_000, rows)
    src_keys = np.char.add(np.char.add(member.astype(str), ":"), names[src])
    dst_keys = np.char.add("ext:", names[dst])
    amounts = pa.array(amount).cast(pa.decimal128(38, 8))
    table = pa.table(
        {
            "txn_id": pa.array(np.char.add(np.char.add(member.astype(str), ":t"), np.arange(rows).astype(str))),
            "member_id": pa.array(member.astype(str)),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "amount": amounts,
            "currency": pa.array(np.full(rows, "USD")),
            "amount_usd": amounts,
            "channel": pa.array(channels[rng.integers(0, len(channels), rows)]),
            "src_account": pa.array(src_keys),
            "dst_account": pa.array(dst_keys),
            "src_token": pa.array(names[src]),
            "dst_token": pa.array(names[dst]),
            "src_country": pa.array(countries[src % len(countries)]),
            "dst_country": pa.array(countries[rng.integers(0, len(countries), rows)]),
            "mcc": pa.array(mccs[rng.integers(0, len(mccs), rows)], pa.string()),
            "merchant_id": pa.array(np.char.add("m", (dst % 5000).astype(str))),
            "reference": pa.array(refs[rng.integers(0, len(refs), rows)]),
            "device_id": pa.array(np.char.add("d", rng.integers(0, 50, rows).astype(str))),
        }
    )
    missing = [f for f in TRANSACTIONS if f.name not in table.column_names]
    for field in missing:
        table = table.append_column(field.name, pa.nulls(rows, field.type))
    return table.select(TRANSACTIONS.names).cast(TRANSACTIONS)


def make_edges(edges: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    nodes = max(1000, edges // 5)
    src = _heavy(rng, nodes, edges)
    dst = _heavy(rng, nodes, edges)[rng.permutation(edges)]
    return pa.table(
        {
            "src": pa.array(src.astype(str)),
            "dst": pa.array(dst.astype(str)),
            "t": pa.array(rng.integers(0, YEAR, edges).astype(np.float64)),
            "amount": pa.array(np.round(np.exp(rng.normal(3.8, 1.2, edges)), 2)),
        }
    )


def write_transactions(rows: int, folder: str) -> dict[str, Any]:
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(Path(folder) / "w.duckdb")
    engine.write_table("transactions", make_transactions(rows))
    engine.close()
    return {"seconds": 0.0}


def run_detect(rows: int, folder: str) -> dict[str, Any]:
    """The rule pack over a warehouse written beforehand by another process (its memory is not counted)."""
    from moneytrail.detect.pipeline import detect
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(Path(folder) / "w.duckdb")
    start = time.perf_counter()
    result = detect(engine)
    seconds = time.perf_counter() - start
    engine.close()
    return {"seconds": seconds, "alerts": result.alerts.num_rows}


def run_graph(edges: int, kernels: bool) -> dict[str, Any]:
    from moneytrail.detect.graph.features import GraphParams, graph_features
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine()
    engine.write_table("warm_edges", make_edges(2000))
    graph_features(engine, "warm_edges", GraphParams(), table="warm")  # numba compiles (or loads its cache)
    engine.write_table("edges", make_edges(edges))
    start = time.perf_counter()
    graph_features(engine, "edges", GraphParams(kernels=kernels))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "edges_per_s": edges / seconds, "nodes": engine.count("graph_features")}


def run_fan_in(edges: int) -> dict[str, Any]:
    from moneytrail.warehouse.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine()
    engine.write_table("edges", make_edges(edges))
    start = time.perf_counter()
    engine.create_table(
        "fan_in",
        """SELECT dst, max(n) AS fan_in_1d FROM (
            SELECT dst, count(DISTINCT src) OVER (PARTITION BY dst ORDER BY t RANGE BETWEEN 86400 PRECEDING
                AND CURRENT ROW) AS n FROM edges) GROUP BY dst""",
    )
    return {"seconds": time.perf_counter() - start}


def _child(func: Callable[..., dict[str, Any]], args: tuple[Any, ...], queue: Any) -> None:
    try:
        result = func(*args)
    except Exception as error:  # report, never leave the parent waiting
        queue.put({"seconds": float("nan"), "error": repr(error), "peak_mib": 0.0})
        raise
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def isolated(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    queue: Any = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_child, args=(func, args, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-detect", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    print(f"machine: {os.cpu_count()} cores\n")
    print("| measurement | size | median s | throughput | peak MiB |")
    print("| --- | --- | --- | --- | --- |")
    cases: list[tuple[str, int, Callable[..., dict[str, Any]], tuple[Any, ...]]] = [
        ("windowed SQL fan-in (window function)", args.edges, run_fan_in, (args.edges,)),
        ("graph features, SQL only", args.edges, run_graph, (args.edges, False)),
        ("graph features, SQL + cycle/scatter-gather kernels", args.edges, run_graph, (args.edges, True)),
    ]
    if not args.skip_detect:
        with tempfile.TemporaryDirectory() as folder:
            isolated(write_transactions, args.transactions, folder)
            cases.append(
                ("detect (28 rules, alerts, risk summary)", args.transactions, run_detect, (args.transactions, folder))
            )
            _report(cases, args.repeat)
    else:
        _report(cases, args.repeat)


def _report(cases: list[tuple[str, int, Callable[..., dict[str, Any]], tuple[Any, ...]]], repeat: int) -> None:
    for label, size, func, fargs in cases:
        runs = [isolated(func, *fargs) for _ in range(repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        rate = f"{size / seconds:,.0f} rows/s"
        print(f"| {label} | {size:,} | {seconds:.1f} | {rate} | {peak:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
