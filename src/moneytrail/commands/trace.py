"""`moneytrail trace`: follow the money; `trace-clusters` and `trace-components` for the whole graph."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from moneytrail.commands.common import (
    EngineOption,
    HomeOption,
    JsonOption,
    console,
    emit_json,
    err_console,
    resolve,
    table,
)
from moneytrail.errors import UserError

FORMATS = ("table", "json", "ftm", "gexf")


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise UserError(f"{option} {text!r} is not a date or time (use ISO 8601, e.g. 2025-03-01)") from error
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    @app.command("trace")
    def trace_command(
        start: Annotated[
            list[str],
            typer.Option("--from", help="MEMBER:ACCOUNT, account key, token, wallet address, MID or URL (repeatable)."),
        ],
        hops: Annotated[int, typer.Option("--hops", min=1, max=50, help="How many payments deep to follow.")] = 4,
        direction: Annotated[str, typer.Option("--direction", help="forward (where it went) or backward.")] = "forward",
        since: Annotated[str | None, typer.Option("--since", help="Ignore payments before this time.")] = None,
        until: Annotated[str | None, typer.Option("--until", help="Ignore payments after this time.")] = None,
        min_amount: Annotated[float, typer.Option("--min-amount", help="Do not follow smaller payments.")] = 0.0,
        attribution: Annotated[str, typer.Option("--attribution", help="poison, haircut or fifo.")] = "haircut",
        fmt: Annotated[str, typer.Option("--format", help="table, json, ftm (JSON lines) or gexf.")] = "table",
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
        rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the cached trace index.")] = False,
        home: HomeOption = None,
        engine_name: EngineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Follow the money forward or backward from an account, wallet, merchant or token."""
        from moneytrail.trace import open_index, trace
        from moneytrail.warehouse import open_engine

        fmt = "json" if as_json else fmt
        if fmt not in FORMATS:
            raise UserError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
        config = resolve(home, engine_name)
        with open_engine(config) as engine:
            with err_console.status("loading the trace index"):
                index = open_index(engine, config.home, rebuild=rebuild)
            result = trace(
                index,
                start,
                hops,
                direction,
                since=_when(since, "--since"),
                until=_when(until, "--until"),
                min_amount=min_amount,
                attribution=attribution,
                engine=engine,
                home=config.home,
            )
        if fmt == "json":
            emit_json(result.to_json())
        elif fmt == "ftm":
            _write(result.to_ftm_lines(), output)
        elif fmt == "gexf":
            _write(result.to_gexf(), output)
        else:
            nodes = sorted(result.nodes, key=lambda n: (n.hop, -n.received))
            table(
                f"{result.direction} trace from {', '.join(result.start)}: {len(nodes)} accounts, "
                f"{len(result.edges)} links, {result.attribution} attribution",
                ["hop", "node", "member", "kind", "role", "risk", "received", "kept"],
                [[n.hop, n.id, n.member or "", n.kind or "", n.role, f"{n.risk:.2f}", f"{n.received:,.2f}",
                  f"{n.retained:,.2f}"] for n in nodes],
            )  # fmt: skip
            if result.cycles:
                console.print(f"{len(result.cycles)} cycle(s): " + "; ".join(" → ".join(c) for c in result.cycles[:5]))

    @app.command("trace-clusters")
    def clusters_command(
        change: Annotated[bool, typer.Option("--change", help="Also use the one-time-change heuristic.")] = False,
        exposure_hops: Annotated[
            int, typer.Option("--exposure-hops", min=1, help="Transactions deep to look for hotlisted money.")
        ] = 3,
        home: HomeOption = None,
        engine_name: EngineOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Cluster on-chain addresses by common-input ownership; report clusters exposed to the hotlist."""
        from moneytrail.trace import open_index
        from moneytrail.trace.crypto import cluster_addresses, clusters, exposure
        from moneytrail.warehouse import open_engine

        config = resolve(home, engine_name)
        with open_engine(config) as engine:
            if not engine.has_table("transactions"):
                raise UserError("the warehouse has no transactions yet: run `moneytrail ingest` first")
            with err_console.status("clustering addresses"):
                count = cluster_addresses(engine, change=change)
                groups = clusters(engine)
                hot: set[str] = set()
                if engine.has_table("hotlist"):
                    rows = engine.query("SELECT value FROM hotlist WHERE kind = 'address'").to_pylist()
                    hot = {str(r["value"]) for r in rows}
                index = open_index(engine, config.home)
            found = []
            for group in groups:
                bare = [a.split(":", 1)[1] for a in sorted(group)]
                found.append(exposure(index, bare, hot, exposure_hops))
        rows_out: list[dict[str, Any]] = [
            {"cluster": e.addresses[0], "size": len(e.addresses), "hotlisted": e.hotlisted_in_cluster,
             "direct_in": e.direct_in, "direct_out": e.direct_out, "share_in": e.share_in,
             "share_out": e.share_out, "counterparties": e.counterparties}
            for e in found
        ]  # fmt: skip
        if as_json:
            emit_json({"clusters": count, "exposure_hops": exposure_hops, "items": rows_out})
            return
        table(
            f"{count} address clusters (common input{', change' if change else ''})",
            ["cluster", "size", "hotlisted", "direct in", "direct out", "share in", "share out"],
            [[r["cluster"], r["size"], len(r["hotlisted"]), f"{r['direct_in']:.8f}", f"{r['direct_out']:.8f}",
              f"{r['share_in']:.1%}", f"{r['share_out']:.1%}"] for r in rows_out],
        )  # fmt: skip

    @app.command("trace-components")
    def components_command(
        home: HomeOption = None, engine_name: EngineOption = None, as_json: JsonOption = False
    ) -> None:
        """Label the whole payment graph's connected components (iterative SQL; runs on Spark)."""
        from moneytrail.trace.components import connected_components
        from moneytrail.warehouse import open_engine

        config = resolve(home, engine_name)
        with open_engine(config) as engine:
            if not engine.has_table("transactions"):
                raise UserError("the warehouse has no transactions yet: run `moneytrail ingest` first")
            with err_console.status("labelling components"):
                rounds = connected_components(engine)
            sizes = engine.query(
                "SELECT component, count(*) AS nodes FROM components GROUP BY component ORDER BY nodes DESC LIMIT 10"
            ).to_pylist()
            total = engine.count("components")
            count = int(engine.query("SELECT count(DISTINCT component) AS n FROM components").column(0)[0].as_py())
        if as_json:
            emit_json({"nodes": total, "components": count, "rounds": rounds, "largest": sizes})
            return
        table(
            f"{count:,} components over {total:,} nodes ({rounds} rounds)",
            ["component", "nodes"],
            [[r["component"], r["nodes"]] for r in sizes],
        )
