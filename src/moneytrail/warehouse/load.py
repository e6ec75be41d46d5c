"""Load orchestration: read -> tokenise -> write, with quarantine, a file ledger and crash safety.

For each file: its SHA-256 is looked up in `ingest_files`; a file already `done` for that
member is skipped (re-ingesting changes nothing). Otherwise a `started` row is written,
the reader's batches are tokenised and appended, and a `done` row closes the file. If a
previous run died between the two, its partial rows are purged by `source_file` before
loading again, so a killed ingest re-run leaves no duplicates and no gaps. This works on
any engine (no transactions needed).

Counting is per source record: `read = loaded + quarantined`, where a record is
quarantined if any of its rows was rejected by the reader or by tokenising.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.errors import FormatError
from moneytrail.ingest.base import Batch, ReadContext, Reader
from moneytrail.ingest.schemas import EXTRA_TABLES, INGEST_FILES, VAULT
from moneytrail.model.schemas import QUARANTINE, TABLES
from moneytrail.tokens.keys import CoalitionKey
from moneytrail.tokens.plan import IdentifierColumn, identifier_columns
from moneytrail.tokens.tokenise import Tokeniser
from moneytrail.warehouse.engine import Append, Engine, add_missing_columns, check_name, literal

SCHEMAS: dict[str, pa.Schema] = {**TABLES, **EXTRA_TABLES}
# Rows per table are written in appends of at least one DuckDB row group (122,880 rows): a smaller
# append goes through the write-ahead log and is copied again at checkpoint (~2x slower), a full
# one is written straight to blocks (readers that cut their batches to whole row groups, like the
# CSV reader, leave no part-filled row groups behind). Memory stays bounded by this, not by the
# file. A caller's smaller `batch_rows` wins (it asked for that granularity).
FLUSH_ROWS = 122_880
# (source_file, records so far); called while an append may still be running in the writer
# thread, so a hook must not use the engine itself
BatchHook = Callable[[str, int], None]
# appending threads: one per core of the 2-core machine ingest is measured on (bench/bench_ingest.py:
# 1M CSV rows write in ~0.6x the time with two); an engine may give fewer (`Engine.appenders`)
WRITERS = 2


@dataclass
class FileResult:
    path: str
    member_id: str
    format: str
    status: str  # loaded, skipped, refused
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    reason: str | None = None


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, float | int]:
        done = [f for f in self.files if f.status == "loaded"]
        return {
            "files": len(done),
            "read": sum(f.read for f in done),
            "loaded": sum(f.loaded for f in done),
            "quarantined": sum(f.quarantined for f in done),
            "seconds": round(self.seconds, 3),
            "skipped": sum(1 for f in self.files if f.status == "skipped"),
            "refused": sum(1 for f in self.files if f.status == "refused"),
        }


def file_hash(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (name and content, in name order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class _Writer:
    """Appends to the warehouse from background threads, one appender each (`Engine.appenders`),
    so the engine writes while the next batch is read, staged and tokenised (DuckDB releases the
    GIL while it writes, and compresses each append's row group on the appending thread). A new
    append waits while every thread is busy: at most one batch per thread plus the one being made
    are held, so memory stays bounded. Appends run in any order. The caller waits (`drain`) before
    it reads the warehouse itself; a failed append is raised there."""

    def __init__(self, appenders: list[Append]) -> None:
        self._queue: queue.Queue[tuple[str, pa.Table] | None] = queue.Queue()
        self._slots = threading.Semaphore(len(appenders))
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._run, args=(append,), name=f"moneytrail-writer-{i}", daemon=True)
            for i, append in enumerate(appenders)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, table: str, rows: pa.Table) -> None:
        self._raise()
        self._slots.acquire()
        self._queue.put((table, rows))

    def drain(self) -> None:
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Finish what was submitted and stop the threads (errors stay for `drain`)."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self, append: Append) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:  # after a failure the rest is skipped, not half applied
                    append(*item)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                self._error = error
            finally:
                if item is not None:
                    self._slots.release()
                self._queue.task_done()


def vault_table(member_id: str) -> str:
    return check_name("vault_" + re.sub(r"[^A-Za-z0-9_]", "_", member_id))


def _now() -> datetime:
    return datetime.now(UTC)


class Loader:
    """Writes readers' batches into the warehouse, tokens in place of raw identifiers."""

    def __init__(self, engine: Engine, key: CoalitionKey, readers: dict[str, Reader]) -> None:
        self.engine = engine
        self.key = key
        self.readers = readers
        self.tokeniser = Tokeniser(key)
        self._pending: dict[str, list[pa.Table]] = {}  # conformed rows not yet appended, per table
        self._made: set[str] = set()  # tables known to exist, in this file
        self._current: set[str] = set()  # tables whose columns were checked against the schema
        self._flush_rows = FLUSH_ROWS
        self._writer: _Writer | None = None
        for name in (
            "transactions",
            "accounts",
            "parties",
            "merchants",
            "wallets",
            "quarantine",
            "ingest_files",
            "hotlist",
        ):
            self._ensure(name)

    def _ensure(self, name: str) -> None:
        """Make the table, or add the schema's columns an older version of moneytrail made it without."""
        schema = SCHEMAS[name]
        if not self.engine.has_table(name):
            self.engine.write_table(name, schema.empty_table())
            self._current.add(name)
            return
        if name in self._current:  # checked once per run: a query per file and table costs on Spark
            return
        self._current.add(name)
        add_missing_columns(self.engine, name, schema)

    # -- the file ledger --------------------------------------------------------------
    def _ledger(self, where: str) -> pa.Table:
        return self.engine.query(f"SELECT * FROM ingest_files WHERE {where}")

    def _ledger_row(
        self, digest: str, source: str, member: str, fmt: str, status: str, counts: tuple[int, int, int]
    ) -> None:
        row = {
            "file_hash": [digest],
            "source_file": [source],
            "member_id": [member],
            "format": [fmt],
            "status": [status],
            "read": [counts[0]],
            "loaded": [counts[1]],
            "quarantined": [counts[2]],
            "key_id": [self.key.key_id],
            "key_version": [self.key.version],
            "at": [_now()],
        }
        self.engine.write_table("ingest_files", pa.table(row, schema=INGEST_FILES), "append")

    def _purge(self, source: str) -> None:
        """Remove every row an unfinished earlier run wrote for this file."""
        for name in self.engine.tables():
            columns = self.engine.query(f"SELECT * FROM {check_name(name)} LIMIT 0").column_names
            if "source_file" in columns:
                self.engine.create_table(
                    name, f"SELECT * FROM {name} WHERE source_file IS DISTINCT FROM {literal(source)}"
                )

    # -- one file ----------------------------------------------------------------------
    def ingest_file(
        self,
        path: Path,
        member_id: str,
        fmt: str,
        options: dict[str, object] | None = None,
        on_batch: BatchHook | None = None,
        batch_rows: int = 500_000,
    ) -> FileResult:
        source = str(path)
        result = FileResult(source, member_id, fmt, "loaded")
        reader = self.readers.get(fmt)
        if reader is None:
            raise FormatError(f"unknown format {fmt!r}; formats: {', '.join(sorted(self.readers))}")
        digest = file_hash(path)
        previous = self._ledger(f"file_hash = {literal(digest)} AND member_id = {literal(member_id)}")
        statuses = previous.column("status").to_pylist()
        if "done" in statuses:
            result.status = "skipped"
            first_source = previous.filter(pc.equal(previous.column("status"), "done")).column("source_file")[0]
            result.reason = f"same content as {first_source}, already ingested"
            return result
        context = ReadContext(member_id, dict(options or {}), batch_rows)
        batches = reader(path, context)
        try:
            first = next(batches, None)  # a reader refuses before its first batch
        except FormatError as error:
            result.status, result.reason = "refused", str(error)
            return result
        if previous.num_rows:  # an earlier run of this file died half way: undo what it wrote
            for stale in set(previous.column("source_file").to_pylist()):
                self._purge(str(stale))
            self.engine.create_table(
                "ingest_files",
                f"SELECT * FROM ingest_files WHERE NOT (file_hash = {literal(digest)} "
                f"AND member_id = {literal(member_id)})",
            )
        self._ledger_row(digest, source, member_id, fmt, "started", (0, 0, 0))
        own_tokens = self._own_account_tokens(member_id)
        bad_locations: set[str] = set()
        self._pending, self._made = {}, set()
        self.tokeniser.new_file()  # each raw value goes to the vault once per file
        self._flush_rows = min(FLUSH_ROWS, batch_rows)
        # the writers stop before the cache cap is lifted
        with self.engine.bounded_cache(), self.engine.appenders(WRITERS) as appenders:
            self._writer = _Writer(appenders)
            try:
                for batch in _chain(first, batches):
                    result.read += batch.records
                    self._write_batch(batch, member_id, source, own_tokens, bad_locations)
                    if batch.table == "accounts":  # later batches look up the member's own accounts
                        self._flush("accounts")
                        self._writer.drain()
                        own_tokens = self._own_account_tokens(member_id)
                    if on_batch is not None:
                        on_batch(source, result.read)
                for name in list(self._pending):
                    self._flush(name)
                self._writer.drain()
            finally:
                self._writer.close()
                self._writer = None
        result.quarantined = len(bad_locations)
        result.loaded = result.read - result.quarantined
        self._ledger_row(digest, source, member_id, fmt, "done", (result.read, result.loaded, result.quarantined))
        return result

    def _own_account_tokens(self, member_id: str) -> pa.Array:
        tokens = self.engine.query(
            f"SELECT DISTINCT account_token FROM accounts WHERE member_id = {literal(member_id)} "
            "AND account_token IS NOT NULL"
        )
        return tokens.column(0).combine_chunks().cast(pa.string())

    # -- one batch ---------------------------------------------------------------------
    def _write_batch(
        self, batch: Batch, member_id: str, source: str, own_tokens: pa.Array, bad_locations: set[str]
    ) -> None:
        rows = batch.rows
        quarantine = [batch.rejected]
        bad_locations.update(str(v) for v in batch.rejected.column("location").to_pylist())
        vault_parts: list[pa.Table] = []
        for spec in identifier_columns(batch.table):
            if spec.raw not in rows.column_names:
                continue
            rows, rejected, vault = self._tokenise(rows, spec, member_id, own_tokens)
            quarantine.append(rejected)
            vault_parts.append(vault)
        # a record with any rejected row is quarantined whole
        dropped = pa.concat_tables(quarantine).column("location")
        if len(dropped) and "source_row" in rows.column_names:
            bad_locations.update(str(v) for v in dropped.to_pylist())
            rows = rows.filter(pc.invert(pc.is_in(rows.column("source_row"), value_set=dropped.combine_chunks())))
        self._write_quarantine(pa.concat_tables(quarantine), member_id, source)
        vault = pa.concat_tables(vault_parts) if vault_parts else VAULT.empty_table().drop_columns(["source_file"])
        if vault.num_rows:  # appended as the file goes, each raw value once per file
            self._append(vault_table(member_id), _with_source(vault, source, VAULT))
        schema = SCHEMAS[batch.table]
        if rows.num_rows:
            self._pending.setdefault(batch.table, []).append(_conform(rows, schema, member_id, source))
            if sum(t.num_rows for t in self._pending[batch.table]) >= self._flush_rows:
                self._flush(batch.table)

    def _flush(self, table: str) -> None:
        """Append the rows held for `table` in one write (in the background)."""
        parts = self._pending.pop(table, [])
        if parts:
            self._append(table, pa.concat_tables(parts).combine_chunks())

    def _append(self, table: str, rows: pa.Table) -> None:
        if table not in self._made:  # made here, before the first append (the writers only append)
            self._made.add(table)
            if table in SCHEMAS:
                self._ensure(table)
            elif not self.engine.has_table(table):  # a member's vault
                self.engine.write_table(table, rows.slice(0, 0))
        assert self._writer is not None, "appends run inside ingest_file"
        self._writer.submit(table, rows)

    def _tokenise(
        self, rows: pa.Table, spec: IdentifierColumn, member_id: str, own_tokens: pa.Array
    ) -> tuple[pa.Table, pa.Table, pa.Table]:
        """Swap one raw identifier column for its token and key: normalised and hashed once per
        distinct raw value (a dictionary encoding), spread back to the rows by index."""
        raw = rows.column(spec.raw).combine_chunks().cast(pa.string())
        encoded = pc.dictionary_encode(raw)
        uniques, indices = encoded.dictionary, encoded.indices
        normalised_u, reasons_u, tokens_u, slots_u = self.tokeniser.raw_slots(spec.kind, uniques)
        scope = self._scopes(rows, spec)
        public = pc.fill_null(pc.equal(scope, "public"), False)
        any_public = bool(pc.any(public).as_py())
        # both keys of every distinct token (MEMBER:TOKEN, ext:TOKEN); each row picks one by index
        held = pc.take(pc.is_in(tokens_u, value_set=own_tokens), indices)
        own = pc.fill_null(pc.or_(pc.equal(scope, "own"), pc.and_(pc.equal(scope, "cpty"), held)), False)
        keys_u = pa.concat_arrays(
            [pc.binary_join_element_wise(member_id, tokens_u, ":"), pc.binary_join_element_wise("ext", tokens_u, ":")]
        )
        offset = pc.if_else(own, pa.scalar(0, indices.type), pa.scalar(len(uniques), indices.type))
        key = pc.take(keys_u, pc.add(indices, offset))
        token = pc.take(tokens_u, indices)
        if any_public:  # on-chain: kept as published; `btctx:HASH` is key and token, a bare address gets `chain:`
            prefixed = pc.match_substring(raw, ":")
            chain = (
                rows.column("chain").combine_chunks()
                if "chain" in rows.column_names
                else pa.nulls(len(raw), pa.string())
            )
            chain = pc.fill_null(chain.cast(pa.string()), "btc")
            public_key = pc.if_else(prefixed, raw, pc.binary_join_element_wise(chain, raw, ":"))
            key = pc.if_else(public, public_key, key)
            token = pc.if_else(public, raw, token)
        out = rows.drop_columns([c for c in (spec.raw, spec.scope) if c in rows.column_names and c != spec.token])
        for name, values in ((spec.token, token), (spec.key, key)):
            if name is not None:
                out = _set(out, name, values)
        failed = pc.take(pc.is_valid(reasons_u), indices)  # null raw: null, left out by `filter`
        keep = pc.take(pc.is_valid(normalised_u), indices)
        if any_public:
            failed = pc.and_(failed, pc.invert(public))
            keep = pc.and_(keep, pc.invert(public))
        failures = pc.sum(failed).as_py() or 0
        location = rows.column("source_row") if "source_row" in rows.column_names else pa.nulls(len(raw), pa.string())
        rejected = pa.table(
            {
                "location": pc.filter(location, failed).cast(pa.string()),
                "field": pa.repeat(pa.scalar(spec.raw.removesuffix("_raw"), pa.string()), failures),
                "reason": pc.take(reasons_u, pc.filter(indices, failed)),
                "raw": pc.filter(raw, failed),
            }
        )
        # one vault row per distinct raw value of the rows that keep a token, the first time in this file
        if any_public:
            kept_u = np.zeros(len(uniques), dtype=bool)
            kept_u[pc.unique(pc.filter(indices, keep)).to_numpy()] = True
        else:  # every distinct value occurs in some row, and with no public row it keeps a token when valid
            kept_u = pc.is_valid(normalised_u).to_numpy(zero_copy_only=False)
        kept_u[kept_u] = self.tokeniser.claim(spec.kind, slots_u[kept_u])
        first = pa.array(np.flatnonzero(kept_u), pa.int64())
        vault = pa.table(
            {
                "token": pc.take(tokens_u, first),
                "kind": pa.repeat(pa.scalar(spec.kind, pa.string()), len(first)),
                "raw": pc.take(uniques, first),
                "normalised": pc.take(normalised_u, first),
                "key_version": pa.repeat(pa.scalar(self.key.version, pa.int32()), len(first)),
            }
        )
        return out, rejected, vault

    def _scopes(self, rows: pa.Table, spec: IdentifierColumn) -> pa.Array:
        n = rows.num_rows
        if spec.scope is not None and spec.scope in rows.column_names:
            return rows.column(spec.scope).combine_chunks().cast(pa.string())
        return pa.repeat(pa.scalar(spec.scope or "own", pa.string()), n)

    def _write_quarantine(self, rejected: pa.Table, member_id: str, source: str) -> None:
        if not rejected.num_rows:
            return
        table = rejected.append_column("member_id", pa.array([member_id] * rejected.num_rows, pa.string()))
        self._append("quarantine", _conform(table, QUARANTINE, member_id, source))

    # -- members ----------------------------------------------------------------------
    def upsert_members(self, members: pa.Table) -> None:
        schema = TABLES["members"]
        incoming = _conform(members, schema, None, None)
        if self.engine.has_table("members"):
            ids = incoming.column("member_id").combine_chunks()
            kept = self.engine.table("members")
            kept = kept.filter(pc.invert(pc.is_in(kept.column("member_id"), value_set=ids)))
            incoming = pa.concat_tables([kept.select(schema.names).cast(schema), incoming])
        self.engine.write_table("members", incoming)


def _chain(first: Batch | None, rest: Iterator[Batch]) -> Iterator[Batch]:
    if first is not None:
        yield first
    yield from rest


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def _with_source(table: pa.Table, source: str, schema: pa.Schema) -> pa.Table:
    table = table.append_column("source_file", pa.array([source] * table.num_rows, pa.string()))
    return table.select(schema.names).cast(schema)


def _conform(table: pa.Table, schema: pa.Schema, member_id: str | None, source: str | None) -> pa.Table:
    """Columns of `schema` in order: given ones cast, member_id and source_file filled, the rest null."""
    n = table.num_rows
    columns = []
    for target in schema:
        if target.name in table.column_names:
            columns.append(table.column(target.name).cast(target.type))
        elif target.name == "member_id" and member_id is not None:
            columns.append(pa.array([member_id] * n, target.type))
        elif target.name == "source_file" and source is not None:
            columns.append(pa.array([source] * n, target.type))
        else:
            columns.append(pa.nulls(n, target.type))
    return pa.table(columns, schema=schema.with_metadata(None))


def ingest_files(
    loader: Loader,
    files: list[tuple[Path, str, str, dict[str, object]]],
    on_batch: BatchHook | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    batch_rows: int = 500_000,
) -> IngestResult:
    """Ingest (path, member_id, format, options) in order; refused files are reported, not fatal."""
    started = time.perf_counter()
    result = IngestResult()
    for path, member_id, fmt, options in files:
        done = loader.ingest_file(path, member_id, fmt, options, on_batch, batch_rows)
        result.files.append(done)
        if on_file is not None:
            on_file(done)
    result.seconds = time.perf_counter() - started
    return result
