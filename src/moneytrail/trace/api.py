"""`trace()`: follow the money forward or backward from accounts, addresses, merchants or tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from moneytrail.errors import UserError
from moneytrail.trace import kernel
from moneytrail.trace.index import TraceIndex, open_index
from moneytrail.trace.result import TraceEdge, TraceNode, TraceResult
from moneytrail.warehouse.engine import Engine

ATTRIBUTIONS = {"poison": kernel.POISON, "haircut": kernel.HAIRCUT, "fifo": kernel.FIFO}
DIRECTIONS = ("forward", "backward")
# Traced value below this (in value units) is not followed further: haircut spreads
# ever thinner slices through busy accounts, and a millionth of a cent traces nothing.
DEFAULT_DUST = 1e-6


@dataclass
class RawTrace:
    """The kernel's answer in node and edge numbers of the index."""

    edges: np.ndarray  # edge ids, in the order they were traced
    attributed: np.ndarray  # traced value on each
    hop: np.ndarray  # hop of each
    nodes: np.ndarray  # reached node numbers (seeds first)
    dropped: np.ndarray  # per reached node: traced value not followed (below min_amount / dust)
    seeds: np.ndarray  # the start node numbers


def _micros(value: datetime | None, default: int) -> int:
    if value is None:
        return default
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1_000_000)


def _work(index: TraceIndex) -> dict[str, np.ndarray]:
    """Work arrays, allocated once per index and reset after each trace (only what a trace touched)."""
    if not index.work:
        n, m = index.node_count, index.edge_count
        index.work.update(
            taint=np.zeros(n),
            taint_in=np.zeros(n),
            share=np.zeros(n),
            dropped=np.zeros(n),
            out_cur=np.zeros(n, dtype=np.int64),
            depth=np.full(n, -1, dtype=np.int64),
            sched=np.full(n, kernel.NEVER, dtype=np.int64),
            lot_head=np.full(n, -1, dtype=np.int64),
            lot_tail=np.full(n, -1, dtype=np.int64),
            lot_next=np.full(m, -1, dtype=np.int64),
            lot_value=np.zeros(m),
        )
    return index.work


def run(
    index: TraceIndex,
    seeds: Sequence[int] | np.ndarray,
    hops: int,
    direction: str = "forward",
    attribution: str = "haircut",
    since: datetime | None = None,
    until: datetime | None = None,
    min_amount: float = 0.0,
    dust: float = DEFAULT_DUST,
    stop: np.ndarray | None = None,
) -> RawTrace:
    """The traversal alone, on node numbers: what the benchmark times."""
    if direction not in DIRECTIONS:
        raise UserError(f"unknown direction {direction!r}: choose forward or backward")
    if attribution not in ATTRIBUTIONS:
        raise UserError(f"unknown attribution {attribution!r}: choose one of {', '.join(ATTRIBUTIONS)}")
    if hops < 1:
        raise UserError("hops must be at least 1")
    reverse = direction == "backward"
    lo = _micros(since, -kernel.NEVER)
    hi = _micros(until, kernel.NEVER - 1)
    if reverse:
        lo, hi = -hi, -lo
    seed_array = np.unique(np.asarray(seeds, dtype=np.int64))
    stop_mask = stop if stop is not None else np.zeros(0, dtype=np.bool_)
    # Backward, a node's departures are the payments it received, latest first.
    head, o_ptr, o_eids = (
        (index.src, index.in_ptr, index.in_eids) if reverse else (index.dst, index.out_ptr, index.out_eids)
    )
    with index.lock:  # one trace at a time per index: the work arrays are shared
        w = _work(index)
        edges, attributed, hop, nodes = kernel.run_trace(
            seed_array, hops, ATTRIBUTIONS[attribution], reverse, lo, hi, float(min_amount), float(dust),
            stop_mask, index.relay, head, index.ts, index.value, o_ptr, o_eids, index.in_pos, index.in_cum,
            index.out_balance, index.out_start, w["taint"], w["taint_in"], w["share"], w["dropped"],
            w["out_cur"], w["depth"], w["sched"], w["lot_head"], w["lot_tail"], w["lot_next"], w["lot_value"],
        )  # fmt: skip
        dropped = w["dropped"][nodes].copy()
        for name in ("taint", "taint_in", "share", "dropped", "out_cur"):
            w[name][nodes] = 0
        for name in ("depth", "lot_head", "lot_tail"):
            w[name][nodes] = -1
        w["sched"][nodes] = kernel.NEVER
    return RawTrace(edges, attributed, hop, nodes, dropped, seed_array)


def trace(
    source: TraceIndex | Engine,
    start: str | Sequence[str],
    hops: int = 4,
    direction: str = "forward",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    min_amount: float = 0.0,
    attribution: str = "haircut",
    engine: Engine | None = None,
    home: Path | None = None,
    dust: float = DEFAULT_DUST,
) -> TraceResult:
    """Follow the money from `start` (account `MEMBER:ACCOUNT`, account key, token, address, MID or URL).

    `source` is a warehouse engine (the index is built, or loaded from the cache under
    `home`) or a ready `TraceIndex`; with an engine, nodes and payments are described from
    the warehouse (member, kind, risk, currency, channel).
    """
    from moneytrail.trace.resolve import resolve_start

    if isinstance(source, TraceIndex):
        index = source
    else:
        engine = source
        index = open_index(source, home)
    starts = [start] if isinstance(start, str) else list(start)
    seeds = resolve_start(starts, index, engine, home)
    raw = run(index, seeds, hops, direction, attribution, since, until, min_amount, dust)
    result = build_result(index, raw, starts, hops, direction, attribution, since, until, min_amount)
    if engine is not None:
        from moneytrail.trace.describe import describe

        describe(result, engine)
    from moneytrail.trace.graph import find_cycles

    result.cycles = find_cycles(result)
    return result


def _when(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, tz=UTC)


def build_result(
    index: TraceIndex,
    raw: RawTrace,
    start: list[str],
    hops: int,
    direction: str,
    attribution: str,
    since: datetime | None = None,
    until: datetime | None = None,
    min_amount: float = 0.0,
) -> TraceResult:
    """Aggregate the traced payments per (payer, payee) and sum traced value per node."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, e in enumerate(raw.edges.tolist()):
        groups[(int(index.src[e]), int(index.dst[e]))].append(i)
    txn_ids = index.txn_id.take(pa.array(index.txn_row[raw.edges])).to_pylist() if len(raw.edges) else []
    edges = []
    received: dict[int, float] = defaultdict(float)
    sent: dict[int, float] = defaultdict(float)
    for (s, d), rows in groups.items():
        ids = raw.edges[rows]
        attributed = float(raw.attributed[rows].sum())
        times = index.ts[ids]
        edges.append(
            TraceEdge(
                source=index.node_id(s),
                target=index.node_id(d),
                amount=float(index.value[ids].sum()),
                currency=None,
                first_time=_when(int(times.min())),
                last_time=_when(int(times.max())),
                txn_ids=[str(txn_ids[r]) for r in rows],
                attributed=attributed,
                value=float(index.value[ids].sum()),
                hop=int(raw.hop[rows].min()),
            )
        )
        # Traced value flows payer -> payee forward, and is sourced payee <- payer backward.
        giver, taker = (d, s) if direction == "backward" else (s, d)
        sent[giver] += attributed
        received[taker] += attributed
    hop_of: dict[int, int] = {}
    for i, e in enumerate(raw.edges.tolist()):
        taker = int(index.src[e]) if direction == "backward" else int(index.dst[e])
        h = int(raw.hop[i])
        hop_of[taker] = min(hop_of.get(taker, h), h)
    seeds = set(raw.seeds.tolist())
    dropped_of = dict(zip(raw.nodes.tolist(), raw.dropped.tolist(), strict=True))
    nodes = []
    traced_value = 0.0
    for v in raw.nodes.tolist():
        is_start = v in seeds
        if is_start:
            traced_value += sent[v] + dropped_of.get(v, 0.0)
        # A start keeps what comes back round to it; poison marks without splitting.
        kept = received[v] if is_start or attribution == "poison" else received[v] - sent[v] - dropped_of.get(v, 0.0)
        nodes.append(
            TraceNode(
                id=index.node_id(v),
                role="start" if is_start else ("end" if sent[v] <= 0.0 else "intermediary"),
                hop=0 if is_start else hop_of.get(v, 0),
                received=received[v],
                sent=sent[v],
                retained=max(kept, 0.0),
            )
        )
    return TraceResult(
        start=start,
        direction=direction,
        attribution=attribution,
        hops=hops,
        nodes=nodes,
        edges=edges,
        since=since,
        until=until,
        min_amount=min_amount,
        traced_value=traced_value,
        dropped=float(raw.dropped.sum()),
    )
