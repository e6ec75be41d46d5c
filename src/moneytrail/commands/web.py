"""`moneytrail serve`: the API and the analyst UI."""

from __future__ import annotations

from typing import Annotated

import typer

from moneytrail.commands.common import HomeOption, console, resolve


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        home: HomeOption = None,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the REST API (/v1, docs at /docs) and the analyst UI."""
        serve_app(resolve(home), host, port)


def serve_app(config: object, host: str, port: int) -> None:
    import uvicorn

    from moneytrail.config import Settings
    from moneytrail.web.app import create_app

    assert isinstance(config, Settings)
    console.print(f"moneytrail UI at [bold]http://{host}:{port}[/] (Ctrl+C to stop)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
