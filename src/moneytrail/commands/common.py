"""What every command shares: --home, --json, output, progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from moneytrail.config import Settings, settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line in logs

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Working folder (default: $MONEYTRAIL_HOME, else ./.moneytrail).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="Warehouse engine: duckdb or spark (default: $MONEYTRAIL_ENGINE, else duckdb)."),
]


def resolve(home: Path | None, engine: str | None = None) -> Settings:
    config = settings(home, engine)
    config.home.mkdir(parents=True, exist_ok=True)
    return config


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    """JSON on stdout, nothing else: what `--json` promises."""
    typer.echo(json.dumps(data, default=_default, indent=2, sort_keys=False))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    out = Table(title=title)
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(out)


@contextmanager
def progress(enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr (kept off stdout so --json stays clean)."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled,
    )
    with bar:
        yield bar
