"""`moneytrail demo`: the whole flow on the embedded default, end to end."""

from __future__ import annotations

from typing import Annotated

import typer

from moneytrail.commands.common import HomeOption, JsonOption, emit_json, resolve, table
from moneytrail.store import Store


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        home: HomeOption = None,
        transactions: Annotated[
            int, typer.Option("--transactions", min=1000, help="How many transactions to generate.")
        ] = 20_000,
        seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 1,
        serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the UI afterwards.")] = True,
        as_json: JsonOption = False,
    ) -> None:
        """Generate a synthetic coalition, ingest it, detect, and summarise the alerts."""
        config = resolve(home)
        store = Store(config.database_url)
        store.upgrade()
        store.audit("cli", "demo", "home", str(config.home))
        summary = {"home": str(config.home), "transactions": transactions, "seed": seed}
        if as_json:
            emit_json(summary)
        else:
            table("moneytrail demo", ["step", "result"], [[k, v] for k, v in summary.items()])
