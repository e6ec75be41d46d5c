"""`moneytrail synth`: write a synthetic coalition (each member's files, labels, manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moneytrail.commands.common import JsonOption, emit_json, progress, table


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Annotated[Path, typer.Option("--out", help="Folder to write (must be new or empty).")],
        transactions: Annotated[int, typer.Option("--transactions", help="About how many movements.")] = 200_000,
        seed: Annotated[int, typer.Option("--seed", help="Same seed and config give identical files.")] = 7,
        config: Annotated[
            Path | None, typer.Option("--config", help="YAML overriding keys of the built-in world.yaml.")
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Generate members' native files with ordinary life and labelled exploitation typologies."""
        from moneytrail.synth import generate

        with progress(enabled=not as_json) as bar:
            task = bar.add_task("schemes", total=None)

            def tick(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            summary = generate(out, transactions, seed, config, progress=tick)
        info = summary.as_dict()
        if as_json:
            emit_json(info)
            return
        table(f"synthetic coalition in {out}", ["member", "transactions"],
              [[k, v] for k, v in summary.by_member.items()])
        table("by format", ["format", "transactions"], [[k, v] for k, v in sorted(summary.by_format.items())])
        table("labelled transactions by typology", ["typology", "schemes", "transactions"],
              [[k, summary.schemes[k], v] for k, v in sorted(summary.by_typology.items())])
        table("total", ["transactions", "exploitation share", "files"],
              [[summary.transactions, f"{summary.exploitation_share:.4%}", len(summary.files)]])
