"""`moneytrail init`: create the working folder, the warehouse and the operational store."""

from __future__ import annotations

import typer

from moneytrail.commands.common import HomeOption, JsonOption, emit_json, resolve, table
from moneytrail.store import Store


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(home: HomeOption = None, as_json: JsonOption = False) -> None:
        """Create (or migrate) the operational store under the working folder."""
        config = resolve(home)
        store = Store(config.database_url)
        store.upgrade()
        store.audit("cli", "init", "store", config.database_url.split("@")[-1])
        store.dispose()
        info = {"home": str(config.home), "database": config.database_url.split("@")[-1], "engine": config.engine}
        if as_json:
            emit_json(info)
        else:
            table("moneytrail initialised", ["setting", "value"], [[k, v] for k, v in info.items()])
