"""The trace index: the whole payment graph as compressed sparse rows, cached under the home.

Nodes are coalition tokens (or public addresses, or `btctx:HASH` transaction nodes), so one
graph spans every member: the sender's bank and the receiver's e-wallet name the same
account with the same token, and an exchange's deposit and withdrawal rows join fiat
accounts to on-chain addresses. Edges are sorted by source then time, so a node's
outgoing payments are one contiguous, time-ordered slice; a second permutation gives
each node's incoming payments in time order.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.errors import UserError
from moneytrail.trace import kernel
from moneytrail.warehouse.engine import Engine

INDEX_VERSION = 6

# Both sides of a cross-member payment are often reported (the sender's bank and the
# receiver's e-wallet): the same (payer, payee, value, day) seen by two members is one
# payment. Within each member's own rows every payment counts; across members, the
# k-th copy from each member is the same k-th payment.
# An exchange's withdrawal is also seen twice: its ledger row (customer -> address, with the
# tx hash) and the chain's output to that address. The ledger row is kept (it ties the
# customer to the address); the chain output it duplicates is dropped, so the address is
# not paid twice and the transaction node keeps what the exchange's hot wallet put in.
EDGES_SQL = """
WITH ledger_legs AS (
    SELECT DISTINCT tx_hash, dst_token FROM transactions
    WHERE tx_hash IS NOT NULL AND dst_token IS NOT NULL AND chain IS NOT NULL
      AND NOT starts_with(txn_id, chain || ':' || tx_hash)
),
edges AS (
    SELECT
        coalesce(t.src_token, t.src_account) AS src,
        coalesce(t.dst_token, t.dst_account) AS dst,
        t.ts,
        CAST(coalesce(t.amount_usd, t.amount) AS DOUBLE) AS value,
        t.txn_id,
        t.member_id
    FROM transactions t
    LEFT JOIN ledger_legs l
      ON l.tx_hash = t.tx_hash AND l.dst_token = t.dst_token
     AND starts_with(t.txn_id, t.chain || ':' || t.tx_hash || ':out:')
    WHERE coalesce(t.src_token, t.src_account) IS NOT NULL
      AND coalesce(t.dst_token, t.dst_account) IS NOT NULL
      AND l.tx_hash IS NULL
),
ranked AS (
    SELECT *,
        row_number() OVER (
            PARTITION BY src, dst, value, CAST(ts AS DATE), member_id ORDER BY ts, txn_id
        ) AS copy_no
    FROM edges
),
deduped AS (
    SELECT *,
        row_number() OVER (
            PARTITION BY src, dst, value, CAST(ts AS DATE), copy_no ORDER BY member_id
        ) AS member_rank
    FROM ranked
)
SELECT src, dst, ts, value, txn_id FROM deduped WHERE member_rank = 1
"""

FINGERPRINT_SQL = """
SELECT count(*) AS n, CAST(min(ts) AS VARCHAR) AS first_ts, CAST(max(ts) AS VARCHAR) AS last_ts,
       CAST(sum(CAST(amount AS DOUBLE)) AS VARCHAR) AS total
FROM transactions
"""


@dataclass
class TraceIndex:
    """The payment graph in CSR form. Edge `e` goes `src[e] -> dst[e]` at `ts[e]` (µs UTC) carrying `value[e]`."""

    nodes: pa.Array  # node id (token, address, btctx:HASH) per node number
    src: np.ndarray  # int32, edges sorted by (src, ts)
    dst: np.ndarray  # int32
    ts: np.ndarray  # int64 microseconds since 1970, UTC
    value: np.ndarray  # float64: amount_usd where known, else amount
    txn_id: pa.Array  # warehouse txn_id of the representative copy, in the order the edges were read
    txn_row: np.ndarray  # int32: edge e's txn_id is txn_id[txn_row[e]] (a gather at build time costs seconds)
    relay: np.ndarray  # bool per node: an on-chain transaction node (`btctx:HASH`), which costs no hop
    out_ptr: np.ndarray  # int64, n+1: out-edges of v are out_ptr[v]:out_ptr[v+1]
    in_ptr: np.ndarray  # int64, n+1: in-edges of v are in_eids[in_ptr[v]:in_ptr[v+1]]
    in_eids: np.ndarray  # int32 edge ids sorted by (dst, ts)
    in_pos: np.ndarray = field(repr=False)  # int32, position of edge e within in_eids
    in_cum: np.ndarray = field(repr=False)  # float64, running total of value along each node's in-list
    out_balance: np.ndarray = field(repr=False)  # float64, payer's balance just before each edge
    out_start: np.ndarray = field(repr=False)  # float64, payer's arrivals already spent before it (FIFO)
    out_eids: np.ndarray = field(repr=False)  # int32 identity: out-edge ids in (src, ts) order
    fingerprint: str = ""
    _lookup: dict[str, int] | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    work: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.src)

    def node_number(self, node_id: str) -> int | None:
        """The node number of a token, address or account key, or None."""
        if self._lookup is None:
            self._lookup = {name: i for i, name in enumerate(self.nodes.to_pylist())}
        return self._lookup.get(node_id)

    def node_id(self, number: int) -> str:
        return str(self.nodes[number].as_py())

    # -- build ----------------------------------------------------------------------
    @classmethod
    def from_edges(cls, edges: pa.Table, fingerprint: str = "") -> TraceIndex:
        """Build from an Arrow table with columns src, dst, ts, value, txn_id."""
        both = pa.chunked_array(
            [*edges.column("src").cast(pa.string()).chunks, *edges.column("dst").cast(pa.string()).chunks]
        ).combine_chunks()
        encoded = pc.dictionary_encode(both)
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        src, dst = codes[: edges.num_rows], codes[edges.num_rows :]
        # A movement from an account to itself (an exchange's fiat-to-crypto conversion) moves nothing.
        kept = np.flatnonzero(src != dst).astype(np.int32)
        src, dst = src[kept], dst[kept]
        m = len(kept)
        ts_column = edges.column("ts")
        if pa.types.is_timestamp(ts_column.type):
            ts_column = ts_column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        ts = np.asarray(ts_column.to_numpy(), dtype=np.int64)[kept]
        value = np.asarray(edges.column("value").to_numpy(zero_copy_only=False), dtype=np.float64)[kept]
        value = np.nan_to_num(value, nan=0.0)
        n = len(encoded.dictionary)
        out_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=out_ptr[1:])
        in_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst, minlength=n), out=in_ptr[1:])
        # One sort by time, then linear regrouping by payer (and by payee for the in-lists).
        by_time = np.argsort(ts).astype(np.int32)
        order = kernel.group_order(src, out_ptr, by_time)
        src, dst, ts, value = src[order], dst[order], ts[order], value[order]
        renumbered = np.empty(m, dtype=np.int32)
        renumbered[order] = np.arange(m, dtype=np.int32)
        in_eids = kernel.group_order(dst, in_ptr, renumbered[by_time])
        in_pos = np.empty(m, dtype=np.int32)
        in_pos[in_eids] = np.arange(m, dtype=np.int32)
        in_cum = kernel.running_totals(value, in_eids, in_ptr)
        out_balance, out_start = kernel.departure_positions(ts, value, out_ptr, in_ptr, in_eids)
        return cls(
            nodes=encoded.dictionary,
            src=src,
            dst=dst,
            ts=ts,
            value=value,
            txn_id=edges.column("txn_id").combine_chunks(),
            txn_row=kept[order],
            relay=_transaction_nodes(encoded.dictionary),
            out_ptr=out_ptr,
            in_ptr=in_ptr,
            in_eids=in_eids,
            in_pos=in_pos,
            in_cum=in_cum,
            out_balance=out_balance,
            out_start=out_start,
            out_eids=np.arange(m, dtype=np.int32),
            fingerprint=fingerprint,
        )

    @classmethod
    def from_engine(cls, engine: Engine, current: str | None = None) -> TraceIndex:
        """Build from the warehouse `transactions` table of any engine."""
        if not engine.has_table("transactions"):
            raise UserError("the warehouse has no transactions yet: run `moneytrail ingest` first")
        return cls.from_edges(engine.query(EDGES_SQL), current if current is not None else fingerprint(engine))

    # -- cache --------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "graph.npz",
            src=self.src,
            dst=self.dst,
            ts=self.ts,
            value=self.value,
            out_ptr=self.out_ptr,
            in_ptr=self.in_ptr,
            in_eids=self.in_eids,
            in_pos=self.in_pos,
            txn_row=self.txn_row,
            out_balance=self.out_balance,
            out_start=self.out_start,
        )
        labels = pa.table({"node": self.nodes})
        edges = pa.table({"txn_id": self.txn_id})
        for name, table in (("nodes.arrow", labels), ("txn_ids.arrow", edges)):
            with pa.OSFile(str(folder / name), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        meta = {"version": INDEX_VERSION, "fingerprint": self.fingerprint}
        (folder / "meta.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path) -> TraceIndex | None:
        """The cached index in `folder`, or None when there is none or it is from another version."""
        meta_path = folder / "meta.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("version") != INDEX_VERSION:
            return None
        arrays = np.load(folder / "graph.npz")
        tables = {}
        for name in ("nodes", "txn_ids"):
            with pa.memory_map(str(folder / f"{name}.arrow")) as source:
                tables[name] = pa.ipc.open_file(source).read_all()
        m = len(arrays["src"])
        return cls(
            nodes=tables["nodes"].column("node").combine_chunks(),
            src=arrays["src"],
            dst=arrays["dst"],
            ts=arrays["ts"],
            value=arrays["value"],
            txn_id=tables["txn_ids"].column("txn_id").combine_chunks(),
            txn_row=arrays["txn_row"],
            relay=_transaction_nodes(tables["nodes"].column("node").combine_chunks()),
            out_ptr=arrays["out_ptr"],
            in_ptr=arrays["in_ptr"],
            in_eids=arrays["in_eids"],
            in_pos=arrays["in_pos"],
            in_cum=kernel.running_totals(arrays["value"], arrays["in_eids"], arrays["in_ptr"]),
            out_balance=arrays["out_balance"],
            out_start=arrays["out_start"],
            out_eids=np.arange(m, dtype=np.int32),
            fingerprint=str(meta.get("fingerprint", "")),
        )


def _transaction_nodes(nodes: pa.Array) -> np.ndarray:
    flags = pc.match_substring_regex(nodes.cast(pa.string()), r"^[a-z0-9]+tx:").fill_null(False)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=np.bool_)


def fingerprint(engine: Engine) -> str:
    """A cheap summary of the transactions table: a cached index is stale when it changes."""
    row = engine.query(FINGERPRINT_SQL).to_pylist()[0]
    return json.dumps(row, sort_keys=True, default=str)


def index_folder(home: Path) -> Path:
    return home / "trace" / "index"


# Indexes already in memory, per cache folder: a long-running process (the web API) loads
# the graph once, not once per trace.
_OPEN: dict[Path, TraceIndex] = {}
_OPEN_LOCK = threading.Lock()


def open_index(engine: Engine, home: Path | None = None, rebuild: bool = False) -> TraceIndex:
    """The trace index for this warehouse: from memory or the cache under `home` when still current,
    else built and cached."""
    folder = index_folder(home).resolve() if home is not None else None
    current = fingerprint(engine) if engine.has_table("transactions") else ""
    with _OPEN_LOCK:
        if folder is not None and not rebuild:
            held = _OPEN.get(folder)
            if held is not None and held.fingerprint == current:
                return held
            cached = TraceIndex.load(folder)
            if cached is not None and cached.fingerprint == current:
                _OPEN[folder] = cached
                return cached
        index = TraceIndex.from_engine(engine, current)
        if folder is not None:
            index.save(folder)
            _OPEN[folder] = index
        return index
