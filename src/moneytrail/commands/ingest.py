"""`moneytrail ingest`: load member files into the warehouse (tokens for identifiers, quarantine for bad rows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer

from moneytrail.commands.common import (
    EngineOption,
    HomeOption,
    JsonOption,
    emit_json,
    err_console,
    progress,
    resolve,
    table,
)
from moneytrail.errors import UserError
from moneytrail.ingest import readers
from moneytrail.tokens import load_key, psi
from moneytrail.warehouse import open_engine
from moneytrail.warehouse.engine import literal
from moneytrail.warehouse.load import FileResult, Loader, ingest_files, vault_table
from moneytrail.warehouse.load_rotate import rotate

FileSpec = tuple[Path, str, str, dict[str, object]]
KindOption = Annotated[str, typer.Option("--kind", help="Identifier kind to match (account, phone, email...).")]
MemberOption = Annotated[str, typer.Option("--member", help="Our member id (its vault holds the items).")]


def manifest_files(manifest: Path) -> tuple[list[FileSpec], pa.Table]:
    """(files in manifest order, members table) from a generator-style manifest.json."""
    try:
        data: dict[str, Any] = json.loads(manifest.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read manifest {manifest}: {error}") from error
    if not isinstance(data.get("files"), list):
        raise UserError(f"{manifest}: not a manifest (no 'files' list)")
    files: list[FileSpec] = []
    for entry in data["files"]:
        options: dict[str, object] = {k: v for k, v in entry.items() if k not in ("path", "member_id", "format")}
        files.append((manifest.parent / entry["path"], str(entry["member_id"]), str(entry["format"]), options))
    members = data.get("members") or []
    columns = ("member_id", "name", "kind", "country")
    return files, pa.table({c: pa.array([m.get(c) for m in members], pa.string()) for c in columns})


def _vault_items(home: Path | None, member: str, kind: str) -> list[str]:
    """A member's own normalised identifiers of one kind, from its vault."""
    config = resolve(home)
    engine = open_engine(config)
    try:
        vault = vault_table(member)
        if not engine.has_table(vault):
            raise UserError(f"member {member!r} has no vault here: ingest its files first")
        rows = engine.query(f"SELECT DISTINCT normalised FROM {vault} WHERE kind = {literal(kind)}")
    finally:
        engine.close()
    return [str(v) for v in rows.column(0).to_pylist()]


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="The coalition key: rotate it (re-tokenises the warehouse).", no_args_is_help=True)
    app.add_typer(keys, name="keys")

    psi_app = typer.Typer(help="Private set intersection between two members, without the hub.", no_args_is_help=True)
    app.add_typer(psi_app, name="psi")

    @psi_app.command("serve")
    def psi_serve(
        member: MemberOption,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 7447,
        kind: KindOption = "account",
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Answer one PSI query from another member with our identifiers (we learn only its set size)."""
        items = _vault_items(home, member, kind)
        listener = psi.listen(host, port)
        err_console.print(f"serving {len(items):,} {kind} identifiers on {host}:{listener.getsockname()[1]}")
        try:
            asked = psi.serve_once(listener, items)
        finally:
            listener.close()
        summary = {"member": member, "kind": kind, "items": len(items), "query_size": asked}
        emit_json(summary) if as_json else table("psi served", list(summary), [list(summary.values())])

    @psi_app.command("query")
    def psi_query(
        member: MemberOption,
        connect: Annotated[str, typer.Option("--connect", help="HOST:PORT of the serving member.")],
        kind: KindOption = "account",
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Learn which of our identifiers the serving member also holds."""
        host, _, port = connect.rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"--connect wants HOST:PORT, not {connect!r}")
        items = _vault_items(home, member, kind)
        try:
            shared = psi.query(host, int(port), items)
        except OSError as error:
            raise UserError(f"cannot reach {connect}: {error}") from error
        if as_json:
            emit_json({"member": member, "kind": kind, "items": len(items), "shared": shared})
        else:
            table(f"{len(shared)} of {len(items):,} {kind} identifiers shared", ["identifier"], [[v] for v in shared])

    @keys.command("rotate")
    def rotate_keys(home: HomeOption = None, engine_name: EngineOption = None, as_json: JsonOption = False) -> None:
        """Make a new key version current and re-make every token in the warehouse with it."""
        config = resolve(home, engine_name)
        engine = open_engine(config)
        try:
            done = rotate(engine, config.key_file)
        finally:
            engine.close()
        if as_json:
            emit_json(done)
        else:
            table("key rotated", list(done), [list(done.values())])

    @app.command("ingest")
    def ingest(
        paths: Annotated[list[Path] | None, typer.Argument(help="Files (or folders, for amlsim/ofac-crypto).")] = None,
        manifest: Annotated[Path | None, typer.Option("--manifest", help="A manifest.json listing files.")] = None,
        member: Annotated[str | None, typer.Option("--member", help="Member that reports the files.")] = None,
        fmt: Annotated[str | None, typer.Option("--format", help="Format of the files.")] = None,
        mapping: Annotated[str | None, typer.Option("--mapping", help="Column mapping (format csv).")] = None,
        home: HomeOption = None,
        engine_name: EngineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Ingest member files: every row is loaded or quarantined, and the same file twice changes nothing."""
        known = readers()
        if manifest is not None:
            if paths or member or fmt:
                raise UserError("give either --manifest or --member/--format with paths, not both")
            files, members = manifest_files(manifest)
        else:
            if not (paths and member and fmt):
                raise UserError("give --manifest FILE, or --member M --format F and one or more paths")
            options: dict[str, object] = {"mapping": mapping} if mapping else {}
            files, members = [(p, member, fmt, options) for p in paths], pa.table({"member_id": [member]})
        for path, _, file_format, _ in files:
            if file_format not in known:
                raise UserError(f"unknown format {file_format!r}; formats: {', '.join(sorted(known))}")
            if not path.exists():
                raise UserError(f"no such file: {path}")
        config = resolve(home, engine_name)
        engine = open_engine(config)
        try:
            loader = Loader(engine, load_key(config.key_file), known)
            loader.upsert_members(members)
            with progress(enabled=not as_json) as bar:
                task = bar.add_task("ingest", total=len(files))

                def on_batch(source: str, records: int) -> None:
                    bar.update(task, description=f"{Path(source).name}: {records:,} records")

                def on_file(done: FileResult) -> None:
                    bar.advance(task)

                result = ingest_files(loader, [(p.resolve(), m, f, o) for p, m, f, o in files], on_batch, on_file)
        finally:
            engine.close()
        summary = result.summary()
        refused = [f for f in result.files if f.status == "refused"]
        if as_json:
            emit_json(summary)
        elif len(refused) < len(result.files):
            rows = [
                [Path(f.path).name, f.member_id, f.format, f.status, f.read, f.loaded, f.quarantined]
                for f in result.files
            ]
            table("ingest", ["file", "member", "format", "status", "read", "loaded", "quarantined"], rows)
            table("total", list(summary), [list(summary.values())])
        for item in refused:
            err_console.print(f"[bold red]refused:[/] {item.reason}", highlight=False, soft_wrap=True)
        if refused:
            raise typer.Exit(2)
